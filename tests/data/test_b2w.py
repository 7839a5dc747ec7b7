"""read_b2w on an invented fixture, in both delimiters (pytest tests/data/test_b2w.py)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from tucano_commerce.data._b2w import read_b2w, sniff_delimiter
from tucano_commerce.data._silver import silver_label
from tucano_commerce.errors import DataError

FIXTURE = Path(__file__).parent / "fixtures" / "b2w_sample.csv"


def _comma_copy(tmp_path: Path) -> Path:
    """The fixture rewritten with ',' (csv quotes the cells that need it), without the BOM."""
    rows = list(csv.reader(io.StringIO(FIXTURE.read_text(encoding="utf-8-sig")), delimiter=";"))
    out = tmp_path / "b2w_comma.csv"
    with out.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, delimiter=",").writerows(rows)
    return out


def test_reads_semicolon_fixture_with_bom_and_multiline_text() -> None:
    records = read_b2w(FIXTURE)
    assert len(records) == 9  # r007 has no text
    assert all(r.dataset == "b2w" and r.review_id.startswith("b2w-") for r in records)
    assert len({r.review_id for r in records}) == 9
    second = records[1]
    assert second.score == 1 and second.title == "Não recebi"
    assert second.message == "Paguei e até hoje não recebi o pedido.\nNinguém responde os e-mails."
    assert second.recommend_hint is False
    assert records[0].recommend_hint is True
    assert records[5].recommend_hint is None  # empty recommend_to_a_friend
    assert records[5].message == 'Muito linda, "igualzinha" à foto!'
    assert records[2].title is None and "; porém" in records[2].message
    assert "reviewer_gender" not in records[0].extra and records[0].extra["product_id"] == "p100"


def test_comma_variant_gives_the_same_records(tmp_path: Path) -> None:
    assert read_b2w(_comma_copy(tmp_path)) == read_b2w(FIXTURE)


def test_sniffer_and_fallback() -> None:
    assert sniff_delimiter("a;b;c") == ";"
    assert sniff_delimiter("a,b,c") == ","
    assert sniff_delimiter("só_uma_coluna") in (";", ",")


def test_recommend_hint_reaches_the_silver_labeller() -> None:
    text = "Chegou. Vou testar ainda."
    assert silver_label(text, 3, recommend_hint=True)["would_recommend"] is True
    assert silver_label(text, 3, recommend_hint=False)["would_recommend"] is False
    assert silver_label("Não recomendo.", 3, recommend_hint=True)["would_recommend"] is False


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        (";5;Yes;Adorei;", ";seis;Yes;Adorei;", "overall_rating"),
        (";5;Yes;Adorei;", ";5;Talvez;Adorei;", "recommend_to_a_friend"),
    ],
)
def test_bad_values_name_file_line_and_field(tmp_path: Path, old: str, new: str, field: str) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(FIXTURE.read_text(encoding="utf-8-sig").replace(old, new), encoding="utf-8")
    with pytest.raises(DataError, match=rf"bad\.csv: line 2: field '{field}'"):
        read_b2w(bad)


def test_error_line_counts_multiline_records(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        FIXTURE.read_text(encoding="utf-8-sig").replace(";4;Yes;Boa;", ";9;Yes;Boa;"), encoding="utf-8"
    )
    with pytest.raises(DataError, match=r"line 7: field 'overall_rating'"):  # header, then 1 + 2 + 2 lines
        read_b2w(bad)


def test_missing_column_and_ragged_row(tmp_path: Path) -> None:
    text = FIXTURE.read_text(encoding="utf-8-sig")
    no_col = tmp_path / "nocol.csv"
    no_col.write_text(text.replace("overall_rating", "nota"), encoding="utf-8")
    with pytest.raises(DataError, match="line 1: missing column.*overall_rating"):
        read_b2w(no_col)
    ragged = tmp_path / "ragged.csv"
    ragged.write_text(text + "2018-02-01;r011;p110;x\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"ragged\.csv: line 16: expected 14 fields, found 4"):
        read_b2w(ragged)

"""Export / hand-correct / import round trip of the review queue (pytest tests/data/test_review_queue.py)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tucano_commerce.data._review_queue import QUEUE_COLUMNS, export_queue, import_queue, prompt_review
from tucano_commerce.data._reviews import ReviewRecord, build_review_examples
from tucano_commerce.errors import DataError

POOL = [
    ReviewRecord("r1", None, "Chegou rápido; produto ótimo. Recomendo!", 5),
    ReviewRecord("r2", "Atraso", 'Demorou 20 dias.\nO "prazo" era 7.', 1),
    ReviewRecord("r3", None, "Veio com defeito, quero trocar.", 2),
    ReviewRecord("r4", None, "Recebi, ainda não usei.", 3),
]


@pytest.fixture
def examples() -> list:
    return build_review_examples(POOL, n_extraction=2, n_sentiment=2, seed=1, synthetic_share=0.0)


def _rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh, delimiter=";"))


def _write(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh, delimiter=";", quoting=csv.QUOTE_ALL).writerows(rows)


def test_export_format(tmp_path: Path, examples: list) -> None:
    path = export_queue(examples, tmp_path / "queue.csv")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    rows = _rows(path)
    assert tuple(rows[0]) == QUEUE_COLUMNS and len(rows) == 5
    texts = {r[3] for r in rows[1:]}
    assert {prompt_review(e) for e in examples} == texts
    assert any('"prazo"' in t and "\n" in t for t in texts) or any(";" in t for t in texts)
    assert import_queue(path, examples) == examples  # unedited: nothing changes


def test_round_trip_correction_then_invalid_value(tmp_path: Path, examples: list) -> None:
    path = export_queue(examples, tmp_path / "queue.csv")
    rows = _rows(path)
    col = {c: i for i, c in enumerate(rows[0])}
    ext = next(i for i, r in enumerate(rows) if r[col["task"]] == "extraction")
    rows[ext][col["sentiment"]] = "Neutro"
    rows[ext][col["sentiment_score"]] = "0,0"
    rows[ext][col["would_recommend"]] = "VERDADEIRO"  # Excel pt-BR
    _write(path, rows)
    out = import_queue(path, examples)
    changed = [e for e in out if e.label_source == "gold"]
    assert [e.id for e in changed] == [rows[ext][col["id"]]]
    assert (
        changed[0].ground_truth["sentiment"] == "neutro"
        and changed[0].ground_truth["would_recommend"] is True
    )
    assert sum(e.label_source == "silver" for e in out) == len(examples) - 1

    # a second edit with an invalid value: the error names the file, the CSV line and the field
    other = max(i for i in range(1, len(rows)) if i != ext)  # below multi-line rows, to test line counting
    rows[other][col["sentiment_score"]] = "muito"
    _write(path, rows)
    first_line = 1 + sum(1 + rows[i][col["review"]].count("\n") for i in range(1, other))
    with pytest.raises(DataError, match=rf"queue\.csv: line {first_line + 1}: field 'sentiment_score'"):
        import_queue(path, examples)


def test_unknown_id_and_inconsistent_main_complaint(tmp_path: Path, examples: list) -> None:
    path = export_queue(examples, tmp_path / "queue.csv")
    rows = _rows(path)
    rows[1][0] = "train-ext-99999"
    _write(path, rows)
    with pytest.raises(DataError, match="line 2: field 'id': unknown id"):
        import_queue(path, examples)
    rows = _rows(export_queue(examples, path))
    col = {c: i for i, c in enumerate(rows[0])}
    ext = next(i for i, r in enumerate(rows) if r[col["task"]] == "extraction")
    rows[ext][col["complaint_category"]] = "nenhuma"
    rows[ext][col["main_complaint"]] = "atraso"
    _write(path, rows)
    with pytest.raises(DataError, match="field 'main_complaint'"):
        import_queue(path, examples)

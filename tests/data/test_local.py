"""Loading a user's local JSONL / parquet math dataset. Run: pytest tests/data/test_local.py"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tucano_commerce.data._local import extract_numeric_answer, load_local_dataset, read_local_dataset
from tucano_commerce.data._math import GENERAL_SYSTEM_PROMPT, verify_answer
from tucano_commerce.errors import DataError

ROWS = [
    {
        "id": "a1",
        "pergunta": "Ana tem 3 caixas com 4 canetas. Quantas canetas?",
        "resposta": "3 * 4 = 12\n#### 12",
    },
    {"id": "a2", "pergunta": "Quanto é 1000 + 500?", "resposta": "#### 1,500"},
    {"id": "a3", "pergunta": "Qual o preço com desconto?", "resposta": "R$ 12,50"},
    {"id": "a4", "pergunta": "Quantos itens?", "resposta": 7},
    {"id": "a5", "pergunta": "Pergunta sem resposta numérica", "resposta": "depende do contexto"},
    {"id": "a6", "pergunta": "Qual a média?", "resposta": "Somando e dividindo... Resposta: 3,75"},
    {"id": "a7", "pergunta": "Outra sem número", "resposta": None},
]


def write_jsonl(path: Path, rows: list) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def test_jsonl_with_field_mapping(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "gsm8k_pt.jsonl", ROWS)
    result = read_local_dataset(path, question_field="pergunta", answer_field="resposta", id_field="id")
    assert result.rows == 7 and result.skipped_lines == [5, 7]
    answers = {e.id: e.ground_truth["answer"] for e in result.examples}
    assert answers == {"train-loc-a1": 12.0, "train-loc-a2": 1500.0, "train-loc-a3": 12.5, "train-loc-a4": 7.0,
                       "train-loc-a6": 3.75}  # fmt: skip
    first = result.examples[0]
    assert first.task == "general" and first.prompt[0]["content"] == GENERAL_SYSTEM_PROMPT
    assert first.user_text() == ROWS[0]["pergunta"]
    assert first.source == {"dataset": "local", "path": str(path), "line": 1, "id": "a1"}
    assert verify_answer("3 caixas x 4 = 12\nResposta: 12", first.ground_truth) == 1.0


def test_limit_is_a_seeded_sample_and_ids_default_to_lines(tmp_path: Path) -> None:
    rows = [{"q": f"Quanto é {i} + 1?", "a": f"#### {i + 1}"} for i in range(50)]
    path = write_jsonl(tmp_path / "many.jsonl", rows)
    a = load_local_dataset(path, question_field="q", answer_field="a", limit=10, seed=1)
    b = load_local_dataset(path, question_field="q", answer_field="a", limit=10, seed=1)
    c = load_local_dataset(path, question_field="q", answer_field="a", limit=10, seed=2)
    assert [e.id for e in a] == [e.id for e in b] != [e.id for e in c]
    assert len(a) == 10 and a[0].id.startswith("train-loc-many-")
    lines = [e.source["line"] for e in a]
    assert lines == sorted(lines)
    assert len(load_local_dataset(path, question_field="q", answer_field="a")) == 50


def test_nested_fields(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "nested.jsonl", [{"x": {"q": "Quanto é 2+2?"}, "y": {"a": "4"}}])
    (ex,) = load_local_dataset(path, question_field="x.q", answer_field="y.a")
    assert ex.ground_truth["answer"] == 4.0


def test_errors_name_file_line_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"q": "ok", "a": "1"}\n{"q": "quebrado", \n', encoding="utf-8")
    with pytest.raises(DataError, match=r"bad\.jsonl:2: invalid JSON"):
        load_local_dataset(bad, question_field="q", answer_field="a")
    missing = write_jsonl(tmp_path / "missing.jsonl", [{"q": "a", "a": "1"}, {"question": "b", "a": "2"}])
    with pytest.raises(DataError, match=r"missing\.jsonl:2: field 'q' \(question_field\) is missing"):
        load_local_dataset(missing, question_field="q", answer_field="a")
    with pytest.raises(DataError, match=r"missing\.jsonl:1: field 'resp' \(answer_field\)"):
        load_local_dataset(missing, question_field="q", answer_field="resp")
    empty = write_jsonl(tmp_path / "empty.jsonl", [{"q": "  ", "a": "1"}])
    with pytest.raises(DataError, match=r"empty\.jsonl:1: field 'q'"):
        load_local_dataset(empty, question_field="q", answer_field="a")
    with pytest.raises(DataError, match="file not found"):
        load_local_dataset(tmp_path / "nope.jsonl", question_field="q", answer_field="a")
    csv = tmp_path / "data.csv"
    csv.write_text("q,a\n", encoding="utf-8")
    with pytest.raises(DataError, match="unsupported file type"):
        load_local_dataset(csv, question_field="q", answer_field="a")
    array = write_jsonl(tmp_path / "array.jsonl", [[1, 2]])
    with pytest.raises(DataError, match=r"array\.jsonl:1: expected a JSON object"):
        load_local_dataset(array, question_field="q", answer_field="a")


@pytest.mark.parametrize(
    ("value", "number"),
    [("#### 42", 42.0), ("blá\n#### 1.234", 1234.0), ("3,5", 3.5), ("R$ 1.234,56", 1234.56), ("12%", 12.0),
     (8, 8.0), (2.5, 2.5), ("-3", -3.0), ("Resposta: 9", 9.0), ("talvez", None), (True, None), (None, None),
     (float("nan"), None), ("#### ", None), ({"x": 1}, None)],
)  # fmt: skip
def test_extract_numeric_answer(value, number) -> None:
    assert extract_numeric_answer(value) == number


def test_parquet(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    rows = [r for r in ROWS if r["resposta"] is not None and not isinstance(r["resposta"], int)]
    path = tmp_path / "orca_pt.parquet"
    pq.write_table(pa.Table.from_pylist(rows), path)
    result = read_local_dataset(path, question_field="pergunta", answer_field="resposta", id_field="id")
    assert [e.ground_truth["answer"] for e in result.examples] == [12.0, 1500.0, 12.5, 3.75]
    assert result.skipped_lines == [4]
    with pytest.raises(DataError, match=r"orca_pt\.parquet:1: field 'nope'"):
        load_local_dataset(path, question_field="nope", answer_field="resposta")

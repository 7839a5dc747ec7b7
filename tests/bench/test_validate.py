"""``tucano bench validate`` on the real benchmark, and on broken copies of it."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tucano_commerce.bench import EXPECTED_COUNTS, validate_benchmark
from tucano_commerce.cli import app
from tucano_commerce.tasks._benchmark import benchmark_dir, read_items

HAS_OLIST = bool(os.environ.get("TUCANO_OLIST_DIR"))


pytestmark = pytest.mark.usefixtures("tucano_home")  # the benchmark warehouse is built once


def broken_copy(tmp_path: Path, edit) -> Path:
    """A copy of the benchmark folder whose prompts.jsonl lines went through ``edit(list_of_dicts)``."""
    src = benchmark_dir()
    dst = tmp_path / "bench"
    dst.mkdir()
    shutil.copy(src / "manifest.json", dst / "manifest.json")
    rows = [json.loads(line) for line in (src / "prompts.jsonl").read_text(encoding="utf-8").splitlines()]
    edit(rows)
    (dst / "prompts.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
    )
    return dst


def test_the_committed_benchmark_is_valid():
    report = validate_benchmark()
    assert report.ok, "\n".join(str(p) for p in report.problems)
    expected_skips = 0 if HAS_OLIST else 1
    assert sum(v.startswith("skipped") for v in report.checks.values()) == expected_skips
    items = read_items()
    assert len(items) == 80
    counts: dict = {}
    for i in items:
        counts.setdefault(i.task, {}).setdefault(i.difficulty, 0)
        counts[i.task][i.difficulty] += 1
    assert counts == EXPECTED_COUNTS


def test_no_review_text_is_committed():
    for item in read_items():
        if item.task in ("extraction", "sentiment"):
            assert "{review}" in item.prompt
            assert item.source["dataset"] in ("olist", "authored")
            if item.source["dataset"] == "olist":
                assert set(item.source) <= {"dataset", "review_id", "text_sha256", "has_title"}


def test_schema_error_names_line_and_field(tmp_path):
    def edit(rows):
        rows[2]["task"] = "translation"

    report = validate_benchmark(directory=broken_copy(tmp_path, edit))
    assert not report.ok
    assert "line 3: field 'task'" in str(report.problems[0])


def test_counts_ids_and_truth_problems_are_reported(tmp_path):
    def edit(rows):
        rows[1]["id"] = rows[0]["id"]  # duplicate id
        rows[20]["difficulty"] = (
            "negativo" if rows[20]["difficulty"] != "negativo" else "positivo"
        )  # counts off
        rows[0]["ground_truth"]["sentiment_score"] = 3.0  # out of range
        churn = next(r for r in rows if r["task"] == "churn")
        churn["ground_truth"]["churn_probability"] = 0.99  # not the warehouse truth, not in band

    report = validate_benchmark(directory=broken_copy(tmp_path, edit))
    text = "\n".join(str(p) for p in report.problems)
    assert "field 'id': duplicate id" in text
    assert "field 'counts'" in text
    assert "line 1 (ext-001): field 'ground_truth.sentiment_score'" in text
    assert "field 'ground_truth': differs from the warehouse truth" in text
    assert "prompts.jsonl changed after authoring" in text


def test_labels_against_the_codebook_are_checked(tmp_path):
    """Codebook 1.1 rules, on items whose texts need no data directory (authored ones) or none at all."""

    def edit(rows):
        by_id = {r["id"]: r for r in rows}
        by_id["sen-011"]["ground_truth"]["sentiment_score"] = 0.3  # neutro with a positivo score
        by_id["ext-020"]["ground_truth"]["would_recommend"] = True  # authored A2: negativo, no recommendation
        by_id["ext-018"]["ground_truth"]["delivery_issue"] = False  # entrega without its flag

    report = validate_benchmark(directory=broken_copy(tmp_path, edit))
    codebook = sorted(str(p) for p in report.problems if "codebook:" in str(p))
    assert len(codebook) == 3, codebook
    assert "(ext-018): field 'ground_truth.delivery_issue'" in codebook[0]
    assert "(ext-020): field 'ground_truth.would_recommend'" in codebook[1]
    assert "(sen-011): field 'ground_truth.sentiment'" in codebook[2]
    assert report.checks["review_labels"] == "3 problem(s)"


@pytest.mark.skipif(not HAS_OLIST, reason="needs TUCANO_OLIST_DIR")
def test_the_pre_1_1_label_of_ext_017_is_caught(tmp_path):
    def edit(rows):
        next(r for r in rows if r["id"] == "ext-017")["ground_truth"]["would_recommend"] = True

    report = validate_benchmark(directory=broken_copy(tmp_path, edit))
    codebook = [str(p) for p in report.problems if "codebook:" in str(p)]
    assert len(codebook) == 1 and "(ext-017): field 'ground_truth.would_recommend'" in codebook[0]


def test_bad_gold_sql_is_caught_by_lint(tmp_path):
    def edit(rows):
        sql = next(r for r in rows if r["task"] == "sql" and r["difficulty"] == "join")
        sql["ground_truth"]["sql"] = "SELECT customer_state FROM customers ORDER BY customer_state LIMIT 3"

    report = validate_benchmark(directory=broken_copy(tmp_path, edit))
    assert any("lint:" in str(p) and "ground_truth.sql" in str(p) for p in report.problems)


@pytest.mark.skipif(not HAS_OLIST, reason="needs TUCANO_OLIST_DIR")
def test_cli_exit_codes(tmp_path):
    runner = CliRunner()
    ok = runner.invoke(app, ["bench", "validate"])
    assert ok.exit_code == 0, ok.output
    assert "benchmark valid" in ok.output

    def edit(rows):
        rows[0]["ground_truth"]["complaint_category"] = "logistica"

    bad = runner.invoke(app, ["bench", "validate", "--dir", str(broken_copy(tmp_path, edit))])
    assert bad.exit_code == 1


def _edit_sql_question(rows: list[dict], item_id: str, old: str, new: str) -> None:
    row = next(r for r in rows if r["id"] == item_id)
    assert old in row["source"]["question"]
    row["source"]["question"] = row["source"]["question"].replace(old, new)
    row["prompt"] = row["prompt"].replace(old, new)


@pytest.mark.parametrize(
    ("item_id", "old", "new", "expected"),
    [
        (
            "sql-002",
            "2 casas decimais",
            "1 casa decimal",
            "asks for 1 decimal place but the gold query rounds to 2",
        ),
        (
            "sql-006",
            "as 5 categorias",
            "as 4 categorias",
            "asks for the top 4 but the gold query has LIMIT 5",
        ),
        ("sql-014", "janeiro a agosto de 2018", "janeiro a julho de 2018", "asks for janeiro-julho 2018"),
        (
            "sql-003",
            "do mais usado para o menos usado",
            "do menos usado para o mais usado",
            "ascending order",
        ),
    ],
    ids=["decimals", "top_n", "date_range", "order"],
)
def test_question_and_gold_that_disagree_are_caught(tmp_path, item_id, old, new, expected):
    def edit(rows):
        _edit_sql_question(rows, item_id, old, new)

    report = validate_benchmark(directory=broken_copy(tmp_path, edit))
    found = [str(p) for p in report.problems if f"({item_id}): field 'source.question'" in str(p)]
    assert len(found) == 1 and expected in found[0], [str(p) for p in report.problems]
    assert report.checks["sql_lint"] == "1 problem(s)"


def test_manifest_without_a_sql_suite_is_a_problem(tmp_path):
    bench = broken_copy(tmp_path, lambda rows: None)
    manifest = json.loads((bench / "manifest.json").read_text(encoding="utf-8"))
    del manifest["sql_suite"]
    (bench / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    report = validate_benchmark(directory=bench)
    assert any(
        "field 'warehouses': the benchmark manifest records no SQL test suite" in str(p)
        for p in report.problems
    )
    assert "sql_lint" not in report.checks  # nothing is linted against a suite that is not there


def test_an_insight_fact_that_restating_would_cover_is_caught(tmp_path):
    def edit(rows):
        item = next(r for r in rows if r["id"] == "ins-007")
        # the old form: a table cell and a name, no claim: "Sobre 2018-03: 702, 21,1" would cover it
        item["ground_truth"]["key_facts"][0] = {"text": "taxa de atraso em março de 2018", "numbers": [21.1],
                                                "entities": [["2018-03"]], "tolerance": 0.02}  # fmt: skip

    report = validate_benchmark(directory=broken_copy(tmp_path, edit))
    text = "\n".join(str(p) for p in report.problems)
    assert "(ins-007): field 'ground_truth.key_facts[0]': no claim and every number is a table cell" in text
    assert "(ins-007): field 'ground_truth': the reference answer scores" in text

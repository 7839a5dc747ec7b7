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

"""Template SQL training data: real warehouses (two seeds), real lint. Run: pytest tests/data/test_sql_templates.py"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlglot

from tucano_commerce.data import _sql_templates
from tucano_commerce.data._sql_templates import (
    SQL_TEMPLATES,
    build_sql_examples,
    generate_sql_examples,
)
from tucano_commerce.sql import LintReport, lint_gold
from tucano_commerce.tasks._contracts import SYSTEM_PROMPTS
from tucano_commerce.tasks._prompts import sql_prompt
from tucano_commerce.warehouse import build_warehouse


@pytest.fixture(scope="module")
def dbs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("sqlwh")
    paths = [folder / "train.duckdb", folder / "variant.duckdb"]
    build_warehouse(paths[0], seed=2026, scale=0.1)
    build_warehouse(paths[1], seed=2027, scale=0.1)
    return paths


@pytest.fixture(scope="module")
def report(dbs: list[Path]) -> _sql_templates.SqlBuildReport:
    return generate_sql_examples(60, seed=11, db_paths=dbs)


def question_of(example) -> str:
    return example.user_text().split("Pergunta: ", 1)[1].split("\n\nEscreva uma única consulta", 1)[0]


def test_templates_are_well_formed() -> None:
    names = [t.name for t in SQL_TEMPLATES]
    assert len(names) == len(set(names)) >= 30
    assert {t.difficulty for t in SQL_TEMPLATES} == {"simple", "join", "aggregate"}
    for t in SQL_TEMPLATES:
        assert 2 <= len(t.questions) <= 4, t.name
        if " LIMIT " in t.sql:  # a tie-breaker in both the SQL and every paraphrase
            order_by = t.sql.rsplit("ORDER BY", 1)[1]
            assert "," in order_by, t.name
            assert all("empate" in q for q in t.questions), t.name
    text = " ".join(t.sql for t in SQL_TEMPLATES)
    for construct in ("count(DISTINCT", "HAVING", "rank() OVER", "lag(", "OVER ()", "round(", "min(", "max(",
                      "avg(", "sum(", "product_category_name_translation", "JOIN sellers", "JOIN order_reviews",
                      "JOIN customers", "JOIN products"):  # fmt: skip
        assert construct in text, construct


def test_examples_shape_and_uniqueness(report, dbs: list[Path]) -> None:
    examples = report.examples
    assert len(examples) == 60
    questions = [question_of(e) for e in examples]
    assert len(set(questions)) == len(questions)
    assert len({e.id for e in examples}) == len(examples)
    assert {e.difficulty for e in examples} == {"simple", "join", "aggregate"}
    assert len({e.source["template"] for e in examples}) >= 20
    for e, q in zip(examples, questions, strict=True):
        assert e.task == "sql" and e.label_source == "synthetic"
        assert e.prompt == [
            {"role": "system", "content": SYSTEM_PROMPTS["sql"]},
            {"role": "user", "content": sql_prompt(q)},
        ]
        assert set(e.ground_truth) == {"sql"}
        assert e.source["dataset"] == "warehouse"
        assert e.source["warehouse"] == {"seed": 2026, "scale": 0.1}
        assert "{" not in q and "{" not in e.ground_truth["sql"], "unfilled slot"


def test_every_gold_passes_lint_on_both_warehouses(report, dbs: list[Path]) -> None:
    for e in report.examples:
        lint = lint_gold(e.ground_truth["sql"], dbs, shuffle_check=False)
        assert lint.ok, (e.ground_truth["sql"], lint.problems)
        tree = sqlglot.parse_one(e.ground_truth["sql"], read="duckdb")
        if tree.args.get("limit") is not None:
            assert len(tree.args["order"].expressions) >= 2, "LIMIT needs a tie-breaker"


def test_slot_values_come_from_the_warehouse(report) -> None:
    for e in report.examples:
        slots = e.source["slots"]
        if "state" in slots:
            assert re.fullmatch(r"[A-Z]{2}", slots["state"])
        if "category" in slots:
            assert f"'{slots['category']}'" in e.ground_truth["sql"]


def test_deterministic_per_seed(dbs: list[Path], report) -> None:
    again = build_sql_examples(60, seed=11, db_paths=dbs)
    assert [e.model_dump() for e in again] == [e.model_dump() for e in report.examples]
    other = build_sql_examples(20, seed=12, db_paths=dbs)
    assert [question_of(e) for e in other] != [question_of(e) for e in report.examples[:20]]


def test_lint_failures_are_dropped_and_counted(dbs: list[Path], monkeypatch: pytest.MonkeyPatch) -> None:
    def fake_lint(sql: str, paths, **kwargs) -> LintReport:
        problems = ["returns only NULLs"] if "customer_state" in sql else []
        return LintReport(sql=sql, problems=problems)

    monkeypatch.setattr(_sql_templates, "lint_gold", fake_lint)
    result = generate_sql_examples(30, seed=5, db_paths=dbs)
    assert len(result.examples) == 30
    assert result.dropped > 0 and result.dropped == result.candidates - 30
    assert all("customer_state" not in e.ground_truth["sql"] for e in result.examples)


def test_no_benchmark_question_is_reused(report) -> None:
    from tucano_commerce.tasks._benchmark import read_items

    try:
        bench = {i.prompt for i in read_items() if i.task == "sql"}
    except Exception as err:  # the benchmark files are optional for this layer
        pytest.skip(f"benchmark items not readable: {err}")
    assert not bench & {e.user_text() for e in report.examples}


def test_the_benchmark_templates_are_never_drawn(report) -> None:
    from tucano_commerce.data._heldout import HELD_OUT

    held = {key.split("/", 1)[1] for key in HELD_OUT if key.startswith("sql/")}
    assert held <= {t.name for t in SQL_TEMPLATES}  # kept in the catalogue, marked held out
    assert not held & {e.source["template"] for e in report.examples}


def test_every_drawable_template_passes_lint(dbs: list[Path]) -> None:
    from tucano_commerce.data._heldout import training_templates

    drawable = training_templates("sql", SQL_TEMPLATES)
    assert len(drawable) >= 30 and {t.difficulty for t in drawable} == {"simple", "join", "aggregate"}
    for template in drawable:
        result = generate_sql_examples(2, seed=3, db_paths=dbs, shuffle_check=False, templates=[template])
        assert len(result.examples) == 2 and not result.lint_failures, (template.name, result.problems)

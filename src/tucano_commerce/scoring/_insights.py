"""Scoring of the insights task: judge-free key-fact coverage, plus an optional LLM judge.

Ground truth of an insights item (``BenchmarkItem.ground_truth``)::

    {
      "key_facts": [KEY_FACT, ...],         # required, may be empty (then coverage is None)
      "rubric": ["cita o impacto no NPS"],  # optional: item-specific grading hints, shown to the judge
      "context": "..."                      # optional: the data given to the model when it is not
    }                                       #   already inside the prompt

The key-fact format and the matching rules are in ``_key_facts``: a fact is a *claim* (a derived number,
the names it is about and a cue word of its kind: "maior", "cresceu", "estável" ...) stated inside one
sentence; a number copied from the prompt's table covers nothing by itself, a fact matched through table
cells only loses credit when the answer cites most of the table's cells (``table_breadth``), and a claim
attached to most rows of a long table covers nothing.

Coverage = the facts' credit / total facts (``check_coverage``); ``details`` keeps the per-fact matches,
the fraction covered before the breadth discount, the breadth figures and the indiscriminate claims. The judge (see ``_judge``) sees the
facts' ``text`` and the rubric hints. The item's score is the judge score when a judge is configured and
succeeded (``details["score_source"] == "judge"``), otherwise the coverage (``"key_fact_coverage"``); a
judge that could not score makes the item unscored rather than falling back silently.

GRPO credits (judge-free, whatever the benchmark run used): partial = ``key_fact_coverage``; full = 1 when
every fact is covered. An item without key facts has neither (None).
"""

from __future__ import annotations

import re
from typing import Any

from tucano_commerce.errors import DataError
from tucano_commerce.scoring._judge import DIMENSIONS, Judge
from tucano_commerce.scoring._key_facts import (
    CLAIM_CUES,
    DEFAULT_TOLERANCE,
    Coverage,
    KeyFact,
    TableView,
    analysis_problems,
    check_coverage,
    extract_numbers,
    fact_problems,
    key_fact_coverage,
    table_breadth,
    table_cells,
    validate_key_facts,
)
from tucano_commerce.scoring._types import ItemScore, Metrics
from tucano_commerce.tasks._items import BenchmarkItem
from tucano_commerce.tasks._parse import parse_response

__all__ = [
    "CLAIM_CUES",
    "DEFAULT_TOLERANCE",
    "Coverage",
    "InsightsMetrics",
    "KeyFact",
    "TableView",
    "analysis_problems",
    "check_coverage",
    "extract_numbers",
    "fact_problems",
    "insights_full_credit",
    "insights_partial_credit",
    "key_fact_coverage",
    "score_insights",
    "strip_copied_lines",
    "table_breadth",
    "table_cells",
    "validate_key_facts",
]


_EPS = 1e-9


class InsightsMetrics(Metrics):
    """The metrics of an insights answer; the judge's only when a judge was given (its 1-5 means)."""

    key_fact_coverage: float | None
    judge: float | None = None
    relevance: float | None = None
    accuracy: float | None = None
    actionability: float | None = None
    portuguese: float | None = None


def _squash(line: str) -> str:
    """A line with table pipes, markdown emphasis and all whitespace removed, for copy detection."""
    return re.sub(r"[\s|*`_#>-]+", "", line).casefold()


def strip_copied_lines(answer: str, prompt: str) -> str:
    """The answer without the lines it copied from the prompt (table rows, headings, the question).

    Lines are compared after removing pipes, emphasis and whitespace, so a table re-printed with other
    spacing still counts as copied; very short lines (< 8 characters once squashed) are kept.
    """
    copied = {sq for line in prompt.splitlines() if len(sq := _squash(line)) >= 8}
    return "\n".join(line for line in answer.splitlines() if _squash(line) not in copied)


def score_insights(item: BenchmarkItem, response: str, *, judge: Judge | None = None) -> ItemScore:
    """Score one free-text answer to an insights item.

    Metrics: ``key_fact_coverage`` always; with a judge also ``judge`` (in [0, 1]) and the 1–5 means
    ``relevance``, ``accuracy``, ``actionability``, ``portuguese``. ``mean`` is the judge score when a
    judge is given and succeeded, else the coverage; ``details["score_source"]`` says which. An
    unparseable judge makes the item unscored (``mean=None``), never 0. The reply is read by
    ``tasks._parse.parse_response("insights", ...)``: closed ``<think>`` blocks are dropped; an empty
    answer scores 0.0 (status "empty"), an unclosed ``<think>`` 0.0 (status "truncated"); neither calls
    the judge.

    Args:
        item: An insights item; ``ground_truth`` follows the module docstring.
        response: The model's raw reply.
        judge: Optional LLM judge.

    Raises:
        DataError: the item's ground truth has no ``key_facts`` list or a malformed fact.
        ConfigError: the judge endpoint rejected the model or key.
    """
    gt = item.ground_truth
    if not isinstance(gt.get("key_facts"), list):
        raise DataError(
            f"Insights item {item.id} has no ground_truth.key_facts list; add one (may be empty)."
        )
    facts = validate_key_facts(gt["key_facts"])
    source = "judge" if judge is not None else "key_fact_coverage"
    parse = parse_response("insights", response)
    if not parse.ok:  # empty, truncated (unclosed <think>) or, on a parser bug, parse_error
        unjudged = {"judge": None, **dict.fromkeys(DIMENSIONS)} if judge is not None else {}
        return ItemScore(
            mean=0.0,
            metrics=InsightsMetrics(key_fact_coverage=0.0, **unjudged).as_dict(),
            status=parse.status,
            reason=parse.reason,
            parsed=None,
            details={"score_source": source, "parse_notes": list(parse.notes)},
        )
    answer = str(parse.value)

    # Coverage reads only what the answer says itself: a reply that echoes the prompt's data table would
    # otherwise "state" every number in it (a base model that copies its prompt scored 0.875 this way).
    coverage_result = check_coverage(strip_copied_lines(answer, item.prompt), facts, prompt=item.prompt)
    coverage = coverage_result.score
    metrics = InsightsMetrics(key_fact_coverage=coverage).as_dict()
    details: dict[str, Any] = {
        "score_source": source,
        "key_facts": coverage_result.per_fact,
        "facts_covered": coverage_result.covered,
        "table_breadth": coverage_result.breadth,
        "indiscriminate_claims": coverage_result.indiscriminate,
        "parse_notes": list(parse.notes),
    }
    if judge is None:
        if coverage is None:
            return ItemScore(
                mean=None,
                metrics=metrics,
                status="unscored",
                reason="item has no key facts and no judge is configured",
                parsed=answer,
                details=details,
            )
        return ItemScore(mean=coverage, metrics=metrics, parsed=answer, details=details)

    hints = gt.get("rubric") or []
    hints = [hints] if isinstance(hints, str) else [str(h) for h in hints]
    verdict = judge.judge(item.prompt, str(gt.get("context") or ""), facts, answer, rubric_hints=hints)
    metrics = InsightsMetrics(key_fact_coverage=coverage, judge=verdict.score, **verdict.dimensions).as_dict()
    details["judge"] = verdict.details()
    if verdict.score is None:
        errors = sorted({r.error for r in verdict.runs if r.error})
        return ItemScore(
            mean=None,
            metrics=metrics,
            status="unscored",
            reason=f"judge gave no valid score in {len(verdict.runs)} run(s): {'; '.join(errors)}",
            parsed=answer,
            details=details,
        )
    return ItemScore(mean=verdict.score, metrics=metrics, parsed=answer, details=details)


def insights_partial_credit(score: ItemScore) -> float | None:
    """Key-fact coverage (None for an item without key facts)."""
    return InsightsMetrics.of(score).key_fact_coverage


def insights_full_credit(score: ItemScore) -> float | None:
    """1.0 when every key fact is covered, else 0.0 (None for an item without key facts)."""
    coverage = InsightsMetrics.of(score).key_fact_coverage
    return None if coverage is None else (1.0 if coverage >= 1.0 - _EPS else 0.0)

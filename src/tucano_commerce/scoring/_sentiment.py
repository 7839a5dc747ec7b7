"""Scoring of the sentiment task: polarity label plus intensity.

Metrics:

* ``polarity``: 1 when the normalised label equals the reference, else 0;
* ``score_closeness``: ``max(0, 1 - |pred - gold| / 2)`` on ``sentiment_score`` (range [-1, 1], so the
  error is divided by the range width 2: opposite extremes score 0).

``mean`` is their average. A missing or invalid field scores 0 on its metric (status ``invalid``, the
other metric kept); a reply without a usable JSON object scores 0.0 with the parser's status.
Corpus metrics (macro-F1, confusion) are computed by the report from ``parsed``.

GRPO credits: partial = ``mean``; full = 1 when the polarity is right and ``|pred - gold| <=
SENTIMENT_SCORE_TOLERANCE`` on ``sentiment_score`` (read from ``score_closeness``, which is
``1 - |pred - gold| / 2``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tucano_commerce.scoring._types import ItemScore, Metrics
from tucano_commerce.tasks._contracts import SENTIMENT_FIELDS, check_output, normalize_ground_truth
from tucano_commerce.tasks._items import BenchmarkItem
from tucano_commerce.tasks._parse import parse_response

SENTIMENT_SCORE_TOLERANCE = 0.2
"""Largest ``|pred - gold|`` on ``sentiment_score`` that the full credit accepts."""
_EPS = 1e-9


class SentimentMetrics(Metrics):
    """The metrics of a sentiment reply."""

    polarity: float
    score_closeness: float


def score_sentiment(item: BenchmarkItem | Mapping[str, Any], response: str) -> ItemScore:
    """Score one sentiment reply.

    Args:
        item: A sentiment item (model or dict) whose ``ground_truth`` has ``sentiment`` and
            ``sentiment_score``.
        response: The model's raw reply (reasoning included).

    Returns:
        ``metrics`` = ``polarity`` and ``score_closeness``; ``mean`` = their average; ``parsed`` = the
        normalised reply (None for invalid fields).

    Raises:
        DataError: The item's ground truth violates the sentiment contract.
    """
    gold = normalize_ground_truth("sentiment", item)
    parse = parse_response("sentiment", response)
    details: dict[str, Any] = {"notes": list(parse.notes), "gold": gold}
    if not parse.ok:
        return ItemScore(
            mean=0.0,
            metrics=SentimentMetrics(polarity=0.0, score_closeness=0.0).as_dict(),
            status=parse.status,
            reason=parse.reason,
            details=details,
        )
    check = check_output("sentiment", parse.value)
    label = check.values.get("sentiment")
    score = check.values.get("sentiment_score")
    polarity = 1.0 if label == gold["sentiment"] else 0.0
    closeness = 0.0 if score is None else max(0.0, 1.0 - abs(score - gold["sentiment_score"]) / 2)
    metrics = SentimentMetrics(polarity=polarity, score_closeness=closeness).as_dict()
    details["problems"] = [p.model_dump() for p in check.problems]
    details["extra_keys"] = list(check.extra_keys)
    return ItemScore(
        mean=(polarity + closeness) / 2,
        metrics=metrics,
        status="ok" if check.ok else "invalid",
        reason=check.reason(),
        parsed={f: check.values.get(f) for f in SENTIMENT_FIELDS},
        details=details,
    )


def sentiment_partial_credit(score: ItemScore) -> float | None:
    """The item score: the mean of polarity and score closeness."""
    SentimentMetrics.of(score)  # a scorer whose metrics drifted fails here, loudly
    return score.mean


def sentiment_full_credit(score: ItemScore) -> float:
    """1.0 when the polarity is right and ``sentiment_score`` is within ``SENTIMENT_SCORE_TOLERANCE``."""
    m = SentimentMetrics.of(score)
    close = m.score_closeness >= 1.0 - SENTIMENT_SCORE_TOLERANCE / 2 - _EPS  # closeness = 1 - |d| / 2
    return 1.0 if m.polarity >= 1.0 and close else 0.0

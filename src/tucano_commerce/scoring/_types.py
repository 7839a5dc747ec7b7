"""What every scorer returns."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

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

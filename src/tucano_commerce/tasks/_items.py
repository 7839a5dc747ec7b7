"""The benchmark item: one line of ``benchmark/prompts.jsonl``, typed."""

from __future__ import annotations

import typing
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Task = Literal["extraction", "sentiment", "sql", "churn", "insights"]
"""The benchmark's own five tasks (other registered tasks: ``tucano_commerce.scoring.task_names()``)."""
TASKS: tuple[Task, ...] = typing.get_args(Task)
ID_PREFIX: dict[Task, str] = {
    "extraction": "ext",
    "sentiment": "sen",
    "sql": "sql",
    "churn": "chu",
    "insights": "ins",
}
DIFFICULTIES: dict[Task, tuple[str, ...]] = {
    "extraction": ("easy", "hard"),
    "sentiment": ("positivo", "negativo", "neutro"),
    "sql": ("simple", "join", "aggregate"),
    "churn": ("low", "medium", "high"),
    "insights": ("comparison", "trend", "recommendation"),
}
CHURN_RISK_LEVEL: dict[str, str] = {"low": "baixo", "medium": "medio", "high": "alto"}
"""The churn strata are the true-risk bands (``warehouse.RISK_BANDS``): difficulty -> ``risk_level``."""


class BenchmarkItem(BaseModel):
    """One benchmark prompt with its ground truth.

    ``prompt`` may contain the placeholder ``{review}`` (extraction/sentiment): the review text is read
    from the Olist data directory at load time by ``source.review_id`` and never stored in the repo.
    """

    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="Stable id: ext-001, sen-001, sql-001, chu-001, ins-001 ...")
    task: str = Field(
        pattern=r"^[a-z][a-z0-9_]*$",
        description="The task's name: one of the benchmark's five, or another task registered with "
        "tucano_commerce.scoring.register_task (unknown names fail where the item is scored or validated).",
    )
    difficulty: str = Field(description="Stratum within the task (see DIFFICULTIES).")
    system: str = Field(description="pt-BR system prompt stating the output contract.")
    prompt: str = Field(description="pt-BR user prompt; may hold the {review} placeholder.")
    ground_truth: dict[str, Any]
    notes: str = ""
    source: dict[str, Any] = Field(
        description='Where the content comes from, e.g. {"dataset": "olist", "review_id": ...}.'
    )

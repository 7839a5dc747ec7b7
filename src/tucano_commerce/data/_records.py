"""A GRPO training example: TRL's conversational ``prompt`` plus the columns the rewards need.

``ground_truth`` has exactly the benchmark's shape for the task (so the rewards call the benchmark's
scorers unchanged); the ``general`` task (math word problems) has ``{"answer": number}``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

TrainTask = Literal["extraction", "sentiment", "sql", "churn", "insights", "general"]
LabelSource = Literal["gold", "llm", "silver", "synthetic"]
TRAIN_TASKS: tuple[TrainTask, ...] = ("extraction", "sentiment", "sql", "churn", "insights", "general")


class TrainingExample(BaseModel):
    """One training prompt with its label and where both came from."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="Stable id, e.g. 'train-ext-00042'.")
    task: TrainTask
    prompt: list[dict[str, str]] = Field(
        description='[{"role": "system", ...}, {"role": "user", ...}] (TRL conversational).'
    )
    ground_truth: dict[str, Any] = Field(description="The benchmark's ground-truth shape for the task.")
    source: dict[str, Any] = Field(
        description="Where the content comes from (dataset, ids, warehouse seed ...)."
    )
    label_source: LabelSource = Field(
        description="gold (hand), llm (LLM labeller), silver (rules), synthetic (by construction)."
    )
    difficulty: str = ""

    def user_text(self) -> str:
        """The user message (what the contamination guard compares)."""
        return next((m["content"] for m in self.prompt if m["role"] == "user"), "")

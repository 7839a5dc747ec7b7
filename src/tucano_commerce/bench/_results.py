"""The results file of one benchmark run: run metadata plus one record per item (ADR shape, extended).

Written by ``tucano bench run``, re-scored by ``tucano bench rescore``, read by ``tucano bench report``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from tucano_commerce.errors import DataError
from tucano_commerce.scoring._types import ItemScore


class PriceModel(BaseModel):
    """How a query's cost is computed from measured tokens and time (never a constant per query)."""

    kind: str = Field(description="'api' ($ per 1M tokens) or 'gpu_hour' ($ per hour of the serving GPU).")
    input_per_1m: float | None = Field(None, ge=0, description="USD per 1M input tokens (api).")
    output_per_1m: float | None = Field(None, ge=0, description="USD per 1M output tokens (api).")
    usd_per_hour: float | None = Field(None, ge=0, description="USD per GPU hour (gpu_hour).")
    note: str = Field("", description="Where the price comes from, and when it was read.")


class RunInfo(BaseModel):
    """Everything needed to reproduce or compare a run."""

    model: str = Field(description="Display name (registry name, or the spec).")
    spec: str = Field(description="Backend spec, e.g. 'hf:/models/qwen3-4b' or 'openai:gpt-4o'.")
    backend: dict[str, Any] = Field(
        default_factory=dict, description="Backend.describe(): paths, hashes, dtype ..."
    )
    privacy: str = Field("on-prem", description="'on-prem' or 'api' (data leaves the building).")
    price: PriceModel | None = None
    generation: dict[str, Any] = Field(description="GenerationConfig as used.")
    batch_size: int = 1
    judge: dict[str, Any] | None = Field(None, description="Judge config when insights were judged.")
    benchmark: dict[str, Any] = Field(
        description="Benchmark name/version, prompts file hash, warehouse hash."
    )
    prompt_hashes: dict[str, str] = Field(
        default_factory=dict, description="item id -> sha256 of system+prompt."
    )
    seed: int = 0
    packages: dict[str, str] = Field(
        default_factory=dict, description="Versions of the packages that matter."
    )
    hardware: dict[str, Any] = Field(default_factory=dict)
    started_at: str = ""
    finished_at: str = ""
    tasks: list[str] = Field(default_factory=list, description="Tasks included (all five unless --tasks).")
    limit: int | None = None


class ItemRecord(BaseModel):
    """One item's outcome."""

    id: str
    task: str
    difficulty: str
    response: str
    scores: ItemScore
    tokens: dict[str, int | None] = Field(default_factory=dict, description="{'input': n, 'output': n}")
    latency_s: float = Field(0.0, description="Wall time of the request that produced this reply.")
    amortized_s: float = Field(
        0.0, description="latency_s / batch size: this item's share of the hardware time."
    )
    status: str = Field("ok", description="Generation status: 'ok' or 'error' (then ``error`` says why).")
    error: str | None = None


class RunResults(BaseModel):
    """A whole results file."""

    run: RunInfo
    results: list[ItemRecord]


def load_results(path: str | Path) -> RunResults:
    """Read a results file; errors name the file and the field."""
    path = Path(path)
    try:
        return RunResults.model_validate_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(f"no results file at {path}") from None
    except ValidationError as err:
        first = err.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise DataError(f"{path}: field '{field}': {first['msg']}") from err

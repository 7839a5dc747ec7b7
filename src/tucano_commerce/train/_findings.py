"""The doctor's data contract and log helpers: ``Finding``, thresholds, windowed means, settings lookup.

Shared by the checks (``_doctor_checks``, ``_doctor_adapter``) and the report (``_doctor``).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tucano_commerce.train._decide import finite
from tucano_commerce.train._regime import GRPO_DEFAULTS
from tucano_commerce.train._run_files import RunConfig

Status = Literal["ok", "info", "warn", "fail"]
STATUSES: tuple[str, ...] = ("ok", "info", "warn", "fail")

# GRPOConfig 1.16 defaults of the other settings the checks read (tests/train/test_doctor.py checks them).
TRL_DEFAULTS: dict[str, Any] = {
    **GRPO_DEFAULTS,
    "num_generations": 8,
    "num_generations_eval": None,
    "per_device_eval_batch_size": 8,
    "max_completion_length": 512,
    "learning_rate": 1e-6,
    "loss_type": "dapo",
}
# Fallbacks when the recipe has no ``monitor:`` section (the recipe's MonitorSection defaults).
ENTROPY_FLOOR_FRAC = 0.3
CLIPPED_CEILING = 0.9
ZERO_STD_CEILING = 0.8
# Other thresholds, named so the table and the JSON can show them.
ENTROPY_FALLING = 0.6  # late/early entropy below this: falling fast (warn)
LENGTH_WARN = 0.2  # share of completions truncated at the cap (warn)
ZERO_STD_WARN = 0.5
EVAL_SHARE_WARN = 0.5
FROZEN_SHARE = 0.5  # share of LoRA-A entries that moved, below which A counts as frozen (fail)
MOVING_SHARE = 0.9
LOST_WARN = 0.1
DRIFT_WARN = 0.005  # eval_reward change caused by the weight schedule alone
# Qwen3-4B body (Tucano2-qwen-3.7B, the project's base) when no shape can be read: fan-in per projection.
ASSUMED_FAN_IN = {"q": 2560, "k": 2560, "v": 2560, "o": 4096, "gate": 2560, "up": 2560, "down": 9728}
PROJECTIONS = ("q", "k", "v", "o", "gate", "up", "down")


class Finding(BaseModel):
    """One check's verdict, with the numbers behind it (check-specific numbers are extra fields)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    check: str = Field(description="Check name, e.g. 'entropy_trend'.")
    status: Status = Field(description="ok, info (nothing wrong, or not enough data), warn, fail.")
    detail: str = Field(description="What was found, with the numbers, and what to do.")
    value: float | None = Field(None, description="The check's headline number.")
    threshold: float | None = Field(None, description="The value at which the status changes.")
    steps: int | None = Field(None, description="How many logged steps the check used.")
    unit: Literal["share", "ratio", "count", "reward"] | None = Field(
        None,
        description="How to read value: share 0..1 (shown as %), ratio (a factor), count, reward (a difference "
        "in reward units).",
    )


# --- log access


def number(value: Any) -> float | None:
    """A finite number from a log value, or None (strings, booleans, None and NaN are not numbers here)."""
    return finite(value) if isinstance(value, int | float) else None


class Logs:
    """``log_history`` split into training logs and evaluation logs (the final summary dropped)."""

    def __init__(self, history: list[dict[str, Any]]) -> None:
        self.evals = [h for h in history if any(k.startswith("eval_") for k in h)]
        self.train = [
            h for h in history if not any(k.startswith("eval_") for k in h) and "train_runtime" not in h
        ]

    @staticmethod
    def series(entries: list[dict[str, Any]], key: str) -> list[tuple[int, float]]:
        """``(step, value)`` of every entry with a finite number under ``key``."""
        out = []
        for h in entries:
            v = number(h.get(key))
            if v is not None:
                out.append((int(h.get("step", 0) or 0), v))
        return out

    def has(self, key: str) -> bool:
        """Whether any log (train or eval) has ``key``."""
        return any(key in h for h in self.train) or any(key in h for h in self.evals)


def window(n: int) -> int:
    """How many logs the early/late means use: a quarter of them, 1..20."""
    return max(1, min(20, n // 4))


def mean_of(xs: list[float]) -> float:
    return sum(xs) / len(xs)


def early_late(values: list[float]) -> tuple[float, float, int]:
    w = window(len(values))
    return mean_of(values[:w]), mean_of(values[-w:]), w


def pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def steps_text(steps: list[int], limit: int = 8) -> str:
    shown = ", ".join(str(s) for s in steps[:limit])
    return shown + (f", ... ({len(steps)} in all)" if len(steps) > limit else "")


def finding(check: str, status: Status, detail: str, **numbers: Any) -> Finding:
    return Finding(check=check, status=status, detail=detail, **numbers)


# --- settings


def setting(cfg: RunConfig, key: str) -> Any:
    """A GRPOConfig setting from the run's settings, else GRPOConfig 1.16's default."""
    value = cfg.grpo.get(key)
    return TRL_DEFAULTS.get(key) if value is None else value


def count_setting(cfg: RunConfig, key: str) -> int | None:
    """A positive whole-number setting (a batch size, a length); GRPOConfig's default when it is missing
    or not a positive number (a malformed saved file is data, not a crash)."""
    for value in (cfg.grpo.get(key), TRL_DEFAULTS.get(key)):
        n = number(value)
        if n is not None and n >= 1:
            return int(n)
    return None


def monitor_value(cfg: RunConfig, key: str, default: float) -> float:
    value = number(cfg.monitor.get(key))
    return default if value is None else value


def completions_per_step(cfg: RunConfig, state: dict[str, Any]) -> tuple[float, str]:
    """Completions generated per optimizer step, and how that was worked out."""
    state_bs = number(state.get("train_batch_size"))
    if cfg.grpo.get("per_device_train_batch_size") is None and state_bs:
        bs = int(state_bs)  # transformers records the per-device batch size in the state
    else:
        bs = count_setting(cfg, "per_device_train_batch_size") or 1
    ga = count_setting(cfg, "gradient_accumulation_steps") or 1
    mu = count_setting(cfg, "num_iterations") or 1
    how = f"per_device_train_batch_size {bs} x gradient_accumulation_steps {ga} / num_iterations {mu}"
    if not cfg.known:
        how += " (assumed: settings unknown; single process)"
    return bs * ga / mu, how

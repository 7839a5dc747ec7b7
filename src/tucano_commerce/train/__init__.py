"""GRPO v3 on TRL 1.16: config, staged rewards from the benchmark's task specs, zero-variance handling,
median baseline, health monitor, OOM ladder, pre-flight, the VRAM/time planner, the decision table and
the run doctor (with the on/off-policy rule and the adapter-precision arithmetic it uses).

The public names below load on first use (PEP 562): ``import tucano_commerce.train._trainer`` (torch and
TRL) or ``._planner`` (pydantic only) does not pull in the rewards' scorers, duckdb or sqlglot, so the GPU
check script imports the modules it needs plainly. TucanoGRPOTrainer, HealthMonitor and
RewardWeightSchedule subclass TRL/transformers classes: import them from ``tucano_commerce.train._trainer``
/ ``._callbacks``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_MODULES: dict[str, tuple[str, ...]] = {  # module -> the public names it defines
    "_config": ("DEFAULT_REWARD_WEIGHTS", "GrpoV3Config", "REWARD_NAMES", "load_config", "parse_config"),
    "_decide": ("Decision", "DecisionThresholds", "RunSummary", "decide", "summary_from_logs"),
    "_doctor": ("DoctorReport", "Finding", "diagnose", "report_table"),
    "_planner": ("GPUS", "GpuSpec", "Plan", "PlanInputs", "plan", "plan_to_table"),
    "_precision": ("lost_update_share", "uniform_init_lost_share"),
    "_recipe": ("PreflightReport", "TrainResult", "plan_inputs", "preflight", "train_grpo"),
    "_regime": ("Regime", "training_regime"),
    "_rewards": ("build_reward_functions",),
    "_shapes": ("ModelShape", "PRESETS", "get_shape", "shape_from_config_json"),
    "_validate": (
        "ValidationResult",
        "best_checkpoint",
        "decide_run",
        "task_score",
        "trainer_state",
        "validate_run",
        "write_decision",
    ),
}
_EXPORTS = {name: module for module, names in _MODULES.items() for name in names}
__all__ = [
    "DEFAULT_REWARD_WEIGHTS",
    "Decision",
    "DecisionThresholds",
    "DoctorReport",
    "Finding",
    "GPUS",
    "GpuSpec",
    "GrpoV3Config",
    "ModelShape",
    "PRESETS",
    "Plan",
    "PlanInputs",
    "PreflightReport",
    "REWARD_NAMES",
    "Regime",
    "RunSummary",
    "TrainResult",
    "ValidationResult",
    "best_checkpoint",
    "build_reward_functions",
    "decide",
    "decide_run",
    "diagnose",
    "get_shape",
    "load_config",
    "lost_update_share",
    "parse_config",
    "plan",
    "plan_inputs",
    "plan_to_table",
    "preflight",
    "report_table",
    "shape_from_config_json",
    "summary_from_logs",
    "task_score",
    "train_grpo",
    "trainer_state",
    "training_regime",
    "uniform_init_lost_share",
    "validate_run",
    "write_decision",
]

if TYPE_CHECKING:
    from tucano_commerce.train._config import (
        DEFAULT_REWARD_WEIGHTS,
        REWARD_NAMES,
        GrpoV3Config,
        load_config,
        parse_config,
    )
    from tucano_commerce.train._decide import (
        Decision,
        DecisionThresholds,
        RunSummary,
        decide,
        summary_from_logs,
    )
    from tucano_commerce.train._doctor import DoctorReport, Finding, diagnose, report_table
    from tucano_commerce.train._planner import GPUS, GpuSpec, Plan, PlanInputs, plan, plan_to_table
    from tucano_commerce.train._precision import lost_update_share, uniform_init_lost_share
    from tucano_commerce.train._recipe import PreflightReport, TrainResult, plan_inputs, preflight, train_grpo
    from tucano_commerce.train._regime import Regime, training_regime
    from tucano_commerce.train._rewards import build_reward_functions
    from tucano_commerce.train._shapes import PRESETS, ModelShape, get_shape, shape_from_config_json
    from tucano_commerce.train._validate import (
        ValidationResult,
        best_checkpoint,
        decide_run,
        task_score,
        trainer_state,
        validate_run,
        write_decision,
    )


def __getattr__(name: str) -> Any:
    """Import a public name's module on first access (then cache the name here)."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})

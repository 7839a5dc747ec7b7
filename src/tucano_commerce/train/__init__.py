"""GRPO v3 on TRL 1.16: config, staged rewards from the benchmark's scorers, zero-variance handling,
median baseline, health monitor, OOM ladder, pre-flight, the VRAM/time planner, the decision table and
the run doctor (with the on/off-policy rule and the adapter-precision arithmetic it uses).

Heavy imports (torch, transformers, trl) happen inside the functions that need them.
"""

from tucano_commerce.train._config import GrpoV3Config, load_config, parse_config
from tucano_commerce.train._decide import Decision, DecisionThresholds, RunSummary, decide, summary_from_logs
from tucano_commerce.train._doctor import DoctorReport, Finding, diagnose, report_table
from tucano_commerce.train._planner import GPUS, GpuSpec, Plan, PlanInputs, plan, plan_to_table
from tucano_commerce.train._precision import lost_update_share, uniform_init_lost_share
from tucano_commerce.train._recipe import PreflightReport, TrainResult, plan_inputs, preflight, train_grpo
from tucano_commerce.train._regime import Regime, training_regime
from tucano_commerce.train._rewards import DEFAULT_REWARD_WEIGHTS, build_reward_functions
from tucano_commerce.train._shapes import PRESETS, ModelShape, get_shape, shape_from_config_json
from tucano_commerce.train._validate import (
    best_checkpoint,
    decide_run,
    task_score,
    trainer_state,
    validate_run,
    write_decision,
)

# TucanoGRPOTrainer, HealthMonitor and RewardWeightSchedule subclass TRL/transformers classes: import them
# from tucano_commerce.train._trainer / ._callbacks (that import loads torch).

__all__ = [
    "DEFAULT_REWARD_WEIGHTS",
    "GPUS",
    "PRESETS",
    "Decision",
    "DecisionThresholds",
    "DoctorReport",
    "Finding",
    "GpuSpec",
    "GrpoV3Config",
    "ModelShape",
    "Plan",
    "PlanInputs",
    "PreflightReport",
    "Regime",
    "TrainResult",
    "RunSummary",
    "best_checkpoint",
    "build_reward_functions",
    "decide",
    "decide_run",
    "diagnose",
    "get_shape",
    "lost_update_share",
    "load_config",
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
    "training_regime",
    "uniform_init_lost_share",
    "trainer_state",
    "validate_run",
    "write_decision",
]

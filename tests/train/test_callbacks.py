"""HealthMonitor on synthetic log sequences (collapsing vs healthy) and RewardWeightSchedule.

.venv/bin/python -m pytest tests/train/test_callbacks.py
"""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest
import torch
from transformers import TrainerControl, TrainerState

from tucano_commerce.train._callbacks import HealthMonitor, RewardWeightSchedule


def healthy(step: int) -> dict[str, Any]:
    return {
        "entropy": 1.2 - 0.002 * step,
        "completions/mean_length": 300.0,
        "completions/clipped_ratio": 0.05,
        "clip_ratio/region_mean": 0.01,
        "frac_reward_zero_std": 0.25,
        "reward_std": 0.3,
    }


def feed(
    monitor: HealthMonitor, logs_by_step: list[tuple[int, dict[str, Any]]]
) -> tuple[list[dict], TrainerControl]:
    state, control, seen = TrainerState(), TrainerControl(), []
    for step, logs in logs_by_step:
        state.global_step = step
        logs = dict(logs)
        state.log_history.append({**logs, "step": step})
        monitor.on_log(SimpleNamespace(), state, control, logs=logs)
        seen.append(logs)
    return seen, control


def alerts(monitor: HealthMonitor) -> list[str]:
    return [a["alert"] for a in monitor.alerts]


def test_healthy_run_raises_nothing() -> None:
    monitor = HealthMonitor(window=5, warmup_logs=3)
    seen, control = feed(monitor, [(s, healthy(s)) for s in range(10, 200, 10)])
    assert monitor.alerts == []
    assert not control.should_training_stop
    assert not any(k.startswith("health/") for logs in seen for k in logs)


def test_entropy_collapse_on_the_windowed_mean() -> None:
    monitor = HealthMonitor(warmup_logs=3, window=2)
    seq = [(s, {**healthy(s), "entropy": e})
           for s, e in [(10, 1.0), (20, 1.1), (30, 0.9), (40, 0.6), (50, 0.25), (60, 0.2)]]  # fmt: skip
    seen, _ = feed(monitor, seq)
    assert alerts(monitor) == ["entropy_collapse"]
    assert monitor.early_entropy == pytest.approx(1.0)
    # (0.6 + 0.25) / 2 = 0.425 is not below 0.3; (0.25 + 0.2) / 2 = 0.225 is
    assert seen[-1]["health/entropy_collapse"] == 1 and "health/entropy_collapse" not in seen[-2]
    assert "last 2 logs 0.225" in monitor.alerts[0]["message"]


def test_entropy_none_and_missing_are_skipped() -> None:
    monitor = HealthMonitor(warmup_logs=2, window=1)
    feed(monitor, [(1, {"entropy": 1.0}), (2, {"entropy": None}), (3, {"loss": 0.1}), (4, {"entropy": 1.0}),
                   (5, {"entropy": 0.9})])  # fmt: skip
    assert monitor.alerts == []


def test_no_clipping_only_off_policy_after_step_and_only_if_always_zero() -> None:
    zero = [(s, {**healthy(s), "clip_ratio/region_mean": 0.0}) for s in range(10, 100, 10)]
    monitor = HealthMonitor(clip_zero_after_step=50, off_policy=True)
    seen, _ = feed(monitor, zero)
    assert alerts(monitor) == ["no_clipping"]
    assert seen[-1].get("health/no_clipping") is None  # fires once, at the third log past step 50
    assert seen[7]["health/no_clipping"] == 1  # steps 60, 70, 80

    # on-policy (the ADR's settings): TRL's clip ratio is 0 by construction, the alert never fires
    on_policy = HealthMonitor(clip_zero_after_step=50, action="stop")
    _, control = feed(on_policy, zero)
    assert on_policy.alerts == [] and not control.should_training_stop

    mixed = [
        (s, {**healthy(s), "clip_ratio/region_mean": 0.0 if s != 60 else 0.02}) for s in range(10, 100, 10)
    ]
    monitor = HealthMonitor(clip_zero_after_step=50, off_policy=True)
    feed(monitor, mixed)
    assert monitor.alerts == []


def test_one_unlucky_step_does_not_fire() -> None:
    """One group per step: frac_reward_zero_std is 0 or 1 and clipped_ratio moves in quarters."""
    steps = [(s, {**healthy(s), "frac_reward_zero_std": 1.0 if s == 30 else 0.0,
                  "completions/clipped_ratio": 1.0 if s == 40 else 0.25}) for s in range(10, 210, 10)]  # fmt: skip
    monitor = HealthMonitor(window=10, action="stop")
    _, control = feed(monitor, steps)
    assert monitor.alerts == [] and not control.should_training_stop
    single = HealthMonitor(window=1, action="stop")  # what a per-log threshold did before
    feed(single, steps)
    assert set(alerts(single)) == {"zero_std", "length_ceiling"}


def test_length_ceiling_needs_a_full_window() -> None:
    monitor = HealthMonitor(window=3)
    feed(monitor, [(10, healthy(10)), (20, {**healthy(20), "completions/clipped_ratio": 0.95})])
    assert monitor.alerts == []
    feed(monitor, [(30, {**healthy(30), "completions/clipped_ratio": 1.0}),
                   (40, {**healthy(40), "completions/clipped_ratio": 1.0})])  # fmt: skip
    assert alerts(monitor) == ["length_ceiling"]
    assert "averaged 0.98 over the last 3 logs" in monitor.alerts[0]["message"]


def test_zero_std_and_stop_action() -> None:
    monitor = HealthMonitor(action="stop", window=2)
    seen, control = feed(monitor, [(10, {**healthy(10), "frac_reward_zero_std": 0.8}),
                                   (20, {**healthy(20), "frac_reward_zero_std": 0.9})])  # fmt: skip
    assert alerts(monitor) == ["zero_std"]
    assert control.should_training_stop
    assert monitor.alerts[0]["reward_std"] == pytest.approx(0.3) and monitor.alerts[0]["window"] == 2
    monitor = HealthMonitor(action="stop", window=2)
    _, control = feed(monitor, [(10, healthy(10)), (20, {**healthy(20), "frac_reward_zero_std": 1.0})])
    assert monitor.alerts == [] and not control.should_training_stop  # mean 0.625 < 0.8


def test_state_round_trip_keeps_the_early_level() -> None:
    """--resume / an OOM rung: the new monitor judges against the pre-resume early entropy."""
    first = HealthMonitor(warmup_logs=3, window=2)
    feed(first, [(s, {**healthy(s), "entropy": 1.0}) for s in (1, 2, 3, 4)])
    resumed = HealthMonitor(warmup_logs=3, window=2)
    resumed.load_state_dict(json.loads(json.dumps(first.state_dict())))
    feed(resumed, [(5, {**healthy(5), "entropy": 0.2}), (6, {**healthy(6), "entropy": 0.2})])
    assert alerts(resumed) == ["entropy_collapse"]  # a fresh monitor would take 0.2 as its early level
    fresh = HealthMonitor(warmup_logs=3, window=2)
    feed(fresh, [(5, {**healthy(5), "entropy": 0.2}), (6, {**healthy(6), "entropy": 0.2})])
    assert fresh.alerts == []


def test_adaptive_entropy_action_turns_on_trl_control() -> None:
    trainer = SimpleNamespace(use_adaptive_entropy=False, _entropy_bonus_enabled=False, entropy_coef=0.0,
                              _last_world_entropy=0.5)  # fmt: skip
    args = SimpleNamespace(use_adaptive_entropy=False, entropy_target=0.2)
    monitor = HealthMonitor(warmup_logs=1, window=1, action="adaptive_entropy").attach(trainer)
    state, control = TrainerState(), TrainerControl()
    for step, e in [(1, 2.0), (2, 0.5)]:
        state.global_step = step
        monitor.on_log(args, state, control, logs={"entropy": e})
    assert trainer.use_adaptive_entropy and trainer._entropy_bonus_enabled
    assert args.use_adaptive_entropy and args.entropy_target == pytest.approx(2.0)
    assert monitor.alerts[0]["action"] == "adaptive_entropy"
    assert monitor.state_dict()["adaptive_entropy_target"] == pytest.approx(2.0)  # saved with checkpoints
    assert not control.should_training_stop


def test_bad_action() -> None:
    with pytest.raises(ValueError, match="action"):
        HealthMonitor(action="panic")  # type: ignore[arg-type]


def test_reward_weight_schedule_writes_in_place_and_logs() -> None:
    weights = torch.tensor([0.2, 0.3, 0.5])
    trainer = SimpleNamespace(reward_weights=weights, reward_func_names=["format_reward", "partial_reward",
                                                                         "task_reward"])  # fmt: skip
    sched = RewardWeightSchedule(0.2, 0.0).attach(trainer)
    state, control = TrainerState(), TrainerControl()
    state.max_steps = 10
    sched.on_train_begin(SimpleNamespace(), state, control)
    assert weights[0].item() == pytest.approx(0.2)
    state.global_step = 5
    sched.on_step_begin(SimpleNamespace(), state, control)
    assert trainer.reward_weights is weights and weights[0].item() == pytest.approx(0.1)
    logs: dict[str, Any] = {}
    sched.on_log(SimpleNamespace(), state, control, logs=logs)
    assert logs["reward_weights/format_reward"] == pytest.approx(0.1)
    assert logs["reward_weights/task_reward"] == pytest.approx(0.5)
    state.global_step = 20
    sched.on_step_begin(SimpleNamespace(), state, control)
    assert weights[0].item() == pytest.approx(0.0)
    assert weights[1:].tolist() == pytest.approx([0.3, 0.5])


def test_reward_weight_schedule_needs_trainer() -> None:
    with pytest.raises(RuntimeError, match="attach"):
        RewardWeightSchedule().on_train_begin(SimpleNamespace(), TrainerState(), TrainerControl())

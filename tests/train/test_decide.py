"""Tests for the ADR decision table and the trainer-log summary."""

from __future__ import annotations

import pytest

from tucano_commerce.errors import ConfigError
from tucano_commerce.train._decide import DecisionThresholds, RunSummary, decide, summary_from_logs

GOOD = {
    "eval_reward": 0.40,
    "eval_reward_trend": 0.0,
    "extraction_score": 0.70,
    "v2_eval_reward": 0.125,
    "clip_ratio_zero_after_step_50": False,
    "oom": False,
    "max_completion_length": 4096,
}


def _decide(**overrides: object):
    return decide(GOOD | overrides)


def test_ship_when_all_three_bars_are_met() -> None:
    result = _decide()
    assert result.action == "ship"
    assert any("0.400" in r and "0.350" in r for r in result.reasons)


@pytest.mark.parametrize(
    ("overrides", "action"),
    [
        ({"extraction_score": 0.59, "eval_reward_trend": 0.01}, "extend_epoch2"),
        ({"eval_reward": 0.30, "eval_reward_trend": 0.02}, "extend_epoch2"),
        ({"eval_reward": 0.30, "eval_reward_trend": 0.0}, "continue"),
        ({"eval_reward": 0.30, "eval_reward_trend": -0.01}, "continue"),
        ({"eval_reward": 0.125, "eval_reward_trend": 0.05}, "stop_diagnose"),
        ({"eval_reward": 0.10}, "stop_diagnose"),
        ({"eval_reward": 0.56, "v2_eval_reward": 0.54, "eval_reward_trend": 0.0}, "continue"),  # margin unmet
        ({"eval_reward": 0.60, "v2_eval_reward": 0.54}, "ship"),
    ],
)
def test_reward_rows(overrides: dict[str, object], action: str) -> None:
    result = _decide(**overrides)
    assert result.action == action
    assert result.reasons and all(any(ch.isdigit() for ch in r) for r in result.reasons)


def test_extend_sets_max_steps() -> None:
    result = _decide(eval_reward=0.30, eval_reward_trend=0.02)
    assert result.next_max_steps == 1000 and result.next_max_completion_length is None
    assert decide(GOOD | {"eval_reward": 0.30, "eval_reward_trend": 0.02},
                  DecisionThresholds(extend_max_steps=1500)).next_max_steps == 1500  # fmt: skip


@pytest.mark.parametrize(("current", "nxt"), [(4096, 3072), (3072, 2560), (2560, 2048)])
def test_oom_walks_the_ladder(current: int, nxt: int) -> None:
    result = _decide(oom=True, max_completion_length=current)
    assert result.action == "reduce_completion_length"
    assert result.next_max_completion_length == nxt
    assert str(current) in result.reasons[0]


def test_oom_at_the_last_rung_stops() -> None:
    result = _decide(oom=True, max_completion_length=2048)
    assert result.action == "stop_diagnose" and result.next_max_completion_length is None
    assert "2048" in result.reasons[0]


def test_precedence_oom_then_collapse_then_rewards() -> None:
    assert _decide(oom=True, clip_ratio_zero_after_step_50=True).action == "reduce_completion_length"
    assert _decide(clip_ratio_zero_after_step_50=True).action == "add_entropy_bonus"  # beats ship
    assert _decide(clip_ratio_zero_after_step_50=True, eval_reward=0.0).action == "add_entropy_bonus"


def test_thresholds_are_overridable_and_strict() -> None:
    assert decide(GOOD, DecisionThresholds(ship_eval_reward=0.5)).action == "continue"
    with pytest.raises(ValueError, match="extra"):
        DecisionThresholds(ship_reward=0.5)  # type: ignore[call-arg]


def test_missing_and_invalid_keys_raise_config_error() -> None:
    partial = {k: v for k, v in GOOD.items() if k not in ("v2_eval_reward", "oom")}
    with pytest.raises(ConfigError, match="v2_eval_reward, oom"):
        decide(partial)
    with pytest.raises(ConfigError, match="eval_reward"):
        decide(GOOD | {"eval_reward": "high"})


def _history() -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for step in range(10, 201, 10):
        rows.append({"step": step, "loss": 0.1, "clip_ratio/region_mean": 0.02 if step <= 50 else 0.0})
        if step % 20 == 0:
            rows.append({"step": step, "eval_reward": 0.1 + 0.01 * step / 20})
    return rows


def test_summary_from_logs() -> None:
    summary = summary_from_logs(
        _history(), v2_eval_reward=0.125, extraction_score=0.7, max_completion_length=3072
    )
    assert isinstance(summary, RunSummary)
    assert summary.eval_reward == pytest.approx(0.20)
    assert summary.eval_reward_trend == pytest.approx(0.01)  # per eval, last 5 of 10 evals
    assert summary.clip_ratio_zero_after_step_50 is True
    assert decide(summary).action == "add_entropy_bonus"


def test_summary_from_logs_trend_clip_and_default_v2() -> None:
    rows = _history() + [{"step": 210, "clip_ratio/region_mean": 0.01}, {"step": 225, "eval_reward": 0.0}]
    summary = summary_from_logs(rows, extraction_score=0.7, max_completion_length=3072)
    assert summary.v2_eval_reward == 0.125  # the ADR table's default
    assert summary.clip_ratio_zero_after_step_50 is False
    assert summary.eval_reward_trend < 0
    no_clip = [r for r in _history() if "clip_ratio/region_mean" not in r]
    assert (
        summary_from_logs(
            no_clip, extraction_score=0.7, max_completion_length=3072
        ).clip_ratio_zero_after_step_50
        is False
    )
    with pytest.raises(ConfigError, match="eval_reward"):
        summary_from_logs([{"step": 1, "loss": 1.0}], extraction_score=0.7, max_completion_length=3072)


def test_summary_judges_the_best_checkpoints_eval_reward() -> None:
    rows = _history() + [{"step": 220, "eval_reward": 0.05}]  # early stopping: the last eval is worse
    last = summary_from_logs(rows, extraction_score=0.7, max_completion_length=3072)
    best = summary_from_logs(rows, extraction_score=0.7, max_completion_length=3072, eval_step=200)
    assert last.eval_reward == pytest.approx(0.05) and best.eval_reward == pytest.approx(0.20)
    assert best.eval_reward_trend == last.eval_reward_trend  # the trend still reads the last evals
    with pytest.raises(ConfigError, match="no 'eval_reward' at step 30"):
        summary_from_logs(rows, extraction_score=0.7, max_completion_length=3072, eval_step=30)

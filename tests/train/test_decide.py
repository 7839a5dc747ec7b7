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


def test_ship_when_the_adr_bars_are_met() -> None:
    result = _decide()
    assert result.action == "ship"
    assert any("0.400" in r and "> 0.200" in r for r in result.reasons)


def test_defaults_are_the_adr_table() -> None:
    t = DecisionThresholds()
    assert (t.ship_eval_reward, t.ship_extraction_score, t.extend_min_eval_reward, t.v2_eval_reward) == (
        0.20,
        0.40,
        0.15,
        0.125,
    )


@pytest.mark.parametrize(
    ("overrides", "action"),
    [
        ({"eval_reward": 0.21, "extraction_score": 0.41}, "ship"),
        ({"eval_reward": 0.20, "eval_reward_trend": 0.0}, "continue"),  # "> 0.20": 0.20 does not ship
        ({"extraction_score": 0.40, "eval_reward_trend": 0.01}, "extend_epoch2"),  # "> 0.40"
        ({"eval_reward": 0.18, "eval_reward_trend": 0.02}, "extend_epoch2"),  # 0.15-0.20 and improving
        ({"eval_reward": 0.15, "eval_reward_trend": 0.02}, "extend_epoch2"),
        ({"eval_reward": 0.18, "eval_reward_trend": 0.0}, "continue"),  # flat
        ({"eval_reward": 0.14, "eval_reward_trend": 0.05}, "continue"),  # improving but below 0.15
        ({"eval_reward": 0.125, "eval_reward_trend": 0.05}, "continue"),  # = v2: not "< v2"
        ({"eval_reward": 0.12}, "stop_diagnose"),  # < v2 (0.125)
        ({"eval_reward": 0.56, "v2_eval_reward": 0.60, "eval_reward_trend": 0.0}, "stop_diagnose"),
        ({"eval_reward": 0.60, "v2_eval_reward": 0.54}, "ship"),
    ],
)
def test_reward_rows(overrides: dict[str, object], action: str) -> None:
    result = _decide(**overrides)
    assert result.action == action
    assert result.reasons and all(any(ch.isdigit() for ch in r) for r in result.reasons)


def test_margin_over_v2_is_optional() -> None:
    strict = DecisionThresholds(ship_margin_over_v2=0.05)
    assert decide(GOOD | {"eval_reward": 0.56, "v2_eval_reward": 0.54}, strict).action != "ship"
    assert decide(GOOD | {"eval_reward": 0.56, "v2_eval_reward": 0.54}).action == "ship"


def test_extend_sets_max_steps() -> None:
    result = _decide(eval_reward=0.18, eval_reward_trend=0.02)
    assert result.next_max_steps == 1000 and result.next_max_completion_length is None
    assert decide(GOOD | {"eval_reward": 0.18, "eval_reward_trend": 0.02},
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
    assert decide(GOOD, DecisionThresholds(ship_extraction_score=0.8)).action == "continue"
    with pytest.raises(ValueError, match="extra"):
        DecisionThresholds(ship_reward=0.5)  # type: ignore[call-arg]


def test_missing_and_invalid_keys_raise_config_error() -> None:
    partial = {k: v for k, v in GOOD.items() if k not in ("v2_eval_reward", "oom")}
    with pytest.raises(ConfigError, match="v2_eval_reward, oom"):
        decide(partial)
    with pytest.raises(ConfigError, match="eval_reward"):
        decide(GOOD | {"eval_reward": "high"})
    with pytest.raises(ConfigError, match="lacks eval_reward, extraction_score .only an OOM run"):
        decide(GOOD | {"eval_reward": None, "extraction_score": None})


def test_oom_run_without_eval_numbers() -> None:
    """A run that died of OOM has no eval numbers: the OOM row needs none."""
    died = {"eval_reward": None, "eval_reward_trend": None, "extraction_score": None, "oom": True,
            "v2_eval_reward": 0.125, "max_completion_length": 3072}  # fmt: skip
    result = decide(died)
    assert result.action == "reduce_completion_length" and result.next_max_completion_length == 2560
    summary = summary_from_logs([{"step": 3, "loss": 0.1}], extraction_score=None, max_completion_length=2560,
                                oom=True)  # fmt: skip
    assert decide(summary).next_max_completion_length == 2048


def _history() -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for step in range(10, 201, 10):
        rows.append({"step": step, "loss": 0.1, "clip_ratio/region_mean": 0.02 if step <= 50 else 0.0})
        if step % 20 == 0:
            rows.append({"step": step, "eval_reward": 0.1 + 0.01 * step / 20})
    return rows


def _on_policy_history(entropy_falls: bool) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for step in range(1, 201):
        late = step > 100
        rows.append({"step": step, "loss": 0.1, "clip_ratio/region_mean": 0.0,
                     "entropy": (0.1 if late else 1.0) if entropy_falls else 1.0,
                     "reward_std": (0.05 if late else 0.3) if entropy_falls else 0.3,
                     "frac_reward_zero_std": 0.5})  # fmt: skip
        if step % 20 == 0:
            rows.append({"step": step, "eval_reward_fixed": 0.3, "eval_reward": 0.28})
    return rows


def test_summary_from_logs_off_policy_keeps_the_adr_clip_rule() -> None:
    summary = summary_from_logs(
        _history(),
        v2_eval_reward=0.125,
        extraction_score=0.7,
        max_completion_length=3072,
        regime="off-policy",
    )
    assert isinstance(summary, RunSummary)
    assert summary.eval_reward == pytest.approx(0.19)  # mean of the last 3 evals (0.18, 0.19, 0.20)
    assert summary.eval_reward_trend == pytest.approx(0.01)  # per eval, last 5 of 10 evals
    assert summary.clip_ratio_zero_after_step_50 is True
    assert decide(summary).action == "add_entropy_bonus"


def test_on_policy_clip_ratio_zero_is_not_a_collapse() -> None:
    """With num_iterations 1 the clip ratio is 0 by construction: a healthy on-policy run is not a collapse."""
    healthy = summary_from_logs(_on_policy_history(False), extraction_score=0.7, max_completion_length=3072,
                                regime="on-policy")  # fmt: skip
    assert healthy.clip_ratio_zero_after_step_50 is None and healthy.entropy_collapse is False
    assert decide(healthy).action == "ship"
    inferred = summary_from_logs(_on_policy_history(False), extraction_score=0.7, max_completion_length=3072)
    assert inferred.regime == "on-policy" and decide(inferred).action == "ship"
    collapsed = summary_from_logs(_on_policy_history(True), extraction_score=0.7, max_completion_length=3072,
                                  regime="on-policy")  # fmt: skip
    assert collapsed.entropy_collapse is True
    result = decide(collapsed)
    assert result.action == "add_entropy_bonus"
    assert any("entropy: mean of the last 20 logs 0.1 vs first 20 1" in r for r in result.reasons)
    assert not any("clip ratio stayed 0" in r for r in result.reasons)


def test_explicit_clip_flag_keeps_its_adr_meaning() -> None:
    assert _decide(clip_ratio_zero_after_step_50=True, regime="on-policy").action == "add_entropy_bonus"


def test_log_values_that_are_none_or_junk_never_crash() -> None:
    rows = [{"step": 1, "clip_ratio/region_mean": None, "entropy": None, "reward_std": "nan"},
            {"step": 2, "clip_ratio/region_mean": float("nan"), "eval_reward": None},
            {"step": "x", "clip_ratio/region_mean": "0.0"}, {"step": 2, "eval_reward": 0.3}]  # fmt: skip
    t = DecisionThresholds(collapse_after_step=0)
    summary = summary_from_logs(rows, extraction_score=0.5, max_completion_length=48, thresholds=t,
                                regime="off-policy")  # fmt: skip
    assert summary.eval_reward == pytest.approx(0.3)
    assert summary.clip_ratio_zero_after_step_50 is False  # no finite clip value after step 0
    assert decide(summary, t).action == "ship"


def test_eval_reward_is_a_window_with_a_standard_error() -> None:
    rows = [{"step": s, "eval_reward_fixed": v, "eval_reward_fixed_se": 0.02, "eval_reward": v - 0.05}
            for s, v in [(10, 0.20), (20, 0.30), (30, 0.22), (40, 0.21)]]  # fmt: skip
    best = summary_from_logs(rows, extraction_score=0.7, max_completion_length=3072, eval_step=20)
    assert best.eval_reward == pytest.approx((0.20 + 0.30 + 0.22) / 3)  # not the raw max 0.30
    assert best.eval_reward_se == pytest.approx((3 * 0.02**2) ** 0.5 / 3)
    assert "eval_reward_fixed over 3 eval(s) at steps [10, 20, 30]" in best.eval_reward_method
    no_se = summary_from_logs([{k: v for k, v in r.items() if not k.endswith("_se")} for r in rows],
                              extraction_score=0.7, max_completion_length=3072, eval_step=40)  # fmt: skip
    assert no_se.eval_reward == pytest.approx((0.30 + 0.22 + 0.21) / 3) and no_se.eval_reward_se > 0
    assert "spread of the window" in no_se.eval_reward_method
    trl_only = summary_from_logs([{"step": 10, "eval_reward": 0.3}], extraction_score=0.7,
                                 max_completion_length=3072)  # fmt: skip
    assert "reward-weight schedule" in trl_only.eval_reward_method and trl_only.eval_reward_se is None


def test_summary_from_logs_trend_clip_and_default_v2() -> None:
    rows = _history() + [{"step": 210, "clip_ratio/region_mean": 0.01}, {"step": 225, "eval_reward": 0.0}]
    summary = summary_from_logs(rows, extraction_score=0.7, max_completion_length=3072, regime="off-policy")
    assert summary.v2_eval_reward == 0.125  # the ADR table's default
    assert summary.clip_ratio_zero_after_step_50 is False
    assert summary.eval_reward_trend < 0
    no_clip = [r for r in _history() if "clip_ratio/region_mean" not in r]
    assert (
        summary_from_logs(
            no_clip, extraction_score=0.7, max_completion_length=3072, regime="off-policy"
        ).clip_ratio_zero_after_step_50
        is False
    )
    with pytest.raises(ConfigError, match="eval_reward"):
        summary_from_logs([{"step": 1, "loss": 1.0}], extraction_score=0.7, max_completion_length=3072)


def test_summary_judges_the_best_checkpoints_eval_reward() -> None:
    rows = _history() + [{"step": 220, "eval_reward": 0.05}]  # early stopping: the last eval is worse
    one = DecisionThresholds(eval_window=1)
    last = summary_from_logs(rows, extraction_score=0.7, max_completion_length=3072, thresholds=one)
    best = summary_from_logs(
        rows, extraction_score=0.7, max_completion_length=3072, eval_step=200, thresholds=one
    )
    assert last.eval_reward == pytest.approx(0.05) and best.eval_reward == pytest.approx(0.20)
    assert best.eval_reward_trend == last.eval_reward_trend  # the trend still reads the last evals
    with pytest.raises(ConfigError, match="no 'eval_reward' at step 30"):
        summary_from_logs(rows, extraction_score=0.7, max_completion_length=3072, eval_step=30)

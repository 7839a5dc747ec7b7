"""The ADR's post-run decision table for the GRPO v3 run, as a pure function.

Rows are checked in this order (the first that matches wins):

1. ``oom`` → ``reduce_completion_length``: step down the ladder 4096 → 3072 → 2560 → 2048 and give
   ``next_max_completion_length``; already at (or below) the last rung → ``stop_diagnose``.
2. ``clip_ratio_zero_after_step_50`` (policy collapse: the clip ratio stays 0 after step 50)
   → ``add_entropy_bonus``.
3. ``eval_reward >= ship_eval_reward`` and ``extraction_score >= ship_extraction_score`` and
   ``eval_reward >= v2_eval_reward + ship_margin_over_v2`` → ``ship``.
4. ``eval_reward <= v2_eval_reward`` (no improvement over the v2 baseline) → ``stop_diagnose``.
5. ``eval_reward > v2_eval_reward`` and ``eval_reward_trend > extend_min_trend`` (still rising)
   → ``extend_epoch2`` with ``next_max_steps`` = ``extend_max_steps``.
6. otherwise → ``continue``.

The defaults of ``DecisionThresholds`` are the ADR table's; a recipe's ``decision:`` section overrides
them (``GrpoV3Config.decision``). Note the ADR's own inconsistency: its context says the v2 eval reward
was 0.54, while its table uses 0.125. ``v2_eval_reward`` is therefore a key every summary passed to
``decide`` must carry, and ``DecisionThresholds.v2_eval_reward`` (0.125, the table's number; set the
measured one in the config) fills it in when ``summary_from_logs`` is not given one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tucano_commerce.errors import ConfigError

Action = Literal[
    "ship", "extend_epoch2", "stop_diagnose", "add_entropy_bonus", "reduce_completion_length", "continue"
]

CLIP_RATIO_KEY = "clip_ratio/region_mean"


class DecisionThresholds(BaseModel):
    """Every threshold of the ADR decision table; the defaults are the ADR table's."""

    model_config = ConfigDict(extra="forbid")

    ship_eval_reward: float = Field(default=0.35, description="Ship needs eval_reward at least this.")
    ship_extraction_score: float = Field(
        default=0.60, description="Ship needs extraction_score at least this."
    )
    ship_margin_over_v2: float = Field(
        default=0.05, description="Ship needs eval_reward ≥ v2_eval_reward + this margin."
    )
    extend_min_trend: float = Field(
        default=0.0, description="Extend needs eval_reward_trend (slope per eval) strictly above this."
    )
    extend_max_steps: int = Field(
        default=1000, ge=1, description="max_steps for the second epoch when extending."
    )
    completion_ladder: tuple[int, ...] = Field(
        default=(4096, 3072, 2560, 2048),
        min_length=1,
        description="max_completion_length rungs tried on OOM, longest first; at the last rung, stop.",
    )
    v2_eval_reward: float = Field(
        default=0.125,
        description="GRPO v2's eval reward, the baseline to beat. Default: the ADR table's 0.125 (its context "
        "says 0.54: set the measured value).",
    )
    collapse_after_step: int = Field(
        default=50, ge=0, description="summary_from_logs: clip ratio must be 0 at every step after this."
    )
    trend_window: int = Field(default=5, ge=2, description="summary_from_logs: evals in the trend slope.")


class RunSummary(BaseModel):
    """The numbers the decision table reads, from one finished (or crashed) run."""

    model_config = ConfigDict(extra="forbid")

    eval_reward: float = Field(description="Last eval reward (mean over the eval set).")
    eval_reward_trend: float = Field(description="Least-squares slope of eval reward per eval, last evals.")
    extraction_score: float = Field(description="Extraction-task score of the run's checkpoint, [0, 1].")
    v2_eval_reward: float = Field(
        description="The v2 baseline's eval reward (ADR table: 0.125; context: 0.54)."
    )
    clip_ratio_zero_after_step_50: bool = Field(description="Clip ratio stayed 0 after step 50 (collapse).")
    oom: bool = Field(description="The run died of CUDA out-of-memory.")
    max_completion_length: int = Field(ge=1, description="The run's max_completion_length, tokens.")


class Decision(BaseModel):
    """What to do next, and why."""

    action: Action = Field(description="One of the ADR table's actions.")
    reasons: list[str] = Field(min_length=1, description="Why, citing the numbers compared.")
    next_max_completion_length: int | None = Field(
        default=None, description="For reduce_completion_length: the rung to retry with."
    )
    next_max_steps: int | None = Field(default=None, description="For extend_epoch2: the new max_steps.")


def _to_summary(summary: Mapping[str, object] | RunSummary) -> RunSummary:
    if isinstance(summary, RunSummary):
        return summary
    missing = [key for key in RunSummary.model_fields if key not in summary]
    if missing:
        raise ConfigError(
            f"run summary lacks {', '.join(missing)}; provide every key of {list(RunSummary.model_fields)} "
            "(summary_from_logs builds them from trainer_state.json)"
        )
    try:
        return RunSummary.model_validate(dict(summary))
    except ValidationError as exc:
        bad = ", ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"run summary has invalid values ({bad})") from None


def decide(
    summary: Mapping[str, object] | RunSummary, thresholds: DecisionThresholds | None = None
) -> Decision:
    """Apply the ADR decision table (OOM, then collapse, then the reward rules) to a run summary."""
    s, t = _to_summary(summary), thresholds or DecisionThresholds()
    ladder = sorted(t.completion_ladder, reverse=True)
    if s.oom:
        shorter = [rung for rung in ladder if rung < s.max_completion_length]
        if shorter:
            return Decision(
                action="reduce_completion_length",
                reasons=[
                    f"out of memory at max_completion_length {s.max_completion_length}; retry at {shorter[0]}"
                ],
                next_max_completion_length=shorter[0],
            )
        return Decision(
            action="stop_diagnose",
            reasons=[
                f"out of memory at max_completion_length {s.max_completion_length}, already at the ladder's "
                f"last rung {ladder[-1]}; diagnose memory instead of shortening further"
            ],
        )
    if s.clip_ratio_zero_after_step_50:
        return Decision(
            action="add_entropy_bonus",
            reasons=[f"clip ratio stayed 0 after step {t.collapse_after_step}: the policy collapsed"],
        )
    v2, reward = s.v2_eval_reward, s.eval_reward
    ship_checks = [
        (reward >= t.ship_eval_reward, f"eval_reward {reward:.3f} vs target {t.ship_eval_reward:.3f}"),
        (
            s.extraction_score >= t.ship_extraction_score,
            f"extraction_score {s.extraction_score:.3f} vs threshold {t.ship_extraction_score:.3f}",
        ),
        (
            reward >= v2 + t.ship_margin_over_v2,
            f"eval_reward {reward:.3f} vs v2 {v2:.3f} + margin {t.ship_margin_over_v2:.3f}",
        ),
    ]
    if all(ok for ok, _ in ship_checks):
        return Decision(action="ship", reasons=[f"{why}: met" for _, why in ship_checks])
    unmet = [f"{why}: not met" for ok, why in ship_checks if not ok]
    if reward <= v2:
        return Decision(
            action="stop_diagnose",
            reasons=[f"eval_reward {reward:.3f} ≤ v2 baseline {v2:.3f}: no improvement over v2", *unmet],
        )
    if s.eval_reward_trend > t.extend_min_trend:
        return Decision(
            action="extend_epoch2",
            reasons=[
                f"eval_reward {reward:.3f} > v2 {v2:.3f} and still rising "
                f"(trend {s.eval_reward_trend:+.4f}/eval > {t.extend_min_trend:+.4f})",
                *unmet,
            ],
            next_max_steps=t.extend_max_steps,
        )
    return Decision(
        action="continue",
        reasons=[
            f"eval_reward {reward:.3f} > v2 {v2:.3f} but flat (trend {s.eval_reward_trend:+.4f}/eval "
            f"≤ {t.extend_min_trend:+.4f})",
            *unmet,
        ],
    )


def _slope(ys: list[float]) -> float:
    """Least-squares slope of ys against 0, 1, 2, … (per eval)."""
    n = len(ys)
    if n < 2:
        return 0.0
    x_mean, y_mean = (n - 1) / 2, sum(ys) / n
    num = sum((x - x_mean) * (y - y_mean) for x, y in enumerate(ys))
    den = sum((x - x_mean) ** 2 for x in range(n))
    return num / den


def summary_from_logs(
    log_history: list[dict[str, object]],
    *,
    v2_eval_reward: float | None = None,
    extraction_score: float,
    max_completion_length: int,
    oom: bool = False,
    thresholds: DecisionThresholds | None = None,
    eval_step: int | None = None,
) -> RunSummary:
    """Build a ``RunSummary`` from a TRL ``trainer_state.json`` ``log_history``.

    ``eval_reward`` is the last logged ``eval_reward``; ``eval_reward_trend`` the least-squares slope
    over the last ``trend_window`` (5) of them, per eval; ``clip_ratio_zero_after_step_50`` is true when
    at least one ``clip_ratio/region_mean`` is logged after step 50 and all of those are 0.
    ``v2_eval_reward`` left as None takes ``thresholds.v2_eval_reward`` (0.125, the ADR table's
    number, which its context contradicts with 0.54): pass the measured v2 number when you have it.
    ``eval_step``: judge the ``eval_reward`` logged at this step (the best checkpoint's, which is what
    ships) instead of the last one; the trend still uses the last evals.
    """
    t = thresholds or DecisionThresholds()
    rows = [row for row in log_history if "eval_reward" in row]
    evals = [float(row["eval_reward"]) for row in rows]  # type: ignore[arg-type]
    if not evals and not oom:
        raise ConfigError(
            "log_history has no 'eval_reward' entries; run at least one evaluation (eval_steps)"
        )
    judged = evals[-1] if evals else 0.0
    if eval_step is not None and evals:
        at_step = [v for row, v in zip(rows, evals, strict=True) if row.get("step") == eval_step]
        if not at_step:
            raise ConfigError(f"log_history has no 'eval_reward' at step {eval_step}")
        judged = at_step[-1]
    clips = [
        float(row[CLIP_RATIO_KEY])  # type: ignore[arg-type]
        for row in log_history
        if CLIP_RATIO_KEY in row and int(row.get("step", 0)) > t.collapse_after_step  # type: ignore[call-overload]
    ]
    return RunSummary(
        eval_reward=judged,
        eval_reward_trend=_slope(evals[-t.trend_window :]),
        extraction_score=extraction_score,
        v2_eval_reward=t.v2_eval_reward if v2_eval_reward is None else v2_eval_reward,
        clip_ratio_zero_after_step_50=bool(clips) and all(c == 0 for c in clips),
        oom=oom,
        max_completion_length=max_completion_length,
    )

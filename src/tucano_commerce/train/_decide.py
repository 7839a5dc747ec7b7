"""The ADR's post-run decision table for the GRPO v3 run, as a pure function.

Rows are checked in this order (the first that matches wins); the numbers are the ADR table's defaults,
every one configurable (``DecisionThresholds``, a recipe's ``decision:`` section):

1. ``oom`` → ``reduce_completion_length``: step down the ladder (4096 →) 3072 → 2560 → 2048 and give
   ``next_max_completion_length``; already at (or below) the last rung → ``stop_diagnose``. A run that
   died of OOM has no eval numbers: this row needs none of them.
2. Collapse → ``add_entropy_bonus``. The ADR's signal, "clip ratio 0 after step 50", only means something
   for an *off-policy* run: with ``num_iterations`` 1 and generation aligned with the optimizer step (the
   ADR's own settings) TRL's clip ratio is 0 at every step by construction (``_regime.py``). So:
   off-policy runs use the clip-ratio rule; on-policy runs use the logged ``entropy`` (windowed mean of
   the last ``entropy_window`` logs below ``entropy_collapse_frac`` x that of the first ones) *together
   with* a loss of reward signal (reward std down to ``signal_loss_frac`` of its early level, or the
   zero-std share up by ``zero_std_rise``). A summary given an explicit ``clip_ratio_zero_after_step_50``
   keeps the ADR meaning of that flag.
3. ``eval_reward > ship_eval_reward`` (0.20) and ``extraction_score > ship_extraction_score`` (0.40)
   (and ``eval_reward >= v2_eval_reward + ship_margin_over_v2``; margin 0 by default, see below) → ``ship``.
4. ``eval_reward < v2_eval_reward`` (0.125: no improvement over GRPO v2) → ``stop_diagnose``.
5. ``eval_reward >= extend_min_eval_reward`` (0.15) and ``eval_reward_trend > extend_min_trend`` (still
   improving) → ``extend_epoch2`` with ``next_max_steps`` = ``extend_max_steps``.
6. otherwise → ``continue``.

The eval reward judged is not the raw best eval: the best of ~50 noisy evals at T 1.0 is biased upward
by about two standard errors. ``summary_from_logs`` takes the mean over a window of evals centred on the
best checkpoint's, with its standard error, on the *fixed-weight* eval reward (``eval_reward_fixed``,
logged by ``TucanoGRPOTrainer``; TRL's ``eval_reward`` follows the format-weight schedule and drifts);
``eval_reward_method`` says what was done.

Note the ADR's own inconsistency: its context says the v2 eval reward was 0.54, while its table uses
0.125. ``v2_eval_reward`` is therefore carried by every summary; ``DecisionThresholds.v2_eval_reward``
(0.125, the table's number; set the measured one in the recipe) fills it in by default. The ship row's
``ship_margin_over_v2`` is not in the ADR table (0 by default): with a measured v2 of 0.54 it keeps
"ship" from beating a better v2, which the table's 0.20 alone would allow.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tucano_commerce.errors import ConfigError

Action = Literal[
    "ship", "extend_epoch2", "stop_diagnose", "add_entropy_bonus", "reduce_completion_length", "continue"
]
Policy = Literal["on-policy", "off-policy"]

CLIP_RATIO_KEY = "clip_ratio/region_mean"
EVAL_KEYS = ("eval_reward_fixed", "eval_reward")
"""Eval reward keys, preferred first: the fixed-weight one, then TRL's (which follows the weight schedule)."""


class DecisionThresholds(BaseModel):
    """Every threshold of the ADR decision table; the defaults are the ADR table's."""

    model_config = ConfigDict(extra="forbid")

    ship_eval_reward: float = Field(default=0.20, description="Ship needs eval_reward strictly above this.")
    ship_extraction_score: float = Field(
        default=0.40, description="Ship needs extraction_score strictly above this."
    )
    ship_margin_over_v2: float = Field(
        default=0.0,
        description="Ship also needs eval_reward ≥ v2_eval_reward + this margin (not in the ADR table; 0).",
    )
    extend_min_eval_reward: float = Field(
        default=0.15,
        description="Extend (epoch 2) needs eval_reward at least this (the ADR's 0.15–0.20 row).",
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
        default=50,
        ge=0,
        description="Off-policy runs: collapse when the clip ratio is 0 at every step after this.",
    )
    entropy_window: int = Field(
        default=20, ge=1, description="On-policy collapse: train logs in the early and late entropy windows."
    )
    entropy_collapse_frac: float = Field(
        default=0.3,
        gt=0.0,
        lt=1.0,
        description="On-policy collapse: late windowed entropy below this fraction of the early one.",
    )
    signal_loss_frac: float = Field(
        default=0.5,
        gt=0.0,
        le=1.0,
        description="On-policy collapse also needs reward_std's late window at most this fraction of its early "
        "one, or the zero-std share up by zero_std_rise.",
    )
    zero_std_rise: float = Field(
        default=0.1,
        ge=0.0,
        le=1.0,
        description="Rise of frac_reward_zero_std (late - early window) that counts.",
    )
    trend_window: int = Field(default=5, ge=2, description="summary_from_logs: evals in the trend slope.")
    eval_window: int = Field(
        default=3,
        ge=1,
        description="summary_from_logs: evals averaged around the judged one (odd: centred), for a reward "
        "that is not the selected maximum of noisy evals.",
    )


class RunSummary(BaseModel):
    """The numbers the decision table reads, from one finished (or crashed) run.

    The eval fields may be None only when ``oom`` is true (a run that died has no evals).
    """

    model_config = ConfigDict(extra="forbid")

    eval_reward: float | None = Field(
        default=None, description="Eval reward judged (see eval_reward_method)."
    )
    eval_reward_se: float | None = Field(default=None, description="Standard error of eval_reward, if known.")
    eval_reward_method: str | None = Field(default=None, description="How eval_reward was obtained.")
    eval_reward_trend: float | None = Field(
        default=None, description="Least-squares slope of eval reward per eval, last evals."
    )
    extraction_score: float | None = Field(
        default=None, description="Extraction-task score of the run's checkpoint, [0, 1]."
    )
    v2_eval_reward: float = Field(
        description="The v2 baseline's eval reward (ADR table: 0.125; context: 0.54)."
    )
    regime: Policy | None = Field(default=None, description="on-policy / off-policy (see _regime.py).")
    clip_ratio_zero_after_step_50: bool | None = Field(
        default=None,
        description="ADR collapse signal: clip ratio stayed 0 after step 50. None: not applicable (on-policy).",
    )
    entropy_collapse: bool | None = Field(
        default=None, description="On-policy collapse signal (entropy + reward signal). None: not measured."
    )
    collapse_evidence: list[str] = Field(default_factory=list, description="The numbers behind the signals.")
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


_REQUIRED = ("v2_eval_reward", "oom", "max_completion_length")
_EVAL_FIELDS = ("eval_reward", "eval_reward_trend", "extraction_score")


def _to_summary(summary: Mapping[str, object] | RunSummary) -> RunSummary:
    if isinstance(summary, RunSummary):
        s = summary
    else:
        missing = [key for key in _REQUIRED if key not in summary]
        if missing:
            raise ConfigError(
                f"run summary lacks {', '.join(missing)}; provide {', '.join(_REQUIRED)} and, unless oom, "
                f"{', '.join(_EVAL_FIELDS)} (summary_from_logs builds them from trainer_state.json)"
            )
        try:
            s = RunSummary.model_validate(dict(summary))
        except ValidationError as exc:
            bad = ", ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise ConfigError(f"run summary has invalid values ({bad})") from None
    if not s.oom:
        absent = [k for k in _EVAL_FIELDS if getattr(s, k) is None]
        if absent:
            raise ConfigError(f"run summary lacks {', '.join(absent)} (only an OOM run may leave them out)")
    return s


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
            reasons=[
                f"clip ratio stayed 0 after step {t.collapse_after_step} in an off-policy run: the policy "
                "collapsed (ADR row 2)",
                *s.collapse_evidence,
            ],
        )
    if s.entropy_collapse:
        return Decision(
            action="add_entropy_bonus",
            reasons=[
                "entropy collapsed while the reward signal faded (on-policy collapse rule)",
                *s.collapse_evidence,
            ],
        )
    assert s.eval_reward is not None and s.eval_reward_trend is not None and s.extraction_score is not None
    v2, reward, trend = s.v2_eval_reward, s.eval_reward, s.eval_reward_trend
    shown = f"eval_reward {reward:.3f}" + (f" ± {s.eval_reward_se:.3f} (SE)" if s.eval_reward_se else "")
    ship_checks = [
        (reward > t.ship_eval_reward, f"{shown} vs ship bar > {t.ship_eval_reward:.3f}"),
        (
            s.extraction_score > t.ship_extraction_score,
            f"extraction_score {s.extraction_score:.3f} vs ship bar > {t.ship_extraction_score:.3f}",
        ),
        (
            reward >= v2 + t.ship_margin_over_v2,
            f"eval_reward {reward:.3f} vs v2 {v2:.3f} + margin {t.ship_margin_over_v2:.3f}",
        ),
    ]
    if all(ok for ok, _ in ship_checks):
        return Decision(action="ship", reasons=[f"{why}: met" for _, why in ship_checks])
    unmet = [f"{why}: not met" for ok, why in ship_checks if not ok]
    if reward < v2:
        return Decision(
            action="stop_diagnose",
            reasons=[f"{shown} < v2 baseline {v2:.3f}: no improvement over v2", *unmet],
        )
    if reward >= t.extend_min_eval_reward and trend > t.extend_min_trend:
        return Decision(
            action="extend_epoch2",
            reasons=[
                f"{shown} ≥ {t.extend_min_eval_reward:.3f} and still improving "
                f"(trend {trend:+.4f}/eval > {t.extend_min_trend:+.4f})",
                *unmet,
            ],
            next_max_steps=t.extend_max_steps,
        )
    why = (
        f"below the extend row's {t.extend_min_eval_reward:.3f}"
        if reward < t.extend_min_eval_reward
        else f"flat (trend {trend:+.4f}/eval ≤ {t.extend_min_trend:+.4f})"
    )
    return Decision(action="continue", reasons=[f"{shown} ≥ v2 {v2:.3f} but {why}", *unmet])


# ------------------------------------------------------------------------------------------ from the logs


def finite(value: Any) -> float | None:
    """A finite float, or None (log values may be None, NaN, strings or booleans)."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


def _step(row: Mapping[str, Any]) -> int:
    value = finite(row.get("step"))
    return int(value) if value is not None else 0


def _slope(ys: Sequence[float]) -> float:
    """Least-squares slope of ys against 0, 1, 2, … (per eval)."""
    n = len(ys)
    if n < 2:
        return 0.0
    x_mean, y_mean = (n - 1) / 2, sum(ys) / n
    num = sum((x - x_mean) * (y - y_mean) for x, y in enumerate(ys))
    den = sum((x - x_mean) ** 2 for x in range(n))
    return num / den


def _mean(xs: Sequence[float]) -> float:
    return sum(xs) / len(xs)


def train_series(log_history: Sequence[Mapping[str, Any]], key: str) -> list[tuple[int, float]]:
    """(step, value) of a train-log key, finite values only (eval rows use ``eval_`` keys)."""
    out = []
    for row in log_history:
        value = finite(row.get(key))
        if value is not None:
            out.append((_step(row), value))
    return out


def early_late(values: Sequence[float], window: int) -> tuple[float, float, int] | None:
    """Means of the first and last ``window`` values (window shrunk to half the series); None if < 4 values."""
    if len(values) < 4:
        return None
    w = max(2, min(window, len(values) // 2))
    return _mean(values[:w]), _mean(values[-w:]), w


def entropy_collapse(
    log_history: Sequence[Mapping[str, Any]], t: DecisionThresholds
) -> tuple[bool | None, list[str]]:
    """The on-policy collapse rule (module docstring) on train logs: (collapsed or None, evidence)."""
    entropy = [v for _, v in train_series(log_history, "entropy")]
    ent = early_late(entropy, t.entropy_window)
    if ent is None:
        return None, [f"entropy logged {len(entropy)} time(s): too few to judge a collapse"]
    early, late, w = ent
    low = early > 0 and late < t.entropy_collapse_frac * early
    evidence = [
        f"entropy: mean of the last {w} logs {late:.4g} vs first {w} {early:.4g} "
        f"(collapse below {t.entropy_collapse_frac:g} x = {t.entropy_collapse_frac * early:.4g})"
    ]
    signal_lost = False
    std = early_late([v for _, v in train_series(log_history, "reward_std")], t.entropy_window)
    if std is not None:
        lost = std[0] > 0 and std[1] <= t.signal_loss_frac * std[0]
        signal_lost |= lost
        evidence.append(
            f"reward_std: last {std[2]} logs {std[1]:.4g} vs first {std[0]:.4g}{' (faded)' if lost else ''}"
        )
    zero = early_late([v for _, v in train_series(log_history, "frac_reward_zero_std")], t.entropy_window)
    if zero is not None:
        rose = zero[1] - zero[0] >= t.zero_std_rise
        signal_lost |= rose
        evidence.append(
            f"frac_reward_zero_std: last {zero[2]} logs {zero[1]:.3f} vs first {zero[0]:.3f}"
            f"{' (rose)' if rose else ''}"
        )
    return bool(low and signal_lost), evidence


def _infer_regime(log_history: Sequence[Mapping[str, Any]]) -> Policy:
    """Without a recipe: a clip ratio that is never non-zero is read as on-policy (uninformative)."""
    clips = [v for _, v in train_series(log_history, CLIP_RATIO_KEY)]
    return "off-policy" if any(v != 0 for v in clips) else "on-policy"


def judged_eval_reward(
    log_history: Sequence[Mapping[str, Any]], t: DecisionThresholds, eval_step: int | None = None
) -> tuple[float | None, float | None, str | None, list[float]]:
    """(reward, standard error, method, every eval value) of the eval reward the decision reads.

    Uses ``eval_reward_fixed`` when logged (fixed reward weights), else ``eval_reward``. The judged value
    is the mean over ``eval_window`` evals centred on ``eval_step`` (the best checkpoint's) or the last
    ones; its SE combines the per-eval SEs (``<key>_se``) when logged, else the window's spread.
    """
    key = next((k for k in EVAL_KEYS if any(finite(r.get(k)) is not None for r in log_history)), None)
    if key is None:
        return None, None, None, []
    rows = [(r, finite(r.get(key))) for r in log_history]
    evals = [(r, v) for r, v in rows if v is not None]
    values = [v for _, v in evals]
    if eval_step is None:
        centre = len(evals) - 1
    else:
        at = [i for i, (r, _) in enumerate(evals) if _step(r) == eval_step]
        if not at:
            raise ConfigError(f"log_history has no '{key}' at step {eval_step}")
        centre = at[-1]
    half = (t.eval_window - 1) // 2
    lo = max(0, min(centre - half, len(evals) - t.eval_window))
    window = evals[lo : lo + t.eval_window]
    mean = _mean([v for _, v in window])
    ses = [finite(r.get(f"{key}_se")) for r, _ in window]
    if all(se is not None for se in ses):
        se: float | None = math.sqrt(sum(se * se for se in ses if se is not None)) / len(window)
        how = "per-eval SEs combined"
    elif len(window) >= 2:
        vals = [v for _, v in window]
        var = sum((v - mean) ** 2 for v in vals) / (len(vals) - 1)
        se, how = math.sqrt(var / len(vals)), "spread of the window"
    else:
        se, how = None, "no SE (one eval)"
    steps = [_step(r) for r, _ in window]
    anchor = f"the best checkpoint (step {eval_step})" if eval_step is not None else "the last eval"
    method = f"mean of {key} over {len(window)} eval(s) at steps {steps} around {anchor}; SE: {how}" + (
        "" if key == "eval_reward_fixed" else "; TRL's eval_reward follows the reward-weight schedule"
    )
    return mean, se, method, values


def summary_from_logs(
    log_history: list[dict[str, object]],
    *,
    v2_eval_reward: float | None = None,
    extraction_score: float | None,
    max_completion_length: int,
    oom: bool = False,
    thresholds: DecisionThresholds | None = None,
    eval_step: int | None = None,
    regime: Policy | None = None,
) -> RunSummary:
    """Build a ``RunSummary`` from a TRL ``trainer_state.json`` ``log_history``; no log value can crash it.

    - ``eval_reward``/``eval_reward_se``/``eval_reward_method``: ``judged_eval_reward`` (a window of evals
      around ``eval_step``, the best checkpoint's, else the last; fixed-weight reward when logged).
    - ``eval_reward_trend``: least-squares slope over the last ``trend_window`` evals, per eval.
    - collapse: ``regime`` (from the saved recipe; inferred from the clip ratios when None) picks the rule.
      Off-policy: ``clip_ratio_zero_after_step_50`` = a clip ratio was logged after ``collapse_after_step``
      and every such value is 0. On-policy: that flag is None (uninformative) and ``entropy_collapse`` is
      judged (module docstring). Non-finite or missing values are skipped.
    - ``v2_eval_reward`` left as None takes ``thresholds.v2_eval_reward``.
    """
    t = thresholds or DecisionThresholds()
    judged, se, method, values = judged_eval_reward(log_history, t, eval_step)
    if judged is None and not oom:
        raise ConfigError(
            "log_history has no 'eval_reward' entries; run at least one evaluation (eval_steps)"
        )
    policy = regime or _infer_regime(log_history)
    clip_flag: bool | None = None
    evidence: list[str] = [
        f"regime: {policy}" + ("" if regime else " (inferred from the logged clip ratios)")
    ]
    if policy == "off-policy":
        clips = [v for s, v in train_series(log_history, CLIP_RATIO_KEY) if s > t.collapse_after_step]
        clip_flag = bool(clips) and all(c == 0 for c in clips)
        evidence.append(
            f"{CLIP_RATIO_KEY}: {len(clips)} log(s) after step {t.collapse_after_step}, "
            f"max {max(clips) if clips else float('nan'):.4g}"
        )
    collapsed, more = entropy_collapse(log_history, t)
    evidence += more
    return RunSummary(
        eval_reward=judged,
        eval_reward_se=se,
        eval_reward_method=method,
        eval_reward_trend=_slope(values[-t.trend_window :]) if values else None,
        extraction_score=extraction_score,
        v2_eval_reward=t.v2_eval_reward if v2_eval_reward is None else v2_eval_reward,
        regime=policy,
        clip_ratio_zero_after_step_50=clip_flag,
        entropy_collapse=collapsed,
        collapse_evidence=evidence,
        oom=oom,
        max_completion_length=max_completion_length,
    )

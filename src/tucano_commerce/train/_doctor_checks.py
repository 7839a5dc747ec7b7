"""The doctor's checks on the logs: clip ratio, entropy, length cap, tied groups, eval cost, reward weights,
reward trend, zero gradients, unscorable completions, monitor alerts, OOM restarts.

Each takes the run folder and its split logs and returns a ``Finding`` (``None``: the check's keys are not
in this run). Numbers are windowed means over the first/last ``window(n)`` logs.
"""

from __future__ import annotations

import json
import math
import statistics
from typing import Any

import numpy as np

from tucano_commerce.train._findings import (
    CLIPPED_CEILING,
    DRIFT_WARN,
    ENTROPY_FALLING,
    ENTROPY_FLOOR_FRAC,
    EVAL_SHARE_WARN,
    LENGTH_WARN,
    ZERO_STD_CEILING,
    ZERO_STD_WARN,
    Finding,
    Logs,
    Status,
    completions_per_step,
    count_setting,
    early_late,
    finding,
    mean_of,
    monitor_value,
    number,
    pct,
    setting,
    steps_text,
)
from tucano_commerce.train._regime import Regime
from tucano_commerce.train._run_files import RunFolder


def check_clip_ratio(run: RunFolder, logs: Logs, regime: Regime | None) -> Finding:
    """``clip_ratio_informative``: a clip ratio exactly 0 throughout says nothing on-policy."""
    name = "clip_ratio_informative"
    key = "clip_ratio/region_mean"
    values = Logs.series(logs.train, key)
    nulls = [int(h.get("step", 0)) for h in logs.train if key in h and h[key] is None]
    null_text = (
        f" ({len(nulls)} more logged None, at steps {steps_text(nulls)}: no token left in the loss, "
        "e.g. every group filtered)"
        if nulls
        else ""
    )
    if not values:
        loss = setting(run.config, "loss_type")
        return finding(
            name,
            "info",
            f"{key} not logged (loss_type {loss!r} logs no region clip ratio)" + null_text,
            steps=0,
        )
    top = max(v for _, v in values)
    n = len(values)
    if top == 0.0:
        if regime is None:
            return finding(
                name,
                "info",
                f"{key} is exactly 0 at all {n} logged steps{null_text}: what on-policy training gives by "
                "construction (TRL uses old_per_token_logps = per_token_logps.detach(), ratio 1); no settings "
                "found to confirm the regime. It carries no information: judge collapse on entropy_trend",
                value=0.0,
                steps=n,
                unit="share",
            )
        if regime.policy == "on-policy":
            return finding(
                name,
                "info",
                f"{key} is exactly 0 at all {n} logged steps{null_text}, as it must be on-policy: "
                f"{regime.reasons[0]}. It carries no information about collapse or step size (a 'clip ratio 0 "
                "after step 50' rule fires on every such run): judge collapse on entropy_trend and "
                "zero_std_share",
                value=0.0,
                steps=n,
                unit="share",
                policy=regime.policy,
            )
        return finding(
            name,
            "warn",
            f"{key} is 0 at all {n} logged steps{null_text} although the run is off-policy "
            f"({regime.reasons[0]}): the policy never moved far enough between generation and update to clip "
            "(learning rate too low, or adapters that do not learn: see adapter_precision)",
            value=0.0,
            threshold=0.0,
            steps=n,
            unit="share",
            policy=regime.policy,
        )
    nonzero = [s for s, v in values if v > 0]
    mean = mean_of([v for _, v in values])
    status: Status = "ok"
    detail = (
        f"{key} non-zero at {len(nonzero)} of {n} logged steps (mean {mean:.4f}, max {top:.4f}){null_text}: "
        "the importance ratio is real and the clip ratio is a usable signal"
    )
    if regime is not None and regime.policy == "on-policy":
        status = "info"
        detail += (
            "; unexpected for an on-policy config (ratio 1 by construction in TRL 1.16): were the "
            "settings read the ones the run used?"
        )
    return finding(
        name,
        status,
        detail,
        value=top,
        steps=n,
        unit="share",
        mean=mean,
        nonzero_steps=len(nonzero),
        policy=None if regime is None else regime.policy,
    )


def check_entropy(run: RunFolder, logs: Logs) -> Finding:
    """``entropy_trend``: token entropy's late level against its early level (windowed means)."""
    name = "entropy_trend"
    values = Logs.series(logs.train, "entropy")
    floor = monitor_value(run.config, "entropy_floor_frac", ENTROPY_FLOOR_FRAC)
    if len(values) < 2:
        return finding(
            name, "info", f"entropy logged at {len(values)} step(s): too few for a trend", steps=len(values)
        )
    vals = [v for _, v in values]
    early, late, w = early_late(vals)
    ratio = late / early if early > 0 else math.inf
    steps = [s for s, _ in values]
    slope = float(np.polyfit(steps, vals, 1)[0]) * 100 if len(set(steps)) > 1 else 0.0
    rolling = np.convolve(vals, np.ones(w) / w, mode="valid")
    below = [steps[i + w - 1] for i, m in enumerate(rolling) if m < floor * early]
    numbers = dict(
        value=ratio,
        threshold=floor,
        steps=len(values),
        unit="ratio",
        early=early,
        late=late,
        window=w,
        slope_per_100_steps=slope,
        first_step=steps[0],
        last_step=steps[-1],
        collapse_step=below[0] if below else None,
    )
    evals = [v for _, v in Logs.series(logs.evals, "eval_entropy")]
    eval_text = ""
    if len(evals) >= 2:
        numbers.update(eval_early=evals[0], eval_late=evals[-1])
        eval_text = f"; eval entropy {evals[0]:.3f} -> {evals[-1]:.3f}"
    slope_text = f", slope {slope:+.4f} per 100 steps" if steps[-1] - steps[0] >= 20 else ""
    base = (
        f"entropy {early:.3f} (mean of the first {w} logs) -> {late:.3f} (last {w}), {ratio:.2f}x"
        f"{slope_text} over steps {steps[0]}..{steps[-1]}{eval_text}"
    )
    if len(values) < 4:
        return finding(name, "info", base + ": too few logs to judge", **numbers)
    if ratio < floor:
        return finding(
            name,
            "fail",
            f"{base}: collapsed below {floor:g}x its early level (windowed mean first "
            f"below at step {below[0]}); the policy has stopped exploring: add an entropy bonus "
            "(TRL use_adaptive_entropy) or stop",
            **numbers,
        )
    if ratio < ENTROPY_FALLING:
        numbers["threshold"] = ENTROPY_FALLING
        return finding(
            name,
            "warn",
            f"{base}: falling fast (below {ENTROPY_FALLING:g}x; collapse is {floor:g}x): watch for collapse",
            **numbers,
        )
    if ratio > 1.5:
        return finding(
            name, "info", f"{base}: rising; with rising length this can precede instability", **numbers
        )
    return finding(name, "ok", base, **numbers)


def check_length(run: RunFolder, logs: Logs) -> Finding:
    """``length_ceiling``: share of completions that hit max_completion_length."""
    name = "length_ceiling"
    clipped = Logs.series(logs.train, "completions/clipped_ratio")
    mean_len = [v for _, v in Logs.series(logs.train, "completions/mean_length")]
    max_len = [v for _, v in Logs.series(logs.train, "completions/max_length")]
    ceiling = monitor_value(run.config, "clipped_ceiling", CLIPPED_CEILING)
    if "max_completion_length" in run.config.grpo or run.config.known:
        cap, cap_text = (
            float(count_setting(run.config, "max_completion_length") or 0),
            "max_completion_length",
        )
    elif max_len:
        cap, cap_text = max(max_len), "inferred from the longest completion (settings unknown)"
    else:
        cap, cap_text = None, "unknown"
    numbers: dict[str, Any] = {"cap": cap}
    len_text = ""
    if mean_len:
        e, l_, _ = early_late(mean_len)
        numbers.update(mean_length_early=e, mean_length_late=l_)
        len_text = f"; mean length {e:.0f} -> {l_:.0f} tokens"
        if cap:
            numbers["late_length_over_cap"] = l_ / cap
            len_text += f" ({pct(l_ / cap)} of the cap)"
    if not clipped:
        if mean_len and cap and min(mean_len) >= cap:
            return finding(
                name,
                "fail",
                f"completions/clipped_ratio not logged, but the mean completion length "
                f"equals the {cap:.0f}-token cap at every log{len_text}",
                value=1.0,
                threshold=ceiling,
                steps=len(mean_len),
                unit="share",
                **numbers,
            )
        return finding(name, "info", "completions/clipped_ratio not logged" + len_text, steps=0, **numbers)
    vals = [v for _, v in clipped]
    overall = mean_of(vals)
    early, late, w = early_late(vals)
    all_capped = [s for s, v in clipped if v >= 0.999]
    numbers.update(early=early, late=late, window=w, all_at_cap_steps=len(all_capped))
    evals = [v for _, v in Logs.series(logs.evals, "eval_completions/clipped_ratio")]
    eval_text = ""
    if evals:
        numbers["eval_mean"] = mean_of(evals)
        eval_text = f"; eval: {pct(mean_of(evals))}"
    cap_desc = f"the {cap:.0f}-token cap ({cap_text})" if cap else "the length cap"
    base = (
        f"{pct(overall)} of completions hit {cap_desc} (first {w} logs {pct(early)}, last {w} "
        f"{pct(late)}); every completion of the step at the cap in {len(all_capped)} of {len(vals)} "
        f"logged steps{len_text}{eval_text}"
    )
    if late >= ceiling or overall >= ceiling:
        return finding(
            name,
            "fail",
            base + ": the model almost never finishes an answer, so the rewards judge "
            "truncated text and dr_grpo's length normaliser is saturated: raise "
            "max_completion_length, shorten the task, or add an overlong penalty / "
            "mask_truncated_completions",
            value=overall,
            threshold=ceiling,
            steps=len(vals),
            unit="share",
            **numbers,
        )
    if overall >= LENGTH_WARN or late >= LENGTH_WARN:
        return finding(
            name,
            "warn",
            base + ": many answers are cut off",
            value=overall,
            threshold=LENGTH_WARN,
            steps=len(vals),
            unit="share",
            **numbers,
        )
    return finding(
        name, "ok", base, value=overall, threshold=LENGTH_WARN, steps=len(vals), unit="share", **numbers
    )


def check_zero_std(run: RunFolder, logs: Logs) -> Finding:
    """``zero_std_share``: share of groups whose rewards all tie (no learning signal), over time."""
    name = "zero_std_share"
    series = Logs.series(logs.train, "frac_reward_zero_std")
    ceiling = monitor_value(run.config, "zero_std_ceiling", ZERO_STD_CEILING)
    if not series:
        return finding(name, "info", "frac_reward_zero_std not logged", steps=0)
    vals = [v for _, v in series]
    overall = mean_of(vals)
    early, late, w = early_late(vals)
    tied = [s for s, v in series if v >= 0.999]
    skipped = Logs.series(logs.train, "zero_std/skipped_steps")
    numbers = dict(
        value=overall,
        steps=len(vals),
        unit="share",
        early=early,
        late=late,
        window=w,
        all_tied_steps=len(tied),
        skipped_steps=int(max(v for _, v in skipped)) if skipped else None,
    )
    skip_text = (
        f"; the trainer skipped {numbers['skipped_steps']} optimizer update(s) on all-tied steps"
        if skipped
        else ""
    )
    base = (
        f"{pct(overall)} of groups had tied rewards (first {w} logs {pct(early)}, last {w} {pct(late)}); "
        f"every group tied at {len(tied)} of {len(vals)} logged steps"
        + (f" ({steps_text(tied)})" if tied else "")
        + skip_text
    )
    if late >= ceiling:
        return finding(
            name,
            "fail",
            base + f": at least {pct(ceiling)} of recent groups carry no signal; the "
            "prompts are too easy or too hard for the policy now: filter prompts by difficulty, raise "
            "num_generations, or use dynamic sampling",
            threshold=ceiling,
            **numbers,
        )
    if overall >= ZERO_STD_WARN or late >= ZERO_STD_WARN:
        return finding(
            name,
            "warn",
            base + ": those groups (and their generation) produce no gradient",
            threshold=ZERO_STD_WARN,
            **numbers,
        )
    return finding(name, "ok", base, threshold=ZERO_STD_WARN, **numbers)


def check_eval_share(run: RunFolder, logs: Logs) -> Finding:
    """``eval_share``: share of generated tokens (and wall-clock) spent in evaluation."""
    name = "eval_share"
    cfg = run.config
    evals = [h for h in logs.evals if number(h.get("eval_completions/mean_length")) is not None]
    if not evals:
        return finding(
            name,
            "info",
            "no eval with eval_completions/mean_length logged: nothing spent on eval that the logs show",
            steps=0,
        )
    g_eval = count_setting(cfg, "num_generations_eval") or count_setting(cfg, "num_generations") or 1
    assumed = [] if cfg.known else [f"num_generations {g_eval} (TRL default; settings unknown)"]
    n_prompts, n_range = eval_prompts(evals)
    eval_tokens = 0.0
    if n_prompts is not None:
        eval_tokens = sum(float(h["eval_completions/mean_length"]) for h in evals) * n_prompts * g_eval
    per_step, per_step_how = completions_per_step(cfg, run.state)
    train_tokens, prev = 0.0, 0
    train_time = 0.0
    for h in logs.train:
        step, length = int(h.get("step", 0) or 0), number(h.get("completions/mean_length"))
        span = max(step - prev, 1)
        if length is not None:
            train_tokens += length * span * per_step
        if (t := number(h.get("step_time"))) is not None:
            train_time += t * span
        prev = step
    eval_time = sum(v for _, v in Logs.series(logs.evals, "eval_runtime"))
    numbers: dict[str, Any] = dict(
        evals=len(evals),
        eval_prompts=n_prompts,
        eval_prompts_range=n_range,
        eval_generations=g_eval,
        completions_per_train_step=per_step,
        eval_seconds=eval_time,
        train_seconds=train_time or None,
    )
    time_text = ""
    if eval_time and train_time:
        numbers["time_share"] = eval_time / (eval_time + train_time)
        time_text = (
            f"; wall-clock: {eval_time:.0f} s of eval vs {train_time:.0f} s of training steps "
            f"({pct(numbers['time_share'])} eval)"
        )
    if n_prompts is None or n_range is None or train_tokens <= 0:
        return finding(
            name,
            "info",
            "eval prompts per evaluation (eval_samples_per_second x eval_runtime) or "
            "train completion lengths not logged: token share unknown" + time_text,
            steps=len(evals),
            **numbers,
        )
    share = eval_tokens / (eval_tokens + train_tokens)
    numbers.update(eval_tokens=round(eval_tokens), train_tokens=round(train_tokens))
    approx = (
        ""
        if n_range[0] == n_range[1]
        else f"~{n_prompts} ({n_range[0]}-{n_range[1]}: logged rates are rounded)"
    )
    detail = (
        f"{pct(share)} of generated completion tokens went to eval: {len(evals)} evals x "
        f"{approx or n_prompts} prompts x {g_eval} generations = {eval_tokens:,.0f} tokens vs {train_tokens:,.0f} in training "
        f"({per_step:g} completions per step: {per_step_how}){time_text}"
        + (f"; assumed {', '.join(assumed)}" if assumed else "")
    )
    if share >= EVAL_SHARE_WARN:
        return finding(
            name,
            "warn",
            detail + ": evaluate less often (eval_steps), on fewer prompts, or with "
            "num_generations_eval 1-2 and a larger per_device_eval_batch_size",
            value=share,
            threshold=EVAL_SHARE_WARN,
            steps=len(evals),
            unit="share",
            **numbers,
        )
    return finding(
        name, "ok", detail, value=share, threshold=EVAL_SHARE_WARN, steps=len(evals), unit="share", **numbers
    )


def eval_prompts(evals: list[dict[str, Any]]) -> tuple[int | None, tuple[int, int] | None]:
    """Prompts per evaluation, from transformers' ``eval_samples_per_second`` x ``eval_runtime``.

    transformers counts ``len(eval_dataset)`` (prompts, not completions) and rounds the rate to 3 decimals
    and the runtime to 4, so a slow eval (0.004 samples/s) pins the count only to +-12 %. Every eval ran on
    the same set, so the count lies in the intersection of their intervals.

    Returns:
        ``(count, (low, high))``: the best integer and the integers consistent with every eval (a single
        value when the logs pin it); ``(None, None)`` when the keys are missing.
    """
    lows, highs, points = [], [], []
    for h in evals:
        rate, runtime = number(h.get("eval_samples_per_second")), number(h.get("eval_runtime"))
        if rate is None or runtime is None or runtime <= 0:
            continue
        lows.append(max(rate - 5e-4, 0.0) * max(runtime - 5e-5, 0.0))
        highs.append((rate + 5e-4) * (runtime + 5e-5))
        points.append(rate * runtime)
    if not points:
        return None, None
    low, high = math.ceil(max(lows) - 1e-9), math.floor(min(highs) + 1e-9)
    best = round(statistics.median(points))
    if low > high:  # inconsistent (the eval set changed?): fall back to the median estimate
        return best, (best, best)
    return min(max(best, low), high), (low, high)


def _numbers_at(entry: dict[str, Any], names: list[str], key: str) -> dict[str, float] | None:
    """``{name: entry[key.format(name)]}`` when every one of them is a number, else None."""
    out: dict[str, float] = {}
    for n in names:
        value = number(entry.get(key.format(n)))
        if value is None:
            return None
        out[n] = value
    return out


def _weights_at(entry: dict[str, Any], names: list[str]) -> dict[str, float] | None:
    return _numbers_at(entry, names, "reward_weights/{}")


def check_reward_weights(run: RunFolder, logs: Logs) -> Finding:
    """``reward_weight_drift``: weights that change during training change what eval_reward means."""
    name = "reward_weight_drift"
    names = sorted(
        {k.removeprefix("reward_weights/") for h in logs.train for k in h if k.startswith("reward_weights/")}
    )
    fixed = Logs.series(logs.evals, "eval_reward_fixed")
    schedule = run.config.format_weight_schedule
    if not names:
        if schedule:
            start, end = number(schedule.get("start")), number(schedule.get("end"))
            return finding(
                name,
                "warn",
                f"no reward_weights/* logged, but the recipe's "
                f"rewards.format_weight_schedule moves the format weight {start} -> {end}: TRL uses the "
                "same weights for eval_reward, so eval_reward drifts by the schedule alone",
                value=None if start is None or end is None else end - start,
                steps=0,
            )
        return finding(
            name,
            "ok",
            "no reward_weights/* logged and no weight schedule in the settings: the weights are constant",
            steps=0,
        )
    rows = [(int(h.get("step", 0)), w) for h in logs.train if (w := _weights_at(h, names)) is not None]
    first, last = rows[0][1], rows[-1][1]
    drift = {n: last[n] - first[n] for n in names}
    moved = {n: d for n, d in drift.items() if abs(d) > 1e-6}
    numbers: dict[str, Any] = dict(
        steps=len(rows),
        unit="reward",
        first={n: round(first[n], 6) for n in names},
        last={n: round(last[n], 6) for n in names},
        weight_sum_last=round(sum(last.values()), 6),
    )
    if not moved:
        return finding(
            name,
            "ok",
            f"reward weights constant over {len(rows)} logs: "
            + ", ".join(f"{n} {first[n]:.3g}" for n in names),
            value=0.0,
            **numbers,
        )
    moved_text = ", ".join(f"{n} {first[n]:.4g} -> {last[n]:.4g}" for n in moved)
    sum_text = f" (they sum to {sum(last.values()):.4g} at the end)"
    ev = [(int(h.get("step", 0)), h) for h in logs.evals if number(h.get("eval_reward")) is not None]
    effect = None
    effect_text = ""
    if len(ev) >= 2:
        w0, w1 = _weights_at(ev[0][1], names), _weights_at(ev[-1][1], names)
        means = _numbers_at(ev[-1][1], names, "eval_rewards/{}/mean")
        if w0 and w1 and means is not None:
            effect = sum((w1[n] - w0[n]) * means[n] for n in names)
            observed = float(ev[-1][1]["eval_reward"]) - float(ev[0][1]["eval_reward"])
            numbers.update(
                schedule_effect=effect,
                observed_change=observed,
                eval_first_step=ev[0][0],
                eval_last_step=ev[-1][0],
            )
            effect_text = (
                f"; between the evals at steps {ev[0][0]} and {ev[-1][0]} the weights alone moved "
                f"eval_reward by {effect:+.4f} (observed change {observed:+.4f})"
            )
    base = (
        f"reward weights changed over steps {rows[0][0]}..{rows[-1][0]}: {moved_text}{sum_text}{effect_text}"
    )
    if fixed:
        return finding(
            name,
            "ok",
            base + f"; eval_reward_fixed (fixed weights) is logged at {len(fixed)} evals: "
            "early stopping, the best checkpoint and the decision can use it",
            value=effect if effect is not None else max(abs(d) for d in moved.values()),
            **numbers,
        )
    value = effect if effect is not None else max(abs(d) for d in moved.values())
    status: Status = "warn" if effect is None or abs(effect) >= DRIFT_WARN else "info"
    return finding(
        name,
        status,
        base + ": TRL computes eval_reward with these same weights, so early stopping, "
        "the best checkpoint and any threshold compare different reward definitions; judge on an eval "
        "reward with fixed weights",
        value=value,
        threshold=DRIFT_WARN,
        **numbers,
    )


def check_reward_trend(run: RunFolder, logs: Logs) -> Finding | None:
    """``reward_trend``: does the (fixed-weight, when logged) eval reward improve; best-of-N noise."""
    name = "reward_trend"
    key = "eval_reward_fixed" if logs.has("eval_reward_fixed") else "eval_reward"
    evals = Logs.series(logs.evals, key)
    train = [v for _, v in Logs.series(logs.train, "reward")]
    if not evals and not train:
        return None
    numbers: dict[str, Any] = {"key": key}
    parts = []
    if train:
        e, l_, w = early_late(train)
        numbers.update(train_early=e, train_late=l_)
        parts.append(f"train reward {e:.4f} (first {w} logs) -> {l_:.4f} (last {w})")
    if len(evals) < 3:
        parts += [f"{key} " + ", ".join(f"{v:.4f} at step {s}" for s, v in evals)] if evals else []
        return finding(
            name, "info", "; ".join(parts) + ": too few evals for a trend", steps=len(evals), **numbers
        )
    vals = [v for _, v in evals]
    e, l_, w = early_late(vals)
    best_i = int(np.argmax(vals))
    noise = float(np.std(np.diff(vals)) / math.sqrt(2)) if len(vals) >= 3 else None
    numbers.update(
        eval_early=e, eval_late=l_, best=vals[best_i], best_step=evals[best_i][0], eval_noise=noise
    )
    text = (
        f"{key} {e:.4f} (first {w} evals) -> {l_:.4f} (last {w}); best {vals[best_i]:.4f} at step "
        f"{evals[best_i][0]} of {len(vals)} evals"
    )
    se = [v for s, v in Logs.series(logs.evals, f"{key}_se") if s == evals[best_i][0]]
    if se:
        numbers["best_se"] = se[0]
        text += f" (standard error {se[0]:.4f})"
    if noise is not None:
        bias = noise * math.sqrt(2 * math.log(len(vals)))  # E[max of n N(0, s)] <~ s sqrt(2 ln n)
        numbers["best_of_n_bias"] = bias
        text += (
            f"; eval-to-eval noise ~{noise:.4f}, so the best of {len(vals)} evals reads up to ~{bias:.4f} "
            "high (noise x sqrt(2 ln n)): judge a checkpoint on a re-evaluation, not on its max"
        )
    parts.append(text)
    status: Status = "ok" if l_ > e else "warn"
    detail = "; ".join(parts) + ("" if status == "ok" else ": the eval reward did not improve")
    return finding(name, status, detail, value=l_ - e, steps=len(vals), unit="reward", **numbers)


def check_grad_norm(run: RunFolder, logs: Logs) -> Finding | None:
    """``grad_norm``: steps with no gradient (every group tied) that AdamW still stepped; non-finite values."""
    name = "grad_norm"
    raw = [(int(h.get("step", 0)), h.get("grad_norm")) for h in logs.train if "grad_norm" in h]
    if not raw:
        return None
    bad = [s for s, v in raw if isinstance(v, float) and not math.isfinite(v)]
    bad += [
        int(h.get("step", 0))
        for h in logs.train
        if isinstance(h.get("loss"), float) and not math.isfinite(h["loss"])
    ]
    zero = [s for s, v in raw if number(v) == 0.0]
    skipped = Logs.series(logs.train, "zero_std/skipped_steps")
    n_skipped = int(max(v for _, v in skipped)) if skipped else None
    numbers = dict(
        value=float(len(zero)),
        steps=len(raw),
        unit="count",
        zero_steps=len(zero),
        non_finite_steps=sorted(set(bad)),
        skipped_updates=n_skipped,
    )
    if bad:
        return finding(
            name, "fail", f"non-finite loss or grad_norm at steps {steps_text(sorted(set(bad)))}", **numbers
        )
    if not zero:
        return finding(name, "ok", f"grad_norm > 0 at all {len(raw)} logged steps", **numbers)
    base = f"grad_norm exactly 0 at {len(zero)} of {len(raw)} logged steps ({steps_text(zero)})"
    if n_skipped is not None and n_skipped >= len(zero):
        return finding(
            name,
            "info",
            base + f"; the trainer skipped {n_skipped} such optimizer update(s), so "
            "the weights and optimizer state did not move",
            **numbers,
        )
    return finding(
        name,
        "warn",
        base + ": every group tied, the generation was wasted and AdamW still stepped "
        "(its momentum moves the weights with zero gradient)",
        **numbers,
    )


def check_unscorable(run: RunFolder, logs: Logs) -> Finding | None:
    """``unscorable``: completions no scorer could score (left out of the logged reward means)."""
    series = Logs.series(logs.train, "rewards/unscorable")
    if not series:
        return None
    total = sum(v for _, v in series)
    hit = [s for s, v in series if v > 0]
    if total == 0:
        return finding(
            "unscorable",
            "ok",
            f"no unscorable completions over {len(series)} logs",
            value=0.0,
            steps=len(series),
            unit="count",
        )
    return finding(
        "unscorable",
        "warn",
        f"{total:g} completions could not be scored (at {len(hit)} of "
        f"{len(series)} logged steps: {steps_text(hit)}); the logged reward means leave them out, "
        "so they read high",
        value=total,
        steps=len(series),
        unit="count",
    )


def check_monitor_alerts(run: RunFolder, logs: Logs) -> Finding | None:
    """``monitor_alerts``: the health monitor's ``health/*`` alerts and when they fired."""
    fired: dict[str, list[int]] = {}
    for h in logs.train:
        for k, v in h.items():
            if k.startswith("health/") and number(v):
                fired.setdefault(k.removeprefix("health/"), []).append(int(h.get("step", 0)))
    if not fired:
        return None
    text = "; ".join(f"{k} at step {steps_text(v)}" for k, v in sorted(fired.items()))
    return finding(
        "monitor_alerts",
        "info",
        f"the health monitor fired: {text} (single-log thresholds; see the windowed checks above)",
        value=float(len(fired)),
        unit="count",
        alerts=fired,
    )


def check_oom(run: RunFolder, logs: Logs) -> Finding | None:
    """``oom_ladder``: CUDA OOM restarts the recipe's ladder recorded (``oom_ladder.jsonl``)."""
    path = run.run_dir / "oom_ladder.jsonl"
    if not path.is_file():
        return None

    rungs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rungs.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    if not rungs:
        return None
    text = "; ".join(
        f"step {r.get('global_step')}: {r.get('max_completion_length')} -> {r.get('next')}" for r in rungs
    )
    return finding(
        "oom_ladder",
        "warn",
        f"{len(rungs)} CUDA OOM restart(s): {text}; dr_grpo's loss scale uses "
        "max_completion_length, so it changed at each rung",
        value=float(len(rungs)),
        unit="count",
    )

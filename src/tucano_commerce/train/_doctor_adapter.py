"""The doctor's ``adapter_precision`` check: do LoRA-A's lr-sized updates survive the adapters' dtype?

Evidence, best first: the trainer's ``adapter/lora_A_changed_frac`` logs; the saved ``lora_A`` of the first
and last checkpoints (share of entries that changed, read with numpy from ``adapter_model.safetensors``);
else a prediction from the settings (adapter dtype from the quantisation / ``lora.trainable_dtype``, LoRA-A's
init ``U(+-1/sqrt(fan_in))`` from the base model's shape, ``_precision.uniform_init_lost_share``).
"""

from __future__ import annotations

import math
import statistics
from pathlib import Path
from typing import Any

import numpy as np

from tucano_commerce.train._findings import (
    ASSUMED_FAN_IN,
    FROZEN_SHARE,
    LOST_WARN,
    MOVING_SHARE,
    PROJECTIONS,
    Finding,
    Logs,
    Status,
    finding,
    number,
    pct,
)
from tucano_commerce.train._precision import (
    lost_update_mask,
    lost_update_share,
    round_to,
    uniform_init_lost_share,
    weighted_share,
)
from tucano_commerce.train._run_files import (
    ADAPTER_WEIGHTS,
    SAFETENSORS_DTYPES,
    RunConfig,
    RunFolder,
    lora_names,
    safetensors_arrays,
    safetensors_header,
)


def _projection(name: str) -> str | None:
    for proj in PROJECTIONS:
        if f"{proj}_proj" in name:
            return proj
    return None


def _targets(cfg: RunConfig) -> list[str]:
    targets = cfg.lora_targets
    if targets is None or targets == "all-linear":
        return list(PROJECTIONS)
    found = {p for t in (targets if isinstance(targets, list) else [targets]) if (p := _projection(str(t)))}
    return [p for p in PROJECTIONS if p in found] or list(PROJECTIONS)


def _fan_ins(cfg: RunConfig) -> tuple[dict[str, int], str]:
    """LoRA-A fan-in per targeted projection, from the base model's shape when it can be found."""
    from tucano_commerce.errors import TucanoError
    from tucano_commerce.train._config import resolve_path
    from tucano_commerce.train._shapes import PRESETS, shape_from_config_json

    shape, source = None, ""
    if cfg.model_path:
        config_json = resolve_path(str(cfg.model_path)) / "config.json"
        if config_json.is_file():
            try:
                shape, source = shape_from_config_json(config_json), f"shape from {config_json}"
            except TucanoError:
                shape = None
        if shape is None:
            stem = Path(str(cfg.model_path)).name.lower()
            preset = next((p for p in sorted(PRESETS, key=len, reverse=True) if stem.startswith(p)), None)
            if preset is not None:
                shape, source = PRESETS[preset], f"bundled shape '{preset}' (matches {cfg.model_path})"
    if shape is None:
        dims = dict(ASSUMED_FAN_IN)
        source = "assumed Qwen3-4B body (hidden 2560, 32x128 heads, intermediate 9728): base shape unknown"
    else:
        dims = {p: d_in for p, (d_in, _) in shape.linear_dims().items()}
    return {p: dims[p] for p in _targets(cfg)}, source


def _lr(run: RunFolder, logs: Logs) -> tuple[float | None, float | None, str]:
    """Peak and median learning rate: the settings' peak, else the logged maximum."""
    logged = [v for _, v in Logs.series(logs.train, "learning_rate") if v > 0]
    median = statistics.median(logged) if logged else None
    if run.config.known and number(run.config.grpo.get("learning_rate")) is not None:
        return float(run.config.grpo["learning_rate"]), median, "settings' learning_rate"
    if logged:
        return max(logged), median, "largest logged learning_rate"
    return None, None, "unknown"


def _frozen_above(dtype: str, lr: float) -> float | None:
    """The magnitude above which every lr-sized step is lost in ``dtype`` (where a zero-init B freezes)."""
    grid = np.unique(
        round_to((2.0 ** np.arange(-40, 20)[:, None] * (1 + np.arange(256) / 256)).ravel(), dtype)
    )
    lost = lost_update_mask(grid, lr, dtype)
    if not lost[-1]:
        return None
    kept = np.flatnonzero(~lost)
    return float(grid[kept[-1]]) if kept.size else 0.0


def check_adapter_precision(run: RunFolder, logs: Logs) -> Finding:
    """``adapter_precision``: do LoRA-A's updates survive the adapter dtype at this learning rate?"""
    name = "adapter_precision"
    a_changed = _updating_steps(logs, Logs.series(logs.train, "adapter/lora_A_changed_frac"))
    if a_changed:
        return _adapter_from_logs(logs, a_changed)
    lr, lr_median, lr_source = _lr(run, logs)
    with_weights = [c for c in run.checkpoints if (c / ADAPTER_WEIGHTS).is_file()]
    if with_weights and lr is not None:
        found = _adapter_from_checkpoints(with_weights, lr, lr_source)
        if found is not None:
            return found
    cfg = run.config
    if lr is None:
        return finding(name, "info", "learning rate unknown (not logged, no settings): cannot judge", steps=0)
    if cfg.trainable_dtype:
        dtype, why = (
            str(cfg.trainable_dtype),
            (
                f"the recipe keeps trainable parameters in {cfg.trainable_dtype} "
                "(lora.trainable_dtype), whatever the base"
            ),
        )
    elif cfg.quantize in ("4bit", "8bit"):
        dtype, why = (
            "bfloat16",
            (
                f"{cfg.quantize} base: TRL 1.16 casts every trainable LoRA parameter to bf16 "
                "('When using QLoRA, the PEFT adapter weights are converted to bf16', "
                "GRPOTrainer.__init__) and the HF Trainer keeps no fp32 master copy"
            ),
        )
    elif cfg.quantize == "none":
        dtype, why = "float32", "unquantised base: PEFT keeps the adapters in fp32 (autocast_adapter_dtype)"
    else:
        return finding(
            name,
            "info",
            "adapter dtype unknown: no adapter weights, no adapter/* logs and no "
            "quantisation setting (pass --args with model_init_kwargs.quantization_config)",
            steps=0,
        )
    fan_ins, shape_source = _fan_ins(cfg)
    per_module = {p: uniform_init_lost_share(1 / math.sqrt(f), lr, dtype) for p, f in fan_ins.items()}
    share = weighted_share((per_module[p], fan_ins[p]) for p in fan_ins)  # entries of A = r x fan_in
    numbers: dict[str, Any] = dict(
        value=share,
        threshold=FROZEN_SHARE,
        steps=0,
        unit="share",
        dtype=dtype,
        lr=lr,
        lr_source=lr_source,
        lost_by_module={p: round(s, 4) for p, s in per_module.items()},
        fan_in=fan_ins,
        shape_source=shape_source,
        source="predicted from settings",
    )
    if lr_median is not None and lr_median != lr:
        numbers["lost_at_median_lr"] = weighted_share(
            (uniform_init_lost_share(1 / math.sqrt(f), lr_median, dtype), f) for f in fan_ins.values()
        )
    b_floor = _frozen_above(dtype, lr)
    numbers["b_frozen_above"] = b_floor
    base = (
        f"predicted: {why}; at lr {lr:g} ({lr_source}) an lr-sized step is lost for {pct(share)} of LoRA-A "
        f"entries at their init U(+-1/sqrt(fan_in)) ({shape_source}; by module: "
        + ", ".join(f"{p} {pct(s)}" for p, s in per_module.items())
        + ")"
    )
    if dtype != "float32" and share >= LOST_WARN:
        return finding(
            name,
            "warn",
            base + f"; B starts at 0 and freezes once |B| > {b_floor:.3g}. The run most "
            "likely trained B only (no adapter/* logs or saved weights to confirm): keep trainable "
            "parameters in fp32 (this project's trainer restores them) or drop 4-bit",
            **numbers,
        )
    return finding(name, "ok", base, **numbers)


def _updating_steps(logs: Logs, a_changed: list[tuple[int, float]]) -> list[tuple[int, float]]:
    """The logs in which LoRA-A could have moved: not the first (LoRA-B starts at 0, so A's gradient is 0),
    not a step whose optimizer update was skipped (every group tied: ``zero_std/skipped_steps`` rose) or
    whose gradient was 0."""
    skipped = dict(Logs.series(logs.train, "zero_std/skipped_steps"))
    grad = dict(Logs.series(logs.train, "grad_norm"))
    out, previous = [], 0.0
    for i, (step, value) in enumerate(a_changed):
        now = skipped.get(step, previous)
        if i > 0 and now <= previous and grad.get(step, 1.0) != 0.0:
            out.append((step, value))
        previous = now
    return out


def _adapter_from_logs(logs: Logs, a_changed: list[tuple[int, float]]) -> Finding:
    name = "adapter_precision"
    med_a = statistics.median(v for _, v in a_changed)
    extra: dict[str, Any] = {"source": "logged adapter/* keys"}
    texts = []
    for key, label in [
        ("adapter/lora_B_changed_frac", "lora_B_changed_median"),
        ("adapter/lora_A_update_ratio", "lora_A_update_ratio_median"),
        ("adapter/lora_B_update_ratio", "lora_B_update_ratio_median"),
    ]:
        vals = [v for _, v in Logs.series(logs.train, key)]
        if vals:
            extra[label] = statistics.median(vals)
    if "lora_B_changed_median" in extra:
        texts.append(f"B {pct(extra['lora_B_changed_median'])}")
    if "lora_A_update_ratio_median" in extra:
        texts.append(
            f"update/weight norm A {extra['lora_A_update_ratio_median']:.3g}"
            + (
                f", B {extra['lora_B_update_ratio_median']:.3g}"
                if "lora_B_update_ratio_median" in extra
                else ""
            )
        )
    base = (
        f"logged adapter/lora_A_changed_frac: median {pct(med_a)} of LoRA-A entries changed per log over "
        f"the {len(a_changed)} logs that updated it (the first and skipped steps left out)"
        + (f" ({'; '.join(texts)})" if texts else "")
    )
    numbers = dict(value=med_a, steps=len(a_changed), unit="share", **extra)
    if med_a < FROZEN_SHARE:
        return finding(
            name,
            "fail",
            base + ": LoRA-A is effectively frozen, the run trains B only (adapters in "
            "bf16 at a small lr?): keep trainable parameters in fp32",
            threshold=FROZEN_SHARE,
            **numbers,
        )
    if med_a < MOVING_SHARE:
        return finding(
            name, "warn", base + ": part of LoRA-A does not move", threshold=MOVING_SHARE, **numbers
        )
    return finding(name, "ok", base, threshold=MOVING_SHARE, **numbers)


def _adapter_from_checkpoints(ckpts: list[Path], lr: float, lr_source: str) -> Finding | None:
    name = "adapter_precision"
    last = ckpts[-1] / ADAPTER_WEIGHTS
    header = safetensors_header(last)
    names = lora_names(header, "lora_A")
    if not names:
        return None
    dtype = SAFETENSORS_DTYPES.get(header[names[0]]["dtype"], "float32")
    dtype = "float32" if dtype == "float64" else dtype
    last_a = safetensors_arrays(last, names)
    values = np.concatenate([a.ravel() for a in last_a.values()])
    lost = lost_update_share(values, lr, dtype)
    numbers: dict[str, Any] = dict(
        dtype=dtype,
        lr=lr,
        lr_source=lr_source,
        lost_share_at_lr=lost,
        lora_a_entries=int(values.size),
        checkpoint=ckpts[-1].name,
        source="saved adapter weights",
    )
    base = (
        f"{ckpts[-1].name}'s LoRA-A is stored in {dtype}; at lr {lg(lr)} ({lr_source}) an lr-sized step is "
        f"lost for {pct(lost)} of its {values.size:,} entries"
    )
    if len(ckpts) >= 2:
        first = ckpts[0] / ADAPTER_WEIGHTS
        first_names = set(lora_names(safetensors_header(first), "lora_A"))
        common = [n for n in names if n in first_names]
        if common:
            first_a = safetensors_arrays(first, common)
            changed = float(np.mean(np.concatenate([(first_a[n] != last_a[n]).ravel() for n in common])))
            span = int(ckpts[-1].name.split("-")[1]) - int(ckpts[0].name.split("-")[1])
            numbers.update(changed_between_checkpoints=changed, from_checkpoint=ckpts[0].name)
            detail = (
                f"{pct(changed)} of LoRA-A entries changed between {ckpts[0].name} and {ckpts[-1].name} "
                f"({span} steps); {base}"
            )
            if changed < FROZEN_SHARE:
                return finding(
                    name,
                    "fail",
                    detail + ": LoRA-A is effectively frozen, the run trains B only: keep "
                    "trainable parameters in fp32",
                    value=changed,
                    threshold=FROZEN_SHARE,
                    steps=span,
                    unit="share",
                    **numbers,
                )
            if changed < MOVING_SHARE:
                return finding(
                    name,
                    "warn",
                    detail + ": part of LoRA-A does not move",
                    value=changed,
                    threshold=MOVING_SHARE,
                    steps=span,
                    unit="share",
                    **numbers,
                )
            return finding(
                name, "ok", detail, value=changed, threshold=MOVING_SHARE, steps=span, unit="share", **numbers
            )
    status: Status = "fail" if lost >= FROZEN_SHARE else "warn" if lost >= LOST_WARN else "ok"
    return finding(
        name,
        status,
        base + ("" if status == "ok" else ": keep trainable parameters in fp32"),
        value=lost,
        threshold=LOST_WARN,
        steps=0,
        unit="share",
        **numbers,
    )


def lg(x: float) -> str:
    """A learning rate or other small number, compactly."""
    return f"{x:g}"

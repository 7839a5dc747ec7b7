"""Does an lr-sized optimizer step survive rounding in a parameter's dtype? (numpy only, no torch)

An optimizer writes ``w + delta`` back into ``w``'s dtype. When ``|delta|`` is below half the spacing
of representable numbers around ``w`` (half an ulp), the sum rounds back to ``w`` and the step is
lost. AdamW's step is about ``lr`` per entry (``lr * m_hat / sqrt(v_hat)``, with ``|m_hat/sqrt(v_hat)|
<= ~1``), so "an lr-sized step is lost" is the best case: smaller steps are lost even more often.

bfloat16 keeps 8 significant bits: half an ulp at ``|w|`` in ``[2^e, 2^(e+1))`` is ``2^(e-8)``. With
``lr = 3e-6`` every ``|w| >= 2^-10 ~= 9.8e-4`` is frozen, i.e. ~95 % of a LoRA-A matrix initialised
``U(-1/sqrt(2560), 1/sqrt(2560))`` (PEFT's ``kaiming_uniform_(a=sqrt(5))``) never moves.

Rounding is emulated exactly as torch does it on CPU and CUDA for a ``bf16``/``fp16`` tensor plus a
Python float: the sum is computed in float32 (the "opmath" type, the scalar cast to float32) and
rounded to the tensor's dtype with round-to-nearest-even. bfloat16 is the upper 16 bits of a float32,
so its rounding is done on the bit pattern. ``tests/train/test_precision.py`` checks every entry
against torch.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

DTYPES: tuple[str, ...] = ("bfloat16", "float16", "float32")
_ALIASES = {"bf16": "bfloat16", "fp16": "float16", "half": "float16", "fp32": "float32", "float": "float32"}


def canonical_dtype(dtype: str) -> str:
    """``"bfloat16"``, ``"float16"`` or ``"float32"`` for a dtype name (``bf16``, ``torch.bfloat16``, ...)."""
    name = str(dtype).removeprefix("torch.").lower()
    name = _ALIASES.get(name, name)
    if name not in DTYPES:
        raise ValueError(f"unsupported dtype {dtype!r}: use one of {', '.join(DTYPES)}")
    return name


def bfloat16_bits_to_float32(bits: np.ndarray) -> np.ndarray:
    """Raw bfloat16 bit patterns (``uint16``) as float32 values (exact: bf16 is float32's upper half)."""
    return (np.asarray(bits, dtype=np.uint16).astype(np.uint32) << 16).view(np.float32)


def _round_bfloat16(x: np.ndarray) -> np.ndarray:
    """float32 -> nearest bfloat16 (ties to even), returned as float32. NaN stays NaN."""
    bits = x.view(np.uint32).astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000
    out = rounded.astype(np.uint32).view(np.float32)
    return np.where(np.isnan(x), x, out)


def round_to(values: Any, dtype: str) -> np.ndarray:
    """``values`` rounded to ``dtype`` (round-to-nearest-even), as a float32 array.

    Values are first taken as float32 (a parameter's values are float32 or narrower in practice).
    """
    dtype = canonical_dtype(dtype)
    x = np.ascontiguousarray(values, dtype=np.float32)
    if dtype == "bfloat16":
        return _round_bfloat16(x)
    if dtype == "float16":
        with np.errstate(over="ignore"):
            return x.astype(np.float16).astype(np.float32)
    return x


def lost_update_mask(values: Any, lr: float, dtype: str) -> np.ndarray:
    """Per entry: does a step of ``+lr`` and of ``-lr`` both round back to the stored value?

    ``values`` are first rounded to ``dtype`` (what the parameter holds); the step is added in float32
    and the sum rounded to ``dtype``, as torch computes ``param + lr`` for a low-precision tensor.
    """
    if not lr > 0:
        raise ValueError(f"lr must be > 0, got {lr}")
    dtype = canonical_dtype(dtype)
    x = round_to(values, dtype)
    step = np.float32(lr)
    with np.errstate(over="ignore", invalid="ignore"):
        up = round_to(x + step, dtype)
        down = round_to(x - step, dtype)
    return (up == x) & (down == x)


def lost_update_share(values: Any, lr: float, dtype: str) -> float:
    """Share of the finite entries of ``values`` whose lr-sized step is lost in ``dtype`` (0..1).

    Args:
        values: the parameter's entries (any shape; e.g. LoRA-A read from a checkpoint).
        lr: the step size (the learning rate: AdamW's largest typical per-entry step).
        dtype: ``"bfloat16"``, ``"float16"`` or ``"float32"`` (the dtype the optimizer writes into).

    Returns:
        The share of entries for which ``x + lr`` and ``x - lr`` both round back to ``x``.
    """
    x = np.asarray(values, dtype=np.float32).ravel()
    x = x[np.isfinite(x)]
    if x.size == 0:
        raise ValueError("no finite values to test")
    return float(lost_update_mask(x, lr, dtype).mean())


def _positive_grid(dtype: str) -> np.ndarray:
    """Every non-negative finite value of a 16-bit dtype, ascending, as float64."""
    if dtype == "bfloat16":
        grid = bfloat16_bits_to_float32(np.arange(0, 0x7F80, dtype=np.uint16))  # 0x7F80 = +inf
    else:
        grid = np.arange(0, 0x7C00, dtype=np.uint16).view(np.float16).astype(np.float32)  # 0x7C00 = +inf
    return grid.astype(np.float64)


def uniform_init_lost_share(bound: float, lr: float, dtype: str) -> float:
    """Share of a ``U(-bound, bound)`` initialisation, stored in ``dtype``, whose lr-sized step is lost.

    For the 16-bit dtypes the answer is exact: every representable value ``v`` in ``[0, bound]`` is
    weighted by the probability that rounding a uniform draw lands on it (the width of its
    round-to-nearest interval), and tested with ``lost_update_mask``. float32 is analytical, binade by
    binade: a value is lost where half its ulp exceeds ``lr`` (half of them on an exact tie).

    Args:
        bound: half-width of the uniform init, e.g. ``1 / sqrt(fan_in)`` for a PEFT LoRA-A matrix.
        lr: the step size.
        dtype: the parameter's dtype.
    """
    if not bound > 0:
        raise ValueError(f"bound must be > 0, got {bound}")
    if not lr > 0:
        raise ValueError(f"lr must be > 0, got {lr}")
    dtype = canonical_dtype(dtype)
    if dtype == "float32":
        return _float32_uniform_lost_share(bound, lr)
    grid = _positive_grid(dtype)
    if bound >= grid[-1]:
        raise ValueError(f"bound {bound} exceeds the largest finite {dtype}")
    mids = (grid[:-1] + grid[1:]) / 2
    lo = np.concatenate([[0.0], mids])
    hi = np.concatenate([mids, [np.inf]])
    mass = np.clip(np.minimum(hi, bound) - np.minimum(lo, bound), 0.0, None) / bound
    keep = mass > 0
    lost = lost_update_mask(grid[keep], lr, dtype)
    return float(mass[keep][lost].sum())


def _float32_uniform_lost_share(bound: float, lr: float) -> float:
    lost = 0.0
    for e in range(-126, 128):  # normal binades [2^e, 2^(e+1)); subnormals never lose an lr > 1e-38 step
        start = 2.0**e
        if start >= bound:
            break
        half_ulp = 2.0 ** (e - 24)
        frac = 1.0 if lr < half_ulp else 0.5 if lr == half_ulp else 0.0
        lost += frac * (min(2.0 * start, bound) - start)
    return lost / bound


def weighted_share(shares: Iterable[tuple[float, float]]) -> float:
    """Mean of ``(share, weight)`` pairs weighted by ``weight`` (e.g. entries per LoRA matrix)."""
    pairs = list(shares)
    total = sum(w for _, w in pairs)
    if total <= 0:
        raise ValueError("weights must sum to > 0")
    return sum(s * w for s, w in pairs) / total

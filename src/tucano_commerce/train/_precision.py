"""Whether an lr-sized update survives rounding in a parameter's dtype (numpy only, no torch).

An optimizer writes ``x + d`` back into the parameter's own dtype. When ``|d|`` is below half an ulp of
``x`` the sum rounds back to ``x`` and the update is lost. bfloat16 keeps 8 significant bits, so at
lr 3e-6 (Adam's step is ~lr) every entry with ``|x| > ~2^8 lr ~ 7.7e-4`` is frozen; LoRA-A starts
uniform in ±1/sqrt(fan_in) (~±0.02 for fan_in 2,560), so ~96 % of it never trains.
"""

from __future__ import annotations

import numpy as np

DTYPES = ("float32", "bfloat16", "float16")


def round_to(values: np.ndarray, dtype: str) -> np.ndarray:
    """``values`` rounded to ``dtype`` (round to nearest, ties to even) and returned as float64."""
    x = np.asarray(values, dtype=np.float32)
    if dtype == "float32":
        return x.astype(np.float64)
    if dtype == "float16":
        return x.astype(np.float16).astype(np.float64)
    if dtype != "bfloat16":
        raise ValueError(f"dtype must be one of {DTYPES}, got {dtype!r}")
    bits = x.view(np.uint32).astype(np.uint64)
    lsb = (bits >> 16) & 1
    rounded = ((bits + 0x7FFF + lsb) >> 16) << 16  # nearest, ties to even, on the upper 16 bits
    return rounded.astype(np.uint32).view(np.float32).astype(np.float64)


def lost_update_share(values: np.ndarray, lr: float, dtype: str) -> float:
    """Share of entries ``x`` for which both ``x + lr`` and ``x - lr`` round back to ``x`` in ``dtype``."""
    x = round_to(np.asarray(values, dtype=np.float64).ravel(), dtype)
    if x.size == 0:
        return 0.0
    lost = (round_to(x + lr, dtype) == x) & (round_to(x - lr, dtype) == x)
    return float(lost.mean())


def uniform_init_lost_share(bound: float, lr: float, dtype: str, points: int = 200_001) -> float:
    """``lost_update_share`` for weights uniform in (-bound, bound), by dense quadrature (symmetric)."""
    grid = np.linspace(0.0, bound, points)
    return lost_update_share(grid, lr, dtype)

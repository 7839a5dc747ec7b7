"""Small vectorised helpers on top of numpy's Generator, shared by the generators."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np


def hex_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` random 32-char lowercase hex ids, like Olist's (object array)."""
    raw = rng.bytes(16 * n)
    return np.array([raw[i : i + 16].hex() for i in range(0, 16 * n, 16)], dtype=object)


def choice_weighted(
    rng: np.random.Generator, values: Sequence[Any] | np.ndarray, weights: Sequence[float], n: int
) -> np.ndarray:
    """Draw ``n`` values with the given (unnormalised) weights."""
    p = np.asarray(weights, dtype=float)
    idx = rng.choice(len(values), size=n, p=p / p.sum())
    return np.asarray(values, dtype=object)[idx] if not isinstance(values, np.ndarray) else values[idx]


def choice_from_counts(rng: np.random.Generator, counts: Mapping[Any, float], n: int) -> np.ndarray:
    """Draw ``n`` keys of ``counts`` in proportion to their counts."""
    keys = list(counts)
    return choice_weighted(rng, np.array(keys, dtype=object), [counts[k] for k in keys], n)


def lognormal_from_median_mean(rng: np.random.Generator, median: float, mean: float, n: int) -> np.ndarray:
    """Lognormal draws with the given median and mean (mean > median)."""
    sigma = np.sqrt(2.0 * np.log(mean / median))
    return rng.lognormal(np.log(median), sigma, n)

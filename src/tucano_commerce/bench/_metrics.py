"""Report metrics: small pure functions over lists of per-item values.

Everything here guards against empty input (returning None rather than raising or dividing by zero),
treats ``None`` scores as *unscored* (left out, never counted as 0), and is seeded: the same input and
``seed`` give the same interval and p-value on every machine (numpy's PCG64 ``default_rng``).

Statistics for an 80-prompt benchmark follow ``domain-models-judging.md`` §5.3: items are draws from a
population of possible prompts, intervals are percentile bootstraps over items, model comparisons are
*paired* over the items both models scored, and the MEAN over tasks is bootstrapped stratified by task
(items are resampled within their own task, so every resample keeps the benchmark's task mix).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from statistics import NormalDist
from typing import NamedTuple

import numpy as np

from tucano_commerce.bench._results import ItemRecord, PriceModel

DEFAULT_RESAMPLES = 10_000


class PairedTest(NamedTuple):
    """A paired bootstrap comparison of model A against model B (``diff`` = A − B)."""

    diff: float
    """Observed statistic: mean of per-item differences (mean of per-stratum means with strata)."""
    lo: float
    """Lower bound of the percentile bootstrap interval of ``diff``."""
    hi: float
    """Upper bound."""
    p_value: float
    """Two-sided bootstrap p-value (see ``paired_bootstrap``)."""
    n: int
    """Items both models scored."""


def _check_alpha(alpha: float) -> None:
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}; use 0.05 for a 95% interval")


def _scored(values: Iterable[float | None]) -> np.ndarray:
    return np.array([v for v in values if v is not None], dtype=float)


def mean_scored(values: Iterable[float | None]) -> float | None:
    """Mean of the scored values (``None`` = unscored, left out); None when nothing was scored.

    >>> mean_scored([1.0, None, 0.0, 0.5])
    0.5
    """
    arr = _scored(values)
    return float(arr.mean()) if arr.size else None


def _percentile_interval(stats: np.ndarray, alpha: float) -> tuple[float, float]:
    lo, hi = np.quantile(stats, [alpha / 2, 1 - alpha / 2])
    return float(lo), float(hi)


def bootstrap_ci(
    values: Iterable[float | None],
    *,
    n_resamples: int = DEFAULT_RESAMPLES,
    alpha: float = 0.05,
    seed: int = 0,
) -> tuple[float | None, float | None, float | None]:
    """Mean and percentile-bootstrap interval over items.

    Draws ``n_resamples`` samples of the scored values with replacement, each the size of the
    original, and takes the ``alpha/2`` and ``1 - alpha/2`` quantiles (linear interpolation) of their
    means.

    Args:
        values: Per-item scores; ``None`` entries are unscored and ignored.
        n_resamples: Number of bootstrap resamples.
        alpha: 1 − confidence level (0.05 gives a 95% interval).
        seed: Seed of the resampling generator.

    Returns:
        ``(mean, lo, hi)``; ``(None, None, None)`` with no scored value, and ``(v, v, v)`` with one
        (a single item gives no information about spread; the report shows its n).
    """
    _check_alpha(alpha)
    arr = _scored(values)
    if arr.size == 0:
        return None, None, None
    mean = float(arr.mean())
    if arr.size == 1:
        return mean, mean, mean
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, arr.size, size=(n_resamples, arr.size))
    lo, hi = _percentile_interval(arr[idx].mean(axis=1), alpha)
    return mean, lo, hi


def _stratified_means(strata: Sequence[np.ndarray], n_resamples: int, seed: int) -> np.ndarray:
    """Bootstrap distribution of the mean of stratum means, resampling within each stratum."""
    rng = np.random.default_rng(seed)
    per_stratum = np.empty((n_resamples, len(strata)))
    for j, arr in enumerate(strata):
        idx = rng.integers(0, arr.size, size=(n_resamples, arr.size))
        per_stratum[:, j] = arr[idx].mean(axis=1)
    return per_stratum.mean(axis=1)


def stratified_bootstrap_ci(
    strata: Iterable[Iterable[float | None]],
    *,
    n_resamples: int = DEFAULT_RESAMPLES,
    alpha: float = 0.05,
    seed: int = 0,
) -> tuple[float | None, float | None, float | None]:
    """Mean of stratum means (the report's MEAN over tasks) with a stratified percentile bootstrap.

    Each resample redraws every stratum's scored items with replacement, at that stratum's size, and
    averages the stratum means with equal weight — so a task with 20 items weighs as much as one with
    15, as in the headline MEAN. Strata without a scored item are left out.

    Args:
        strata: One list of per-item scores per stratum (task); ``None`` = unscored.
        n_resamples: Number of bootstrap resamples.
        alpha: 1 − confidence level.
        seed: Seed of the resampling generator.

    Returns:
        ``(mean_of_means, lo, hi)``, or ``(None, None, None)`` when no stratum has a scored item.
    """
    _check_alpha(alpha)
    arrays = [a for a in (_scored(s) for s in strata) if a.size]
    if not arrays:
        return None, None, None
    mean = float(np.mean([a.mean() for a in arrays]))
    if all(a.size == 1 for a in arrays):
        return mean, mean, mean
    lo, hi = _percentile_interval(_stratified_means(arrays, n_resamples, seed), alpha)
    return mean, lo, hi


def _bootstrap_p_value(stats: np.ndarray) -> float:
    """Two-sided p-value of "statistic = 0" from its bootstrap distribution (see ``paired_bootstrap``)."""
    b = stats.size
    below = (np.count_nonzero(stats <= 0) + 1) / (b + 1)
    above = (np.count_nonzero(stats >= 0) + 1) / (b + 1)
    return float(min(1.0, 2 * min(below, above)))


def paired_bootstrap(
    a_by_id: Mapping[str, float | None],
    b_by_id: Mapping[str, float | None],
    *,
    strata: Mapping[str, str] | None = None,
    n_resamples: int = DEFAULT_RESAMPLES,
    alpha: float = 0.05,
    seed: int = 0,
) -> PairedTest | None:
    """Paired bootstrap of model A minus model B over the items both scored (Koehn 2004).

    The per-item differences ``d_i = a_i - b_i`` are taken over ids present and not ``None`` in both
    maps. Each resample draws the items with replacement (within their stratum when ``strata`` is
    given) and recomputes the statistic: the mean difference, or with strata the mean over strata of
    the per-stratum mean difference (the paired version of the MEAN over tasks).

    The two-sided p-value inverts the percentile interval: with ``B`` resamples ``d*``,
    ``p = min(1, 2 * min((#{d* <= 0} + 1) / (B + 1), (#{d* >= 0} + 1) / (B + 1)))`` — twice the share
    of resampled differences on the far side of 0 (ties with 0 count on both sides), with the +1
    correction so that p is never 0 (its floor is ``2 / (B + 1)``). Identical models give ``d* = 0``
    everywhere and p = 1. p < alpha agrees with the ``1 - alpha`` interval excluding 0 (up to
    quantile interpolation). When every stratum holds a single item there is nothing to resample and
    p is set to 1 (no evidence either way). Like any bootstrap, the test is optimistic for very small
    n (a handful of items that all differ the same way already give a small p): read p with its n.

    Args:
        a_by_id: Item id → model A's score (``None`` = unscored).
        b_by_id: Item id → model B's score.
        strata: Optional item id → stratum (task) for a stratified resample.
        n_resamples: Number of bootstrap resamples.
        alpha: 1 − confidence level of the interval.
        seed: Seed of the resampling generator.

    Returns:
        ``PairedTest(diff, lo, hi, p_value, n)``, or None when no item was scored by both.
    """
    _check_alpha(alpha)
    groups: dict[str, list[float]] = {}
    for i in sorted(a_by_id.keys() & b_by_id.keys()):
        a, b = a_by_id[i], b_by_id[i]
        if a is not None and b is not None:
            groups.setdefault(strata.get(i, "") if strata else "", []).append(float(a) - float(b))
    if not groups:
        return None
    n = sum(map(len, groups.values()))
    arrays = [np.array(g) for g in groups.values()]
    diff = float(np.mean([a.mean() for a in arrays]))
    if all(a.size == 1 for a in arrays):
        return PairedTest(diff, diff, diff, 1.0, n)  # nothing to resample: no evidence either way
    stats = _stratified_means(arrays, n_resamples, seed)
    lo, hi = _percentile_interval(stats, alpha)
    return PairedTest(diff, lo, hi, _bootstrap_p_value(stats), n)


def holm(p_values: Sequence[float | None]) -> list[float | None]:
    """Holm–Bonferroni adjusted p-values (family = the non-None entries), same order as given.

    >>> holm([0.015625, 0.25, None, 0.125])
    [0.046875, 0.25, None, 0.25]
    """
    present = sorted((p, k) for k, p in enumerate(p_values) if p is not None)
    m = len(present)
    out: list[float | None] = [None] * len(p_values)
    running = 0.0
    for rank, (p, k) in enumerate(present):
        running = max(running, min(1.0, (m - rank) * p))
        out[k] = running
    return out


def min_detectable_difference(lo: float, hi: float, *, alpha: float = 0.05, power: float = 0.8) -> float:
    """Smallest true difference a test with this interval detects with probability ``power``.

    Reads the standard error off the interval width (``se = (hi - lo) / (2 z_{1-alpha/2})``, the
    normal approximation) and returns ``(z_{1-alpha/2} + z_power) * se`` — about 0.71 × the width of
    a 95% interval at 80% power. A rough guide for "no significant difference" sentences, not a
    power analysis.
    """
    _check_alpha(alpha)
    z = NormalDist()
    z_a = z.inv_cdf(1 - alpha / 2)
    return (z_a + z.inv_cdf(power)) * (hi - lo) / (2 * z_a)


def _pairs(probabilities: Sequence[float], outcomes: Sequence[bool | int]) -> tuple[np.ndarray, np.ndarray]:
    if len(probabilities) != len(outcomes):
        raise ValueError(
            f"{len(probabilities)} probabilities but {len(outcomes)} outcomes; pass one outcome per prediction"
        )
    return np.asarray(probabilities, dtype=float), np.asarray(outcomes, dtype=bool)


def auc(probabilities: Sequence[float], outcomes: Sequence[bool | int]) -> float | None:
    """ROC-AUC as the Mann–Whitney statistic: P(p_pos > p_neg), ties counted 0.5.

    Args:
        probabilities: Predicted probabilities of the positive class (churn).
        outcomes: Realised outcomes (True/1 = churned), aligned with ``probabilities``.

    Returns:
        The AUC in [0, 1], or None when one class is absent (no positive–negative pair exists).

    >>> auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])
    0.75
    """
    p, y = _pairs(probabilities, outcomes)
    pos, neg = p[y], p[~y]
    if pos.size == 0 or neg.size == 0:
        return None
    wins = np.count_nonzero(pos[:, None] > neg[None, :])
    ties = np.count_nonzero(pos[:, None] == neg[None, :])
    return float((wins + 0.5 * ties) / (pos.size * neg.size))


def brier(probabilities: Sequence[float], outcomes: Sequence[bool | int]) -> float | None:
    """Brier score, mean of ``(p - y)^2`` (lower is better); None on empty input.

    >>> brier([1.0, 0.5], [1, 0])
    0.125
    """
    p, y = _pairs(probabilities, outcomes)
    if p.size == 0:
        return None
    return float(np.mean((p - y) ** 2))


def percentile(values: Iterable[float], q: float) -> float | None:
    """The ``q``-th percentile (0–100) with linear interpolation between order statistics.

    >>> percentile([1.0, 2.0, 3.0, 4.0], 50)
    2.5
    """
    if not 0 <= q <= 100:
        raise ValueError(f"q must be in [0, 100], got {q}")
    arr = np.asarray(list(values), dtype=float)
    return float(np.percentile(arr, q)) if arr.size else None


def cost_per_query(record: ItemRecord, price: PriceModel | None) -> float | None:
    """USD cost of one item's request under a price model; None when it cannot be known.

    * ``api``: ``input_tokens * input_per_1m / 1e6 + output_tokens * output_per_1m / 1e6``; None when
      a token count or a price is missing.
    * ``gpu_hour``: ``amortized_s * usd_per_hour / 3600`` — the item's share of the serving GPU's
      time (latency divided by batch size); None without a price or a positive ``amortized_s``.
    * No price model, or another ``kind``: None.
    """
    if price is None:
        return None
    if price.kind == "api":
        n_in, n_out = record.tokens.get("input"), record.tokens.get("output")
        if n_in is None or n_out is None or price.input_per_1m is None or price.output_per_1m is None:
            return None
        return (n_in * price.input_per_1m + n_out * price.output_per_1m) / 1e6
    if price.kind == "gpu_hour":
        if price.usd_per_hour is None or record.amortized_s <= 0:
            return None
        return record.amortized_s * price.usd_per_hour / 3600
    return None


def throughput(output_tokens: Sequence[int | None], amortized_s: Sequence[float]) -> float | None:
    """Output tokens per second of hardware wall time: ``sum(tokens) / sum(amortized_s)``.

    ``amortized_s`` is each item's share of the wall time (latency / batch size), so the sum is the
    time the hardware spent and the ratio is the aggregate generation rate at the run's concurrency.
    Items without a token count or with a non-positive time are left out; None when none remain.

    >>> throughput([100, None, 50], [2.0, 1.0, 1.0])
    50.0
    """
    if len(output_tokens) != len(amortized_s):
        raise ValueError(f"{len(output_tokens)} token counts but {len(amortized_s)} times")
    pairs = [(t, s) for t, s in zip(output_tokens, amortized_s, strict=True) if t is not None and s > 0]
    if not pairs:
        return None
    tokens, seconds = np.array(pairs, dtype=float).T
    return float(tokens.sum() / seconds.sum())

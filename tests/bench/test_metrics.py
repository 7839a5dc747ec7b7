"""Report metrics: means, bootstrap intervals, paired tests, AUC, Brier, percentiles, cost, throughput.

Run: .venv/bin/python -m pytest tests/bench/test_metrics.py
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tucano_commerce.bench._metrics import (
    auc,
    bootstrap_ci,
    brier,
    cost_per_query,
    holm,
    mean_scored,
    min_detectable_difference,
    paired_bootstrap,
    percentile,
    stratified_bootstrap_ci,
    throughput,
)
from tucano_commerce.bench._results import ItemRecord, PriceModel
from tucano_commerce.scoring._types import ItemScore

B = 2_000  # resamples in these tests: enough for the properties, fast


# --- mean_scored --------------------------------------------------------------------------------------


def test_mean_scored_ignores_unscored_and_guards_empty() -> None:
    assert mean_scored([1.0, None, 0.0, 0.5]) == 0.5
    assert mean_scored([]) is None
    assert mean_scored([None, None]) is None
    assert mean_scored(x for x in [0.25, 0.75]) == 0.5


# --- bootstrap_ci -------------------------------------------------------------------------------------


def test_bootstrap_small_inputs() -> None:
    assert bootstrap_ci([]) == (None, None, None)
    assert bootstrap_ci([None]) == (None, None, None)
    assert bootstrap_ci([0.7, None]) == (0.7, 0.7, 0.7)


def test_bootstrap_degenerate_when_all_equal() -> None:
    mean, lo, hi = bootstrap_ci([0.5] * 12, n_resamples=B)
    assert mean == lo == hi == pytest.approx(0.5)


def test_bootstrap_contains_mean_and_is_seeded() -> None:
    values = [0.0, 1.0, 0.93, 0.5, 0.21, 0.88, 0.07, 0.75, 0.33, 0.61]
    mean, lo, hi = bootstrap_ci(values, n_resamples=B, seed=3)
    assert mean == pytest.approx(sum(values) / len(values))
    assert lo < mean < hi
    assert bootstrap_ci(values, n_resamples=B, seed=3) == (mean, lo, hi)
    assert bootstrap_ci(values, n_resamples=B, seed=4) != (mean, lo, hi)


def test_bootstrap_narrows_with_n_and_with_confidence() -> None:
    small = [0.0, 1.0, 0.93, 0.5, 0.21, 0.88, 0.07, 0.75, 0.33, 0.61]
    _, lo_s, hi_s = bootstrap_ci(small, n_resamples=B)
    _, lo_l, hi_l = bootstrap_ci(small * 10, n_resamples=B)
    assert hi_l - lo_l < (hi_s - lo_s) / 2  # width ~ 1/sqrt(n): 10x the items, ~3x narrower
    _, lo_90, hi_90 = bootstrap_ci(small, n_resamples=B, alpha=0.10)
    assert hi_90 - lo_90 < hi_s - lo_s


def test_bootstrap_rejects_bad_alpha() -> None:
    with pytest.raises(ValueError, match="alpha"):
        bootstrap_ci([1.0, 0.0], alpha=1.5)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=2, max_size=30))
def test_bootstrap_interval_brackets_the_mean(values: list[float]) -> None:
    mean, lo, hi = bootstrap_ci(values, n_resamples=500)
    assert lo is not None and hi is not None and mean is not None
    assert lo - 1e-12 <= mean <= hi + 1e-12
    assert min(values) - 1e-12 <= lo and hi <= max(values) + 1e-12


# --- stratified_bootstrap_ci --------------------------------------------------------------------------


def test_stratified_mean_is_mean_of_stratum_means() -> None:
    strata = [[1.0, 1.0, 1.0, 0.0], [0.0, 0.5], [None, None]]  # the empty stratum drops out
    mean, lo, hi = stratified_bootstrap_ci(strata, n_resamples=B)
    assert mean == pytest.approx((0.75 + 0.25) / 2)
    assert lo < mean < hi
    assert stratified_bootstrap_ci([[None]]) == (None, None, None)
    assert stratified_bootstrap_ci([[0.2], [0.4]]) == pytest.approx((0.3, 0.3, 0.3))


# --- paired_bootstrap ---------------------------------------------------------------------------------


def test_paired_identical_models_give_p_one() -> None:
    a = {f"i{k}": k / 10 for k in range(10)}
    test = paired_bootstrap(a, dict(a), n_resamples=B)
    assert test is not None
    assert (test.diff, test.lo, test.hi, test.p_value, test.n) == (0.0, 0.0, 0.0, 1.0, 10)


def test_paired_obvious_difference_gives_floor_p() -> None:
    a = {f"i{k}": 1.0 for k in range(20)}
    b = {f"i{k}": 0.0 for k in range(20)}
    test = paired_bootstrap(a, b, n_resamples=B)
    assert test is not None
    assert test.diff == 1.0 and test.p_value == pytest.approx(2 / (B + 1))
    reverse = paired_bootstrap(b, a, n_resamples=B)
    assert reverse is not None and reverse.diff == -1.0 and reverse.p_value == test.p_value


def test_paired_noisy_difference_is_consistent_with_its_interval() -> None:
    a = {f"i{k}": float(k % 2) for k in range(30)}
    b = {f"i{k}": float(k % 3 == 0) for k in range(30)}  # means 0.5 vs 0.333
    test = paired_bootstrap(a, b, n_resamples=B, seed=1)
    assert test is not None
    assert test.diff == pytest.approx(0.5 - 1 / 3)
    assert test.lo < test.diff < test.hi
    assert (test.p_value < 0.05) == (test.lo > 0 or test.hi < 0)


def test_paired_uses_only_items_both_scored() -> None:
    a = {"x": 1.0, "y": None, "z": 0.0, "only_a": 1.0}
    b = {"x": 0.5, "y": 1.0, "z": 0.5}
    test = paired_bootstrap(a, b, n_resamples=B)
    assert test is not None and test.n == 2 and test.diff == pytest.approx(0.0)
    assert paired_bootstrap({"x": None}, {"x": 1.0}) is None
    assert paired_bootstrap({}, {}) is None
    single = paired_bootstrap({"x": 1.0}, {"x": 0.0})
    assert single is not None and single.p_value == 1.0  # nothing to resample: no evidence


def test_paired_strata_average_per_stratum_differences() -> None:
    a = {"s1": 1.0, "s2": 1.0, "s3": 1.0, "t1": 0.0}
    b = {"s1": 0.0, "s2": 0.0, "s3": 0.0, "t1": 0.0}
    strata = {"s1": "sql", "s2": "sql", "s3": "sql", "t1": "churn"}
    test = paired_bootstrap(a, b, strata=strata, n_resamples=B)
    assert test is not None
    assert test.diff == pytest.approx(0.5)  # (1.0 + 0.0) / 2, not 3/4
    assert test.lo == pytest.approx(0.5) and test.hi == pytest.approx(0.5)


def test_holm_and_mdd() -> None:
    assert holm([0.015625, 0.25, None, 0.125]) == [0.046875, 0.25, None, 0.25]
    assert holm([]) == []
    assert min_detectable_difference(-0.1, 0.1) == pytest.approx(
        (1.959964 + 0.841621) * 0.1 / 1.959964, rel=1e-5
    )


# --- AUC and Brier ------------------------------------------------------------------------------------


def test_auc_known_cases() -> None:
    assert auc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1]) == 1.0
    assert auc([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1]) == 0.0
    assert auc([0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1]) == 0.5
    assert auc([0.1, 0.4, 0.35, 0.8], [False, False, True, True]) == 0.75
    # one tie between a positive and a negative: (3 wins + 0.5) / 4 pairs
    assert auc([0.2, 0.5, 0.5, 0.9], [0, 0, 1, 1]) == pytest.approx(3.5 / 4)


def test_auc_single_class_and_mismatch() -> None:
    assert auc([0.2, 0.9], [1, 1]) is None
    assert auc([0.2, 0.9], [0, 0]) is None
    assert auc([], []) is None
    with pytest.raises(ValueError, match="outcome"):
        auc([0.1, 0.2], [1])


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from([0.0, 0.1, 0.5, 0.9, 1.0]), st.booleans()), min_size=1, max_size=20)
)
def test_auc_matches_pairwise_count(pairs: list[tuple[float, bool]]) -> None:
    ps, ys = [p for p, _ in pairs], [y for _, y in pairs]
    pos = [p for p, y in pairs if y]
    neg = [p for p, y in pairs if not y]
    got = auc(ps, ys)
    if not pos or not neg:
        assert got is None
        return
    expected = sum(1.0 if x > z else 0.5 if x == z else 0.0 for x in pos for z in neg) / (len(pos) * len(neg))
    assert got == pytest.approx(expected)
    assert auc(ps, [not y for y in ys]) == pytest.approx(1 - expected)


def test_brier_by_hand() -> None:
    assert brier([0.8, 0.3], [1, 0]) == pytest.approx((0.2**2 + 0.3**2) / 2)
    assert brier([1.0, 0.0], [True, False]) == 0.0
    assert brier([0.0], [1]) == 1.0
    assert brier([], []) is None


# --- percentile ---------------------------------------------------------------------------------------


def test_percentile_linear_interpolation() -> None:
    values = [4.0, 1.0, 3.0, 2.0]
    assert percentile(values, 50) == 2.5
    assert percentile(values, 95) == pytest.approx(1 + 0.95 * 3)  # rank 2.85 -> 3 + 0.85 * 1
    assert percentile(values, 0) == 1.0 and percentile(values, 100) == 4.0
    assert percentile([7.0], 95) == 7.0
    assert percentile([], 50) is None
    with pytest.raises(ValueError):
        percentile(values, 101)


# --- cost and throughput ------------------------------------------------------------------------------


def record(tokens: dict[str, int | None], amortized_s: float = 0.0) -> ItemRecord:
    return ItemRecord(
        id="x", task="sql", difficulty="simple", response="", scores=ItemScore(mean=1.0),
        tokens=tokens, latency_s=amortized_s, amortized_s=amortized_s,
    )  # fmt: skip


def test_cost_api() -> None:
    gpt4o = PriceModel(kind="api", input_per_1m=2.5, output_per_1m=10.0)
    assert cost_per_query(record({"input": 700, "output": 250}), gpt4o) == pytest.approx(0.00425)
    assert cost_per_query(record({"input": 700, "output": None}), gpt4o) is None
    assert cost_per_query(record({}), gpt4o) is None
    assert cost_per_query(record({"input": 1, "output": 1}), PriceModel(kind="api", input_per_1m=1.0)) is None


def test_cost_gpu_hour() -> None:
    l4 = PriceModel(kind="gpu_hour", usd_per_hour=0.8)
    assert cost_per_query(record({}, amortized_s=7.4), l4) == pytest.approx(7.4 * 0.8 / 3600)
    assert cost_per_query(record({}, amortized_s=0.0), l4) is None  # no measured time
    assert cost_per_query(record({}, amortized_s=1.0), PriceModel(kind="gpu_hour")) is None


def test_cost_unknown_price() -> None:
    assert cost_per_query(record({"input": 1, "output": 1}, 1.0), None) is None
    assert cost_per_query(record({"input": 1, "output": 1}, 1.0), PriceModel(kind="barter")) is None


def test_throughput_by_hand() -> None:
    assert throughput([100, 300], [1.0, 3.0]) == 100.0
    assert throughput([100, None, 50], [2.0, 1.0, 1.0]) == 50.0
    assert throughput([100], [0.0]) is None
    assert throughput([], []) is None
    with pytest.raises(ValueError):
        throughput([1], [])


def test_no_nan_anywhere() -> None:
    for value in (
        bootstrap_ci([0.1, 0.9], n_resamples=50),
        stratified_bootstrap_ci([[0.1, 0.9]], n_resamples=50),
    ):
        assert not any(v is not None and math.isnan(v) for v in value)

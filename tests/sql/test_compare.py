"""The result comparator and cell normalisation (``tucano_commerce.sql.compare_results``) on Python values.

Run: ``PYTHONPATH=src pytest tests/sql/test_compare.py``
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from datetime import time as dtime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tucano_commerce.sql import compare_results, normalize_value


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        (float("nan"), None),
        (Decimal("NaN"), None),
        (True, 1),
        (False, 0),
        (5, 5),
        (5.0, 5),
        (Decimal("5.00"), 5),
        (-0.0, 0),
        (2.5, 2.5),
        (Decimal("2.50"), Decimal("2.5")),  # DECIMAL stays exact (issue 11; was float 2.5)
        (2.0**60, 2.0**60),  # beyond 2**53 a float is not an exact integer: stays float
        (float("inf"), float("inf")),
        (date(2017, 1, 5), "2017-01-05"),
        (datetime(2017, 1, 5), "2017-01-05"),
        (datetime(2017, 1, 5, 10, 30), "2017-01-05 10:30:00"),
        (datetime(2017, 1, 5, 10, 30, 0, 250), "2017-01-05 10:30:00.000250"),
        (datetime(2017, 1, 5, 12, 30, tzinfo=timezone(timedelta(hours=-3))), "2017-01-05 15:30:00"),
        (datetime(2017, 1, 5, 3, 0, tzinfo=timezone(timedelta(hours=3))), "2017-01-05"),
        ("2017-01-05", "2017-01-05"),
        ("2017-01-05 00:00:00", "2017-01-05"),
        ("2017-01-05T10:30:00", "2017-01-05 10:30:00"),
        ("2017-01-05T13:30:00Z", "2017-01-05 13:30:00"),
        ("2017-13-45", "2017-13-45"),  # not a date: kept as text
        ("  São Paulo ", "São Paulo"),
        ("Sa\u0303o Paulo", "São Paulo"),  # decomposed ã becomes NFC
        ("SP", "SP"),
        ("sp", "sp"),  # case-sensitive
        ("01151", "01151"),  # zip prefixes stay text
        (timedelta(days=3), 3),
        (timedelta(days=1, hours=12), 1.5),
        (dtime(10, 30), "10:30:00"),
        ([1, 2.0, None], (1, 2, None)),
        ((Decimal("1.5"), "x"), (1.5, "x")),
        ({"b": 1, "a": [1, 2.0]}, '{"a": [1, 2], "b": 1}'),
        (b"\x00\xff", "00ff"),
        (uuid.UUID(int=1), "00000000-0000-0000-0000-000000000001"),
    ],
)
def test_normalize_value(value: object, expected: object) -> None:
    assert normalize_value(value) == expected
    assert type(normalize_value(value)) is type(expected)


def test_midnight_timestamp_with_tz_is_converted_to_utc_first() -> None:
    assert normalize_value(datetime(2017, 1, 5, 0, 0, tzinfo=UTC)) == "2017-01-05"


def test_equal_multiset_columns_are_disambiguated_by_rows() -> None:
    gold = [(1, 2), (2, 3), (3, 1)]  # both columns hold {1, 2, 3}
    swapped = [(b, a) for a, b in gold]
    assert compare_results(gold, swapped).ex
    assert compare_results(gold, swapped).column_map == (1, 0)
    scrambled = [
        (1, 1),
        (2, 2),
        (3, 3),
    ]  # same column multisets, other row facts (Spider 2.0's false positive)
    assert not compare_results(gold, scrambled).ex


def test_wide_results_use_the_assignment_solver() -> None:
    rng = random.Random(3)
    gold = [tuple(rng.randint(0, 1000) for _ in range(12)) for _ in range(50)]
    permutation = list(range(12))
    rng.shuffle(permutation)
    pred = [tuple(row[k] for k in permutation) for row in gold]
    rng.shuffle(pred)
    result = compare_results(gold, pred)
    assert result.ex and sorted(result.column_map) == list(range(12))  # type: ignore[type-var]


def test_select_star_on_a_wide_table_finds_the_two_columns() -> None:
    # Its cost (no factorial search over 40 columns) is measured by benchmarks/sql_scoring.py.
    gold = [(f"s{i % 5}", i) for i in range(300)]
    pred = [tuple(f"c{j}_{i % 7}" for j in range(38)) + (f"s{i % 5}", i) for i in range(300)]
    result = compare_results(gold, pred)
    assert result.column_map == (38, 39) and not result.ex and not result.ex_lenient
    assert result.partial == pytest.approx(2 * (2 / 40) / (2 / 40 + 1))


def test_tolerant_matching_pairs_noisy_duplicates() -> None:
    gold = [("a", 0.1 * i) for i in range(200)] * 2
    pred = [("a", 0.1 * i * (1 + 1e-9)) for i in range(200)] * 2
    random.Random(0).shuffle(pred)
    result = compare_results(gold, pred)
    assert result.ex and result.n_matched_rows == 400


def test_tie_groups_with_explicit_keys() -> None:
    gold = [("SP", 3), ("RJ", 2), ("MG", 2), ("BA", 1)]
    pred = [("SP", 3), ("MG", 2), ("RJ", 2), ("BA", 1)]
    assert compare_results(gold, pred, order_matters=True, order_key_cols=[1]).ex
    assert not compare_results(gold, pred, order_matters=True, order_key_cols=None).ex
    assert not compare_results(gold, pred[::-1], order_matters=True, order_key_cols=[1]).ex


def test_set_semantics_option() -> None:
    assert compare_results([("a",), ("a",), ("b",)], [("b",), ("a",)], duplicates="set").ex
    assert not compare_results([("a",), ("a",), ("b",)], [("b",), ("a",)]).ex


def test_empty_results() -> None:
    assert compare_results([], [], gold_width=2, pred_width=2).ex
    # issue 11: two empty results of different widths are not equal (was: equal); lenient allows extra columns
    wider = compare_results([], [], gold_width=2, pred_width=3)
    assert not wider.ex and wider.ex_lenient and wider.partial == 0
    assert not compare_results([], [], gold_width=3, pred_width=2).ex_lenient
    assert compare_results([(1,)], [], pred_width=1).partial == 0


def test_round_tolerance_is_half_a_unit_around_the_unrounded_gold() -> None:
    gold, unrounded = [("SP", 20.80), ("RJ", 3.14)], [("SP", 20.8046), ("RJ", 3.1449)]

    def ex(pred: list[tuple[object, ...]], **kw: object) -> bool:
        return compare_results(gold, pred, round_to={1: 2}, **kw).ex  # type: ignore[arg-type]

    assert ex([("SP", 20.8046), ("RJ", 3.1449)], unrounded_rows=unrounded)  # not rounded at all
    assert ex([("SP", 20.805), ("RJ", 3.145)], unrounded_rows=unrounded)  # three decimals
    assert not ex([("SP", 20.81), ("RJ", 3.14)], unrounded_rows=unrounded)
    assert not ex([("SP", 20.79), ("RJ", 3.14)], unrounded_rows=unrounded)
    assert not ex([("SP", 20.81), ("RJ", 3.14)])  # half a unit around the rounded value too
    assert ex([("SP", Decimal("20.80")), ("RJ", Decimal("3.14"))], unrounded_rows=unrounded)
    tie = [("SP", Decimal("20.805")), ("RJ", 3.14)]  # x exactly halfway: both roundings are right
    assert ex([("SP", Decimal("20.81")), ("RJ", 3.14)], unrounded_rows=tie)
    assert ex([("SP", Decimal("20.80")), ("RJ", 3.14)], unrounded_rows=tie)
    assert not ex([("SP", Decimal("20.82")), ("RJ", 3.14)], unrounded_rows=tie)


def test_exact_numbers_compare_exactly_floats_within_float_noise() -> None:
    total = [(Decimal("1387057.32"),)]
    assert compare_results(total, [(Decimal("1387057.320"),)]).ex
    assert not compare_results(total, [(Decimal("1387056.45"),)]).ex  # R$0.87 short: rel 6e-7
    assert not compare_results(total, [(1387057,)]).ex  # rounded to whole reais nobody asked for
    assert compare_results(total, [(1387057.32 * (1 + 4e-16),)]).ex  # a float sum's noise
    assert not compare_results(total, [(1387057.32 * (1 + 1e-8),)]).ex
    assert compare_results([(0.0,)], [(2.3e-10,)]).ex  # cancellation noise near zero (ABS_TOL)
    assert not compare_results([(1,)], [(Decimal("1.000000000001"),)]).ex


cells = st.one_of(
    st.none(),
    st.integers(-5, 5),
    st.floats(allow_nan=True, allow_infinity=False, width=32),
    st.sampled_from(["a", "b", "São", "2017-01-05"]),
    st.dates(min_value=date(2016, 1, 1), max_value=date(2018, 12, 31)),
    st.decimals(min_value=-10, max_value=10, places=2, allow_nan=False),
)


@st.composite
def results(draw: st.DrawFn) -> list[tuple[object, ...]]:
    width = draw(st.integers(1, 4))
    return draw(st.lists(st.tuples(*[cells] * width), min_size=1, max_size=8))


@settings(max_examples=200, deadline=None)
@given(rows=results(), seed=st.integers(0, 2**32 - 1))
def test_shuffled_permuted_copy_always_matches(rows: list[tuple[object, ...]], seed: int) -> None:
    rng = random.Random(seed)
    permutation = list(range(len(rows[0])))
    rng.shuffle(permutation)
    copy = [tuple(row[k] for k in permutation) for row in rows]
    rng.shuffle(copy)
    result = compare_results(rows, copy)
    assert result.ex and result.ex_lenient and result.partial == 1.0

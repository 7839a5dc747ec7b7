"""Execution accuracy: ``score_sql`` end to end on a real DuckDB file (the comparator itself: tests/sql/test_compare.py).

Run: ``PYTHONPATH=src pytest tests/scoring/test_sql.py``
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tucano_commerce.scoring import score_sql
from tucano_commerce.scoring._sql import STATUSES, clear_gold_cache
from tucano_commerce.sql import GoldQueryError, describe_query, release_databases

NAMES = "SELECT name FROM customers"
ROUND_2080 = "SELECT ROUND(x, 2) AS valor FROM (SELECT 20.8046::DOUBLE AS x)"  # 20.80 before: 20.8046
SUM_1387057 = "SELECT SUM(v) AS total FROM (VALUES (1387000.00::DECIMAL(10, 2)), (57.32)) t(v)"  # DECIMAL

# id -> (gold SQL, predicted SQL, expected ex, expected ex_lenient, expected partial)
CASES: dict[str, tuple[str, str, float, float, float]] = {
    # row order
    "no_order_by_order_irrelevant": (NAMES, f"{NAMES} ORDER BY name DESC", 1, 1, 1),
    "top_level_order_by_matters": (f"{NAMES} ORDER BY name", f"{NAMES} ORDER BY name DESC", 0, 0, 1 / 6),
    "top_level_order_by_respected": (f"{NAMES} ORDER BY name", f"{NAMES} ORDER BY 1", 1, 1, 1),
    "order_by_in_subquery_ignored": (
        "SELECT name FROM (SELECT name FROM customers ORDER BY name LIMIT 10) s",
        f"{NAMES} ORDER BY name DESC",
        1,
        1,
        1,
    ),
    "order_by_in_cte_ignored": (
        "WITH s AS (SELECT name FROM customers ORDER BY name) SELECT name FROM s",
        f"{NAMES} ORDER BY name DESC",
        1,
        1,
        1,
    ),
    "order_by_in_window_ignored": (
        "SELECT name, row_number() OVER (ORDER BY name) AS rn FROM customers",
        "SELECT row_number() OVER (ORDER BY name) AS n, name FROM customers ORDER BY name DESC",
        1,
        1,
        1,
    ),
    "limit_1_single_row_order_irrelevant": (
        "SELECT name, age FROM customers ORDER BY age DESC LIMIT 1",
        "SELECT name, MAX(age) FROM customers WHERE age > 50 GROUP BY name",
        1,
        1,
        1,
    ),
    "ties_in_order_key_compared_as_bags": (
        "SELECT state, name FROM customers ORDER BY state",
        "SELECT state, name FROM customers ORDER BY state, name DESC",
        1,
        1,
        1,
    ),
    "ties_but_groups_out_of_order": (
        "SELECT state, name FROM customers ORDER BY state",
        "SELECT state, name FROM customers ORDER BY state DESC, name",
        0,
        0,
        0.5,  # tie-group ranks 2,2,2,1,1,0: longest non-decreasing run 3 of 6
    ),
    "ties_via_alias_and_position_keys": (
        "SELECT state AS uf, COUNT(*) AS n FROM customers GROUP BY 1 ORDER BY n DESC",
        "SELECT COUNT(*), state FROM customers GROUP BY state ORDER BY 1 DESC, 2 DESC",
        1,
        1,
        1,
    ),
    # duplicates and columns
    "duplicates_count_bag_vs_distinct": (
        "SELECT state FROM customers",
        "SELECT DISTINCT state FROM customers",
        0,
        0,
        2 / 3,
    ),
    "column_order_swapped": (
        "SELECT name, state FROM customers",
        "SELECT state, name FROM customers",
        1,
        1,
        1,
    ),
    "aliases_ignored": (
        "SELECT state AS uf, COUNT(*) AS total FROM customers GROUP BY 1",
        "SELECT state, COUNT(*) AS qtd FROM customers GROUP BY state",
        1,
        1,
        1,
    ),
    "extra_column": (
        "SELECT name, state FROM customers",
        "SELECT name, state, age FROM customers",
        0,
        1,
        0.8,
    ),
    "select_star_not_lenient": ("SELECT order_id FROM orders", "SELECT * FROM orders", 0, 0, 2 / 7),
    "missing_column": ("SELECT name, state FROM customers", NAMES, 0, 0, 2 / 3),
    # numbers
    "count_vs_sum_of_decimal_one": (
        "SELECT state, COUNT(*) AS n FROM customers GROUP BY state",
        "SELECT state, SUM(1.0) FROM customers GROUP BY state",
        1,
        1,
        1,
    ),
    "int_vs_double_quotient": (
        "SELECT COUNT(*) FROM orders",
        "SELECT SUM(price) / AVG(price) FROM orders",
        1,
        1,
        1,
    ),
    "decimal_vs_double": ("SELECT SUM(price) FROM orders", "SELECT SUM(price::DOUBLE) FROM orders", 1, 1, 1),
    "float_noise_passes": ("SELECT 0.3::DOUBLE AS x", "SELECT 0.1::DOUBLE + 0.2::DOUBLE AS y", 1, 1, 1),
    "real_difference_fails": ("SELECT 15.16::DOUBLE", "SELECT 15.18::DOUBLE", 0, 0, 0),
    "round_gold_unrounded_pred": (
        "SELECT c.state, ROUND(AVG(o.price), 2) AS avg_price "
        "FROM orders o JOIN customers c USING (customer_id) GROUP BY c.state",
        "SELECT c.state, AVG(o.price) FROM orders o JOIN customers c USING (customer_id) GROUP BY c.state",
        1,
        1,
        1,
    ),
    "round_engines_disagree": ("SELECT ROUND(2.675::DOUBLE, 2)", "SELECT 2.68", 1, 1, 1),
    "round_engines_disagree_other_way": ("SELECT ROUND(2.675::DECIMAL(5, 3), 2)", "SELECT 2.67", 1, 1, 1),
    "round_real_difference_fails": ("SELECT ROUND(15.164::DOUBLE, 2)", "SELECT 15.18", 0, 0, 0),
    # issue 11: a gold ROUND(x, 2) = 20.80 (x = 20.8046) no longer accepts a full 0.01 off
    "round_neighbour_above_fails": (ROUND_2080, "SELECT 20.81", 0, 0, 0),
    "round_neighbour_below_fails": (ROUND_2080, "SELECT 20.79", 0, 0, 0),
    "round_unrounded_passes": (ROUND_2080, "SELECT 20.8046::DOUBLE", 1, 1, 1),
    "round_more_decimals_passes": (ROUND_2080, "SELECT ROUND(20.8046::DOUBLE, 3)", 1, 1, 1),
    "round_same_rounding_passes": (ROUND_2080, "SELECT ROUND(20.8046, 2)", 1, 1, 1),
    "round_without_unrounded_gold_uses_half_unit": (
        "SELECT ROUND(20.8046::DOUBLE, 2) AS x UNION ALL SELECT 1",  # a set operation is not rewritten
        "SELECT 20.81 UNION ALL SELECT 1",
        0,
        0,
        0.5,
    ),
    # issue 11: floats within float noise only; DECIMAL exactly
    "sum_short_by_87_cents_fails": (SUM_1387057, "SELECT 1387056.45", 0, 0, 0),
    "sum_in_whole_reais_fails": (SUM_1387057, "SELECT ROUND(1387057.32)", 0, 0, 0),
    "sum_in_whole_reais_as_double_fails": (SUM_1387057, "SELECT ROUND(1387057.32::DOUBLE)", 0, 0, 0),
    "sum_as_double_passes": (SUM_1387057, "SELECT 1387057.32::DOUBLE", 1, 1, 1),
    "float_off_by_1e7_relative_fails": (
        "SELECT 1387.05732::DOUBLE",
        "SELECT 1387.05732::DOUBLE * 1.0000001",
        0,
        0,
        0,
    ),
    "decimal_differs_in_12th_decimal_fails": (
        "SELECT 1::DECIMAL(18, 12)",
        "SELECT 1.000000000001::DECIMAL(18, 12)",
        0,
        0,
        0,
    ),
    "decimal_vs_equal_decimal_of_other_scale": (
        "SELECT 10.50::DECIMAL(10, 2)",
        "SELECT 10.5::DECIMAL(4, 1)",
        1,
        1,
        1,
    ),
    # dates
    "date_vs_midnight_timestamp": (
        "SELECT purchase_date FROM orders WHERE order_id IN (1, 3)",
        "SELECT purchased_at FROM orders WHERE order_id IN (1, 3)",
        1,
        1,
        1,
    ),
    "date_vs_iso_text": (
        "SELECT purchase_date FROM orders",
        "SELECT strftime(purchase_date, '%Y-%m-%d') FROM orders",
        1,
        1,
        1,
    ),
    "timestamp_vs_iso_text_with_t": (
        "SELECT purchased_at FROM orders WHERE order_id = 2",
        "SELECT '2017-01-07T10:30:00'",
        1,
        1,
        1,
    ),
    "timestamp_with_time_is_not_its_date": (
        "SELECT purchased_at FROM orders WHERE order_id = 2",
        "SELECT purchase_date FROM orders WHERE order_id = 2",
        0,
        0,
        0,
    ),
    # NULLs and empties
    "null_equals_null": (
        "SELECT x FROM (VALUES (1), (NULL)) t(x)",
        "SELECT CASE WHEN order_id = 1 THEN 1 END FROM orders WHERE order_id <= 2",
        1,
        1,
        1,
    ),
    "null_is_not_zero": (
        "SELECT x FROM (VALUES (1), (NULL)) t(x)",
        "SELECT * FROM (VALUES (1), (0)) t(x)",
        0,
        0,
        0.5,
    ),
    "nan_is_null": ("SELECT NULL::DOUBLE AS x", "SELECT 'nan'::DOUBLE", 1, 1, 1),
    "both_empty": (f"{NAMES} WHERE false", "SELECT state FROM customers WHERE age > 100", 1, 1, 1),
    "both_empty_other_width": (
        f"{NAMES} WHERE false",
        "SELECT name, state FROM customers WHERE false",
        0,
        1,
        0,
    ),
    "prediction_empty": (NAMES, f"{NAMES} WHERE false", 0, 0, 0),
    # partial credit
    "four_of_five_rows": (
        "SELECT order_id FROM orders WHERE order_id <= 5",
        "SELECT order_id FROM orders WHERE order_id <= 4",
        0,
        0,
        8 / 9,  # row precision 1, recall 0.8
    ),
    "four_of_five_rows_in_order": (
        "SELECT order_id FROM orders WHERE order_id <= 5 ORDER BY order_id",
        "SELECT order_id FROM orders WHERE order_id <= 4 ORDER BY order_id",
        0,
        0,
        8 / 9 * 4 / 5,  # and order factor 4/5
    ),
    "mis_paired_values_earn_nothing": (
        "SELECT * FROM (VALUES ('alice', 250), ('bob', 100)) t(name, total)",
        "SELECT * FROM (VALUES ('alice', 100), ('bob', 250)) t(name, total)",
        0,
        0,
        0,
    ),
    "accents_are_significant": (
        "SELECT name FROM customers WHERE name LIKE 'f%'",
        "SELECT 'fabio'",
        0,
        0,
        0,
    ),
}


@pytest.mark.parametrize(("gold", "pred", "ex", "lenient", "partial"), list(CASES.values()), ids=list(CASES))
def test_comparator_cases(
    shop_db: Path, gold: str, pred: str, ex: float, lenient: float, partial: float
) -> None:
    score = score_sql(pred, gold, shop_db)
    assert score["status"] == "ok", score["error"]
    assert (score["ex"], score["ex_lenient"]) == (ex, lenient), score
    assert score["partial"] == pytest.approx(partial), score
    assert score["syntax_valid"] == 1 and score["error"] is None


def test_reported_fields(shop_db: Path) -> None:
    pred = "SELECT state, name FROM customers ORDER BY name DESC"
    score = score_sql(pred, "SELECT name, state FROM customers ORDER BY 1", shop_db)
    assert score["column_map"] == [1, 0]
    assert score["order_matters"] is True and score["order_factor"] < 1
    assert (score["n_gold_rows"], score["n_pred_rows"], score["n_gold_cols"], score["n_pred_cols"]) == (
        6,
        6,
        2,
        2,
    )
    assert score["pred_elapsed_s"] >= 0
    assert set(score) >= {"ex", "ex_lenient", "partial", "syntax_valid", "status", "error"}


@pytest.mark.parametrize(
    ("pred", "status", "error_start", "syntax_valid"),
    [
        ("SELEC name FROM customers", "syntax_error", "syntax error: Parser Error", 0),
        ("Sure! Here is the SQL: SELECT name FROM customers", "syntax_error", "syntax error:", 0),
        ("DROP TABLE customers", "rejected", "rejected: statement type DROP is not allowed", 0),
        ("SELECT * FROM ground_truth.churn", "rejected", "rejected: table ground_truth.churn", 0),
        ("SELECT 1; SELECT 2", "rejected", "rejected: only one SELECT/WITH statement", 0),
        ("", "rejected", "rejected: empty query", 0),
        (None, "rejected", "rejected: the query must be text", 0),
        (
            "SELECT nome FROM customers",
            "runtime_error",
            'execution error: Binder Error: Referenced column "nome"',
            1,
        ),
        (
            "SELECT SUM(a.range * b.range) FROM range(100000) a, range(100000) b",
            "timeout",
            "timeout after 0.3s",
            1,
        ),
    ],
    ids=[
        "syntax",
        "prose",
        "drop",
        "ground_truth",
        "two_statements",
        "empty",
        "none",
        "unknown_column",
        "slow",
    ],
)
def test_failed_predictions_score_zero_with_reason(
    shop_db: Path, pred: str | None, status: str, error_start: str, syntax_valid: int
) -> None:
    score = score_sql(pred, NAMES, shop_db, timeout_s=0.3)
    assert score["status"] == status and status in STATUSES
    assert score["error"].startswith(error_start), score["error"]
    assert (score["ex"], score["ex_lenient"], score["partial"]) == (0.0, 0.0, 0.0)
    assert score["syntax_valid"] == syntax_valid


def test_row_overflow_is_wrong_but_partial_on_prefix(shop_db: Path) -> None:
    gold = "SELECT order_id FROM orders WHERE order_id <= 2"
    score = score_sql("SELECT order_id FROM orders ORDER BY order_id", gold, shop_db, max_rows=3)
    assert score["status"] == "row_overflow" and score["error"] == "row overflow: more than 3 rows"
    assert score["ex"] == 0 and score["ex_lenient"] == 0
    assert score["partial"] == pytest.approx(0.8)  # prefix of 3 rows holds both gold rows


def test_default_row_cap_is_ten_times_gold_but_at_least_ten_thousand(shop_db: Path) -> None:
    score = score_sql("SELECT * FROM range(10001)", "SELECT 1", shop_db)
    assert score["status"] == "row_overflow" and "10000 rows" in score["error"]
    assert score_sql("SELECT * FROM range(10000)", "SELECT 1", shop_db)["status"] == "ok"


@pytest.mark.parametrize(
    "gold",
    ["SELECT nope FROM customers", "DROP TABLE customers", "SELECT * FROM ground_truth.churn", "SELEC 1"],
)
def test_failing_gold_raises(shop_db: Path, gold: str) -> None:
    with pytest.raises(GoldQueryError, match="gold SQL failed"):
        score_sql(NAMES, gold, shop_db)


def test_explicit_options_override_what_gold_sql_implies(shop_db: Path) -> None:
    gold, pred = f"{NAMES} ORDER BY name", f"{NAMES} ORDER BY name DESC"
    assert score_sql(pred, gold, shop_db, order_matters=False)["ex"] == 1
    assert score_sql(pred, NAMES, shop_db, order_matters=True)["ex"] == 0
    assert score_sql("SELECT 15.18", "SELECT 15.16", shop_db, round_to={0: 1})["ex"] == 1
    assert score_sql("SELECT 15.22", "SELECT 15.16", shop_db, round_to={0: 1})["ex"] == 0  # half unit: 0.05
    distinct = score_sql(
        "SELECT DISTINCT state FROM customers", "SELECT state FROM customers", shop_db, duplicates="set"
    )
    assert distinct["ex"] == 1
    three_extra = score_sql(
        "SELECT *, 1 FROM customers", "SELECT name FROM customers", shop_db, extra_cols_allowed=4
    )
    assert three_extra["ex_lenient"] == 1


def test_order_is_checked_at_the_precision_of_the_answer(shop_db: Path) -> None:
    # Ages / 10 shown to 0 decimals, ranked by the unrounded value: 5.2, 4.1, 4.1, 3.3, 3.0, 2.5 show
    # 5, 4, 4, 3, 3, 3. Rows showing the same value may come in any order; the shown order must hold.
    gold = "SELECT name, round(age / 10.0, 0) AS d FROM customers ORDER BY age / 10.0 DESC, name"
    assert describe_query(gold).order_key_cols == (1,)  # the unrounded key resolves to its rounded column
    by_shown_value = "SELECT name, round(age / 10.0, 0) AS d FROM customers ORDER BY d DESC, name"
    assert score_sql(by_shown_value, gold, shop_db)["ex"] == 1
    assert score_sql(by_shown_value.replace("d DESC", "d ASC"), gold, shop_db)["ex"] == 0


def test_gold_results_are_cached_and_invalidated_by_a_rebuild(tmp_path: Path) -> None:
    from tucano_commerce.scoring._sql import _gold_cached

    path = tmp_path / "cache.duckdb"
    duckdb.connect(str(path)).execute("CREATE TABLE t AS SELECT 1 AS x").close()
    clear_gold_cache()
    assert score_sql("SELECT 1", "SELECT x FROM t", path)["ex"] == 1
    assert score_sql("SELECT 1", "SELECT x FROM t", path)["ex"] == 1
    assert _gold_cached.cache_info().hits >= 1
    release_databases(path)
    con = duckdb.connect(str(path))
    con.execute("CREATE OR REPLACE TABLE t AS SELECT 2 AS x")
    con.close()
    assert score_sql("SELECT 1", "SELECT x FROM t", path)["ex"] == 0
    release_databases(path)


def test_a_reordered_four_table_join_matches(tmp_path: Path) -> None:
    """~10k orders in four joined tables; a correct prediction with reordered columns, gold cached."""
    path = tmp_path / "perf.duckdb"
    con = duckdb.connect(str(path))
    con.execute(
        """
        CREATE TABLE customers AS SELECT i AS customer_id, ['SP','RJ','MG','BA','PR','RS'][1 + i % 6] AS state
            FROM range(9000) r(i);
        CREATE TABLE orders AS SELECT i AS order_id, i % 9000 AS customer_id,
            ['delivered','shipped','canceled'][1 + i % 3] AS status FROM range(10000) r(i);
        CREATE TABLE items AS SELECT i % 10000 AS order_id, i % 300 AS product_id,
            (10 + (i * 7919 % 50000) / 100.0)::DECIMAL(10, 2) AS price FROM range(11300) r(i);
        CREATE TABLE products AS SELECT i AS product_id, 'cat_' || (i % 7) AS category FROM range(300) r(i);
        """
    )
    con.close()
    gold = (
        "SELECT c.state, p.category, COUNT(DISTINCT o.order_id) AS pedidos, "
        "ROUND(SUM(i.price), 2) AS receita FROM orders o JOIN customers c USING (customer_id) "
        "JOIN items i USING (order_id) "
        "JOIN products p USING (product_id) WHERE o.status = 'delivered' GROUP BY 1, 2 ORDER BY receita DESC"
    )
    pred = (
        "SELECT SUM(i.price), COUNT(DISTINCT o.order_id), p.category, c.state FROM orders o "
        "JOIN customers c ON c.customer_id = o.customer_id JOIN items i ON i.order_id = o.order_id "
        "JOIN products p ON p.product_id = i.product_id WHERE o.status = 'delivered' "
        "GROUP BY c.state, p.category ORDER BY 1 DESC"
    )
    assert score_sql(pred, gold, path)["ex"] == 1  # its cost is measured by benchmarks/sql_scoring.py
    release_databases(path)

"""Test-suite execution accuracy: ``ex_suite`` beside ``ex``.

On the benchmark: predictions that return exactly the gold's result on the benchmark warehouse but answer
another question (each a mistake a model makes) are caught by the suite, and correct predictions written
another way still pass on every suite warehouse. On hand-built files: the semantics (a wrong prediction is not
run further, a failure on a suite warehouse is named, no suite means ``ex_suite == ex``).

Run: ``PYTHONPATH=src pytest tests/scoring/test_sql_suite.py``
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tucano_commerce.scoring import score_item, score_sql
from tucano_commerce.tasks import benchmark_sql_suite, benchmark_warehouse, read_items

pytestmark = pytest.mark.usefixtures("tucano_home")

# (item, prediction, what is wrong with it). Each returns the gold's result on the benchmark warehouse.
RIGHT_ON_THE_BENCHMARK_WAREHOUSE_ONLY = [
    ("sql-001", "SELECT count(order_delivered_customer_date) FROM orders", "'has a delivery date' is not 'delivered'"),
    ("sql-001", "SELECT count(*) FROM orders WHERE order_delivered_customer_date IS NOT NULL", "same"),
    ("sql-005", "SELECT count(*) FROM products p LEFT JOIN product_category_name_translation t "
                "USING (product_category_name) WHERE t.product_category_name_english IS NULL",
     "counts products whose category has no English name"),
    ("sql-007", "SELECT CASE WHEN o.order_delivered_customer_date > o.order_estimated_delivery_date THEN 'atrasado' "
                "ELSE 'no prazo' END, round(avg(r.review_score), 2) FROM orders o JOIN order_reviews r USING (order_id) "
                "WHERE o.order_status = 'delivered' GROUP BY 1", "orders without a delivery date counted as on time"),
    ("sql-007", "SELECT CASE WHEN o.order_delivered_customer_date >= o.order_estimated_delivery_date THEN 'atrasado' "
                "ELSE 'no prazo' END, round(avg(r.review_score), 2) FROM orders o JOIN order_reviews r USING (order_id) "
                "WHERE o.order_status = 'delivered' AND o.order_delivered_customer_date IS NOT NULL GROUP BY 1",
     "delivered exactly on the estimated date counted as late"),
    ("sql-008", "SELECT count(*) FROM orders o JOIN customers c USING (customer_id) "
                "WHERE c.customer_city = 'rio de janeiro' AND o.order_purchase_timestamp > '2018-01-01'",
     "misses an order placed at 2018-01-01 00:00:00"),
    ("sql-010", "SELECT t.product_category_name_english, count(*) AS itens FROM order_items i JOIN products p "
                "USING (product_id) JOIN product_category_name_translation t USING (product_category_name) "
                "GROUP BY 1 ORDER BY itens DESC LIMIT 3", "ignores the stated tie-breaker"),
    ("sql-011", "SELECT strftime(order_purchase_timestamp, '%Y-%m') AS mes, count(*) FROM orders "
                "WHERE order_purchase_timestamp > '2017-01-01' AND order_purchase_timestamp < '2018-01-01' "
                "GROUP BY 1 ORDER BY 1", "misses an order placed at 2017-01-01 00:00:00"),
    ("sql-012", "SELECT c.customer_state, count(*) AS n, round(100.0 * count(*) / sum(count(*)) OVER (), 2) "
                "FROM orders o JOIN customers c USING (customer_id) GROUP BY 1 ORDER BY n DESC LIMIT 5",
     "ignores the stated tie-breaker"),
    ("sql-013", "SELECT payment_type, round(avg(payment_value), 2), row_number() OVER (ORDER BY avg(payment_value) "
                "DESC) AS p FROM order_payments GROUP BY 1 ORDER BY p", "row_number() numbers tied averages apart"),
    ("sql-014", "SELECT mes, pedidos, pedidos - lag(pedidos) OVER (ORDER BY mes) FROM (SELECT "
                "strftime(order_purchase_timestamp, '%Y-%m') AS mes, count(*) AS pedidos FROM orders WHERE "
                "order_purchase_timestamp BETWEEN '2018-01-01' AND '2018-09-01' GROUP BY mes) ORDER BY mes",
     "BETWEEN includes 2018-09-01 00:00:00"),
    ("sql-015", "SELECT c.customer_state, round(avg(date_diff('second', o.order_purchase_timestamp, "
                "o.order_delivered_customer_date)) / 86400, 1) FROM orders o JOIN customers c USING (customer_id) "
                "WHERE o.order_status = 'delivered' AND o.order_delivered_customer_date IS NOT NULL GROUP BY 1 "
                "HAVING count(*) >= 100 ORDER BY avg(date_diff('second', o.order_purchase_timestamp, "
                "o.order_delivered_customer_date)) DESC, 1 LIMIT 5",
     "ranks by the unrounded time; the question ranks by the rounded one"),
]  # fmt: skip

CORRECT_WRITTEN_ANOTHER_WAY = [
    ("sql-001", "SELECT sum(CASE WHEN order_status = 'delivered' THEN 1 ELSE 0 END) FROM orders"),
    ("sql-005", "SELECT count(*) - count(product_category_name) FROM products"),
    ("sql-006", "SELECT p.product_category_name, sum(i.price) AS r FROM products p JOIN order_items i "
                "ON i.product_id = p.product_id WHERE p.product_category_name IS NOT NULL GROUP BY 1 "
                "ORDER BY r DESC, 1 LIMIT 5"),
    ("sql-007", "SELECT CASE WHEN o.order_delivered_customer_date <= o.order_estimated_delivery_date THEN 'no prazo' "
                "ELSE 'atrasado' END, avg(r.review_score) FROM orders o JOIN order_reviews r ON r.order_id = o.order_id "
                "WHERE o.order_status = 'delivered' AND o.order_delivered_customer_date IS NOT NULL GROUP BY 1"),
    ("sql-007", "SELECT CASE WHEN CAST(o.order_delivered_customer_date AS DATE) > o.order_estimated_delivery_date "
                "THEN 'atrasado' ELSE 'no prazo' END, round(avg(r.review_score), 2) FROM orders o JOIN order_reviews r "
                "ON r.order_id = o.order_id WHERE o.order_status = 'delivered' "
                "AND o.order_delivered_customer_date IS NOT NULL GROUP BY 1"),
    ("sql-008", "SELECT count(*) FROM orders o JOIN customers c ON c.customer_id = o.customer_id WHERE c.customer_city "
                "= 'rio de janeiro' AND o.order_purchase_timestamp >= '2018-01-01' "
                "AND o.order_purchase_timestamp < '2019-01-01'"),
    ("sql-008", "SELECT count(*) FROM orders o JOIN customers c ON c.customer_id = o.customer_id WHERE c.customer_city "
                "= 'rio de janeiro' AND c.customer_state = 'RJ' AND strftime(o.order_purchase_timestamp, '%Y') = '2018'"),
    ("sql-010", "SELECT t.product_category_name_english, count(i.order_item_id) AS n FROM order_items i JOIN products p "
                "ON p.product_id = i.product_id JOIN product_category_name_translation t "
                "ON t.product_category_name = p.product_category_name GROUP BY 1 ORDER BY n DESC, 1 LIMIT 3"),
    ("sql-011", "SELECT strftime(date_trunc('month', order_purchase_timestamp), '%Y-%m') AS mes, count(*) FROM orders "
                "WHERE order_purchase_timestamp >= '2017-01-01' AND order_purchase_timestamp < '2018-01-01' "
                "GROUP BY 1 ORDER BY 1"),
    ("sql-012", "WITH t AS (SELECT c.customer_state AS uf, count(*) AS n FROM orders o JOIN customers c "
                "USING (customer_id) GROUP BY 1) SELECT uf, n, round(100.0 * n / (SELECT sum(n) FROM t), 2) FROM t "
                "ORDER BY n DESC, uf LIMIT 5"),
    ("sql-013", "SELECT payment_type, round(avg(payment_value), 2), dense_rank() OVER (ORDER BY avg(payment_value) "
                "DESC) AS p FROM order_payments GROUP BY 1 ORDER BY p"),
    ("sql-013", "SELECT payment_type, avg(payment_value) AS m, rank() OVER (ORDER BY avg(payment_value) DESC) AS p "
                "FROM order_payments GROUP BY 1 ORDER BY p, payment_type"),
    ("sql-014", "SELECT strftime(order_purchase_timestamp, '%Y-%m') AS mes, count(*), count(*) - lag(count(*)) "
                "OVER (ORDER BY strftime(order_purchase_timestamp, '%Y-%m')) FROM orders WHERE "
                "order_purchase_timestamp >= '2018-01-01' AND order_purchase_timestamp < '2018-09-01' "
                "GROUP BY 1 ORDER BY 1"),
    ("sql-015", "SELECT c.customer_state, round(avg(epoch(o.order_delivered_customer_date - "
                "o.order_purchase_timestamp)) / 86400, 1) AS d FROM orders o JOIN customers c USING (customer_id) "
                "WHERE o.order_status = 'delivered' AND o.order_delivered_customer_date IS NOT NULL GROUP BY 1 "
                "HAVING count(*) >= 100 ORDER BY d DESC, 1 LIMIT 5"),
]  # fmt: skip


@pytest.fixture(scope="module")
def bench() -> tuple[Path, list[Path], dict[str, str]]:
    gold = {i.id: i.ground_truth["sql"] for i in read_items() if i.task == "sql"}
    return benchmark_warehouse(), benchmark_sql_suite(), gold


@pytest.mark.parametrize(("item_id", "pred", "why"), RIGHT_ON_THE_BENCHMARK_WAREHOUSE_ONLY)
def test_suite_catches_what_the_benchmark_warehouse_cannot(
    bench: tuple[Path, list[Path], dict[str, str]], item_id: str, pred: str, why: str
) -> None:
    db, suite, gold = bench
    score = score_sql(pred, gold[item_id], db, suite=suite)
    assert score["ex"] == 1.0, why  # every execution-based evaluator on one database accepts it
    assert score["ex_suite"] == 0.0, why
    assert score["suite_failed_on"] in {p.name for p in suite} and score["suite_error"]
    assert score["status"] == "ok" and score["suite_size"] == 4


@pytest.mark.parametrize(("item_id", "pred"), CORRECT_WRITTEN_ANOTHER_WAY)
def test_correct_predictions_pass_on_every_suite_warehouse(
    bench: tuple[Path, list[Path], dict[str, str]], item_id: str, pred: str
) -> None:
    db, suite, gold = bench
    score = score_sql(pred, gold[item_id], db, suite=suite)
    assert (score["ex"], score["ex_suite"], score["suite_failed_on"]) == (1.0, 1.0, None), score


def test_every_reference_answer_passes_the_suite(bench: tuple[Path, list[Path], dict[str, str]]) -> None:
    db, suite, gold = bench
    for item_id, sql in gold.items():
        assert score_sql(sql, sql, db, suite=suite)["ex_suite"] == 1.0, item_id


def test_the_item_score_is_ex_suite_and_ex_is_reported(
    bench: tuple[Path, list[Path], dict[str, str]],
) -> None:
    item = next(i for i in read_items() if i.id == "sql-001")
    wrong = "```sql\nSELECT count(order_delivered_customer_date) FROM orders\n```"
    score = score_item(item, wrong)  # defaults: the benchmark warehouse and its suite
    assert score.mean == 0.0 and score.metrics["ex"] == 1.0 and score.metrics["ex_suite"] == 0.0
    assert score.details["suite_failed_on"] is not None
    right = score_item(item, f"```sql\n{item.ground_truth['sql']}\n```")
    assert right.mean == 1.0 and right.metrics["ex_suite"] == right.metrics["ex"] == 1.0


def build_duckdb(path: Path, sql: str) -> Path:
    con = duckdb.connect(str(path))
    con.execute(sql)
    con.close()
    return path


@pytest.fixture(scope="module")
def two_shops(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("suite")
    first = build_duckdb(
        folder / "a.duckdb", "CREATE TABLE t AS SELECT * FROM (VALUES (1, 'x'), (2, 'y')) v(n, s)"
    )
    second = build_duckdb(
        folder / "b.duckdb", "CREATE TABLE t AS SELECT * FROM (VALUES (1, 'x'), (3, 'y')) v(n, s)"
    )
    return first, second


def test_no_suite_means_ex_suite_is_ex(two_shops: tuple[Path, Path]) -> None:
    first, _ = two_shops
    for pred in ("SELECT n FROM t", "SELECT 1"):
        score = score_sql(pred, "SELECT n FROM t", first)
        assert score["ex_suite"] == score["ex"] and score["suite_size"] == 1


def test_literal_answer_passes_one_warehouse_not_the_suite(two_shops: tuple[Path, Path]) -> None:
    first, second = two_shops
    score = score_sql("SELECT * FROM (VALUES (1), (2)) v(n)", "SELECT n FROM t", first, suite=[second])
    assert (score["ex"], score["ex_suite"], score["suite_failed_on"]) == (1.0, 0.0, "b.duckdb")
    assert score["suite_error"] == "the result differs from the gold result"


def test_a_wrong_prediction_is_not_run_on_the_suite(two_shops: tuple[Path, Path], tmp_path: Path) -> None:
    first, _ = two_shops
    missing = tmp_path / "never-opened.duckdb"  # scoring would raise DataError if it were used
    score = score_sql("SELECT n + 1 FROM t", "SELECT n FROM t", first, suite=[missing])
    assert (score["ex"], score["ex_suite"], score["suite_failed_on"]) == (0.0, 0.0, None)


def test_a_failure_on_a_suite_warehouse_is_named(tmp_path: Path) -> None:
    tables = "CREATE TABLE t AS SELECT * FROM (VALUES (1), (2)) v(n)"
    base = build_duckdb(tmp_path / "base.duckdb", f"{tables}; CREATE TABLE u AS SELECT 1 AS one")
    same = build_duckdb(tmp_path / "same.duckdb", f"{tables}; CREATE TABLE u AS SELECT 1 AS one")
    without_u = build_duckdb(tmp_path / "without_u.duckdb", tables)
    pred = "SELECT n FROM t WHERE EXISTS (SELECT 1 FROM u)"
    score = score_sql(pred, "SELECT n FROM t", base, suite=[same, without_u])
    assert (score["ex"], score["ex_suite"], score["suite_failed_on"]) == (1.0, 0.0, "without_u.duckdb")
    assert score["suite_error"].startswith("execution error: Catalog Error")
    assert score["status"] == "ok" and score["error"] is None  # the status is the benchmark warehouse's

"""Perturbed warehouses (test-suite members): keys and timelines stay valid, each planted situation is there,
monthly volumes do not move, and the same source and salt give the same file.

Run: ``PYTHONPATH=src pytest tests/warehouse/test_perturb.py``
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tucano_commerce.warehouse import TABLES
from tucano_commerce.warehouse._build import _fk_coverage
from tucano_commerce.warehouse._perturb import PERTURBATION_VERSION, perturb_warehouse

SALT = "test-salt"


@pytest.fixture(scope="module")
def perturbed(warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("perturbed") / "edges.duckdb"
    perturb_warehouse(warehouse, out, salt=SALT)
    return out


def query(path: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def one(path: Path, sql: str) -> object:
    return query(path, sql)[0][0]


def test_keys_stay_valid(warehouse: Path, perturbed: Path) -> None:
    for table in TABLES:
        if table.primary_key:
            keys = ", ".join(table.primary_key)
            dupes = one(
                perturbed,
                f"SELECT count(*) FROM (SELECT {keys} FROM {table.name} GROUP BY ALL HAVING count(*) > 1)",
            )
            assert dupes == 0, table.name
    con_src, con_out = (duckdb.connect(str(p), read_only=True) for p in (warehouse, perturbed))
    try:
        source, out = _fk_coverage(con_src), _fk_coverage(con_out)
    finally:
        con_src.close()
        con_out.close()
    for fk, share in source.items():
        if fk.startswith("products.product_category_name"):
            assert out[fk] < 1.0  # products in the two categories Olist has without an English name
            continue
        assert out[fk] >= share, fk  # every other foreign key that found its parent still does


def test_timelines_stay_in_order(perturbed: Path) -> None:
    assert one(perturbed, """
        SELECT count(*) FROM orders WHERE order_approved_at < order_purchase_timestamp
            OR order_delivered_carrier_date < order_approved_at
            OR order_delivered_customer_date < order_delivered_carrier_date
            OR order_delivered_customer_date < order_purchase_timestamp
            OR order_estimated_delivery_date < CAST(order_purchase_timestamp AS DATE)""") == 0  # fmt: skip
    # No delivery *during* its estimated day: "late" would depend on comparing timestamps or dates.
    assert one(perturbed, """
        SELECT count(*) FROM orders WHERE CAST(order_delivered_customer_date AS DATE) = order_estimated_delivery_date
            AND order_delivered_customer_date <> CAST(order_estimated_delivery_date AS TIMESTAMP)""") == 0  # fmt: skip
    statuses = {
        s
        for (s,) in query(
            perturbed,
            "SELECT DISTINCT order_status FROM orders WHERE order_delivered_customer_date IS NOT NULL",
        )
    }
    assert statuses == {"delivered", "canceled"}  # Olist's dirt: a few canceled orders record a delivery


def test_monthly_volumes_do_not_move(warehouse: Path, perturbed: Path) -> None:
    monthly = (
        "SELECT strftime(order_purchase_timestamp, '%Y-%m') AS m, count(*) FROM orders GROUP BY 1 ORDER BY 1"
    )
    assert query(perturbed, monthly) == query(warehouse, monthly)


def test_nulls_empty_groups_and_duplicates_are_planted(perturbed: Path) -> None:
    assert (
        one(
            perturbed,
            "SELECT count(*) FROM orders WHERE order_status = 'delivered' AND order_delivered_customer_date IS NULL",
        )
        > 0
    )
    assert (
        one(
            perturbed,
            "SELECT count(*) FROM orders WHERE order_status = 'canceled' AND order_delivered_customer_date IS NOT NULL",
        )
        > 0
    )
    untranslated = one(perturbed, """
        SELECT count(*) FROM order_items i JOIN products p USING (product_id)
        LEFT JOIN product_category_name_translation t USING (product_category_name)
        WHERE p.product_category_name IS NOT NULL AND t.product_category_name IS NULL""")  # fmt: skip
    assert untranslated > 0
    unsold_category = one(perturbed, """
        SELECT count(*) FROM product_category_name_translation t
        WHERE EXISTS (SELECT 1 FROM products p WHERE p.product_category_name = t.product_category_name)
          AND NOT EXISTS (SELECT 1 FROM order_items i JOIN products p USING (product_id)
                          WHERE p.product_category_name = t.product_category_name)""")  # fmt: skip
    assert unsold_category >= 1
    assert (
        one(
            perturbed,
            "SELECT count(*) FROM orders o WHERE NOT EXISTS (SELECT 1 FROM order_payments p WHERE p.order_id = o.order_id)",
        )
        > 0
    )
    assert (
        one(
            perturbed,
            "SELECT count(*) FROM (SELECT order_id, product_id FROM order_items GROUP BY 1, 2 HAVING count(*) > 1)",
        )
        > 0
    )
    assert (
        one(
            perturbed,
            "SELECT count(*) FROM (SELECT order_id FROM order_reviews GROUP BY 1 HAVING count(*) > 1)",
        )
        > 0
    )


def test_boundary_dates_are_planted(perturbed: Path) -> None:
    months = query(perturbed, """
        SELECT strftime(order_purchase_timestamp, '%Y-%m') AS m, count(*),
               count(*) FILTER (WHERE order_purchase_timestamp = date_trunc('month', order_purchase_timestamp)),
               count(*) FILTER (WHERE order_purchase_timestamp
                                = date_trunc('month', order_purchase_timestamp) + INTERVAL 1 MONTH - INTERVAL 1 SECOND)
        FROM orders GROUP BY 1 ORDER BY 1""")  # fmt: skip
    # Each month's first order moved to its first second and its last order to its last second (a month with
    # a single order only gets the first).
    assert all(first > 0 and (last > 0 or n == 1) for _, n, first, last in months), months
    assert (
        one(
            perturbed,
            "SELECT count(*) FROM orders WHERE order_purchase_timestamp = TIMESTAMP '2018-01-01 00:00:00'",
        )
        > 0
    )
    assert (
        one(
            perturbed,
            "SELECT count(*) FROM orders WHERE order_purchase_timestamp = TIMESTAMP '2017-12-31 23:59:59'",
        )
        > 0
    )
    at_midnight = "SELECT count(*) FROM orders WHERE order_delivered_customer_date = CAST(order_estimated_delivery_date AS TIMESTAMP) + INTERVAL {} DAY"
    assert one(perturbed, at_midnight.format(0)) > 0 and one(perturbed, at_midnight.format(1)) > 0


@pytest.mark.parametrize(
    "ranking",
    [
        "SELECT customer_state, count(*) AS v FROM customers GROUP BY 1",
        "SELECT p.product_category_name, count(*) AS v FROM order_items i JOIN products p USING (product_id) "
        "WHERE p.product_category_name IS NOT NULL GROUP BY 1",
        "SELECT p.product_category_name, sum(i.price) AS v FROM order_items i JOIN products p USING (product_id) "
        "WHERE p.product_category_name IS NOT NULL GROUP BY 1",
    ],
    ids=["orders_per_state", "items_per_category", "revenue_per_category"],
)
def test_ties_at_top_k_boundaries(perturbed: Path, ranking: str) -> None:
    values = [v for (v,) in query(perturbed, f"SELECT v FROM ({ranking}) ORDER BY v DESC")]
    assert values[2] == values[3] and values[4] == values[5], values[:7]


def test_the_two_lowest_payment_means_tie_exactly(perturbed: Path) -> None:
    ranks = query(perturbed, """
        SELECT rank() OVER (ORDER BY avg(payment_value) DESC), dense_rank() OVER (ORDER BY avg(payment_value) DESC),
               row_number() OVER (ORDER BY avg(payment_value) DESC, payment_type)
        FROM order_payments GROUP BY payment_type ORDER BY 3""")  # fmt: skip
    assert ranks[-1][0] == ranks[-2][0] and ranks[-1][1] == ranks[-2][1]  # tied at the bottom
    assert [r[0] for r in ranks] == [r[1] for r in ranks]  # so rank() and dense_rank() agree
    assert ranks[-1][2] != ranks[-2][2]  # and row_number() does not


def test_same_source_and_salt_same_file(warehouse: Path, perturbed: Path, tmp_path: Path) -> None:
    again = perturb_warehouse(warehouse, tmp_path / "again.duckdb", salt=SALT)
    other = perturb_warehouse(warehouse, tmp_path / "other.duckdb", salt="another-salt")
    recorded = one(perturbed, "SELECT value FROM ground_truth.build_info WHERE key = 'content_hash'")
    assert f'"{again.content_hash}"' == recorded
    assert other.content_hash != again.content_hash
    assert again.version == PERTURBATION_VERSION and not again.skipped
    assert again.source_content_hash == one(
        warehouse, "SELECT value FROM ground_truth.build_info WHERE key = 'content_hash'"
    ).strip('"')
    info = one(perturbed, "SELECT value FROM ground_truth.build_info WHERE key = 'perturbation'")
    assert SALT in info and "orders per customer_state: rank 3 = rank 4" in info

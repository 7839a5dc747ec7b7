"""The one reader of a warehouse's slot values: what states, categories, statuses, payment types and months
occur in it, and how often, for the SQL and insights training templates.

``read_pools`` runs the counting queries once; each builder then keeps the values frequent enough for its
templates (``WarehousePools.at_least``), so a slot is only filled with a value that gives a non-trivial
answer. Values come back sorted, as the SQL's ``ORDER BY 1`` would sort them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import duckdb

from tucano_commerce.sql import sandbox_connection


@dataclass(frozen=True)
class WarehousePools:
    """Counts of the values a warehouse holds, per slot kind."""

    customer_states: Counter[str]  # customers per state
    seller_states: Counter[str]  # sellers per state
    categories: Counter[str]  # items sold per product category (non-null)
    translated_categories: frozenset[
        str
    ]  # categories with an English name (product_category_name_translation)
    statuses: Counter[str]  # orders per order_status
    payments: Counter[str]  # payment records per payment_type
    months: Counter[tuple[int, int]]  # orders per (year, month) of purchase

    @staticmethod
    def at_least(counts: Counter[str], n: int) -> list[str]:
        """The values counted ``n`` times or more, sorted."""
        return sorted(v for v, k in counts.items() if k >= n)

    def months_by_year(self, min_orders: int) -> dict[int, list[int]]:
        """Year -> its months with ``min_orders`` orders or more, both ascending."""
        out: dict[int, list[int]] = {}
        for year, month in sorted(m for m, k in self.months.items() if k >= min_orders):
            out.setdefault(year, []).append(month)
        return out


def read_pools(
    db_path: Path | str | None = None, *, con: duckdb.DuckDBPyConnection | None = None
) -> WarehousePools:
    """Count every slot value of a warehouse (given by path, or an open ``sandbox_connection``)."""
    own = con is None
    con = sandbox_connection(Path(str(db_path))) if con is None else con
    try:

        def counts(sql: str) -> Counter[str]:
            return Counter({value: n for value, n in con.execute(sql).fetchall() if value is not None})

        months = Counter(
            {
                (int(y), int(m)): n
                for y, m, n in con.execute(
                    "SELECT year(order_purchase_timestamp), month(order_purchase_timestamp), count(*) FROM orders "
                    "GROUP BY 1, 2"
                ).fetchall()
            }
        )
        translated = {
            r[0]
            for r in con.execute(
                "SELECT product_category_name FROM product_category_name_translation"
            ).fetchall()
        }
        return WarehousePools(
            customer_states=counts("SELECT customer_state, count(*) FROM customers GROUP BY 1"),
            seller_states=counts("SELECT seller_state, count(*) FROM sellers GROUP BY 1"),
            categories=counts(
                "SELECT p.product_category_name, count(*) FROM order_items i JOIN products p USING (product_id) "
                "GROUP BY 1"
            ),
            translated_categories=frozenset(translated),
            statuses=counts("SELECT order_status, count(*) FROM orders GROUP BY 1"),
            payments=counts("SELECT payment_type, count(*) FROM order_payments GROUP BY 1"),
            months=months,
        )
    finally:
        if own:
            con.close()

"""Distinguishing copies of a warehouse: the perturbed members of a test-suite for SQL scoring.

Test-suite execution accuracy (Zhong et al., 2020) runs a prediction on several databases and accepts it
only if it matches the gold query on all of them: a wrong query that agrees with the gold on one database by
accident rarely agrees on a database built to tell the two apart. ``perturb_warehouse`` copies a warehouse and
plants, deterministically, the situations that separate common wrong queries from right ones:

- **NULLs where Olist has them** (more often than Olist, so that they are seen): delivered orders without a
  delivery, carrier or approval time; products without a category (and without the name/description/photo
  counts, as in Olist); products in the two categories that have no English name. Also canceled orders that
  still record a delivery (a status that disagrees with the dates). Separates ``COUNT(col)`` from ``COUNT(*)``, a missing ``IS NOT NULL``, "status
  = 'delivered'" from "has a delivery date", inner from outer joins to the translation table.
- **Empty groups**: a translated category whose products never sold; orders without any payment.
- **Duplicate values in non-key columns**: more repeat buyers (a ``customer_unique_id`` shared by customers
  of one city), the same product twice in an order (Olist writes one row per unit), a second review row for
  an order. Separates ``COUNT(DISTINCT ...)`` from ``COUNT(...)`` and fan-out from joins.
- **Boundary dates**: for every month, in every customer state and the ten largest cities, the first order
  of the month is moved to the month's first second and the last order to its last second (the whole order
  timeline moves with it, so each order stays in its month and in order); some deliveries happen exactly at
  midnight of the estimated date (on time) or of the day after (late). Separates ``>`` from ``>=`` and
  ``BETWEEN 'a' AND 'b'`` on timestamps from half-open ranges. No delivery is put *during* its estimated day:
  "late" would then depend on whether one compares timestamps or dates, and both readings are defensible.
- **Ties at top-k boundaries**: orders per customer state and items per product category tie between ranks
  3/4 and 5/6, revenue (sum of ``price``) per category too, and the two payment types with the lowest
  mean ``payment_value`` get exactly the same mean (a tie at the bottom of a ranking, where ``rank()`` and
  ``dense_rank()`` agree and ``row_number()`` does not). A question with a top-k therefore needs a stated
  tie-breaker, and ``lint_gold`` checks that its gold has one.

Every change keeps keys valid: primary keys stay unique (the copy keeps its declared keys, so DuckDB would
refuse a duplicate), every foreign key that found its parent still does (the one reference that may now
miss is a product category without an English name, which Olist has too), and each order's times stay in
order (purchase <= approval <= carrier <= delivery). The copy's ``ground_truth`` schema is the source's and does not
describe the perturbed rows; SQL scoring never reads it. Rows are picked by ``md5`` of their key and a salt,
so the same source and salt always give the same file (its content hash is recorded and checked).
"""

from __future__ import annotations

import shutil
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
from pydantic import BaseModel, Field

from tucano_commerce.warehouse._build import content_hash, written_atomically
from tucano_commerce.warehouse._query import read_build_info, write_build_info

__all__ = ["PERTURBATION_VERSION", "PerturbationReport", "perturb_warehouse"]

PERTURBATION_VERSION = 1
"""Bump when any change below changes what a perturbed warehouse contains."""

TIE_RANKS = (3, 5)
"""Top-k boundaries made into ties: rank k and rank k + 1 get the same value."""
MAX_TIE_MOVE_SHARE = 0.10
"""A tie is skipped (and reported) if it needs more than this share of the ranked rows moved."""
MAX_TIE_RAISE_SHARE = 0.25
"""A sum or mean tie is skipped if it raises the lower group's values by more than this share on average."""
BOUNDARY_CITIES = 10
"""Boundary-date orders are placed for every customer state and for this many of the largest cities."""


class PerturbationReport(BaseModel):
    """What ``perturb_warehouse`` changed."""

    path: str
    source: str
    source_content_hash: str | None
    salt: str
    version: int = PERTURBATION_VERSION
    changes: dict[str, int] = Field(description="change -> rows touched")
    ties: list[str] = Field(
        description="ties created, e.g. 'orders per customer_state: rank 3 = rank 4 (MG, RS)'"
    )
    skipped: list[str] = Field(default_factory=list, description="ties that would have moved too much")
    content_hash: str
    elapsed_s: float


def perturb_warehouse(source: str | Path, out: str | Path, *, salt: str) -> PerturbationReport:
    """Write a perturbed copy of the warehouse ``source`` to ``out`` (see the module docstring).

    Args:
        source: a warehouse built by ``build_warehouse`` (never modified; it may be open read-only elsewhere).
        out: the file to write (replaced atomically).
        salt: picks which rows change; the same source and salt give the same content.

    Returns:
        The report, also stored in the copy's ``ground_truth.build_info`` under ``perturbation``.
    """
    started = time.perf_counter()
    source, out = Path(source), Path(out)
    with written_atomically(out) as tmp:
        shutil.copyfile(source, tmp)  # a closed DuckDB file is self-contained (checkpointed at close)
        con = duckdb.connect(str(tmp), config={"threads": 1})
        try:
            perturber = _Perturber(con, salt)
            perturber.run()
            source_hash = read_build_info(con).get("content_hash")
            report = PerturbationReport(
                path=str(out),
                source=str(source),
                source_content_hash=source_hash,
                salt=salt,
                changes=perturber.changes,
                ties=perturber.ties,
                skipped=perturber.skipped,
                content_hash=content_hash(con),
                elapsed_s=round(time.perf_counter() - started, 3),
            )
            info = {
                "path": str(out),
                "content_hash": report.content_hash,
                "perturbation": report.model_dump(),
            }
            write_build_info(con, info)
            con.execute("CHECKPOINT")
        finally:
            con.close()
    return report


class _Perturber:
    """The changes, in an order that keeps earlier ones intact: ties come last so nothing undoes them."""

    def __init__(self, con: duckdb.DuckDBPyConnection, salt: str) -> None:
        self.con, self.salt = con, salt
        self.changes: dict[str, int] = {}
        self.ties: list[str] = []
        self.skipped: list[str] = []
        self.emptied_category: str | None = None

    # -- helpers ---------------------------------------------------------------------------------------

    def tag(self, name: str) -> str:
        """A salt for one change, as a SQL string literal (no quotes can occur: salts are our own names)."""
        return f"':{self.salt}:{name}'"

    def pick(self, key: str, name: str, share: float) -> str:
        """A SQL condition true for about ``share`` of the rows, chosen by ``md5`` of ``key`` and the salt."""
        threshold = f"{min(int(share * 0xFFFFFFFF), 0xFFFFFFFF):08x}"
        return f"substr(md5(CAST({key} AS VARCHAR) || {self.tag(name)}), 1, 8) < '{threshold}'"

    def order_by(self, key: str, name: str) -> str:
        """A deterministic pseudo-random order of rows, by ``md5`` of ``key`` and the salt."""
        return f"md5(CAST({key} AS VARCHAR) || {self.tag(name)})"

    def execute(self, name: str, sql: str, params: list[Any] | None = None) -> int:
        """Run one changing statement; record how many rows it touched under ``name``."""
        count = self.con.execute(sql, params or []).fetchone()
        n = int(count[0]) if count else 0
        self.changes[name] = self.changes.get(name, 0) + n
        return n

    def scalar(self, sql: str, params: list[Any] | None = None) -> Any:
        row = self.con.execute(sql, params or []).fetchone()
        return row[0] if row else None

    # -- the changes -----------------------------------------------------------------------------------

    def run(self) -> None:
        self.nulls()
        self.empty_groups()
        self.duplicates()
        self.boundary_dates()
        self.ties_on_counts()
        self.ties_on_revenue()
        self.tie_on_lowest_means()

    def nulls(self) -> None:
        delivered = "order_status = 'delivered'"
        for column, share in (
            ("order_delivered_customer_date", 0.015),
            ("order_delivered_carrier_date", 0.005),
            ("order_approved_at", 0.005),
        ):
            self.execute(
                f"null {column} of delivered orders",
                f"UPDATE orders SET {column} = NULL WHERE {delivered} AND {column} IS NOT NULL "
                f"AND {self.pick('order_id', column, share)}",
            )
        self.execute(
            "canceled orders with a delivery",
            # greatest() skips NULLs: the hand-over comes after the approval when there is one
            "UPDATE orders SET order_delivered_carrier_date = "
            "greatest(order_purchase_timestamp + INTERVAL 2 DAY, order_approved_at), "
            "order_delivered_customer_date = greatest(order_purchase_timestamp + INTERVAL 2 DAY, order_approved_at) "
            "+ INTERVAL 7 DAY "
            f"WHERE order_status = 'canceled' AND {self.pick('order_id', 'canceled-delivered', 0.25)}",
        )
        self.execute(
            "products without a category",
            "UPDATE products SET product_category_name = NULL, product_name_lenght = NULL, "
            "product_description_lenght = NULL, product_photos_qty = NULL "
            f"WHERE product_category_name IS NOT NULL AND {self.pick('product_id', 'no-category', 0.01)}",
        )
        # Olist's two categories without an English name; sold products, so that joins see them.
        self.execute(
            "products in untranslated categories",
            "UPDATE products SET product_category_name = CASE WHEN v.n % 2 = 0 THEN 'pc_gamer' "
            "ELSE 'portateis_cozinha_e_preparadores_de_alimentos' END "
            "FROM (SELECT product_id, row_number() OVER (ORDER BY "
            f"{self.order_by('product_id', 'untranslated')}) AS n FROM products "
            "WHERE product_category_name IS NOT NULL AND product_id IN (SELECT product_id FROM order_items) "
            "QUALIFY n <= 12) v WHERE products.product_id = v.product_id",
        )

    def empty_groups(self) -> None:
        # The translated category with the fewest items sold keeps its products but loses every sale.
        row = self.con.execute(
            "SELECT p.product_category_name FROM order_items i JOIN products p USING (product_id) "
            "JOIN product_category_name_translation t USING (product_category_name) "
            "GROUP BY 1 ORDER BY count(*), 1 LIMIT 1"
        ).fetchone()
        if row is not None:
            self.emptied_category = row[0]
            self.move_items(
                "items of a category moved away (category without sales)",
                "p.product_category_name = ?",
                [self.emptied_category],
                donor_where="p.product_category_name IS NOT NULL AND p.product_category_name <> ?",
                donor_params=[self.emptied_category],
                limit=None,
            )
        self.execute(
            "orders without payments",
            f"DELETE FROM order_payments WHERE {self.pick('order_id', 'no-payment', 0.003)}",
        )

    def duplicates(self) -> None:
        self.execute(
            "customers made repeat buyers (shared customer_unique_id)",
            "UPDATE customers SET customer_unique_id = s.previous FROM (SELECT customer_id, "
            "lag(customer_unique_id) OVER (PARTITION BY customer_state, customer_city "
            f"ORDER BY {self.order_by('customer_id', 'repeat-buyer')}) AS previous FROM customers) s "
            "WHERE customers.customer_id = s.customer_id AND s.previous IS NOT NULL "
            f"AND s.previous <> customers.customer_unique_id AND {self.pick('customers.customer_id', 'repeat', 0.02)}",
        )
        self.execute(
            "items repeating the order's first product",
            "UPDATE order_items SET product_id = f.product_id, seller_id = f.seller_id, price = f.price, "
            "freight_value = f.freight_value FROM order_items f WHERE f.order_id = order_items.order_id "
            "AND f.order_item_id = 1 AND order_items.order_item_id > 1 "
            f"AND {self.pick('order_items.order_id', 'repeat-item', 0.2)}",
        )
        self.execute(
            "second review rows",
            f"INSERT INTO order_reviews SELECT md5(review_id || {self.tag('second-review')}), order_id, "
            "review_score, NULL, NULL, review_creation_date + 1, review_answer_timestamp + INTERVAL 1 DAY "
            f"FROM order_reviews WHERE {self.pick('order_id', 'second-review', 0.01)}",
        )

    def boundary_dates(self) -> None:
        cities = [
            c
            for (c,) in self.con.execute(
                "SELECT customer_city FROM customers GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT ?",
                [BOUNDARY_CITIES],
            ).fetchall()
        ]
        # Per stratum and month: the month's first order moves to its first second, its last order to its
        # last second. Both stay in their month, so monthly counts do not change.
        self.con.execute(
            """
            CREATE TEMP TABLE moves AS
            WITH strata AS (
                SELECT o.order_id, o.order_purchase_timestamp AS t, 'state:' || c.customer_state AS stratum
                FROM orders o JOIN customers c USING (customer_id)
                UNION ALL
                SELECT o.order_id, o.order_purchase_timestamp, 'city:' || c.customer_city
                FROM orders o JOIN customers c USING (customer_id) WHERE list_contains(?, c.customer_city)
            ),
            ends AS (
                SELECT order_id, t, date_trunc('month', t) AS target,
                       row_number() OVER (PARTITION BY stratum, date_trunc('month', t) ORDER BY t, order_id) AS n
                FROM strata
                UNION ALL
                SELECT order_id, t, date_trunc('month', t) + INTERVAL 1 MONTH - INTERVAL 1 SECOND,
                       row_number() OVER (PARTITION BY stratum, date_trunc('month', t) ORDER BY t DESC, order_id)
                FROM strata
            )
            SELECT DISTINCT ON (order_id) order_id, target, target - t AS delta
            FROM ends WHERE n = 1 AND target <> t ORDER BY order_id, target
            """,
            [cities],
        )
        shift = "(SELECT delta FROM moves m WHERE m.order_id = {table}.order_id)"
        days = "CAST(round(epoch((SELECT delta FROM moves m WHERE m.order_id = {table}.order_id)) / 86400) AS INTEGER)"
        moved = "order_id IN (SELECT order_id FROM moves)"
        o, i, r = (
            shift.format(table="orders"),
            shift.format(table="order_items"),
            shift.format(table="order_reviews"),
        )
        self.execute(
            "orders moved to a month's first or last second",
            f"UPDATE orders SET order_purchase_timestamp = order_purchase_timestamp + {o}, "
            f"order_approved_at = order_approved_at + {o}, "
            f"order_delivered_carrier_date = order_delivered_carrier_date + {o}, "
            f"order_delivered_customer_date = order_delivered_customer_date + {o}, "
            f"order_estimated_delivery_date = order_estimated_delivery_date + {days.format(table='orders')} "
            f"WHERE {moved}",
        )
        self.con.execute(
            f"UPDATE order_items SET shipping_limit_date = shipping_limit_date + {i} WHERE {moved}"
        )
        self.con.execute(
            f"UPDATE order_reviews SET review_creation_date = review_creation_date + {days.format(table='order_reviews')}, "
            f"review_answer_timestamp = review_answer_timestamp + {r} WHERE {moved}"
        )
        self.con.execute("DROP TABLE moves")
        # A timeline moved by a fraction of a day, or a canceled order given a delivery above, may now be
        # delivered during its estimated day: move that estimate to the next day (see the module docstring).
        self.execute(
            "estimates moved past a delivery on the estimated day",
            "UPDATE orders SET order_estimated_delivery_date = CAST(order_delivered_customer_date AS DATE) + 1 "
            "WHERE CAST(order_delivered_customer_date AS DATE) = order_estimated_delivery_date "
            "AND order_delivered_customer_date <> CAST(order_estimated_delivery_date AS TIMESTAMP)",
        )
        # Deliveries at midnight of the estimated date (on time whichever way "late" is read) or of the next
        # day (late either way).
        arrival = (
            "CAST(order_estimated_delivery_date AS TIMESTAMP) + CASE WHEN "
            f"{self.pick('order_id', 'next-midnight', 0.5)} THEN INTERVAL 1 DAY ELSE INTERVAL 0 DAY END"
        )
        self.execute(
            "deliveries at midnight of the estimated date or the day after",
            # least() would turn a NULL into the arrival: NULLs stay NULL
            f"UPDATE orders SET order_delivered_customer_date = {arrival}, "
            "order_delivered_carrier_date = CASE WHEN order_delivered_carrier_date IS NOT NULL "
            f"THEN least(order_delivered_carrier_date, {arrival}) END, "
            f"order_approved_at = CASE WHEN order_approved_at IS NOT NULL THEN least(order_approved_at, {arrival}) END "
            "WHERE order_status = 'delivered' AND order_delivered_customer_date IS NOT NULL "
            "AND CAST(order_estimated_delivery_date AS TIMESTAMP) >= order_purchase_timestamp "
            f"AND {self.pick('order_id', 'on-estimate', 0.04)}",
        )

    # -- ties --------------------------------------------------------------------------------------------

    def ties_on_counts(self) -> None:
        self.tie_counts(
            "orders per customer_state",
            "SELECT customer_state, count(*) FROM customers GROUP BY 1 ORDER BY 2 DESC, 1",
            self.move_customers,
        )
        self.tie_counts(
            "items per product category",
            "SELECT p.product_category_name, count(*) FROM order_items i JOIN products p USING (product_id) "
            "WHERE p.product_category_name IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1",
            self.move_category_items,
        )

    def tie_counts(self, what: str, ranking_sql: str, move: Any) -> None:
        """Make ranks k and k+1 of a count ranking equal by moving rows from the larger group."""
        for k in TIE_RANKS:
            ranking = self.con.execute(ranking_sql).fetchall()
            if len(ranking) <= k:
                continue
            (upper, n_upper), (lower, n_lower) = ranking[k - 1], ranking[k]
            gap = n_upper - n_lower
            if gap > MAX_TIE_MOVE_SHARE * sum(n for _, n in ranking):
                self.skipped.append(f"{what}: rank {k} = rank {k + 1} would move {gap // 2 + 1} rows")
                continue
            if gap % 2:  # one row to the smallest group, then the gap is even
                move(upper, ranking[-1][0], 1, f"{what}: tie {k}")
            if gap // 2:
                move(upper, lower, gap // 2, f"{what}: tie {k}")
            self.ties.append(f"{what}: rank {k} = rank {k + 1} ({upper}, {lower})")

    def move_customers(self, from_state: str, to_state: str, n: int, name: str) -> None:
        """Move ``n`` customers (with their one order) to another state, taking a real city and zip there."""
        self.execute(
            name,
            "UPDATE customers SET customer_state = d.customer_state, customer_city = d.customer_city, "
            "customer_zip_code_prefix = d.customer_zip_code_prefix "
            f"FROM (SELECT customer_id, row_number() OVER (ORDER BY {self.order_by('customer_id', name)}) AS n "
            "FROM customers WHERE customer_state = ? QUALIFY n <= ?) v "
            "JOIN (SELECT customer_state, customer_city, customer_zip_code_prefix, "
            f"row_number() OVER (ORDER BY {self.order_by('customer_id', 'donor')}) AS n, count(*) OVER () AS m "
            "FROM customers WHERE customer_state = ?) d ON d.n = (v.n - 1) % d.m + 1 "
            "WHERE customers.customer_id = v.customer_id",
            [from_state, n, to_state],
        )

    def move_category_items(self, from_category: str, to_category: str, n: int, name: str) -> None:
        self.move_items(
            name,
            "p.product_category_name = ?",
            [from_category],
            donor_where="p.product_category_name = ?",
            donor_params=[to_category],
            limit=n,
        )

    def move_items(
        self,
        name: str,
        where: str,
        params: list[Any],
        *,
        donor_where: str,
        donor_params: list[Any],
        limit: int | None,
    ) -> None:
        """Point item rows matching ``where`` at products matching ``donor_where`` that already sell."""
        self.con.execute(
            "CREATE OR REPLACE TEMP TABLE donors AS SELECT product_id, "
            f"row_number() OVER (ORDER BY {self.order_by('product_id', name)}) AS k FROM products p "
            f"WHERE {donor_where} AND product_id IN (SELECT product_id FROM order_items)",
            donor_params,
        )
        n_donors = self.scalar("SELECT count(*) FROM donors")
        if not n_donors:
            return
        qualify = "QUALIFY n <= ?" if limit is not None else ""
        self.execute(
            name,
            "UPDATE order_items SET product_id = d.product_id FROM (SELECT i.order_id, i.order_item_id, "
            f"row_number() OVER (ORDER BY {self.order_by('i.order_id || i.order_item_id', name)}) AS n "
            f"FROM order_items i JOIN products p USING (product_id) WHERE {where} {qualify}) v "
            "JOIN donors d ON d.k = (v.n * 7919) % ? + 1 "
            "WHERE order_items.order_id = v.order_id AND order_items.order_item_id = v.order_item_id",
            [*params, *([limit] if limit is not None else []), n_donors],
        )
        self.con.execute("DROP TABLE donors")

    def ties_on_revenue(self) -> None:
        """Revenue (sum of price) per category: raise rank k+1's item prices until it equals rank k."""
        what = "revenue per product category"
        for k in TIE_RANKS:
            ranking = self.con.execute(
                "SELECT p.product_category_name, sum(i.price), count(*) FROM order_items i "
                "JOIN products p USING (product_id) WHERE p.product_category_name IS NOT NULL "
                "GROUP BY 1 ORDER BY 2 DESC, 1"
            ).fetchall()
            if len(ranking) <= k:
                continue
            (upper, s_upper, _), (lower, s_lower, n_lower) = ranking[k - 1], ranking[k]
            cents = int((Decimal(s_upper) - Decimal(s_lower)) * 100)
            if cents > MAX_TIE_RAISE_SHARE * int(Decimal(s_lower) * 100):
                self.skipped.append(
                    f"{what}: rank {k} = rank {k + 1} would raise prices by {cents / 100:.2f}"
                )
                continue
            if cents:
                self.raise_values(
                    f"{what}: tie {k}",
                    "order_items",
                    "price",
                    ("order_id", "order_item_id"),
                    "product_id IN (SELECT product_id FROM products WHERE product_category_name = ?)",
                    [lower],
                    cents,
                    n_lower,
                )
            self.ties.append(f"{what}: rank {k} = rank {k + 1} ({upper}, {lower})")

    def tie_on_lowest_means(self) -> None:
        """The two payment types with the lowest mean payment_value get exactly the same mean.

        The second-lowest group first gets a sum divisible by its size (a few cents on one row), so that its
        mean is a whole number of cents; the lowest group's values are then raised to that mean. Both means
        are then the same exact number, and DuckDB's ``avg`` returns the same double for both.
        """
        what = "mean payment_value per payment_type"
        ranking = self.con.execute(
            "SELECT payment_type, sum(payment_value), count(*) FROM order_payments GROUP BY 1 "
            "ORDER BY avg(payment_value), 1"
        ).fetchall()
        if len(ranking) < 2:
            return
        (low, s_low, n_low), (second, s_second, n_second) = ranking[0], ranking[1]
        cents_second = int(Decimal(s_second) * 100)
        self.raise_values(
            f"{what}: tie at the bottom",
            "order_payments",
            "payment_value",
            ("order_id", "payment_sequential"),
            "payment_type = ?",
            [second],
            -cents_second % n_second,
            1,
        )
        mean_cents = (cents_second + (-cents_second % n_second)) // n_second
        raise_cents = mean_cents * n_low - int(Decimal(s_low) * 100)  # >= 0: the lowest mean is raised
        self.raise_values(
            f"{what}: tie at the bottom",
            "order_payments",
            "payment_value",
            ("order_id", "payment_sequential"),
            "payment_type = ?",
            [low],
            raise_cents,
            n_low,
        )
        self.ties.append(f"{what}: the two lowest means are equal ({second}, {low})")

    def raise_values(
        self,
        name: str,
        table: str,
        column: str,
        key: tuple[str, str],
        where: str,
        params: list[Any],
        cents: int,
        n_rows: int,
    ) -> None:
        """Add ``cents`` in total to ``column`` over the first ``n_rows`` matching rows, evenly to the cent."""
        if cents <= 0 or n_rows <= 0:
            return
        each, rest = divmod(cents, n_rows)
        a, b = key
        self.execute(
            name,
            f"UPDATE {table} SET {column} = {column} + (? + CASE WHEN v.n <= ? THEN 1 ELSE 0 END) * 0.01 "
            f"FROM (SELECT {a}, {b}, row_number() OVER (ORDER BY {a}, {b}) AS n FROM {table} WHERE {where} "
            f"QUALIFY n <= ?) v WHERE {table}.{a} = v.{a} AND {table}.{b} = v.{b}",
            [each, rest, *params, n_rows],
        )

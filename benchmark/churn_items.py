"""The 15 churn items: customer profiles from the benchmark warehouse, 5 per true-risk band.

Profiles are built from model-visible tables only (orders, items, payments, reviews); the truth
(probability, band, realised outcome) comes from ``ground_truth.customer_churn``. Within a band,
customers are picked by a seeded hash for variety across five kinds of history (repeat buyer,
written complaint, late delivery, single order with a review text, anything else).
"""

from __future__ import annotations

import hashlib

import duckdb

from tucano_commerce.tasks import CHURN_RISK_LEVEL

KINDS = {
    "repeat": "t.n_orders >= 2",
    "complaint": "t.complaints >= 1",
    "late": "t.late_deliveries >= 1",
    "single_with_text": "t.n_orders = 1 AND has_text",
    "other": "TRUE",
}


def stable_rank(key: str, seed: int) -> str:
    return hashlib.sha256(f"{seed}:{key}".encode()).hexdigest()


def pick_customers(con: duckdb.DuckDBPyConnection, seed: int) -> list[tuple[str, str, str]]:
    """(difficulty, customer_unique_id, kind) for 5 customers per band, one of each kind."""
    rows = con.execute(
        """
        SELECT t.customer_unique_id, t.risk_level, t.n_orders, t.complaints, t.late_deliveries,
               EXISTS (SELECT 1 FROM customers c JOIN orders o USING (customer_id)
                       JOIN order_reviews r USING (order_id)
                       WHERE c.customer_unique_id = t.customer_unique_id
                         AND r.review_comment_message IS NOT NULL) AS has_text
        FROM ground_truth.customer_churn t
        """
    ).fetchall()
    chosen: list[tuple[str, str, str]] = []
    used: set[str] = set()
    for difficulty, band in CHURN_RISK_LEVEL.items():
        for kind, _ in KINDS.items():

            def ok(r, kind=kind, band=band) -> bool:
                _, level, n, complaints, late, has_text = r
                return level == band and {
                    "repeat": n >= 2, "complaint": complaints >= 1, "late": late >= 1,
                    "single_with_text": n == 1 and has_text, "other": True,
                }[kind]  # fmt: skip

            pool = sorted(
                (r for r in rows if ok(r) and r[0] not in used), key=lambda r: stable_rank(r[0], seed)
            )
            if not pool:  # fall back to any customer of the band
                pool = sorted(
                    (r for r in rows if r[1] == band and r[0] not in used),
                    key=lambda r: stable_rank(r[0], seed),
                )
            used.add(pool[0][0])
            chosen.append((difficulty, pool[0][0], kind))
    return chosen

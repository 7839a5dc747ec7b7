"""The latent churn model: the ground truth for churn items and churn training prompts.

Olist has no data after its window, so "churn" here is a designed, documented model rather than an
observed label. Definition: a person (``customer_unique_id``) churns if they make no purchase in the
``HORIZON_DAYS`` after the snapshot (the last purchase timestamp in the data).

The true churn probability is a logistic function of the person's *observable* history only, so a
model that reads the profile well can in principle recover it:

    logit p = INTERCEPT
              + RECENCY  * (recency_days / 365 - 0.75)      # long silence -> likely gone
              + FREQUENCY * (n_orders - 1)                  # repeat buyers stay (coefficient < 0)
              + SPEND    * log(total_spent / 150)           # bigger spenders stay (coefficient < 0)
              + LATE     * late_deliveries                  # each late delivery pushes away
              + LOW_SCORE * [min review score <= 2]         # a bad experience pushes away
              + COMPLAINT * complaints                      # written complaints (score <= 2 with text)
              + UNDELIVERED * undelivered_orders            # canceled / never delivered orders

The realised outcome ``churned`` is one Bernoulli draw from p (seeded), i.e. what "actually happened".
Risk levels use the bands in ``RISK_BANDS`` (baixo < 0.4 <= medio < 0.7 <= alto).
"""

from __future__ import annotations

import duckdb
import numpy as np

HORIZON_DAYS = 180
INTERCEPT = 0.3
RECENCY = 1.6
FREQUENCY = -1.3
SPEND = -0.35
LATE = 0.9
LOW_SCORE = 1.0
COMPLAINT = 0.6
UNDELIVERED = 0.8
RISK_BANDS: tuple[tuple[str, float, float], ...] = (
    ("baixo", 0.0, 0.4),
    ("medio", 0.4, 0.7),
    ("alto", 0.7, 1.0001),
)


def risk_level(p: np.ndarray) -> np.ndarray:
    """Map churn probabilities to the pt-BR risk bands."""
    out = np.empty(len(p), dtype=object)
    for name, lo, hi in RISK_BANDS:
        out[(p >= lo) & (p < hi)] = name
    return out


def churn_probability(
    recency_days: np.ndarray,
    n_orders: np.ndarray,
    total_spent: np.ndarray,
    late_deliveries: np.ndarray,
    min_review_score: np.ndarray,
    complaints: np.ndarray,
    undelivered_orders: np.ndarray,
) -> np.ndarray:
    """True churn probability from observable history (see the module docstring for the formula)."""
    low = np.nan_to_num(min_review_score, nan=5.0) <= 2
    z = (
        INTERCEPT
        + RECENCY * (recency_days / 365.0 - 0.75)
        + FREQUENCY * (n_orders - 1)
        + SPEND * np.log(np.maximum(total_spent, 1.0) / 150.0)
        + LATE * late_deliveries
        + LOW_SCORE * low
        + COMPLAINT * complaints
        + UNDELIVERED * undelivered_orders
    )
    return 1.0 / (1.0 + np.exp(-z))


# Observable history per person, computed from the warehouse itself, so the truth is consistent with
# whatever the tables hold (synthetic or imported). "Late" is Olist's usual definition: delivered
# after the estimated delivery date.
FEATURES_SQL = """
WITH person_orders AS (
    SELECT c.customer_unique_id, o.order_id, o.order_status, o.order_purchase_timestamp,
           o.order_delivered_customer_date > o.order_estimated_delivery_date AS is_late
    FROM orders o JOIN customers c USING (customer_id)
),
paid AS (SELECT order_id, sum(payment_value) AS paid FROM order_payments GROUP BY order_id),
reviewed AS (
    SELECT order_id, min(review_score) AS min_score,
           count(*) FILTER (WHERE review_score <= 2 AND review_comment_message IS NOT NULL) AS complaints
    FROM order_reviews GROUP BY order_id
),
snapshot AS (SELECT max(order_purchase_timestamp) AS t FROM orders)
SELECT p.customer_unique_id,
       CAST(snapshot.t AS DATE) AS snapshot_date,
       count(*) AS n_orders,
       date_diff('day', max(p.order_purchase_timestamp), snapshot.t) AS recency_days,
       round(coalesce(sum(paid.paid), 0), 2)::DOUBLE AS total_spent,
       count(*) FILTER (WHERE p.is_late) AS late_deliveries,
       min(reviewed.min_score) AS min_review_score,
       coalesce(sum(reviewed.complaints), 0)::INTEGER AS complaints,
       count(*) FILTER (WHERE p.order_status IN ('canceled', 'unavailable')) AS undelivered_orders
FROM person_orders p
LEFT JOIN paid USING (order_id)
LEFT JOIN reviewed USING (order_id)
CROSS JOIN snapshot
GROUP BY p.customer_unique_id, snapshot.t
ORDER BY p.customer_unique_id
"""


def churn_truth(con: duckdb.DuckDBPyConnection, seed: int) -> dict[str, np.ndarray]:
    """One ground-truth row per person: observable features, true p, risk level, realised outcome."""
    f = con.execute(FEATURES_SQL).fetchnumpy()
    min_score = np.ma.filled(np.ma.asarray(f["min_review_score"]).astype(float), np.nan)
    p = churn_probability(
        f["recency_days"].astype(float),
        f["n_orders"].astype(float),
        f["total_spent"].astype(float),
        f["late_deliveries"].astype(float),
        min_score,
        f["complaints"].astype(float),
        f["undelivered_orders"].astype(float),
    )
    # The outcome draw has its own stream so that it does not depend on how the tables were made.
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0xC4]))
    n = len(p)
    return {
        "customer_unique_id": f["customer_unique_id"],
        "snapshot_date": f["snapshot_date"],
        "horizon_days": np.full(n, HORIZON_DAYS),
        "n_orders": f["n_orders"],
        "recency_days": f["recency_days"],
        "total_spent": f["total_spent"],
        "late_deliveries": f["late_deliveries"],
        "min_review_score": min_score,
        "complaints": f["complaints"],
        "undelivered_orders": f["undelivered_orders"],
        "churn_probability": np.round(p, 4),
        "risk_level": risk_level(p),
        "churned": rng.random(n) < p,
    }

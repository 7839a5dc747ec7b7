"""The 15 churn items: customer profiles from the benchmark warehouse, 5 per true-risk band.

Profiles are built from model-visible tables only (orders, items, payments, reviews); the truth
(probability, band, realised outcome) comes from ``ground_truth.customer_churn``. Within a band,
customers are picked by a seeded hash for variety across five kinds of history (repeat buyer,
written complaint, late delivery, single order with a review text, anything else).
"""

from __future__ import annotations

import hashlib

import duckdb

KINDS = {
    "repeat": "t.n_orders >= 2",
    "complaint": "t.complaints >= 1",
    "late": "t.late_deliveries >= 1",
    "single_with_text": "t.n_orders = 1 AND has_text",
    "other": "TRUE",
}
BAND_OF = {"low": "baixo", "medium": "medio", "high": "alto"}

PROFILE_ORDERS_SQL = """
SELECT o.order_id, o.order_purchase_timestamp, o.order_status, o.order_delivered_customer_date,
       o.order_estimated_delivery_date, c.customer_city, c.customer_state,
       (SELECT sum(payment_value) FROM order_payments p WHERE p.order_id = o.order_id) AS paid,
       (SELECT string_agg(DISTINCT coalesce(pr.product_category_name, 'sem_categoria'), ', ')
          FROM order_items i JOIN products pr USING (product_id) WHERE i.order_id = o.order_id) AS categories,
       (SELECT max(review_score) FROM order_reviews r WHERE r.order_id = o.order_id) AS score,
       (SELECT max(review_comment_message) FROM order_reviews r WHERE r.order_id = o.order_id) AS message
FROM orders o JOIN customers c USING (customer_id)
WHERE c.customer_unique_id = ?
ORDER BY o.order_purchase_timestamp
"""


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
    for difficulty, band in BAND_OF.items():
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


def render_profile(con: duckdb.DuckDBPyConnection, person: str, snapshot: str) -> str:
    """The pt-BR customer profile shown to the model."""
    orders = con.execute(PROFILE_ORDERS_SQL, [person]).fetchall()
    city, state = orders[0][5], orders[0][6]
    total = sum(float(o[7] or 0) for o in orders)
    last = max(o[1] for o in orders)
    lines = [
        f"Cliente: {person[:8]} ({city}/{state})",
        f"Data de referência: {snapshot}",
        f"Pedidos: {len(orders)} · Gasto total: R$ {total:.2f} · Última compra: {last:%Y-%m-%d}",
        "",
        "Histórico de pedidos:",
    ]
    for i, (_, ts, status, delivered, estimated, _, _, paid, cats, score, message) in enumerate(orders, 1):
        if status == "delivered" and delivered is not None:
            late_days = (delivered.date() - estimated).days
            delivery = f"entregue com {late_days} dias de atraso" if late_days > 0 else "entregue no prazo"
        elif status in ("canceled", "unavailable"):
            delivery = "cancelado/indisponível, não entregue"
        else:
            delivery = f"status '{status}', ainda não entregue"
        value = f"R$ {float(paid):.2f}" if paid is not None else "sem pagamento registrado"
        lines.append(f"{i}. {ts:%Y-%m-%d} · {cats or 'sem itens'} · {value} · {delivery}")
        if score is not None:
            review = f"   Avaliação: {score}/5"
            lines.append(review + (f' — "{message}"' if message else " (sem comentário)"))
    return "\n".join(lines)

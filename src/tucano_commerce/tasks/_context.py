"""The data a prompt shows: customer profiles (churn) and small tables (insights), rendered in pt-BR.

Shared by the benchmark's authoring script, ``tucano bench validate`` (which re-renders to check the
prompts) and the GRPO training data, so all three show data the same way.
"""

from __future__ import annotations

from typing import Any

import duckdb

PROFILE_ORDERS_SQL = """
SELECT o.order_id, o.order_purchase_timestamp, o.order_status, o.order_delivered_customer_date,
       o.order_estimated_delivery_date, c.customer_city, c.customer_state,
       (SELECT sum(payment_value) FROM order_payments p WHERE p.order_id = o.order_id) AS paid,
       (SELECT string_agg(DISTINCT coalesce(pr.product_category_name, 'sem_categoria'), ', ' ORDER BY coalesce(pr.product_category_name, 'sem_categoria'))
          FROM order_items i JOIN products pr USING (product_id) WHERE i.order_id = o.order_id) AS categories,
       (SELECT max(review_score) FROM order_reviews r WHERE r.order_id = o.order_id) AS score,
       (SELECT max(review_comment_message) FROM order_reviews r WHERE r.order_id = o.order_id) AS message
FROM orders o JOIN customers c USING (customer_id)
WHERE c.customer_unique_id = ?
ORDER BY o.order_purchase_timestamp
"""


def render_profile(con: duckdb.DuckDBPyConnection, person: str, snapshot: str) -> str:
    """A customer's order history, deliveries and reviews, as the churn task shows it."""
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


def format_cell(value: Any) -> str:
    """A table cell as shown to the model: non-integers to at most 2 decimals, trailing zeros dropped."""
    if hasattr(value, "as_integer_ratio") and not isinstance(value, int):
        return f"{float(value):.2f}".rstrip("0").rstrip(".")
    return str(value)


def render_table(title: str, columns: list[str], rows: list[tuple[Any, ...]]) -> str:
    """A titled markdown table."""
    head = f"**{title}**\n\n| " + " | ".join(columns) + " |\n|" + "---|" * len(columns)
    return head + "\n" + "\n".join("| " + " | ".join(format_cell(v) for v in r) + " |" for r in rows)

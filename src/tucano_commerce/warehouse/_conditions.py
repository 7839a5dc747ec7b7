"""Olist SQL conditions written once, for the benchmark's insight facts and the training templates.

Each is a boolean SQL expression on the ``orders`` table aliased ``o``; ``PERIOD`` and ``YEAR`` hold
``str.format`` slots.
"""

from __future__ import annotations

LATE = "o.order_delivered_customer_date > o.order_estimated_delivery_date"
"""Delivered after the estimated date (what the prompts' glossary calls atrasado)."""
DELIVERED = "o.order_status = 'delivered' AND o.order_delivered_customer_date IS NOT NULL"
"""Delivered, with a delivery date (so ``LATE`` can be decided)."""
PERIOD = (
    "o.order_purchase_timestamp >= TIMESTAMP '{start}' AND o.order_purchase_timestamp < TIMESTAMP '{end}'"
)
"""Bought in ``[start, end)`` (ISO timestamps)."""
YEAR = "year(o.order_purchase_timestamp) = {year}"
"""Bought in ``year``."""

"""The benchmark's templates, held out of the training data: the one place where they are marked.

A training template is *the benchmark's* when a benchmark item is an instance of it: the item's question
wording, or its SQL skeleton, possibly with a slot filled or a filter added (``monthly_lag_state`` is
``sql-014`` with a state filter; ``monthly_late_period`` is ``ins-007`` with a month range). Such a
template stays in the catalogue (so the guard can be shown to work on it) but no generator draws from it:
``training_templates`` leaves it out, and the contamination guard fails a build that contains an example
made from it. ``check_templates`` (run by every build) compares every other template with every benchmark
item and fails when one resembles an item without being listed here, so this list cannot silently fall
behind the benchmark (thresholds in ``data._contamination``).

Keys are ``"<task>/<template name>"``; values are the benchmark items the template reproduces.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

HELD_OUT: dict[str, tuple[str, ...]] = {
    # --- sql: the benchmark question with a slot for its constant, or with a filter added ---------------
    "sql/orders_by_status": ("sql-001",),  # count of orders with a status
    "sql/customers_in_state": ("sql-004",),  # distinct customer_unique_id of a state
    "sql/delivered_state_year": ("sql-001", "sql-008"),  # delivered orders + state/year filters
    "sql/seller_state_freight": ("sql-009",),  # sum over items of the sellers of a state
    "sql/category_english_items": ("sql-010",),  # English category name and item count
    "sql/top_categories_avg_price": ("sql-006",),  # top-k categories by a price aggregate
    "sql/top_categories_state": ("sql-006",),  # sql-006 + a customer-state filter
    "sql/monthly_orders_state": ("sql-011",),  # orders per month of a year + a state filter
    "sql/monthly_revenue_category": ("sql-011",),  # sql-011's monthly series, revenue of a category
    "sql/monthly_lag_state": ("sql-014",),  # month-over-month LAG + a state filter
    "sql/states_having_orders": ("sql-012",),  # states ranked by orders
    "sql/late_rate_states": ("sql-015",),  # top-k states by a delivery measure, HAVING a minimum
    # --- insights: the benchmark question with a state/year/category/period added -------------------
    "insights/late_vs_ontime_state": ("ins-001",),
    "insights/payments_state": ("ins-002",),
    "insights/payments_year": ("ins-002",),
    "insights/top_categories_state": ("ins-004",),
    "insights/monthly_orders_state": ("ins-006",),
    "insights/monthly_late_period": ("ins-007",),
    "insights/monthly_score_state": ("ins-008",),
    "insights/quarterly_ticket_payment": ("ins-009",),
    "insights/logistics_states_year": ("ins-011",),
    "insights/freight_region_category": ("ins-012",),
    "insights/installments_state": ("ins-013",),
    "insights/recency_state": ("ins-015",),
}

T = TypeVar("T")


def template_key(task: str, name: str) -> str:
    """``"sql/monthly_lag_state"``: how ``HELD_OUT`` and ``source["template"]`` name a template."""
    return f"{task}/{name}"


def is_held_out(task: str, name: str) -> bool:
    """Whether the template ``name`` of ``task`` is one of the benchmark's."""
    return template_key(task, name) in HELD_OUT


def training_templates(task: str, templates: Iterable[T]) -> tuple[T, ...]:
    """The templates a generator may draw from: the catalogue without the benchmark's."""
    named: Iterable[Any] = templates
    return tuple(t for t in named if not is_held_out(task, t.name))

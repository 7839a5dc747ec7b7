"""Churn and insights training prompts computed from a (training) warehouse.

Both mirror the benchmark's authoring (``benchmark/churn_items.py``, ``benchmark/insights_items.py``) with
other content: a warehouse of another seed, other customers, other slices of the data.

* Churn: customer profiles rendered by ``render_profile`` at the warehouse's snapshot date (the truth in
  ``ground_truth.customer_churn`` is defined at that date, so it is never moved), balanced over the three
  true-risk bands and rotating over five kinds of history (repeat buyer, written complaint, late delivery,
  single order with a review text, anything else). Customers are ranked by a seeded hash.
* Insights: parameterised analytical questions (a state, a category, a year, a payment type, a region, a
  month range ...) of three kinds (comparison, trend, recommendation), each with one table rendered by
  ``render_table`` and key facts derived from the table rows in the scorer's format
  (``{"text", "numbers", "entities", "tolerance"}``, see ``tucano_commerce.scoring._insights``).
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tucano_commerce._ptbr import MONTHS
from tucano_commerce.data._heldout import training_templates
from tucano_commerce.data._insight_templates import INSIGHT_TEMPLATES, REGIONS, InsightTemplate, NotEnoughData
from tucano_commerce.data._pools import read_pools
from tucano_commerce.data._records import TrainingExample
from tucano_commerce.data._sql_templates import PAYMENT_PT, warehouse_info
from tucano_commerce.scoring import fact_problems
from tucano_commerce.sql import sandbox_connection
from tucano_commerce.tasks._context import render_profile, render_table
from tucano_commerce.tasks._contracts import SYSTEM_PROMPTS
from tucano_commerce.tasks._facts import STATE_NAMES, TieError
from tucano_commerce.tasks._items import CHURN_RISK_LEVEL
from tucano_commerce.tasks._prompts import CHURN_PROMPT, INSIGHTS_PROMPT
from tucano_commerce.warehouse import RISK_BANDS, one_row

__all__ = ["CHURN_KINDS", "INSIGHT_TEMPLATES", "REGIONS", "build_churn_examples", "build_insights_examples"]

Row = tuple[Any, ...]

# ---------------------------------------------------------------------------------------------- churn
CHURN_KINDS: tuple[str, ...] = ("repeat", "complaint", "late", "single_with_text", "other")
DIFFICULTY_OF_BAND = {band: difficulty for difficulty, band in CHURN_RISK_LEVEL.items()}

_CHURN_ROWS_SQL = """
SELECT t.customer_unique_id, t.risk_level, t.n_orders, t.complaints, t.late_deliveries,
       coalesce(h.has_text, false) AS has_text, t.churn_probability, t.churned
FROM ground_truth.customer_churn t
LEFT JOIN (SELECT c.customer_unique_id, bool_or(r.review_comment_message IS NOT NULL) AS has_text
           FROM customers c JOIN orders o USING (customer_id) JOIN order_reviews r USING (order_id)
           GROUP BY 1) h USING (customer_unique_id)
"""


def _stable_rank(key: str, seed: int) -> str:
    return hashlib.sha256(f"{seed}:{key}".encode()).hexdigest()


def _is_kind(kind: str, n_orders: int, complaints: int, late: int, has_text: bool) -> bool:
    return {
        "repeat": n_orders >= 2,
        "complaint": complaints >= 1,
        "late": late >= 1,
        "single_with_text": n_orders == 1 and has_text,
        "other": True,
    }[kind]


def build_churn_examples(
    db_path: Path, n: int, *, seed: int, exclude_customers: set[str] | frozenset[str] = frozenset()
) -> list[TrainingExample]:
    """``n`` churn prompts, balanced over the risk bands (where the warehouse allows) and the history kinds.

    Args:
        db_path: the training warehouse (opened through ``sandbox_connection``).
        n: number of examples.
        seed: seeds the customer ranking; same seed and warehouse give the same examples.
        exclude_customers: ``customer_unique_id`` values never to use (e.g. benchmark customers).

    Returns:
        Examples with ground truth ``{"churn_probability", "risk_level", "churned"}`` and difficulty
        low/medium/high by true band.
    """
    info = warehouse_info(db_path)
    con = sandbox_connection(db_path)
    try:
        snapshot = str(one_row(con, "SELECT max(CAST(order_purchase_timestamp AS DATE)) FROM orders")[0])
        rows = sorted(
            (r for r in con.execute(_CHURN_ROWS_SQL).fetchall() if r[0] not in exclude_customers),
            key=lambda r: _stable_rank(r[0], seed),
        )
        bands = [name for name, _, _ in RISK_BANDS]
        pools = {
            (b, k): [r for r in rows if r[1] == b and _is_kind(k, r[2], r[3], r[4], r[5])]
            for b in bands
            for k in CHURN_KINDS
        }
        cursor = dict.fromkeys(pools, 0)
        used: set[str] = set()

        def take(band: str, kind: str) -> Row | None:
            pool = pools[(band, kind)]
            while cursor[(band, kind)] < len(pool):
                row = pool[cursor[(band, kind)]]
                cursor[(band, kind)] += 1
                if row[0] not in used:
                    return row
            return None

        chosen: list[tuple[Row, str]] = []
        turn = 0
        exhausted: set[str] = set()
        while len(chosen) < n and len(exhausted) < len(bands):
            band = bands[turn % len(bands)]
            kind = CHURN_KINDS[(turn // len(bands)) % len(CHURN_KINDS)]
            turn += 1
            if band in exhausted:
                continue
            row = take(band, kind)
            if row is None and kind != "other":
                row, kind = take(band, "other"), "other"
            if row is None:
                exhausted.add(band)
                continue
            used.add(row[0])
            chosen.append((row, kind))

        examples = []
        for i, (row, kind) in enumerate(chosen, 1):
            person, level, n_orders, _, _, _, p, churned = row
            examples.append(
                TrainingExample(
                    id=f"train-chu-{i:05d}",
                    task="churn",
                    prompt=[
                        {"role": "system", "content": SYSTEM_PROMPTS["churn"]},
                        {
                            "role": "user",
                            "content": CHURN_PROMPT.format(profile=render_profile(con, person, snapshot)),
                        },
                    ],
                    ground_truth={
                        "churn_probability": float(p),
                        "risk_level": level,
                        "churned": bool(churned),
                    },
                    source={
                        "dataset": "warehouse",
                        "customer_unique_id": person,
                        "kind": kind,
                        "n_orders": int(n_orders),
                        "snapshot_date": snapshot,
                        "warehouse": info,
                    },
                    label_source="synthetic",
                    difficulty=DIFFICULTY_OF_BAND[level],
                )
            )
        return examples
    finally:
        con.close()


# ------------------------------------------------------------------------------------------- insights


def _insight_pools(con: Any) -> dict[str, list[Any]]:
    """Slot values of the insight templates, each frequent enough to give a table worth analysing."""
    counts = read_pools(con=con)
    months = counts.months_by_year(min_orders=100)
    periods = [
        (y, ms[i], ms[j])
        for y, ms in months.items()
        for i in range(len(ms))
        for j in range(i + 3, min(len(ms), i + 7))
    ]
    return {
        "state": counts.at_least(counts.customer_states, 150),
        "category": counts.at_least(counts.categories, 120),
        "year": [y for y in (2017, 2018) if y in months],
        "payment": [p for p in counts.at_least(counts.payments, 1) if p in PAYMENT_PT],
        "region": sorted(REGIONS),
        "period": periods,
        "min_n": [30, 50, 100],
    }


def _fill(
    template: InsightTemplate, rng: random.Random, pools: dict[str, list[Any]], snapshot: str
) -> dict[str, Any]:
    slots: dict[str, Any] = {"snapshot": snapshot}
    for kind in template.params:
        value = rng.choice(pools[kind])
        if kind == "period":
            year, m1, m2 = value
            end = f"{year + 1}-01-01" if m2 == 12 else f"{year}-{m2 + 1:02d}-01"
            slots.update(
                year=year,
                m1_name=MONTHS[m1 - 1],
                m2_name=MONTHS[m2 - 1],
                start=f"{year}-{m1:02d}-01",
                end=end,
            )
        else:
            slots[kind] = value
    if "state" in slots:
        slots["state_name"] = STATE_NAMES.get(slots["state"], slots["state"])
    if "payment" in slots:
        slots["payment_pt"] = PAYMENT_PT[slots["payment"]]
    if "region" in slots:
        slots["region_states"] = ", ".join(f"'{s}'" for s in REGIONS[slots["region"]])
    return slots


def build_insights_examples(
    db_path: Path,
    n: int,
    *,
    seed: int,
    max_attempts_per_example: int = 20,
    templates: Sequence[InsightTemplate] | None = None,
) -> list[TrainingExample]:
    """``n`` insights prompts over slices of the warehouse, with key facts derived from the shown table.

    Kinds (comparison, trend, recommendation) rotate; each (template, parameters) pair is used once, and a
    slice too thin for its question (or whose facts would not need analysis) is skipped.

    Args:
        db_path: the training warehouse (opened through ``sandbox_connection``).
        n: number of examples (fewer if the parameter space runs out).
        seed: seeds the parameter draws.
        max_attempts_per_example: give up after ``n * max_attempts_per_example`` draws.
        templates: the templates to draw from; default: the catalogue without the benchmark's.

    Returns:
        Examples with ground truth ``{"key_facts": [...], "rubric": [hint]}`` and the table SQL in ``source``.
    """
    info = warehouse_info(db_path)
    con = sandbox_connection(db_path)
    try:
        snapshot = str(one_row(con, "SELECT max(order_purchase_timestamp) FROM orders")[0])
        pools = _insight_pools(con)
        by_kind: dict[str, list[InsightTemplate]] = {}
        for template in training_templates("insights", INSIGHT_TEMPLATES) if templates is None else templates:
            by_kind.setdefault(template.kind, []).append(template)
        kinds = sorted(by_kind)
        rng = random.Random(seed)
        seen: set[tuple[str, str]] = set()
        examples: list[TrainingExample] = []
        attempts = 0
        while len(examples) < n and attempts < n * max_attempts_per_example:
            kind = kinds[attempts % len(kinds)]
            attempts += 1
            template = rng.choice(by_kind[kind])
            slots = _fill(template, rng, pools, snapshot)
            question = template.question.format(**slots)
            if (template.name, question) in seen:
                continue
            seen.add((template.name, question))
            title, sql = template.title.format(**slots), template.sql.format(**slots)
            cur = con.execute(sql)
            columns, rows = [d[0] for d in cur.description], cur.fetchall()
            if template.facts is None:
                raise ValueError(
                    f"insights template {template.name} has no facts: it is one of the benchmark's"
                )
            try:
                facts = template.facts(rows, slots)
            except (NotEnoughData, TieError):
                continue
            table = render_table(title, columns, rows)
            user = INSIGHTS_PROMPT.format(tables=table, question=question)
            if any(fact_problems(f, user) for f in facts):
                continue  # e.g. a derived number that happens to equal a cell of this table
            examples.append(
                TrainingExample(
                    id=f"train-ins-{len(examples) + 1:05d}",
                    task="insights",
                    prompt=[
                        {"role": "system", "content": SYSTEM_PROMPTS["insights"]},
                        {"role": "user", "content": user},
                    ],
                    ground_truth={"key_facts": facts, "rubric": [template.hint]},
                    source={
                        "dataset": "warehouse",
                        "template": template.name,
                        "params": {
                            k: slots[k]
                            for k in slots
                            if k in template.params or k in ("year", "m1_name", "m2_name")
                        },
                        "tables": [{"title": title, "sql": sql}],
                        "warehouse": info,
                    },
                    label_source="synthetic",
                    difficulty=template.kind,
                )
            )
        return examples
    finally:
        con.close()

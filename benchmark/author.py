"""Author the benchmark: writes ``prompts.jsonl`` and ``manifest.json`` next to this file.

    .venv/bin/python benchmark/author.py            # needs $TUCANO_OLIST_DIR (review text hashes)

Deterministic: review items come from the hand labels in ``review_labels.py``; SQL items from
``sql_items.py``; churn and insight items are computed from the benchmark warehouse (seed below). The
manifest also records the SQL test suite's warehouses and their content hashes (built and cached under
``$TUCANO_HOME/warehouses``).
Re-run it when the warehouse generator changes (and bump the benchmark version).
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import duckdb

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from churn_items import pick_customers  # noqa: E402
from insights_items import INSIGHTS  # noqa: E402
from review_labels import AUTHORED, EXTRACTION, EXTRACTION_FIELDS, SENTIMENT  # noqa: E402
from sql_items import SQL_ITEMS  # noqa: E402

from tucano_commerce.paths import olist_dir  # noqa: E402
from tucano_commerce.tasks._benchmark import read_reviews, review_text_hash  # noqa: E402
from tucano_commerce.tasks._context import render_profile, render_table  # noqa: E402
from tucano_commerce.tasks._contracts import SYSTEM_PROMPTS  # noqa: E402
from tucano_commerce.tasks._prompts import (  # noqa: E402
    CHURN_PROMPT,
    EXTRACTION_PROMPT,
    INSIGHTS_PROMPT,
    SENTIMENT_PROMPT,
    sql_prompt,
)
from tucano_commerce.tasks._suite import describe_sql_suite  # noqa: E402
from tucano_commerce.warehouse import GENERATOR_VERSION, build_warehouse  # noqa: E402

NAME, VERSION = "tucano-commerce-bench", "1.1"
SEED, SCALE = 1234, 0.1  # the benchmark warehouse


def review_items(reviews: dict[str, tuple[str | None, str | None]]) -> list[dict]:
    def source_of(key: str) -> dict:
        if key in AUTHORED:
            return {"dataset": "authored", "text": AUTHORED[key]}
        title, message = reviews[key]
        return {"dataset": "olist", "review_id": key, "text_sha256": review_text_hash(message or ""),
                "has_title": bool(title)}  # fmt: skip

    items = []
    for n, (key, difficulty, label, why) in enumerate(EXTRACTION, 1):
        gt = dict(zip(EXTRACTION_FIELDS, label, strict=True))
        items.append({"id": f"ext-{n:03d}", "task": "extraction", "difficulty": difficulty,
                      "system": SYSTEM_PROMPTS["extraction"], "prompt": EXTRACTION_PROMPT, "ground_truth": gt,
                      "notes": why, "source": source_of(key)})  # fmt: skip
    for n, (key, polarity, score, why) in enumerate(SENTIMENT, 1):
        items.append({"id": f"sen-{n:03d}", "task": "sentiment", "difficulty": polarity,
                      "system": SYSTEM_PROMPTS["sentiment"], "prompt": SENTIMENT_PROMPT,
                      "ground_truth": {"sentiment": polarity, "sentiment_score": score}, "notes": why,
                      "source": source_of(key)})  # fmt: skip
    return items


def sql_items() -> list[dict]:
    return [
        {
            "id": f"sql-{n:03d}",
            "task": "sql",
            "difficulty": difficulty,
            "system": SYSTEM_PROMPTS["sql"],
            "prompt": sql_prompt(question),
            "ground_truth": {"sql": gold},
            "notes": notes,
            "source": {"dataset": "warehouse", "question": question},
        }  # fmt: skip
        for n, (difficulty, question, gold, notes) in enumerate(SQL_ITEMS, 1)
    ]


def churn_items(con: duckdb.DuckDBPyConnection) -> list[dict]:
    snapshot = str(
        con.execute("SELECT max(CAST(order_purchase_timestamp AS DATE)) FROM orders").fetchone()[0]
    )
    items = []
    for n, (difficulty, person, kind) in enumerate(pick_customers(con, SEED), 1):
        p, level, churned, n_orders, recency = con.execute(
            "SELECT churn_probability, risk_level, churned, n_orders, recency_days FROM ground_truth.customer_churn "
            "WHERE customer_unique_id = ?",
            [person],
        ).fetchone()
        items.append({"id": f"chu-{n:03d}", "task": "churn", "difficulty": difficulty, "system": SYSTEM_PROMPTS["churn"],
                      "prompt": CHURN_PROMPT.format(profile=render_profile(con, person, snapshot)),
                      "ground_truth": {"churn_probability": float(p), "risk_level": level, "churned": bool(churned)},
                      "notes": f"profile kind: {kind}; {n_orders} order(s), {recency} days since last purchase",
                      "source": {"dataset": "warehouse", "customer_unique_id": person}})  # fmt: skip
    return items


def insight_items(con: duckdb.DuckDBPyConnection) -> list[dict]:
    items = []
    for n, (difficulty, question, tables, facts, hints) in enumerate(INSIGHTS, 1):
        rendered, results = [], []
        for title, sql in tables:
            cur = con.execute(sql)
            columns, rows = [d[0] for d in cur.description], cur.fetchall()
            rendered.append(render_table(title, columns, rows))
            results.append(rows)
        items.append({"id": f"ins-{n:03d}", "task": "insights", "difficulty": difficulty,
                      "system": SYSTEM_PROMPTS["insights"],
                      "prompt": INSIGHTS_PROMPT.format(tables="\n\n".join(rendered), question=question),
                      "ground_truth": {"key_facts": facts(results), "rubric": [hints]}, "notes": hints,
                      "source": {"dataset": "warehouse", "tables": [{"title": t, "sql": s} for t, s in tables]}})  # fmt: skip
    return items


def main() -> None:
    directory = olist_dir(required=True)
    wanted = {k for k, *_ in EXTRACTION + SENTIMENT if k not in AUTHORED}
    reviews = read_reviews(directory, wanted)
    missing = wanted - set(reviews)
    if missing:
        raise SystemExit(f"reviews not found in {directory}: {sorted(missing)}")
    db = HERE.parent / ".tucano" / "author" / f"bench-seed{SEED}.duckdb"
    report = build_warehouse(db, seed=SEED, scale=SCALE)
    con = duckdb.connect(str(db), read_only=True)
    items = review_items(reviews) + sql_items() + churn_items(con) + insight_items(con)
    con.close()
    text = "".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items)
    (HERE / "prompts.jsonl").write_text(text, encoding="utf-8")
    counts: dict[str, dict[str, int]] = {}
    for i in items:
        counts.setdefault(i["task"], {}).setdefault(i["difficulty"], 0)
        counts[i["task"]][i["difficulty"]] += 1
    manifest = {
        "name": NAME, "version": VERSION,
        "warehouse": {"seed": SEED, "scale": SCALE, "generator_version": GENERATOR_VERSION,
                      "content_hash": report.content_hash},
        "sql_suite": describe_sql_suite(SEED, SCALE).model_dump(),
        "counts": counts, "prompts_sha256": hashlib.sha256(text.encode()).hexdigest(),
    }  # fmt: skip
    (HERE / "manifest.json").write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    print(f"wrote {len(items)} items; warehouse content hash {report.content_hash[:16]}")


if __name__ == "__main__":
    main()

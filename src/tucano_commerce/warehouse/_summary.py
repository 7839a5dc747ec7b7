"""A short, human-readable look at a built warehouse (used by ``tucano db build`` / ``db info``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb

from tucano_commerce.errors import DataError
from tucano_commerce.warehouse._schema import TABLES, TRUTH_SCHEMA

SAMPLE_QUESTION = "Top 5 estados por pedidos entregues, com nota média das avaliações"
SAMPLE_SQL = """SELECT c.customer_state AS estado,
       count(DISTINCT o.order_id) AS pedidos_entregues,
       round(avg(r.review_score), 2) AS nota_media
FROM orders o
JOIN customers c USING (customer_id)
LEFT JOIN order_reviews r USING (order_id)
WHERE o.order_status = 'delivered'
GROUP BY c.customer_state
ORDER BY pedidos_entregues DESC, estado
LIMIT 5"""


def summarize(db_path: str | Path) -> dict[str, Any]:
    """Row counts, purchase date range, build info and one sample query of a warehouse file."""
    path = Path(db_path)
    if not path.is_file():
        raise DataError(f"no warehouse at {path}; build one with: tucano db build --out {path}")
    from tucano_commerce.sql import sandbox_connection  # the one read-only config used in-process

    con = sandbox_connection(path)
    try:
        counts = {t.name: con.execute(f"SELECT count(*) FROM {t.name}").fetchone()[0] for t in TABLES}
        first, last = con.execute(
            "SELECT min(order_purchase_timestamp), max(order_purchase_timestamp) FROM orders"
        ).fetchone()
        info = dict(con.execute(f"SELECT key, value FROM {TRUTH_SCHEMA}.build_info").fetchall())
        sample = con.execute(SAMPLE_SQL)
        columns = [d[0] for d in sample.description]
        rows = sample.fetchall()
    except duckdb.Error as err:
        raise DataError(
            f"{path} is not a tucano warehouse (or is damaged): {str(err).splitlines()[0]}"
        ) from err
    finally:
        con.close()
    return {
        "path": str(path),
        "row_counts": counts,
        "purchase_range": (str(first), str(last)),
        "build_info": {k: json.loads(v) for k, v in info.items()},
        "sample": {"question": SAMPLE_QUESTION, "sql": SAMPLE_SQL, "columns": columns, "rows": rows},
    }

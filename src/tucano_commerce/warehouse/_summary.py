"""A short, human-readable look at a built warehouse (used by ``tucano db build`` / ``db info``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tucano_commerce.errors import DataError
from tucano_commerce.warehouse._build import BuildReport
from tucano_commerce.warehouse._perturb import PerturbationReport
from tucano_commerce.warehouse._query import one_row, read_build_info
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


class SampleQuery(BaseModel):
    """One fixed question answered on the warehouse, to show what its data looks like."""

    model_config = ConfigDict(frozen=True)

    question: str = Field(description="The question, in pt-BR.")
    sql: str = Field(description="The query that answers it.")
    columns: list[str] = Field(description="The result's column names.")
    rows: list[tuple[Any, ...]] = Field(description="The result's rows, cells as DuckDB returns them.")


class WarehouseSummary(BaseModel):
    """What ``summarize`` reads from a warehouse file."""

    model_config = ConfigDict(frozen=True)

    path: str = Field(description="The warehouse file.")
    row_counts: dict[str, int] = Field(description="Model-visible table -> rows, in schema order.")
    purchase_range: tuple[str, str] = Field(
        description="First and last order_purchase_timestamp, as text ('None' for an empty orders table)."
    )
    build_info: BuildReport = Field(
        description="The build report stored in the file (for a perturbed copy: its path and content hash)."
    )
    perturbation: PerturbationReport | None = Field(
        default=None, description="What was changed, when the file is a perturbed copy of a warehouse."
    )
    sample: SampleQuery


def summarize(db_path: str | Path) -> WarehouseSummary:
    """Row counts, purchase date range, build info and one sample query of a warehouse file.

    Raises:
        DataError: no file at ``db_path``, or it is not a tucano warehouse (a table or the build info is
            missing or malformed).
    """
    path = Path(db_path)
    if not path.is_file():
        raise DataError(f"no warehouse at {path}; build one with: tucano db build --out {path}")
    from tucano_commerce.sql import sandbox_connection  # the one read-only config used in-process

    con = sandbox_connection(path)
    try:
        counts = {t.name: one_row(con, f"SELECT count(*) FROM {t.name}")[0] for t in TABLES}
        first, last = one_row(
            con, "SELECT min(order_purchase_timestamp), max(order_purchase_timestamp) FROM orders"
        )
        stored = read_build_info(con)
        sample = con.execute(SAMPLE_SQL)
        columns = [d[0] for d in sample.description]
        rows = sample.fetchall()
    except duckdb.Error as err:
        raise DataError(
            f"{path} is not a tucano warehouse (or is damaged): {str(err).splitlines()[0]}"
        ) from err
    finally:
        con.close()
    try:
        build_info = BuildReport.model_validate(stored)
        perturbation = (
            PerturbationReport.model_validate(stored["perturbation"]) if "perturbation" in stored else None
        )
    except ValidationError as err:
        problem = err.errors()[0]
        field = ".".join(str(p) for p in problem["loc"]) or "(all)"
        raise DataError(
            f"{path}: table {TRUTH_SCHEMA}.build_info: field '{field}': {problem['msg']} "
            "(built by another tucano version? rebuild it with: tucano db build)"
        ) from err
    return WarehouseSummary(
        path=str(path),
        row_counts=counts,
        purchase_range=(str(first), str(last)),
        build_info=build_info,
        perturbation=perturbation,
        sample=SampleQuery(question=SAMPLE_QUESTION, sql=SAMPLE_SQL, columns=columns, rows=rows),
    )

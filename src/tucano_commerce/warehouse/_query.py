"""The one query helper the builders share: the single row of an aggregate query."""

from __future__ import annotations

from typing import Any

import duckdb


def one_row(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[Any, ...]:
    """The row of a query that always returns exactly one (an aggregate without ``GROUP BY``).

    DuckDB's ``fetchone`` is typed ``tuple | None`` because a query may return no rows; these queries
    cannot, so an empty result means the query is not what the caller thinks it is.

    Raises:
        RuntimeError: the query returned no row.
    """
    row = con.execute(sql).fetchone()
    if row is None:
        raise RuntimeError(f"expected one row, got none from: {sql}")
    return row

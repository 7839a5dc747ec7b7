"""What the warehouse builders share: the single row of an aggregate query, and the build info table."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import duckdb

from tucano_commerce.warehouse._schema import TRUTH_SCHEMA

BUILD_INFO = f"{TRUTH_SCHEMA}.build_info"
"""Key -> JSON value: the build report (and a perturbed copy's report under ``perturbation``)."""


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


def read_build_info(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """The warehouse's build info, values decoded from JSON."""
    return {k: json.loads(v) for k, v in con.execute(f"SELECT key, value FROM {BUILD_INFO}").fetchall()}


def write_build_info(con: duckdb.DuckDBPyConnection, info: Mapping[str, Any]) -> None:
    """Store ``info`` in the build info table (created if missing; existing keys are replaced)."""
    con.execute(f"CREATE TABLE IF NOT EXISTS {BUILD_INFO} (key VARCHAR PRIMARY KEY, value VARCHAR)")
    con.executemany(
        f"INSERT OR REPLACE INTO {BUILD_INFO} VALUES (?, ?)", [(k, json.dumps(v)) for k, v in info.items()]
    )

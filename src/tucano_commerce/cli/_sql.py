"""``tucano sql``: run a query in the read-only sandbox."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table as RichTable

from tucano_commerce.cli._common import console, friendly_errors

sql_app = typer.Typer(help="Query a warehouse through the read-only SQL sandbox.", no_args_is_help=True)


@sql_app.command("query")
@friendly_errors
def query(
    db: Annotated[Path, typer.Argument(help="Warehouse file.")],
    sql: Annotated[str, typer.Argument(help="One SELECT/WITH statement.")],
    timeout_s: Annotated[float, typer.Option(help="Interrupt the query after this many seconds.")] = 5.0,
    max_rows: Annotated[int, typer.Option(help="Rows to fetch at most.")] = 50,
) -> None:
    """Run one read-only query and print the result."""
    from tucano_commerce.sql import run_query

    result = run_query(db, sql, timeout_s=timeout_s, max_rows=max_rows)
    table = RichTable()
    for c in result.columns:
        table.add_column(str(c))
    for row in result.rows:
        table.add_row(*(str(v) for v in row))
    console.print(table)
    more = " (truncated)" if getattr(result, "truncated", False) else ""
    console.print(f"{len(result.rows)} rows{more}")

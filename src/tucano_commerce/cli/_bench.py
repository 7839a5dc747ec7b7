"""``tucano bench``: the domain benchmark."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table as RichTable

from tucano_commerce.cli import console, err_console, friendly_errors

bench_app = typer.Typer(help="The 80-prompt domain benchmark.", no_args_is_help=True)


@bench_app.command("validate")
@friendly_errors
def validate(
    directory: Annotated[
        Path | None, typer.Option("--dir", help="Benchmark folder (default: the repo's benchmark/).")
    ] = None,
    olist: Annotated[
        str | None, typer.Option("--olist-dir", help="Olist data folder (default: $TUCANO_OLIST_DIR).")
    ] = None,
) -> None:
    """Check the benchmark file: schema, counts, ids, reviews, gold SQL, churn truth, insight facts."""
    from tucano_commerce.bench import validate_benchmark

    report = validate_benchmark(directory=directory, olist=olist)
    table = RichTable(title=f"Benchmark {report.path}")
    table.add_column("check")
    table.add_column("result")
    for name, result in report.checks.items():
        style = "green" if result == "ok" else ("yellow" if result.startswith("skipped") else "red")
        table.add_row(name, f"[{style}]{result}[/]")
    console.print(table)
    for p in report.problems:
        err_console.print(f"[red]{report.path}: {p}[/]", highlight=False, soft_wrap=True)
    if not report.ok:
        raise typer.Exit(1)
    console.print("[green]benchmark valid[/]")

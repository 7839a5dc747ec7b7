"""``tucano db``: build and inspect the Olist-schema warehouse."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table as RichTable

from tucano_commerce.cli._common import console, friendly_errors
from tucano_commerce.errors import ConfigError
from tucano_commerce.paths import olist_dir
from tucano_commerce.warehouse import (
    DEFAULT_SCALE,
    WarehouseSummary,
    build_warehouse,
    schema_ddl,
    summarize,
)

db_app = typer.Typer(help="Build and inspect the Olist-schema DuckDB warehouse.", no_args_is_help=True)


def parse_csv_overrides(values: list[str]) -> dict[str, Path]:
    """``TABLE=PATH`` pairs from repeated ``--csv`` options."""
    out = {}
    for v in values:
        table, sep, path = v.partition("=")
        if not sep or not table or not path:
            raise ConfigError(f"--csv expects TABLE=PATH (e.g. order_reviews=reviews.csv), got '{v}'")
        out[table.strip()] = Path(path.strip())
    return out


def print_summary(summary: WarehouseSummary) -> None:
    """Row counts, date range, sources and the sample query, as rich tables."""
    info = summary.build_info
    counts = RichTable(title=f"Warehouse {summary.path}", show_lines=False)
    for col in ("table", "rows", "source"):
        counts.add_column(col, justify="right" if col == "rows" else "left")
    for table, n in summary.row_counts.items():
        counts.add_row(table, f"{n:,}", info.sources.get(table, "?"))
    console.print(counts)
    first, last = summary.purchase_range
    console.print(
        f"purchases {first} -> {last} · seed {info.seed} · scale {info.scale} · "
        f"content hash {info.content_hash[:16]}"
    )
    for w in info.warnings:
        console.print(f"[yellow]warning:[/] {w}")
    sample = summary.sample
    result = RichTable(title=sample.question)
    for c in sample.columns:
        result.add_column(c)
    for row in sample.rows:
        result.add_row(*(str(v) for v in row))
    console.print(result)


@db_app.command("build")
@friendly_errors
def build(
    out: Annotated[Path, typer.Option("--out", help="DuckDB file to write (replaced atomically).")],
    seed: Annotated[int, typer.Option(help="Seed of the synthetic generator and churn outcomes.")] = 0,
    scale: Annotated[
        float, typer.Option(help="Size relative to Olist (1.0 is ~99k orders).")
    ] = DEFAULT_SCALE,
    olist: Annotated[
        str | None,
        typer.Option(
            "--olist-dir",
            help="Folder with real Kaggle CSVs to import (default with --real: $TUCANO_OLIST_DIR, else $TUCANO_HOME/olist).",
        ),
    ] = None,
    real: Annotated[bool, typer.Option("--real", help="Import the CSVs found in $TUCANO_OLIST_DIR.")] = False,
    csv: Annotated[
        list[str] | None, typer.Option("--csv", help="TABLE=PATH: import this file for TABLE.")
    ] = None,
) -> None:
    """Build the warehouse: synthetic by default, real Olist tables where given."""
    directory = olist_dir(olist, required=real) if (olist or real) else None
    report = build_warehouse(
        out, seed=seed, scale=scale, olist_dir=directory, csv_overrides=parse_csv_overrides(csv or [])
    )
    console.print(f"built in {report.elapsed_s:.2f}s")
    print_summary(summarize(out))


@db_app.command("info")
@friendly_errors
def info(path: Annotated[Path, typer.Argument(help="A warehouse built by 'tucano db build'.")]) -> None:
    """Summarise an existing warehouse."""
    print_summary(summarize(path))


@db_app.command("schema")
def schema() -> None:
    """Print the model-visible schema as DDL."""
    console.print(schema_ddl(), highlight=False)

"""Lint for gold SQL: catch benchmark bugs before they become unfair scores (docs/sources.md#gold-sql-lint).

Checks, on every database given (e.g. warehouses built from two different seeds):

- the query passes the sandbox gate (one read-only SELECT/WITH) and sqlglot can read it (the scorer derives
  ORDER BY and ROUND handling from its tree);
- it runs, returns at least one row, and not only NULLs;
- ``LIMIT`` comes with a top-level ``ORDER BY`` (else which rows come back is arbitrary);
- it is deterministic: a second run gives the same result, and so does a run on a copy of the database whose
  tables were rewritten in random physical order (this is what exposes ``LIMIT`` without a tie-breaker,
  ``any_value``/``first`` or ``string_agg`` without ORDER BY; every connection already uses ``threads=1``, so
  a thread-count comparison would add nothing). The shuffled copy is built once per file and process, in a
  temporary directory; ``shuffle_check=False`` skips it;
- no tie at a top-level ``ORDER BY ... LIMIT k`` boundary: with ``LIMIT k+1`` the k-th and (k+1)-th rows must
  differ on the sort keys (the ORDER BY expressions are added as extra columns for this check); and when
  the first key is the unrounded ``x`` of an output column ``ROUND(x, k)``, the two rows must not show the
  same rounded value (hidden digits would decide which one the answer holds);
- the number of result columns agrees across the databases.

Results are compared with the comparator SQL scoring uses (``_compare``), so "same result" means what scoring
means by it.
"""

from __future__ import annotations

import atexit
import contextlib
import shutil
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from tucano_commerce.sql._compare import compare_results
from tucano_commerce.sql._errors import GoldQueryError, SqlError
from tucano_commerce.sql._gate import CheckedSql, check_sql
from tucano_commerce.sql._normalize import normalize_value
from tucano_commerce.sql._sandbox import QueryResult, run_query
from tucano_commerce.sql._shape import QueryShape, describe_query, with_limit, with_sort_key_columns

__all__ = ["LintReport", "lint_gold"]

_SHUFFLE_SEED = 0.42


@dataclass
class LintReport:
    """What ``lint_gold`` found for one gold query.

    Attributes:
        sql: the gold query.
        problems: each a sentence naming the database (when it applies) and what is wrong; the item should
            not ship with any of these.
        warnings: checks that could not be carried out, and why.
        row_counts: database path -> number of rows the query returned there.
    """

    sql: str
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    row_counts: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when no problem was found (warnings allowed)."""
        return not self.problems

    def raise_for_problems(self) -> None:
        """Raise ``GoldQueryError`` listing every problem, if there is any.

        Raises:
            GoldQueryError: the report has problems.
        """
        if self.problems:
            listed = "\n".join(f"  - {p}" for p in self.problems)
            raise GoldQueryError(
                f"gold SQL has {len(self.problems)} problem(s):\n{listed}\nGold query: {self.sql}"
            )


def lint_gold(
    sql: str,
    db_paths: Iterable[str | Path],
    *,
    timeout_s: float = 30.0,
    shuffle_check: bool = True,
    max_rows: int = 100_000,
) -> LintReport:
    """Check a gold query on every database and report problems instead of raising.

    Args:
        sql: the gold query.
        db_paths: warehouse files to run it on (at least one; ideally variants built from different seeds).
        timeout_s: time limit per execution.
        shuffle_check: also run on a copy of each database with its rows in random physical order.
        max_rows: a gold result larger than this is reported as a problem.

    Returns:
        The report; see ``LintReport.ok`` and ``LintReport.raise_for_problems``.
    """
    report = LintReport(sql=sql)
    paths = [Path(p) for p in db_paths]
    if not paths:
        report.problems.append("no database given: lint needs at least one warehouse file")
        return report
    try:
        checked = check_sql(sql)
    except SqlError as err:
        report.problems.append(f"not accepted by the sandbox gate: {err}")
        return report
    if checked.ast is None:
        report.problems.append(
            f"sqlglot cannot parse it ({checked.note}), so the scorer cannot derive ORDER BY/ROUND handling; "
            "rewrite it in plainer DuckDB SQL"
        )
    shape = describe_query(checked.ast) if checked.ast is not None else QueryShape(parsed=False)
    if shape.limit is not None and not shape.has_order_by:
        report.problems.append("LIMIT without a top-level ORDER BY: which rows come back is arbitrary")

    widths: dict[str, int] = {}
    for path in paths:
        name = str(path)
        try:
            first = run_query(path, checked, timeout_s=timeout_s, max_rows=max_rows)  # gated once, above
        except SqlError as err:
            report.problems.append(f"{name}: fails: {err}")
            continue
        report.row_counts[name] = len(first.rows)
        widths[name] = len(first.columns)
        if first.truncated:
            report.problems.append(f"{name}: returns more than {max_rows} rows")
            continue
        if not first.rows:
            report.problems.append(f"{name}: returns no rows (an empty gold answer cannot tell models apart)")
            continue
        if all(value is None for row in first.rows for value in row):
            report.problems.append(f"{name}: returns only NULLs")
        run_shape = describe_query(checked.ast, first.columns) if checked.ast is not None else shape
        _check_determinism(report, name, path, checked, first, run_shape, timeout_s, max_rows, shuffle_check)
        if shape.has_order_by and shape.limit is not None and shape.limit > 0:
            _check_limit_ties(report, name, path, checked.ast, run_shape, timeout_s)

    if len(set(widths.values())) > 1:
        listed = ", ".join(f"{name}: {width}" for name, width in widths.items())
        report.problems.append(f"the number of result columns differs across databases ({listed})")
    return report


def _same_result(first: QueryResult, second: QueryResult, shape: QueryShape) -> bool:
    if first.columns != second.columns:
        return False
    comparison = compare_results(
        first.rows,
        second.rows,
        gold_width=len(first.columns),
        pred_width=len(second.columns),
        order_matters=shape.has_order_by,
        order_key_cols=shape.order_key_cols,
        round_to=shape.round_to,
    )
    return comparison.ex


def _check_determinism(
    report: LintReport,
    name: str,
    path: Path,
    sql: CheckedSql,
    first: QueryResult,
    shape: QueryShape,
    timeout_s: float,
    max_rows: int,
    shuffle_check: bool,
) -> None:
    try:
        second = run_query(path, sql, timeout_s=timeout_s, max_rows=max_rows)
    except SqlError as err:
        report.problems.append(f"{name}: not deterministic: a second run failed ({err})")
        return
    if not _same_result(first, second, shape):
        report.problems.append(f"{name}: not deterministic: two runs gave different results")
        return
    if not shuffle_check:
        return
    try:
        shuffled = _shuffled_copy(path)
    except (duckdb.Error, OSError) as err:
        report.warnings.append(f"{name}: could not build a shuffled copy to test determinism ({err})")
        return
    try:
        third = run_query(shuffled, sql, timeout_s=timeout_s, max_rows=max_rows)
    except SqlError as err:
        report.warnings.append(f"{name}: could not run on the shuffled copy ({err})")
        return
    if not _same_result(first, third, shape):
        report.problems.append(
            f"{name}: not deterministic: the result changes when the tables' rows are stored in another "
            "order (add a tie-breaker to ORDER BY, or an ORDER BY to string_agg/first/any_value)"
        )


def _check_limit_ties(
    report: LintReport, name: str, path: Path, ast: Any, shape: QueryShape, timeout_s: float
) -> None:
    k = shape.limit
    assert k is not None  # callers check
    extended = with_sort_key_columns(ast)  # the exact sort keys, whatever the select list shows
    if extended is not None:
        rewritten, key_cols = with_limit(extended[0], k + 1), list(range(-extended[1], 0))
    elif shape.order_key_cols is not None:
        rewritten, key_cols = with_limit(ast, k + 1), list(shape.order_key_cols)
    else:
        report.warnings.append(
            f"{name}: could not check ties at LIMIT {k}: a sort key is not an output column"
        )
        return
    if rewritten is None:
        report.warnings.append(f"{name}: could not check ties at LIMIT {k}: the query could not be rewritten")
        return
    try:
        result = run_query(path, rewritten, timeout_s=timeout_s, max_rows=k + 1)
    except SqlError as err:
        report.warnings.append(f"{name}: could not check ties at LIMIT {k}: {err}")
        return
    if len(result.rows) <= k:
        return  # fewer than k+1 rows exist: nothing is cut off
    last, next_ = result.rows[k - 1], result.rows[k]
    last_key = [normalize_value(last[c]) for c in key_cols]
    if last_key == [normalize_value(next_[c]) for c in key_cols]:
        report.problems.append(
            f"{name}: tie at the LIMIT {k} boundary: rows {k} and {k + 1} have the same sort key {last_key}, "
            "so which one is returned is arbitrary; add a tie-breaker to the ORDER BY (and to the question)"
        )
        return
    shown = shape.order_key_cols[0] if shape.order_key_cols else None
    if shown is None or shown not in shape.round_to:
        return  # the first sort key is not shown rounded: no digits hidden from the reader
    shown_value = normalize_value(last[shown])
    hidden_digits_decide = (
        shown_value == normalize_value(next_[shown])
        and last_key[0] != normalize_value(next_[key_cols[0]])  # yet the exact first sort keys differ
    )
    if hidden_digits_decide:
        report.problems.append(
            f"{name}: rows {k} and {k + 1} both show {shown_value} in the rounded sort column at "
            f"the LIMIT {k} boundary; digits the question rounds away decide which one is returned: rank by the "
            "rounded value (and say so), or ask for more decimals"
        )


_shuffle_lock = threading.Lock()
_shuffled: dict[tuple[str, int, int], Path] = {}
_shuffle_dir: Path | None = None


def _shuffled_copy(db_path: Path) -> Path:
    """A copy of the database with every table rewritten in random row order (built once per file version)."""
    global _shuffle_dir
    source = db_path.expanduser().resolve()
    stat = source.stat()
    key = (str(source), stat.st_mtime_ns, stat.st_size)
    with _shuffle_lock:
        if key in _shuffled:
            return _shuffled[key]
        if _shuffle_dir is None:
            _shuffle_dir = Path(tempfile.mkdtemp(prefix="tucano-lint-"))
            atexit.register(shutil.rmtree, _shuffle_dir, ignore_errors=True)
        target = _shuffle_dir / f"shuffled-{len(_shuffled)}.duckdb"
        # A plain connection on a scratch file of our own; the warehouse is attached read-only.
        con = duckdb.connect(str(target))
        try:
            quoted_source = str(source).replace("'", "''")
            con.execute(f"ATTACH '{quoted_source}' AS src (READ_ONLY)")
            con.execute(f"SELECT setseed({_SHUFFLE_SEED})")
            schemas = con.execute(
                "SELECT schema_name FROM duckdb_schemas() WHERE database_name = 'src' AND NOT internal"
            ).fetchall()
            for (schema,) in schemas:
                con.execute(f"CREATE SCHEMA IF NOT EXISTS {_ident(schema)}")
            tables = con.execute(
                "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = 'src'"
            ).fetchall()
            for schema, table in tables:
                qualified = f"{_ident(schema)}.{_ident(table)}"
                con.execute(f"CREATE TABLE {qualified} AS SELECT * FROM src.{qualified} ORDER BY random()")
            views = con.execute(
                "SELECT sql FROM duckdb_views() WHERE database_name = 'src' AND NOT internal"
            ).fetchall()
            for (view_sql,) in views:
                # A query using a view that cannot be recreated fails on the copy; the caller reports it.
                with contextlib.suppress(duckdb.Error):
                    con.execute(view_sql)
            con.execute("DETACH src")
        except BaseException:
            con.close()
            target.unlink(missing_ok=True)
            raise
        con.close()
        _shuffled[key] = target
        return target


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'

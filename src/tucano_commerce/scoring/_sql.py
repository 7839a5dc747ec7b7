"""Execution accuracy for text-to-SQL: run the prediction and the gold query, compare the results.

``score_sql`` is the one scoring truth for SQL items, used by the benchmark and (through a reward adapter)
by RL training. A prediction is data: whatever the model wrote, the scorer returns a score with a status and
a reason and never raises. A gold query that fails is a benchmark bug and raises ``GoldQueryError``.

Two verdicts: ``ex`` compares the results on the given warehouse alone (the ADR's metric); ``ex_suite`` is 1
only if the prediction also matches the gold on every warehouse of a *test suite* (Zhong et al., 2020):
variants of that warehouse built to tell apart queries that agree on it by accident (see
``tucano_commerce.tasks.cached_sql_suite``). A prediction that fails on the first warehouse is not run on
the others, so a wrong one costs one execution.

``score_sql_item`` turns a reply to a benchmark item into an ``ItemScore`` whose metrics are ``SqlMetrics``
(``ex_suite`` is the item's score); the GRPO partial credit is ``partial`` and the full credit ``ex_suite``.

Gold results are cached in-process per (file, gold SQL, file mtime/size/inode), because training re-scores the
same item many times; a rebuilt warehouse file changes the key, so the cache never serves stale results. For
gold columns computed as ``ROUND(x, k)`` the cache also holds ``x`` before rounding (the gold query is run once
more with ``x`` as extra columns), which the comparator uses for its half-unit tolerance.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from tucano_commerce.errors import DataError
from tucano_commerce.scoring._types import ItemScore, Metrics
from tucano_commerce.sql import (
    CheckedSql,
    Comparison,
    GoldQueryError,
    QueryResult,
    QueryShape,
    Row,
    SqlError,
    SqlExecutionError,
    SqlRejected,
    SqlSyntaxError,
    SqlTimeout,
    check_sql,
    compare_results,
    describe_query,
    normalize_rows,
    run_query,
)
from tucano_commerce.sql._shape import with_unrounded_columns
from tucano_commerce.tasks import BenchmarkItem, parse_response

__all__ = [
    "STATUSES",
    "SqlMetrics",
    "clear_gold_cache",
    "score_sql",
    "score_sql_item",
    "sql_full_credit",
    "sql_partial_credit",
]

#: Every ``status`` ``score_sql`` can report.
STATUSES = ("ok", "syntax_error", "rejected", "runtime_error", "timeout", "row_overflow")

_GOLD_MAX_ROWS = 1_000_000
_MIN_ROW_CAP = 10_000


@dataclass(frozen=True)
class _Gold:
    columns: tuple[str, ...]
    rows: list[Row]  # normalised
    shape: QueryShape
    elapsed_s: float
    unrounded: list[Row] | None  # rows with each ROUND(x, k) output column holding x; None: no such column


@dataclass(frozen=True)
class _Options:
    """The comparison options of one ``score_sql`` call (explicit ones, else what the gold query implies)."""

    order_matters: bool | None
    order_key_cols: Sequence[int] | None
    round_to: Mapping[int, int] | None
    duplicates: Literal["bag", "set"]
    extra_cols_allowed: int

    def compare(self, gold: _Gold, pred: QueryResult) -> Comparison:
        shape = gold.shape
        explicit_round = self.round_to is not None
        return compare_results(
            gold.rows,
            normalize_rows(pred.rows),
            gold_width=len(gold.columns),
            pred_width=len(pred.columns),
            order_matters=shape.has_order_by if self.order_matters is None else self.order_matters,
            order_key_cols=self.order_key_cols if self.order_key_cols is not None else shape.order_key_cols,
            round_to=self.round_to if explicit_round else shape.round_to,
            duplicates=self.duplicates,
            extra_cols_allowed=self.extra_cols_allowed,
            normalized=True,
            unrounded_rows=None if explicit_round else gold.unrounded,
        )


def score_sql(
    pred_sql: str | None,
    gold_sql: str,
    db_path: str | Path,
    *,
    suite: Sequence[str | Path] = (),
    timeout_s: float = 5.0,
    gold_timeout_s: float = 60.0,
    max_rows: int | None = None,
    extra_cols_allowed: int = 2,
    order_matters: bool | None = None,
    order_key_cols: Sequence[int] | None = None,
    round_to: Mapping[int, int] | None = None,
    duplicates: Literal["bag", "set"] = "bag",
) -> dict[str, Any]:
    """Score a predicted SQL query against the gold query by executing both on ``db_path``.

    Example:
        >>> s = score_sql("SELECT COUNT(*) FROM orders", "SELECT COUNT(order_id) AS n FROM orders", db)
        >>> s["ex"], s["status"]
        (1.0, 'ok')

    Args:
        pred_sql: the model's SQL (any text, or ``None``); it runs in the sandbox.
        gold_sql: the reference query; it must run (else ``GoldQueryError``).
        db_path: the DuckDB warehouse file; ``ex`` and every other field are measured on it.
        suite: the other warehouses of the test suite (distinguishing variants of ``db_path``); ``ex_suite`` is 1
            only if the prediction matches the gold on ``db_path`` and on each of them. Empty: ``ex_suite`` is
            ``ex``.
        timeout_s: time limit for the prediction (on each warehouse).
        gold_timeout_s: time limit for the gold query (run once per file version, then cached).
        max_rows: row cap for the prediction; default ``max(10 * gold rows, 10_000)``. A prediction with
            more rows is ``row_overflow``: EX 0, partial credit computed on the prefix.
        extra_cols_allowed: extra predicted columns that ``ex_lenient`` tolerates.
        order_matters: compare row order; default: the gold query has a top-level ORDER BY.
        order_key_cols: gold output columns forming the sort key (ties compare as bags); default: derived
            from the gold ORDER BY when its keys are output columns.
        round_to: gold column -> decimals ``k``: a prediction may differ from the gold value by half a unit of
            the last decimal (``0.5 * 10**-k``). Default: the ``ROUND(x, k)`` columns of the gold SELECT list,
            compared with ``x`` before rounding (so 20.79 and 20.81 fail against 20.80, while the unrounded
            value or another engine's rounding of it passes); given explicitly, compared with the gold values.
        duplicates: ``"bag"`` (duplicates count) or ``"set"``.

    Returns:
        A dict with ``ex``, ``ex_suite``, ``ex_lenient``, ``partial`` (floats in [0, 1]), ``syntax_valid``
        (0/1), ``status`` (one of ``STATUSES``, for ``db_path``), ``error`` (``None`` or a short reason) and,
        for analysis, ``suite_size`` (warehouses ``ex_suite`` covers, ``db_path`` included), ``suite_failed_on``
        (file name of the first suite warehouse where an ``ex``-correct prediction failed, else ``None``),
        ``suite_error`` (why), ``n_pred_rows``, ``n_gold_rows``, ``n_pred_cols``, ``n_gold_cols``,
        ``order_matters``, ``column_map``, ``col_f1``, ``row_f1``, ``order_factor``, ``pred_elapsed_s``.

    Raises:
        GoldQueryError: the gold query is rejected, fails, times out or returns too many rows.
        DataError: the warehouse file is missing or cannot be opened.
    """
    gold = _gold_result(db_path, gold_sql, gold_timeout_s)
    shape = gold.shape
    cap = max_rows if max_rows is not None else max(10 * len(gold.rows), _MIN_ROW_CAP)
    wants_order = shape.has_order_by if order_matters is None else order_matters
    options = _Options(order_matters, order_key_cols, round_to, duplicates, extra_cols_allowed)
    out: dict[str, Any] = {
        "ex": 0.0,
        "ex_suite": 0.0,
        "suite_size": 1 + len(suite),
        "suite_failed_on": None,
        "suite_error": None,
        "ex_lenient": 0.0,
        "partial": 0.0,
        "syntax_valid": 0,
        "status": "ok",
        "error": None,
        "n_pred_rows": None,
        "n_gold_rows": len(gold.rows),
        "n_pred_cols": None,
        "n_gold_cols": len(gold.columns),
        "order_matters": bool(wants_order and len(gold.rows) > 1),
        "column_map": None,
        "col_f1": 0.0,
        "row_f1": 0.0,
        "order_factor": 0.0,
        "pred_elapsed_s": None,
    }
    try:
        checked = check_sql(pred_sql)  # once, for every warehouse
        pred = run_query(db_path, checked, timeout_s=timeout_s, max_rows=cap)
    except SqlError as err:
        return out | _failure(err, timeout_s)

    comparison = options.compare(gold, pred)
    out |= {
        "syntax_valid": 1,
        "ex": float(comparison.ex),
        "ex_lenient": float(comparison.ex_lenient),
        "partial": comparison.partial,
        "n_pred_rows": len(pred.rows),
        "n_pred_cols": len(pred.columns),
        "column_map": list(comparison.column_map),
        "col_f1": comparison.col_f1,
        "row_f1": comparison.row_f1,
        "order_factor": comparison.order_factor,
        "pred_elapsed_s": pred.elapsed_s,
    }
    if pred.truncated:
        out |= {
            "status": "row_overflow",
            "error": f"row overflow: more than {cap} rows",
            "ex": 0.0,
            "ex_lenient": 0.0,
        }
    if out["ex"] == 1.0:
        failed_on, why = _first_suite_failure(
            checked, gold_sql, suite, options, timeout_s, gold_timeout_s, max_rows
        )
        out |= {"ex_suite": float(failed_on is None), "suite_failed_on": failed_on, "suite_error": why}
    return out


def _failure(err: SqlError, timeout_s: float) -> dict[str, Any]:
    """The status fields of a prediction that did not run."""
    if isinstance(err, SqlSyntaxError):
        return {"status": "syntax_error", "error": f"syntax error: {err}"}
    if isinstance(err, SqlRejected):
        return {"status": "rejected", "error": f"rejected: {err}"}
    if isinstance(err, SqlTimeout):
        return {"status": "timeout", "syntax_valid": 1, "error": f"timeout after {timeout_s}s"}
    if isinstance(err, SqlExecutionError) and err.kind == "ParserException":
        return {"status": "syntax_error", "error": f"syntax error: {err}"}
    return {"status": "runtime_error", "syntax_valid": 1, "error": f"execution error: {err}"}


def _first_suite_failure(
    checked: CheckedSql,
    gold_sql: str,
    suite: Sequence[str | Path],
    options: _Options,
    timeout_s: float,
    gold_timeout_s: float,
    max_rows: int | None,
) -> tuple[str | None, str | None]:
    """``(file name, reason)`` of the first suite warehouse where the prediction does not match the gold."""
    for path in suite:
        gold = _gold_result(path, gold_sql, gold_timeout_s)
        cap = max_rows if max_rows is not None else max(10 * len(gold.rows), _MIN_ROW_CAP)
        name = Path(path).name
        try:
            pred = run_query(path, checked, timeout_s=timeout_s, max_rows=cap)
        except SqlError as err:
            return name, _failure(err, timeout_s)["error"]
        if pred.truncated:
            return name, f"row overflow: more than {cap} rows"
        if not options.compare(gold, pred).ex:
            return name, "the result differs from the gold result"
    return None, None


def clear_gold_cache() -> None:
    """Forget every cached gold result (they are also keyed on the file's mtime/size, so rarely needed)."""
    _gold_cached.cache_clear()


def _gold_result(db_path: str | Path, gold_sql: str, timeout_s: float) -> _Gold:
    path = Path(db_path).expanduser().resolve()
    try:
        stat = path.stat()
    except OSError as err:
        raise DataError(f"warehouse file {path} cannot be read ({err.strerror}); build it first") from None
    return _gold_cached(str(path), gold_sql, stat.st_mtime_ns, stat.st_size, stat.st_ino, timeout_s)


@functools.lru_cache(maxsize=8192)
def _gold_cached(path: str, gold_sql: str, mtime_ns: int, size: int, inode: int, timeout_s: float) -> _Gold:
    del mtime_ns, size, inode  # only part of the cache key
    result = _run_gold(path, gold_sql, timeout_s)
    shape = describe_query(gold_sql, result.columns)
    rows = normalize_rows(result.rows)
    unrounded = None
    if shape.round_to and rows:
        paired = _with_unrounded(path, gold_sql, rows, shape, timeout_s)
        if paired is not None:
            rows, unrounded = paired
    return _Gold(tuple(result.columns), rows, shape, result.elapsed_s, unrounded)


def _run_gold(path: str, sql: str, timeout_s: float) -> QueryResult:
    try:
        result = run_query(path, sql, timeout_s=timeout_s, max_rows=_GOLD_MAX_ROWS)
    except SqlError as err:
        raise GoldQueryError(f"gold SQL failed on {path}: {err}. Gold query: {_clip(sql)}") from err
    if result.truncated:
        raise GoldQueryError(
            f"gold SQL returns more than {_GOLD_MAX_ROWS} rows on {path}; no benchmark answer should be that "
            f"large. Gold query: {_clip(sql)}"
        )
    return result


def _with_unrounded(
    path: str, gold_sql: str, rows: list[Row], shape: QueryShape, timeout_s: float
) -> tuple[list[Row], list[Row]] | None:
    """The gold rows and, row for row, the same rows with each ``ROUND(x, k)`` column holding ``x``.

    The gold query runs once more with ``x`` appended as extra columns; its own columns must give the same
    result as the plain run (same rows, same order where order counts), else the rewrite is not trusted and
    ``None`` is returned. Both lists come from that second run, so they pair up row by row.
    """
    rewrite = with_unrounded_columns(gold_sql)
    if rewrite is None:
        return None
    sql, rounded = rewrite
    try:
        result = run_query(path, sql, timeout_s=timeout_s, max_rows=_GOLD_MAX_ROWS)
    except SqlError:
        return None
    width = len(rows[0])
    if result.truncated or len(result.columns) != width + len(rounded):
        return None
    extended = normalize_rows(result.rows)
    own = [row[:width] for row in extended]
    same = compare_results(
        rows, own, order_matters=shape.has_order_by, order_key_cols=shape.order_key_cols, normalized=True
    )
    if not (same.ex and same.column_map == tuple(range(width))):
        return None
    unrounded = []
    for row in extended:
        cells = list(row[:width])
        for position, col in enumerate(rounded):
            cells[col] = row[width + position]
        unrounded.append(tuple(cells))
    return own, unrounded


def _clip(sql: str, limit: int = 300) -> str:
    flat = " ".join(sql.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


# ------------------------------------------------------------------------------------------- the sql task


class SqlMetrics(Metrics):
    """The metrics of a reply to a SQL item (``score_sql``'s verdicts, as floats)."""

    ex_suite: float
    ex: float
    ex_lenient: float
    partial: float
    syntax_valid: float


SQL_METRICS: tuple[str, ...] = tuple(SqlMetrics.model_fields)
"""``ex_suite`` is the task score; ``ex`` (the benchmark warehouse alone) is the ADR's metric, kept beside it."""

# score_sql statuses -> ItemScore statuses (model errors are scored 0 with their reason, not raised).
_SQL_STATUS = {"ok": "ok", "syntax_error": "invalid", "rejected": "invalid", "runtime_error": "invalid",
               "timeout": "invalid", "row_overflow": "invalid"}  # fmt: skip


def score_sql_item(
    item: BenchmarkItem, response: str, *, db_path: str | Path, sql_suite: Sequence[str | Path] = ()
) -> ItemScore:
    """Find the SQL in the response and score it by execution against the item's gold query.

    The item's score (``mean``) is ``ex_suite``: the prediction must match the gold on ``db_path`` and on
    every warehouse of ``sql_suite``; ``ex`` (``db_path`` alone) is reported beside it.
    """
    parsed = parse_response("sql", response)
    if not parsed.ok:
        zeros = SqlMetrics(**dict.fromkeys(SQL_METRICS, 0.0)).as_dict()
        return ItemScore(mean=0.0, metrics=zeros, status=parsed.status, reason=parsed.reason)
    result = score_sql(parsed.value, item.ground_truth["sql"], db_path, suite=sql_suite)
    metrics = SqlMetrics(**{k: float(result[k]) for k in SQL_METRICS})
    return ItemScore(
        mean=metrics.ex_suite,
        metrics=metrics.as_dict(),
        status=_SQL_STATUS.get(result["status"], "error"),
        reason=result["error"],
        parsed=parsed.value,
        details={k: v for k, v in result.items() if k not in SQL_METRICS},
    )


def sql_partial_credit(score: ItemScore) -> float:
    """Partial credit of the result on the row's own warehouse (column F1 x row F1 x order)."""
    return SqlMetrics.of(score).partial


def sql_full_credit(score: ItemScore) -> float:
    """``ex_suite``: right on the warehouse and on every warehouse of its test suite."""
    return SqlMetrics.of(score).ex_suite

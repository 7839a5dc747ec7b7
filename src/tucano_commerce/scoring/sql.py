"""Execution accuracy for text-to-SQL: run the prediction and the gold query, compare the results.

``score_sql`` is the one scoring truth for SQL items, used by the benchmark and (through a reward adapter)
by RL training. A prediction is data: whatever the model wrote, the scorer returns a score with a status and
a reason and never raises. A gold query that fails is a benchmark bug and raises ``GoldQueryError``.

Gold results are cached in-process per (file, gold SQL, file mtime/size/inode), because training re-scores the
same item many times; a rebuilt warehouse file changes the key, so the cache never serves stale results.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from tucano_commerce.errors import DataError
from tucano_commerce.scoring._compare import Comparison, compare_results
from tucano_commerce.scoring._normalize import normalize_rows, normalize_value
from tucano_commerce.sql import (
    GoldQueryError,
    QueryShape,
    SqlError,
    SqlExecutionError,
    SqlRejected,
    SqlSyntaxError,
    SqlTimeout,
    describe_query,
    run_query,
)

__all__ = [
    "STATUSES",
    "clear_gold_cache",
    "compare_results",
    "normalize_rows",
    "normalize_value",
    "score_sql",
]

#: Every ``status`` ``score_sql`` can report.
STATUSES = ("ok", "syntax_error", "rejected", "runtime_error", "timeout", "row_overflow")

_GOLD_MAX_ROWS = 1_000_000
_MIN_ROW_CAP = 10_000


@dataclass(frozen=True)
class _Gold:
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]  # normalised
    shape: QueryShape
    elapsed_s: float


def score_sql(
    pred_sql: str | None,
    gold_sql: str,
    db_path: str | Path,
    *,
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
        db_path: the DuckDB warehouse file.
        timeout_s: time limit for the prediction.
        gold_timeout_s: time limit for the gold query (run once per file version, then cached).
        max_rows: row cap for the prediction; default ``max(10 * gold rows, 10_000)``. A prediction with
            more rows is ``row_overflow``: EX 0, partial credit computed on the prefix.
        extra_cols_allowed: extra predicted columns that ``ex_lenient`` tolerates.
        order_matters: compare row order; default: the gold query has a top-level ORDER BY.
        order_key_cols: gold output columns forming the sort key (ties compare as bags); default: derived
            from the gold ORDER BY when its keys are output columns.
        round_to: gold column -> decimals, for ``abs_tol = 10**-k``; default: from ``ROUND(x, k)`` in the gold
            SELECT list.
        duplicates: ``"bag"`` (duplicates count) or ``"set"``.

    Returns:
        A dict with ``ex``, ``ex_lenient``, ``partial`` (floats in [0, 1]), ``syntax_valid`` (0/1),
        ``status`` (one of ``STATUSES``), ``error`` (``None`` or a short reason) and, for analysis,
        ``n_pred_rows``, ``n_gold_rows``, ``n_pred_cols``, ``n_gold_cols``, ``order_matters``,
        ``column_map``, ``col_f1``, ``row_f1``, ``order_factor``, ``pred_elapsed_s``.

    Raises:
        GoldQueryError: the gold query is rejected, fails, times out or returns too many rows.
        DataError: the warehouse file is missing or cannot be opened.
    """
    gold = _gold_result(db_path, gold_sql, gold_timeout_s)
    shape = gold.shape
    cap = max_rows if max_rows is not None else max(10 * len(gold.rows), _MIN_ROW_CAP)
    wants_order = shape.has_order_by if order_matters is None else order_matters
    out: dict[str, Any] = {
        "ex": 0.0,
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
        pred = run_query(db_path, pred_sql, timeout_s=timeout_s, max_rows=cap)  # type: ignore[arg-type]
    except SqlSyntaxError as err:
        return out | {"status": "syntax_error", "error": f"syntax error: {err}"}
    except SqlRejected as err:
        return out | {"status": "rejected", "error": f"rejected: {err}"}
    except SqlTimeout:
        return out | {"status": "timeout", "syntax_valid": 1, "error": f"timeout after {timeout_s}s"}
    except SqlExecutionError as err:
        if err.kind == "ParserException":
            return out | {"status": "syntax_error", "error": f"syntax error: {err}"}
        return out | {"status": "runtime_error", "syntax_valid": 1, "error": f"execution error: {err}"}

    comparison: Comparison = compare_results(
        gold.rows,
        normalize_rows(pred.rows),
        gold_width=len(gold.columns),
        pred_width=len(pred.columns),
        order_matters=wants_order,
        order_key_cols=order_key_cols if order_key_cols is not None else shape.order_key_cols,
        round_to=round_to if round_to is not None else shape.round_to,
        duplicates=duplicates,
        extra_cols_allowed=extra_cols_allowed,
        normalized=True,
    )
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
    return out


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


@functools.lru_cache(maxsize=2048)
def _gold_cached(path: str, gold_sql: str, mtime_ns: int, size: int, inode: int, timeout_s: float) -> _Gold:
    del mtime_ns, size, inode  # only part of the cache key
    try:
        result = run_query(path, gold_sql, timeout_s=timeout_s, max_rows=_GOLD_MAX_ROWS)
    except SqlError as err:
        raise GoldQueryError(f"gold SQL failed on {path}: {err}. Gold query: {_clip(gold_sql)}") from err
    if result.truncated:
        raise GoldQueryError(
            f"gold SQL returns more than {_GOLD_MAX_ROWS} rows on {path}; no benchmark answer should be that "
            f"large. Gold query: {_clip(gold_sql)}"
        )
    return _Gold(
        columns=tuple(result.columns),
        rows=normalize_rows(result.rows),
        shape=describe_query(gold_sql, result.columns),
        elapsed_s=result.elapsed_s,
    )


def _clip(sql: str, limit: int = 300) -> str:
    flat = " ".join(sql.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."

"""The read-only SQL sandbox, query-shape analysis, result comparison, the gold-query lint and the
question-vs-gold check.

Model-written SQL reaches a warehouse only through ``run_query``; the docstring of
``tucano_commerce.sql._sandbox`` says what the sandbox guards and what it does not. ``sandbox_connection``
gives the same read-only, locked-down connection *without* the statement gate, for trusted in-process SQL
(e.g. reading ground truth); DuckDB requires every connection to a file in one process to share one
configuration, so in-process readers should use it rather than ``duckdb.connect``.

``compare_results`` (with the cell normalisation of ``normalize_value``) decides whether two query results
hold the same answer; SQL scoring (``tucano_commerce.scoring.score_sql``) and the gold lint both use it, so
this layer needs nothing from the scoring layer above it.
"""

from tucano_commerce.sql._compare import Comparison, compare_results
from tucano_commerce.sql._errors import (
    GoldQueryError,
    SqlError,
    SqlExecutionError,
    SqlRejected,
    SqlSyntaxError,
    SqlTimeout,
)
from tucano_commerce.sql._gate import ALLOWED_TABLE_FUNCTIONS, TRUTH_SCHEMAS, CheckedSql, check_sql
from tucano_commerce.sql._lint import LintReport, lint_gold
from tucano_commerce.sql._normalize import Cell, Row, normalize_rows, normalize_value
from tucano_commerce.sql._question import check_question
from tucano_commerce.sql._sandbox import (
    SANDBOX_CONFIG,
    QueryResult,
    release_databases,
    run_query,
    sandbox_connection,
)
from tucano_commerce.sql._shape import QueryShape, describe_query

__all__ = [
    "ALLOWED_TABLE_FUNCTIONS",
    "SANDBOX_CONFIG",
    "TRUTH_SCHEMAS",
    "Cell",
    "CheckedSql",
    "Comparison",
    "GoldQueryError",
    "LintReport",
    "QueryResult",
    "QueryShape",
    "Row",
    "SqlError",
    "SqlExecutionError",
    "SqlRejected",
    "SqlSyntaxError",
    "SqlTimeout",
    "check_question",
    "check_sql",
    "compare_results",
    "describe_query",
    "lint_gold",
    "normalize_rows",
    "normalize_value",
    "release_databases",
    "run_query",
    "sandbox_connection",
]

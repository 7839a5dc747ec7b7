"""Errors raised by the SQL sandbox and the gold-query tooling.

They all derive from ``SqlError`` (itself a ``TucanoError``), so the CLI shows them as messages. The
scorer treats ``SqlRejected``, ``SqlTimeout`` and ``SqlExecutionError`` raised by a *prediction* as data
(a score of 0 with the reason); ``GoldQueryError`` means the benchmark itself is broken and propagates.
"""

from __future__ import annotations

from tucano_commerce.errors import TucanoError


class SqlError(TucanoError):
    """Base class for everything the SQL layer raises on purpose."""


class SqlRejected(SqlError):
    """The sandbox refused the text before running it (not one read-only SELECT, or a forbidden part)."""


class SqlSyntaxError(SqlRejected):
    """The text is not valid SQL for DuckDB's parser (a refusal, reported as a syntax error)."""


class SqlTimeout(SqlError):
    """The query ran past its time limit and was interrupted.

    Attributes:
        timeout_s: the limit that was exceeded, in seconds.
    """

    def __init__(self, message: str, *, timeout_s: float) -> None:
        super().__init__(message)
        self.timeout_s = timeout_s


class SqlExecutionError(SqlError):
    """DuckDB accepted the query but failed while binding or running it.

    Attributes:
        kind: DuckDB's exception class name, e.g. ``"BinderException"``; lets callers tell a parser error
            (``"ParserException"``) from a runtime one without matching on message text.
    """

    def __init__(self, message: str, *, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


class GoldQueryError(SqlError):
    """A gold (reference) query failed or is unusable; that is a bug in the benchmark, not the model."""


def first_line(err: BaseException) -> str:
    """The first line of an exception's message: DuckDB appends multi-line context (``LINE 1: ...``)."""
    lines = str(err).strip().splitlines()
    return lines[0] if lines else type(err).__name__

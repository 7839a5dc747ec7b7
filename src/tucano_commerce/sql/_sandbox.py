"""Run one untrusted, read-only SQL query against a DuckDB warehouse file.

``run_query(db_path, sql)`` is the only way model-written SQL reaches the warehouse. A query goes through
the statement gate (``_gate.check_sql``) and then runs on a fresh connection opened with ``SANDBOX_CONFIG``.

What is covered:

- **Read-only.** One ``SELECT``/``WITH`` statement only (DuckDB's parser counts statements and gives their
  type; sqlglot's and DuckDB's trees are both walked for writes, e.g. ``DELETE`` in a CTE). The database is
  opened ``read_only=True``, so even a write that slipped past the gate fails in the engine.
- **No files, network or extensions.** ``enable_external_access=false`` makes DuckDB refuse ``read_csv``,
  ``glob``, ``COPY``, ``ATTACH``, ``INSTALL``/``LOAD`` and http(s)/s3 URLs; extension auto-install and
  auto-load are off, community extensions are refused, Python replacement scans (a variable in the caller's
  frame used as a table) are off, and ``temp_directory=''`` means DuckDB never spills to disk, so a query
  writes no file at all (a query needing more than ``memory_limit`` fails instead).
- **No reconfiguration.** ``lock_configuration=true``: ``SET``/``RESET``/``PRAGMA`` cannot undo the above
  (the gate refuses them anyway).
- **No environment.** ``getenv`` does not exist outside DuckDB's CLI; ``current_setting`` and
  ``duckdb_settings()`` would reveal paths such as the home directory (``secret_directory``) and are refused
  by the gate, with the other host-state functions (``duckdb_databases``, ``duckdb_secrets``, ...).
- **No dynamic SQL, no ground truth.** ``query()``, ``query_table()`` and ``json_execute_serialized_sql`` are
  refused by the gate (the engine allows them), as is any table or column in the ``ground_truth``/``truth``
  schemas, and ``read_duckdb`` (which can read the warehouse file itself, schema by schema).
- **Time and size.** A ``threading.Timer`` calls ``interrupt()`` on the connection at ``timeout_s``; rows are
  fetched in one ``fetchmany(max_rows + 1)``, so an enormous result is cut, flagged ``truncated`` and never
  materialised in Python. ``threads=1`` keeps float aggregation deterministic and a query on one core;
  ``memory_limit`` bounds DuckDB's buffer memory.

What is not covered:

- **It runs in-process.** There is no process isolation, no ``RLIMIT_AS``/``RLIMIT_CPU`` and no hard kill.
  DuckDB checks for interruption between vectors of work, so one operator working on a huge value (say
  ``repeat('x', 100_000_000)`` over a few thousand rows) can overrun the timeout by seconds; memory that
  DuckDB does not track through its buffer manager is not bounded by ``memory_limit``. For fully hostile
  input, call this from a worker process with OS limits and a read-only mount of the file.
- **Metadata is readable.** ``information_schema`` and ``duckdb_tables()``/``duckdb_columns()`` list every
  schema, so a model can learn that a ground-truth table exists and its column names (not its rows). View
  definitions (``duckdb_views().sql``) are readable too, so the warehouse must not hide labels in view text.
- **The function lists are lists.** The gate refuses known file/host/dynamic-SQL functions by name and only
  allows a short list of table functions; a new scalar function added by a future DuckDB release is allowed
  until someone lists it. The engine settings above are the guarantee for files, network and writes.
- **Open databases are held.** Opening a DuckDB file costs ~15 ms on a small VM (most of it creating the
  database instance), far more than a typical benchmark query. The module therefore keeps one idle
  connection per file (``_anchors``) so DuckDB's instance cache makes each per-query ``connect`` take ~0.05
  ms. While held, DuckDB refuses to open the same file in this process with another configuration (e.g. a
  writer), and the OS read lock blocks writers in other processes: call ``release_databases()`` first. A file
  replaced on disk (new inode, size or mtime) is reopened automatically.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import duckdb

from tucano_commerce.errors import DataError
from tucano_commerce.sql._errors import SqlExecutionError, SqlRejected, SqlTimeout, first_line
from tucano_commerce.sql._gate import CheckedSql, check_sql

__all__ = ["SANDBOX_CONFIG", "QueryResult", "release_databases", "run_query", "sandbox_connection"]

#: The one configuration every connection to a warehouse file uses. DuckDB refuses a second connection to an
#: already open file with a different configuration, so nothing else in the process may open it differently.
SANDBOX_CONFIG: Mapping[str, Any] = MappingProxyType(
    {
        "enable_external_access": False,  # no files, URLs, COPY, ATTACH, INSTALL/LOAD
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
        "allow_community_extensions": False,
        "python_enable_replacements": False,  # a Python variable named like a table is not a table
        "temp_directory": "",  # never spill to disk: a query writes no file, even a temporary one
        "threads": 1,  # deterministic float aggregation; one core per query
        "memory_limit": "1GB",
        "lock_configuration": True,  # no SET/RESET/PRAGMA can undo any of the above
    }
)

_MAX_HELD_DATABASES = 8
_anchors_lock = threading.Lock()
# resolved path -> (file identity, idle connection that keeps DuckDB's database instance alive)
_anchors: OrderedDict[str, tuple[tuple[int, int, int], duckdb.DuckDBPyConnection]] = OrderedDict()


@dataclass(frozen=True)
class QueryResult:
    """The outcome of one sandboxed query.

    Attributes:
        columns: output column names, in order (DuckDB's names; aliases included).
        rows: the rows as tuples of Python values (``Decimal``, ``date``, ``datetime``, ... as DuckDB
            returns them), at most ``max_rows`` of them.
        truncated: True when the query produced more than ``max_rows`` rows and ``rows`` is a prefix.
        elapsed_s: wall-clock seconds for executing and fetching (the gate not included).
    """

    columns: list[str]
    rows: list[tuple[Any, ...]]
    truncated: bool
    elapsed_s: float


def run_query(
    db_path: str | Path,
    sql: str | CheckedSql,
    *,
    timeout_s: float = 5.0,
    max_rows: int = 10_000,
) -> QueryResult:
    """Run one read-only query in the sandbox and fetch at most ``max_rows`` rows.

    Args:
        db_path: the DuckDB warehouse file; it is never modified.
        sql: one ``SELECT``/``WITH`` statement (a trailing ``;`` and comments are fine), or what ``check_sql``
            returned for it (the gate is then not run again: a scorer running one prediction on several
            warehouses checks it once).
        timeout_s: interrupt the query after this many seconds.
        max_rows: fetch at most this many rows; one more is fetched to set ``truncated``.

    Returns:
        The result (columns, rows, whether it was truncated, elapsed seconds).

    Raises:
        SqlRejected: the gate or the engine refused the query (``SqlSyntaxError`` for unparseable text).
        SqlTimeout: the query ran past ``timeout_s``.
        SqlExecutionError: DuckDB failed binding or running it (unknown column, bad cast, ...).
        DataError: the database file is missing or cannot be opened read-only.
    """
    if timeout_s <= 0:
        raise ValueError(f"timeout_s must be positive, got {timeout_s}")
    if max_rows < 0:
        raise ValueError(f"max_rows must be >= 0, got {max_rows}")
    checked = sql if isinstance(sql, CheckedSql) else check_sql(sql)
    con = sandbox_connection(db_path)
    fired = threading.Event()

    def _interrupt() -> None:
        fired.set()
        with contextlib.suppress(duckdb.Error):  # the query finished and its connection closed meanwhile
            con.interrupt()

    timer = threading.Timer(timeout_s, _interrupt)
    timer.daemon = True
    start = time.perf_counter()
    timer.start()
    try:
        con.execute(checked.statement)
        columns = [str(item[0]) for item in con.description or []]
        rows = con.fetchmany(max_rows + 1)
    except duckdb.InterruptException:
        raise SqlTimeout(f"timeout after {timeout_s:g}s", timeout_s=timeout_s) from None
    except duckdb.PermissionException as err:  # the engine's own refusal (the gate missed something)
        raise SqlRejected(f"refused by the engine: {first_line(err)}") from None
    except duckdb.Error as err:
        if fired.is_set():  # interrupted while DuckDB was reporting another error
            raise SqlTimeout(f"timeout after {timeout_s:g}s", timeout_s=timeout_s) from None
        if "read-only" in str(err):
            raise SqlRejected(f"refused by the engine: {first_line(err)}") from None
        raise SqlExecutionError(first_line(err), kind=type(err).__name__) from None
    except (ValueError, OverflowError, TypeError, UnicodeDecodeError) as err:
        # Raised while converting a DuckDB value to Python (e.g. a date outside Python's range).
        raise SqlExecutionError(
            f"Conversion Error: cannot convert a result value to Python: {err}", kind="ConversionError"
        ) from None
    finally:
        timer.cancel()
        elapsed_s = time.perf_counter() - start
        con.close()
    truncated = len(rows) > max_rows
    return QueryResult(
        columns=columns,
        rows=[tuple(row) for row in rows[:max_rows]],
        truncated=truncated,
        elapsed_s=elapsed_s,
    )


def sandbox_connection(db_path: str | Path) -> duckdb.DuckDBPyConnection:
    """Open a fresh read-only connection with ``SANDBOX_CONFIG`` (the caller closes it).

    This is the engine half of the sandbox on its own, *without* the statement gate: use it only for trusted
    SQL (it can read the ground-truth schema). ``run_query`` uses it; other in-process readers of a warehouse
    should too, because DuckDB refuses two configurations for one file in one process.

    Args:
        db_path: the DuckDB file.

    Returns:
        A new connection; cheap, because an idle connection keeps the database instance open.

    Raises:
        DataError: the file does not exist or DuckDB cannot open it read-only with the sandbox configuration.
    """
    path = Path(db_path).expanduser().resolve()
    key = str(path)
    try:
        stat = path.stat()
    except OSError as err:
        raise DataError(f"warehouse file {path} cannot be read ({err.strerror}); build it first") from None
    identity = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
    with _anchors_lock:
        held = _anchors.get(key)
        if held is not None and held[0] != identity:  # the file was rebuilt: drop the stale instance
            held[1].close()
            del _anchors[key]
            held = None
        try:
            if held is None:
                _anchors[key] = (identity, _connect(path))
                while len(_anchors) > _MAX_HELD_DATABASES:
                    _anchors.popitem(last=False)[1][1].close()
            _anchors.move_to_end(key)
            return _connect(path)
        except duckdb.Error as err:
            _anchors.pop(key, None)
            raise DataError(
                f"cannot open {path} read-only for the SQL sandbox: {first_line(err)}. If this process has "
                "the file open elsewhere (e.g. a warehouse build), close that connection first."
            ) from None


def release_databases(db_path: str | Path | None = None) -> None:
    """Close the idle connections held to keep database files open (all of them, or one file's).

    Call this before rebuilding a warehouse file in this process, or to let another process write it.

    Args:
        db_path: the file to release; ``None`` releases every held file.
    """
    with _anchors_lock:
        keys = list(_anchors) if db_path is None else [str(Path(db_path).expanduser().resolve())]
        for key in keys:
            held = _anchors.pop(key, None)
            if held is not None:
                held[1].close()


def _connect(path: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(path), read_only=True, config=dict(SANDBOX_CONFIG))

"""The statement gate: decide, before anything runs, whether a text is one read-only query.

Three independent looks at the same text, each able to refuse it:

1. **DuckDB's own parser** (``extract_statements``) counts the statements and gives their types. This is the
   authority on statement boundaries, so ``SELECT 1; DROP TABLE t`` cannot hide a second statement from the
   checks below, and it turns text DuckDB cannot parse into ``SqlSyntaxError``.
2. **sqlglot** (dialect ``duckdb``) gives an AST whose root must be a ``SELECT``/``WITH`` query or a set
   operation of them; the whole tree is walked for write/DDL nodes (a data-modifying CTE parses as a SELECT
   for DuckDB), forbidden functions, file paths used as tables and tables in the hidden ground-truth schema.
3. **DuckDB's parse tree** (``json_serialize_sql``), walked for the same things. sqlglot and DuckDB can
   disagree about a text, and what runs is DuckDB's reading of it, so both readings are checked. When sqlglot
   cannot parse a text that DuckDB can, this look alone decides, and only for text that plainly starts with
   ``SELECT``/``WITH``/``(``.

The function lists are a second line of defence: the connection itself refuses files, network, extensions
and writes (see ``_sandbox``). They matter most for what the engine does *not* refuse on such a connection:
dynamic SQL (``query``, ``query_table``, ``json_execute_serialized_sql``), host settings
(``current_setting('secret_directory')`` reveals the home directory), ``read_duckdb`` on the warehouse file
itself, and the ground-truth schema, which lives in the same file as the tables models may read.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from typing import Any

import duckdb
import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from tucano_commerce.sql._errors import SqlRejected, SqlSyntaxError, first_line

__all__ = ["CheckedSql", "TRUTH_SCHEMAS", "ALLOWED_TABLE_FUNCTIONS", "check_sql"]

#: Schemas (or catalogs) that hold labels models must never see, e.g. churn ground truth.
TRUTH_SCHEMAS = frozenset({"ground_truth", "truth"})

#: Table functions a query may use in FROM/JOIN. Everything else is refused in table position: DuckDB keeps
#: adding table functions, and most of the others read files, process memory or system state.
ALLOWED_TABLE_FUNCTIONS = frozenset(
    {
        "range",
        "generate_series",
        "unnest",
        "repeat",
        "repeat_row",
        "json_each",
        "json_tree",
        "summary",
        "duckdb_tables",
        "duckdb_columns",
        "duckdb_views",
        "duckdb_schemas",
        "duckdb_types",
        "duckdb_functions",
        "duckdb_keywords",
        "duckdb_constraints",
        "duckdb_indexes",
        "duckdb_sequences",
        "duckdb_dependencies",
        "pg_timezone_names",
        "icu_calendar_names",
    }
)

_ENVIRONMENT_FUNCTIONS = frozenset(
    {
        "getenv",
        "current_setting",
        "duckdb_settings",
        "duckdb_secrets",
        "which_secret",
        "duckdb_extensions",
        "duckdb_extension_repositories",
        "duckdb_databases",
        "duckdb_temporary_files",
        "duckdb_variables",
    }
)
_DYNAMIC_SQL_FUNCTIONS = frozenset({"query", "query_table", "json_execute_serialized_sql"})
_FILE_FUNCTIONS = frozenset({"glob", "sniff_csv", "csv_scan", "parquet_scan", "seq_scan"})
_FILE_PREFIXES = ("read_", "parquet_", "iceberg_", "delta_", "sqlite_", "postgres_", "mysql_", "st_read")
_MEMORY_FUNCTIONS = frozenset(
    {"arrow_scan", "arrow_scan_dumb", "pandas_scan", "python_arrow_scan", "python_map_function"}
)
_STATE_FUNCTIONS = frozenset(
    {
        "checkpoint",
        "force_checkpoint",
        "nextval",
        "setval",
        "enable_logging",
        "disable_logging",
        "truncate_duckdb_logs",
        "enable_profiling",
        "disable_profiling",
        "add_grammar_extension",
        "remove_grammar_extension",
        "load_extension",
        "install_extension",
    }
)
_STATE_PREFIXES = ("register_", "deregister_", "create_external", "destroy_external", "pragma_")

# A table name DuckDB would treat as a file (replacement scan): a path, a URL or a data-file extension.
_FILE_LIKE_TABLE = re.compile(
    r"[/\\:~]|\.(csv|tsv|txt|parquet|json|jsonl|ndjson|gz|zst|xlsx|arrow|feather|db|duckdb|sqlite3?)$",
    re.IGNORECASE,
)
# Used only when sqlglot cannot parse the text: leading comments, then SELECT, WITH, FROM-less "(".
_PLAIN_QUERY_START = re.compile(r"\A(?:\s+|--[^\n]*(?:\n|\Z)|/\*.*?\*/)*(?:\(|select\b|with\b)", re.I | re.S)

# DuckDB parse-tree node types that are plain queries; any other "*_NODE" is a write (e.g. DELETE in a CTE).
_QUERY_NODES = frozenset({"SELECT_NODE", "SET_OPERATION_NODE", "RECURSIVE_CTE_NODE", "CTE_NODE"})

_SQLGLOT_WRITE_NODES: tuple[type[exp.Expression], ...] = tuple(
    getattr(exp, name)
    for name in (
        "Insert",
        "Update",
        "Delete",
        "Merge",
        "Create",
        "Drop",
        "Alter",
        "Command",
        "Copy",
        "Attach",
        "Detach",
        "Set",
        "Pragma",
        "Use",
        "Transaction",
        "Commit",
        "Rollback",
        "Install",
        "Describe",
        "Summarize",
        "Show",
        "LoadData",
    )
    if hasattr(exp, name)
)
_TABLE_POSITION_PARENTS = (exp.Table, exp.From, exp.Join, exp.Lateral)


@dataclass(frozen=True)
class CheckedSql:
    """A text that passed the gate, ready to run.

    Attributes:
        text: the query text (surrounding whitespace removed).
        statement: DuckDB's parsed statement; the sandbox executes exactly this, so what was checked is what
            runs.
        ast: sqlglot's tree of the query, or ``None`` when sqlglot could not parse it.
        note: why the text was let through on DuckDB's parse alone, when ``ast`` is ``None``.
    """

    text: str
    statement: Any
    ast: exp.Expression | None
    note: str | None = None


_parser_lock = threading.Lock()
_parser: duckdb.DuckDBPyConnection | None = None


def _parser_connection() -> duckdb.DuckDBPyConnection:
    """A private in-memory connection used only for parsing (shared; callers hold ``_parser_lock``)."""
    global _parser
    if _parser is None:
        # In-memory and locked down like the sandbox, although only the parser is ever used on it.
        _parser = duckdb.connect(
            ":memory:",
            config={"enable_external_access": False, "threads": 1, "lock_configuration": True},
        )
    return _parser


def check_sql(sql: object) -> CheckedSql:
    """Accept exactly one read-only ``SELECT``/``WITH`` query, or raise.

    Args:
        sql: the query text; anything that is not a string is refused.

    Returns:
        The checked query, with DuckDB's parsed statement to execute.

    Raises:
        SqlSyntaxError: DuckDB cannot parse the text.
        SqlRejected: the text is empty, has several statements, is not a query, or uses something the
            sandbox forbids; the message says what and why.
    """
    if not isinstance(sql, str):
        raise SqlRejected(f"the query must be text, got {type(sql).__name__}")
    text = sql.strip()
    if not text:
        raise SqlRejected("empty query: expected one SELECT/WITH statement")

    with _parser_lock:
        con = _parser_connection()
        try:
            statements = con.extract_statements(text)
        except duckdb.ParserException as err:
            raise SqlSyntaxError(first_line(err)) from None
        except duckdb.Error as err:
            raise SqlSyntaxError(f"could not parse the query: {first_line(err)}") from None
        if not statements:
            raise SqlRejected("empty query: expected one SELECT/WITH statement (only comments found)")
        if len(statements) > 1:
            raise SqlRejected(f"only one SELECT/WITH statement is allowed; got {len(statements)} statements")
        statement = statements[0]
        kind = statement.type.name
        if kind != "SELECT":
            raise SqlRejected(f"statement type {kind} is not allowed: the sandbox is read-only")
        serialized = con.execute("SELECT json_serialize_sql($1)", [text]).fetchone()
        assert serialized is not None  # a scalar SELECT without FROM returns exactly one row
        duckdb_tree = json.loads(serialized[0])

    ast, parse_problem = _sqlglot_parse(text)
    if ast is not None:
        _check_sqlglot_tree(ast)
    elif not _PLAIN_QUERY_START.match(text) or ";" in text.rstrip().rstrip(";"):
        raise SqlRejected(
            f"the query could not be checked ({parse_problem}) and does not plainly start with SELECT/WITH"
        )

    if duckdb_tree.get("error"):
        if ast is None:  # neither parser gave a tree to check
            message = duckdb_tree.get("error_message", "unknown reason")
            raise SqlRejected(f"the query could not be checked: {message}")
    else:
        _check_duckdb_tree(duckdb_tree)

    note = None if ast is not None else f"sqlglot could not parse it ({parse_problem}); checked DuckDB's tree"
    return CheckedSql(text=text, statement=statement, ast=ast, note=note)


def _sqlglot_parse(text: str) -> tuple[exp.Expression | None, str]:
    """Parse with sqlglot; return ``(tree, "")`` or ``(None, reason)``."""
    try:
        # Every node sqlglot returns is an Expression; its stubs say Expr (the base), the test narrows.
        trees = [tree for tree in sqlglot.parse(text, dialect="duckdb") if isinstance(tree, exp.Expression)]
    except (ParseError, TokenError) as err:
        return None, f"sqlglot: {first_line(err)}"
    except RecursionError:
        return None, "sqlglot: the query is nested too deeply"
    if len(trees) != 1:  # DuckDB counted one statement; a disagreement is not worth guessing about
        raise SqlRejected(f"only one SELECT/WITH statement is allowed; got {len(trees)} statements")
    return trees[0], ""


def _statement_name(node: exp.Expression) -> str:
    if isinstance(node, exp.Command):
        return str(node.this).upper()
    return type(node).__name__.upper()


def _check_sqlglot_tree(root: exp.Expression) -> None:
    query = root
    while isinstance(query, exp.Subquery):
        query = query.this
    if not isinstance(query, exp.Select | exp.SetOperation):
        raise SqlRejected(
            f"statement type {_statement_name(query)} is not allowed: only SELECT/WITH queries are accepted"
        )
    try:
        nodes = list(root.walk())
    except RecursionError:
        raise SqlRejected("the query is nested too deeply to check") from None
    for node in nodes:
        if isinstance(node, _SQLGLOT_WRITE_NODES):
            raise SqlRejected(
                f"{_statement_name(node)} inside a query is not allowed: the sandbox is read-only"
            )
        if isinstance(node, exp.Select) and node.args.get("into"):
            raise SqlRejected("SELECT ... INTO is not allowed: the sandbox is read-only")
        if isinstance(node, exp.Table):
            _check_table_parts(
                node.name if not isinstance(node.this, exp.Func) else "", node.db, node.catalog
            )
        elif isinstance(node, exp.Column) and (node.db or node.catalog):  # schema.table.column
            _check_schema_parts(node.db, node.catalog, what=f"column {node.sql(dialect='duckdb')}")
        elif isinstance(node, exp.Func):
            in_table_position = isinstance(node.parent, _TABLE_POSITION_PARENTS)
            names = _sqlglot_function_names(node, in_table_position)
            for name in sorted(names):
                _check_function(name, table_position=False)
            if in_table_position and not names & ALLOWED_TABLE_FUNCTIONS:
                _check_function(sorted(names)[0], table_position=True)


def _sqlglot_function_names(node: exp.Func, in_table_position: bool) -> set[str]:
    """The names a function node may go by: its canonical sqlglot name and, in FROM, DuckDB's spelling."""
    if isinstance(node, exp.Anonymous):
        return {str(node.name).lower()}
    names = {node.sql_name().lower()}
    if in_table_position:  # e.g. GenerateSeries is spelled "range" or "generate_series" by DuckDB
        names.add(node.sql(dialect="duckdb").split("(", 1)[0].strip().lower())
    return names


def _check_table_parts(name: str, schema: str, catalog: str) -> None:
    _check_schema_parts(schema, catalog, what=f"table {'.'.join(p for p in (catalog, schema, name) if p)}")
    if name and _FILE_LIKE_TABLE.search(name):
        raise SqlRejected(f"reading the file or URL {name!r} is not allowed: the sandbox has no file access")


def _check_schema_parts(schema: str | None, catalog: str | None, *, what: str) -> None:
    for part in (schema, catalog):
        if part and part.lower() in TRUTH_SCHEMAS:
            raise SqlRejected(
                f"{what} is in the hidden ground-truth schema {part!r}, which queries may not read"
            )


def _check_function(name: str, *, table_position: bool) -> None:
    if not name:
        return
    reason = None
    if name in _ENVIRONMENT_FUNCTIONS or name.startswith("duckdb_secret"):
        reason = "it reads the environment or host settings"
    elif name in _DYNAMIC_SQL_FUNCTIONS:
        reason = "it runs dynamic SQL, which the gate cannot check"
    elif name in _FILE_FUNCTIONS or name.startswith(_FILE_PREFIXES):
        reason = "it reads files or the network"
    elif name in _MEMORY_FUNCTIONS or name.startswith(("arrow_", "python_", "pandas_")):
        reason = "it reads process memory"
    elif name in _STATE_FUNCTIONS or name.startswith(_STATE_PREFIXES):
        reason = "it reads or changes database/system state"
    elif table_position and name not in ALLOWED_TABLE_FUNCTIONS:
        allowed = ", ".join(sorted(ALLOWED_TABLE_FUNCTIONS))
        raise SqlRejected(f"table function {name} is not allowed in the sandbox (allowed: {allowed})")
    if reason:
        raise SqlRejected(f"function {name} is not allowed: {reason}")


def _check_duckdb_tree(tree: dict[str, Any]) -> None:
    """Walk DuckDB's JSON parse tree (iteratively: it can be deep) for the same refusals."""
    stack: list[Any] = [tree.get("statements", [])]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
            continue
        if not isinstance(item, dict):
            continue
        node_type = item.get("type")
        if isinstance(node_type, str):
            if node_type.endswith("_NODE") and node_type not in _QUERY_NODES:
                verb = node_type.removesuffix("_NODE").removesuffix("_QUERY")
                raise SqlRejected(f"{verb} inside a query is not allowed: the sandbox is read-only")
            if node_type == "BASE_TABLE":
                _check_table_parts(
                    str(item.get("table_name") or ""),
                    str(item.get("schema_name") or ""),
                    str(item.get("catalog_name") or ""),
                )
            elif node_type == "TABLE_FUNCTION":
                function = item.get("function") or {}
                _check_function(str(function.get("function_name") or "").lower(), table_position=True)
            elif node_type == "SHOW_REF":
                show = str(item.get("show_type") or "DESCRIBE/SHOW")
                raise SqlRejected(
                    f"statement type {show} is not allowed: only SELECT/WITH queries are accepted"
                )
        node_class = item.get("class")
        if node_class == "FUNCTION":
            _check_function(str(item.get("function_name") or "").lower(), table_position=False)
            _check_schema_parts(
                str(item.get("schema") or ""),
                str(item.get("catalog") or ""),
                what=f"function {item.get('function_name')}",
            )
        elif node_class == "COLUMN_REF":
            parts = [str(p) for p in item.get("column_names") or []]
            # schema.table.column or catalog.schema.table.column: every part before the table is a schema.
            for part in parts[:-2]:
                _check_schema_parts(part, None, what=f"column {'.'.join(parts)}")
        stack.extend(value for value in item.values() if isinstance(value, dict | list))

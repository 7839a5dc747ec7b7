"""The SQL sandbox: one read-only SELECT runs; everything else is refused and leaves the file untouched.

Run: ``PYTHONPATH=src pytest tests/sql/test_sandbox.py``
"""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from tucano_commerce.errors import DataError, TucanoError
from tucano_commerce.sql import (
    SqlError,
    SqlExecutionError,
    SqlRejected,
    SqlSyntaxError,
    SqlTimeout,
    check_sql,
    release_databases,
    run_query,
    sandbox_connection,
)


def _snapshot(db: Path) -> tuple[str, list[str]]:
    """The file's bytes (hashed) and its folder's listing: a refused query must change neither."""
    return hashlib.sha256(db.read_bytes()).hexdigest(), sorted(p.name for p in db.parent.iterdir())


@pytest.fixture
def untouched(shop_db: Path):
    """Assert after the test that the warehouse is byte-identical and a normal SELECT still works."""
    before = _snapshot(shop_db)
    yield shop_db
    assert _snapshot(shop_db) == before
    assert run_query(shop_db, "SELECT COUNT(*) FROM orders").rows == [(8,)]


# ---------------------------------------------------------------------------------------------- works


def test_select_returns_columns_rows_and_python_types(shop_db: Path) -> None:
    result = run_query(
        shop_db,
        "SELECT order_id, price, purchase_date, purchased_at FROM orders WHERE order_id = 1",
    )
    assert result.columns == ["order_id", "price", "purchase_date", "purchased_at"]
    assert result.rows == [(1, Decimal("10.50"), date(2017, 1, 5), datetime(2017, 1, 5))]
    assert result.truncated is False
    assert result.elapsed_s >= 0  # recorded, not asserted against the clock


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT name FROM customers;",
        "-- leading comment\nSELECT name /* inline */ FROM customers -- trailing",
        "WITH c AS (SELECT name FROM customers) SELECT * FROM c",
        "SELECT name FROM customers WHERE state = 'SP' "
        "UNION ALL SELECT name FROM customers WHERE state <> 'SP'",
        "(SELECT name FROM customers) ORDER BY name",
        "FROM customers SELECT name",
        "SELECT c.name FROM customers c, range(1) r WHERE c.customer_id > 0",
        "SELECT name FROM customers WHERE name LIKE '%;%' OR TRUE",  # a ';' inside a string is no separator
    ],
)
def test_accepted_query_shapes(untouched: Path, sql: str) -> None:
    assert sorted(run_query(untouched, sql).rows) == [
        (n,) for n in sorted(["ana", "bruno", "carla", "davi", "elisa", "fábio"])
    ]


def test_row_cap_fetches_one_extra_row_to_flag_truncation(shop_db: Path) -> None:
    capped = run_query(shop_db, "SELECT order_id FROM orders ORDER BY order_id", max_rows=3)
    assert capped.rows == [(1,), (2,), (3,)] and capped.truncated
    exact = run_query(shop_db, "SELECT order_id FROM orders", max_rows=8)
    assert len(exact.rows) == 8 and not exact.truncated


def test_row_cap_does_not_materialise_huge_results(shop_db: Path) -> None:
    # Streamed: materialising a billion rows would hit the 5 s timeout (SqlTimeout) instead of returning.
    result = run_query(shop_db, "SELECT * FROM range(1000000000)", max_rows=10, timeout_s=5)
    assert result.truncated and len(result.rows) == 10


def test_sqlglot_unparseable_select_still_runs_on_duckdbs_checked_tree(shop_db: Path) -> None:
    # sqlglot 30 cannot parse "LIMIT 1 % 2"; DuckDB can, so DuckDB's own tree is the one checked.
    sql = "SELECT order_id FROM orders ORDER BY order_id LIMIT 1 % 2"
    assert check_sql(sql).ast is None
    assert run_query(shop_db, sql).rows == [(1,)]


def test_errors_are_tucano_errors() -> None:
    for cls in (SqlRejected, SqlSyntaxError, SqlTimeout, SqlExecutionError):
        assert issubclass(cls, SqlError) and issubclass(cls, TucanoError)


# ---------------------------------------------------------------------------------------------- refused

REFUSED = {
    # writes
    "insert": (
        "INSERT INTO orders VALUES (9, 1, 'x', 1, NULL, NULL)",
        "statement type INSERT is not allowed",
    ),
    "update": ("UPDATE orders SET price = 0", "statement type UPDATE is not allowed"),
    "delete": ("DELETE FROM orders", "statement type DELETE is not allowed"),
    "modifying_cte": ("WITH d AS (DELETE FROM orders RETURNING *) SELECT * FROM d", "DELETE inside a query"),
    "select_into": ("SELECT * INTO copy FROM orders", "syntax error"),
    # DDL
    "create": ("CREATE TABLE x AS SELECT 1", "statement type CREATE is not allowed"),
    "create_temp": ("CREATE TEMP TABLE x AS SELECT 1", "statement type CREATE is not allowed"),
    "drop": ("DROP TABLE orders", "statement type DROP is not allowed: the sandbox is read-only"),
    "alter": ("ALTER TABLE orders ADD COLUMN z INT", "statement type ALTER is not allowed"),
    # several statements, empty input
    "two_statements": ("SELECT 1; SELECT 2", "only one SELECT/WITH statement is allowed; got 2 statements"),
    "select_then_drop": ("SELECT 1; DROP TABLE orders", "got 2 statements"),
    "empty": ("   ", "empty query"),
    "only_comment": ("-- nothing here\n", "empty query"),
    # files
    "read_csv": ("SELECT * FROM read_csv('/etc/passwd')", "function read_csv is not allowed: it reads files"),
    "read_csv_auto": ("SELECT * FROM read_csv_auto('/etc/passwd')", "it reads files"),
    "read_text": ("SELECT * FROM read_text('/etc/hostname')", "function read_text is not allowed"),
    "read_blob_in_subquery": (
        "SELECT 1 WHERE EXISTS (SELECT * FROM read_blob('/etc/hostname'))",
        "read_blob",
    ),
    "glob": ("SELECT * FROM glob('/etc/*')", "function glob is not allowed"),
    "sniff_csv": ("SELECT * FROM sniff_csv('/etc/passwd')", "sniff_csv"),
    "path_as_table": ("SELECT * FROM '/etc/passwd'", "reading the file or URL '/etc/passwd'"),
    "csv_name_as_table": ('SELECT * FROM "orders.csv"', "reading the file or URL"),
    "read_duckdb": ("SELECT * FROM read_duckdb('shop.duckdb')", "function read_duckdb is not allowed"),
    "copy_to": ("COPY orders TO '/tmp/tucano-leak.csv'", "statement type COPY is not allowed"),
    "export": ("EXPORT DATABASE '/tmp/tucano-export'", "statement type EXPORT is not allowed"),
    "import": ("IMPORT DATABASE '/tmp/tucano-export'", "statement type"),
    # network
    "https_parquet": ("SELECT * FROM read_parquet('https://example.com/x.parquet')", "read_parquet"),
    "s3_table": ("SELECT * FROM 's3://bucket/x.parquet'", "reading the file or URL"),
    # engine and session state
    "attach": ("ATTACH '/tmp/other.duckdb' AS other", "statement type ATTACH is not allowed"),
    "detach": ("DETACH shop", "statement type DETACH is not allowed"),
    "install": ("INSTALL httpfs", "statement type"),
    "load": ("LOAD httpfs", "statement type LOAD is not allowed"),
    "set": ("SET enable_external_access = true", "statement type SET is not allowed"),
    "reset": ("RESET threads", "statement type"),
    "pragma": ("PRAGMA version", "statement type PRAGMA is not allowed"),
    "pragma_function": ("SELECT * FROM pragma_version()", "function pragma_version is not allowed"),
    "call": ("CALL pragma_version()", "statement type CALL is not allowed"),
    "checkpoint": ("CHECKPOINT", "is not allowed"),
    "checkpoint_function": ("SELECT * FROM checkpoint()", "function checkpoint is not allowed"),
    "vacuum": ("VACUUM", "is not allowed"),
    "use": ("USE ground_truth", "statement type"),
    "begin": ("BEGIN TRANSACTION", "statement type"),
    "describe": ("DESCRIBE orders", "DESCRIBE is not allowed"),
    "nextval": ("SELECT nextval('s')", "function nextval is not allowed"),
    "other_table_function": ("SELECT * FROM duckdb_logs()", "table function duckdb_logs is not allowed"),
    "arrow_scan_pointer": ("SELECT * FROM arrow_scan(1, 2, 3)", "it reads process memory"),
    # environment
    "getenv": ("SELECT getenv('HOME')", "function getenv is not allowed: it reads the environment"),
    "current_setting": (
        "SELECT current_setting('home_directory')",
        "function current_setting is not allowed",
    ),
    "secret_directory": ("SELECT current_setting('secret_directory')", "current_setting"),
    "settings_table": (
        "SELECT value FROM duckdb_settings() WHERE name = 'temp_directory'",
        "duckdb_settings",
    ),
    "secrets": ("SELECT * FROM duckdb_secrets()", "duckdb_secrets"),
    "databases": ("SELECT path FROM duckdb_databases()", "duckdb_databases"),
    # hidden ground truth
    "truth_table": ("SELECT * FROM ground_truth.churn", "hidden ground-truth schema"),
    "truth_join": (
        "SELECT c.name FROM customers c JOIN ground_truth.churn g USING (customer_id) WHERE g.churned",
        "ground_truth.churn",
    ),
    "truth_subquery": (
        "SELECT name FROM customers WHERE customer_id IN (SELECT customer_id FROM GROUND_TRUTH.churn)",
        "hidden ground-truth schema",
    ),
    "truth_quoted_catalog": ('SELECT * FROM shop."ground_truth".churn', "hidden ground-truth schema"),
    "truth_schema_alias": ("SELECT * FROM truth.anything", "hidden ground-truth schema 'truth'"),
    "truth_via_cte": ("WITH t AS (SELECT * FROM ground_truth.churn) SELECT COUNT(*) FROM t", "ground-truth"),
    # dynamic SQL
    "query": ("SELECT * FROM query('SELECT * FROM ground_truth.churn')", "function query is not allowed"),
    "query_table": ("SELECT * FROM query_table('ground_truth.churn')", "function query_table is not allowed"),
    "lateral_query": ("SELECT * FROM customers, LATERAL query('SELECT 1')", "it runs dynamic SQL"),
    "json_execute": (
        "SELECT * FROM json_execute_serialized_sql(json_serialize_sql('SELECT 1'))",
        "json_execute_serialized_sql",
    ),
    "dynamic_sql_unparseable_by_sqlglot": (
        "SELECT * FROM query_table('ground_truth.churn') LIMIT 1 % 2",
        "function query_table is not allowed",
    ),
    # not plainly a SELECT, and sqlglot cannot read it: refused rather than trusted
    "unparseable_from_first": (
        "FROM orders SELECT order_id LIMIT 1 % 2",
        "does not plainly start with SELECT",
    ),
    "values": ("VALUES (1), (2)", "statement type VALUES is not allowed"),
}


@pytest.mark.parametrize(("sql", "message"), list(REFUSED.values()), ids=list(REFUSED))
def test_refused_and_database_unchanged(untouched: Path, sql: str, message: str) -> None:
    with pytest.raises(SqlRejected, match=re.escape(message)):
        run_query(untouched, sql)


def test_non_text_is_refused(shop_db: Path) -> None:
    with pytest.raises(SqlRejected, match="must be text"):
        run_query(shop_db, None)  # type: ignore[arg-type]


def test_syntax_error_is_a_refusal_of_its_own_kind(untouched: Path) -> None:
    with pytest.raises(SqlSyntaxError, match='Parser Error: syntax error at or near "WHERE"'):
        run_query(untouched, "SELECT name FROM customers WHERE")
    with pytest.raises(SqlSyntaxError):
        run_query(untouched, "Here is the query you asked for: SELECT 1")


def test_engine_refuses_on_its_own_without_the_gate(shop_db: Path, tmp_path: Path) -> None:
    """Defence in depth: the connection itself refuses writes, files, network, extensions and SET."""
    before = _snapshot(shop_db)
    leak = tmp_path / "leak.csv"
    attempts = [
        "INSERT INTO orders VALUES (9, 1, 'x', 1, NULL, NULL)",
        "CREATE TABLE x AS SELECT 1",
        "DROP TABLE orders",
        f"COPY orders TO '{leak}'",
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM glob('/etc/*')",
        "SELECT * FROM read_parquet('https://example.com/x.parquet')",
        f"ATTACH '{tmp_path / 'other.duckdb'}' AS other",
        "INSTALL httpfs",
        "LOAD httpfs",
        "SET enable_external_access = true",
        "SET threads = 8",
        "SET temp_directory = '/tmp'",
        "SELECT getenv('HOME')",  # getenv only exists in DuckDB's CLI
    ]
    for sql in attempts:
        con = sandbox_connection(shop_db)
        try:
            with pytest.raises(duckdb.Error):
                con.execute(sql).fetchall()
        finally:
            con.close()
    assert not leak.exists() and not (tmp_path / "other.duckdb").exists()
    assert _snapshot(shop_db) == before


def test_engine_error_is_condensed_to_its_first_line(untouched: Path) -> None:
    with pytest.raises(SqlExecutionError) as info:
        run_query(untouched, "SELECT no_such_column FROM orders")
    assert info.value.kind == "BinderException"
    assert str(info.value).startswith('Binder Error: Referenced column "no_such_column" not found')
    assert "\n" not in str(info.value)
    with pytest.raises(SqlExecutionError, match="Catalog Error"):
        run_query(untouched, "SELECT * FROM no_such_table")
    with pytest.raises(SqlExecutionError, match="Conversion Error"):
        run_query(untouched, "SELECT CAST(name AS INTEGER) FROM customers")


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT SUM(a.range * b.range) FROM range(100000) a, range(100000) b",
        "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT COUNT(*) FROM r",
    ],
    ids=["cross_join", "endless_recursive_cte"],
)
def test_timeout_interrupts_the_query(untouched: Path, sql: str) -> None:
    timeout_s = 0.4
    # These queries never end on their own: the interrupt is what returns. How far past the limit it
    # lands (target 0.5 s) is measured by benchmarks/sql_scoring.py, not asserted here.
    with pytest.raises(SqlTimeout, match="timeout after 0.4s") as info:
        run_query(untouched, sql, timeout_s=timeout_s)
    assert info.value.timeout_s == timeout_s


def test_missing_database_is_a_data_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="cannot be read"):
        run_query(tmp_path / "nope.duckdb", "SELECT 1")


def test_rebuilt_file_is_reopened_and_release_lets_a_writer_in(tmp_path: Path) -> None:
    path = tmp_path / "rebuilt.duckdb"
    duckdb.connect(str(path)).execute("CREATE TABLE t AS SELECT 1 AS x").close()
    assert run_query(path, "SELECT x FROM t").rows == [(1,)]
    release_databases(path)  # a writer in this process needs the held read-only instance gone
    con = duckdb.connect(str(path))
    con.execute("CREATE OR REPLACE TABLE t AS SELECT 2 AS x")
    con.close()
    assert run_query(path, "SELECT x FROM t").rows == [(2,)]
    release_databases(path)

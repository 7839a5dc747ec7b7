"""Shared fixtures: a small, hand-built DuckDB shop (real file, no mocks) for the SQL and scoring tests, and
one ``$TUCANO_HOME`` for the session's caches. Shared helper modules live in ``tests/helpers`` (imported as
``helpers.<module>``: this file puts ``tests/`` on the import path)."""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

SHOP_SQL = """
CREATE TABLE customers (customer_id INTEGER, name VARCHAR, state VARCHAR, age INTEGER);
INSERT INTO customers VALUES
    (1, 'ana', 'SP', 30), (2, 'bruno', 'SP', 41), (3, 'carla', 'RJ', 25),
    (4, 'davi', 'MG', 41), (5, 'elisa', 'RJ', 33), (6, 'fábio', 'SP', 52);
CREATE TABLE orders (
    order_id INTEGER, customer_id INTEGER, status VARCHAR, price DECIMAL(10, 2),
    purchased_at TIMESTAMP, purchase_date DATE
);
INSERT INTO orders VALUES
    (1, 1, 'delivered', 10.50, '2017-01-05 00:00:00', '2017-01-05'),
    (2, 1, 'delivered', 20.25, '2017-01-07 10:30:00', '2017-01-07'),
    (3, 2, 'canceled',  5.00,  '2017-02-01 00:00:00', '2017-02-01'),
    (4, 3, 'delivered', 99.99, '2017-02-11 08:00:00', '2017-02-11'),
    (5, 4, 'shipped',   15.16, '2017-03-02 00:00:00', '2017-03-02'),
    (6, 5, 'delivered', 42.00, '2017-03-15 17:45:10', '2017-03-15'),
    (7, 6, 'delivered', 7.35,  '2017-04-01 00:00:00', '2017-04-01'),
    (8, 6, 'shipped',   12.10, '2017-04-20 12:00:00', '2017-04-20');
CREATE SCHEMA ground_truth;
CREATE TABLE ground_truth.churn AS SELECT customer_id, customer_id % 2 = 0 AS churned FROM customers;
"""


def build_duckdb(path: Path, sql: str) -> Path:
    """Create a DuckDB file at ``path`` from a SQL script and close it (so the sandbox can open it)."""
    con = duckdb.connect(str(path))
    try:
        con.execute(sql)
    finally:
        con.close()
    return path


@pytest.fixture(scope="module")
def tucano_home(tmp_path_factory: pytest.TempPathFactory):
    """``$TUCANO_HOME`` set for a test module (restored after it) to one folder the whole session shares, so
    the benchmark warehouse, cached warehouses and the tiny model are built once."""
    path = tmp_path_factory.getbasetemp() / "tucano-home"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TUCANO_HOME", str(path))
        yield path


@pytest.fixture(scope="session")
def shop_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Six customers, eight orders and a hidden ``ground_truth.churn`` table, alone in its folder."""
    return build_duckdb(tmp_path_factory.mktemp("shop") / "shop.duckdb", SHOP_SQL)


@pytest.fixture(scope="session")
def synthetic_olist(tmp_path_factory: pytest.TempPathFactory):
    """Invented Olist reviews + a benchmark copy whose review hashes match them (``synthetic_olist.py``)."""
    from synthetic_olist import make_synthetic_olist

    return make_synthetic_olist(tmp_path_factory.mktemp("synthetic-olist"))


@pytest.fixture
def retry_waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every delay the shared retry loop decides to wait, in order (a spy on ``RetryPolicy.delay_s``).

    Retry timing is asserted on these decisions, never on the wall clock.
    """
    from tucano_commerce._http import RetryPolicy

    waits: list[float] = []
    decide = RetryPolicy.delay_s

    def spy(self: RetryPolicy, *args: object, **kwargs: object) -> float:
        waits.append(decide(self, *args, **kwargs))  # type: ignore[arg-type]
        return waits[-1]

    monkeypatch.setattr(RetryPolicy, "delay_s", spy)
    return waits


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests on the session's tiny GRPO run (``tiny_run``) or on the installed wheel (``installed``) are end
    to end: mark them ``slow``, which ``make test-fast`` skips (the others carry the mark by hand)."""
    for item in items:
        if {"tiny_run", "installed"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)

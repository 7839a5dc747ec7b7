"""Same seed, same data; another seed, other data with the same schema."""

from __future__ import annotations

import duckdb
import pytest

from tucano_commerce.errors import DataError
from tucano_commerce.warehouse import TABLES, build_warehouse


def table_rows(path, table):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()
    finally:
        con.close()


def test_same_seed_same_data(tmp_path, warehouse):
    again = build_warehouse(tmp_path / "again.duckdb", seed=0)
    con = duckdb.connect(str(warehouse), read_only=True)
    first_hash = dict(con.execute("SELECT key, value FROM ground_truth.build_info").fetchall())[
        "content_hash"
    ]
    con.close()
    assert f'"{again.content_hash}"' == first_hash
    for t in ("orders", "order_reviews", "order_payments"):
        assert table_rows(warehouse, t) == table_rows(tmp_path / "again.duckdb", t)


def test_other_seed_other_data_same_schema(tmp_path, warehouse):
    other = build_warehouse(tmp_path / "seed1.duckdb", seed=1)
    base = duckdb.connect(str(warehouse), read_only=True)
    con = duckdb.connect(str(tmp_path / "seed1.duckdb"), read_only=True)
    for t in TABLES:
        assert base.execute(f"DESCRIBE {t.name}").fetchall() == con.execute(f"DESCRIBE {t.name}").fetchall()
    assert (
        other.content_hash
        != dict(base.execute("SELECT key, value FROM ground_truth.build_info").fetchall())["content_hash"]
    )
    assert table_rows(warehouse, "orders") != table_rows(tmp_path / "seed1.duckdb", "orders")


def test_scale_sets_the_size(tmp_path):
    small = build_warehouse(tmp_path / "s.duckdb", seed=0, scale=0.02)
    assert small.row_counts["orders"] == round(99_441 * 0.02)
    assert small.row_counts["customers"] == small.row_counts["orders"]  # one customer_id per order


def test_failed_build_keeps_the_existing_warehouse(tmp_path, warehouse):
    target = tmp_path / "keep.duckdb"
    build_warehouse(target, seed=0, scale=0.02)
    before = target.read_bytes()
    bad = tmp_path / "olist_sellers_dataset.csv"
    bad.write_text("seller_id,seller_city\nx,y\n", encoding="utf-8")
    with pytest.raises(DataError, match="header does not match"):
        build_warehouse(target, seed=1, scale=0.02, olist_dir=tmp_path)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".keep")] == []

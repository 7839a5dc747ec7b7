"""The warehouse has Olist's schema: table names, column names in CSV order, types, keys."""

from __future__ import annotations

import csv

import duckdb
import pytest

from tucano_commerce.warehouse import CHURN_TRUTH, TABLES, TRUTH_SCHEMA, schema_ddl

# The Kaggle CSV headers, written out as the spec (Olist's own spellings included).
KAGGLE_HEADERS = {
    "customers": ["customer_id", "customer_unique_id", "customer_zip_code_prefix", "customer_city", "customer_state"],
    "orders": ["order_id", "customer_id", "order_status", "order_purchase_timestamp", "order_approved_at",
               "order_delivered_carrier_date", "order_delivered_customer_date", "order_estimated_delivery_date"],
    "order_items": ["order_id", "order_item_id", "product_id", "seller_id", "shipping_limit_date", "price",
                    "freight_value"],
    "order_payments": ["order_id", "payment_sequential", "payment_type", "payment_installments", "payment_value"],
    "order_reviews": ["review_id", "order_id", "review_score", "review_comment_title", "review_comment_message",
                      "review_creation_date", "review_answer_timestamp"],
    "products": ["product_id", "product_category_name", "product_name_lenght", "product_description_lenght",
                 "product_photos_qty", "product_weight_g", "product_length_cm", "product_height_cm",
                 "product_width_cm"],
    "sellers": ["seller_id", "seller_zip_code_prefix", "seller_city", "seller_state"],
    "geolocation": ["geolocation_zip_code_prefix", "geolocation_lat", "geolocation_lng", "geolocation_city",
                    "geolocation_state"],
    "product_category_name_translation": ["product_category_name", "product_category_name_english"],
}  # fmt: skip

EXPECTED_TYPES = {
    ("orders", "order_purchase_timestamp"): "TIMESTAMP",
    ("orders", "order_estimated_delivery_date"): "DATE",
    ("order_reviews", "review_creation_date"): "DATE",
    ("order_reviews", "review_answer_timestamp"): "TIMESTAMP",
    ("order_items", "price"): "DECIMAL(10,2)",
    ("order_items", "order_item_id"): "INTEGER",
    ("order_payments", "payment_value"): "DECIMAL(10,2)",
    ("order_reviews", "review_score"): "INTEGER",
    ("geolocation", "geolocation_lat"): "DOUBLE",
    ("customers", "customer_zip_code_prefix"): "VARCHAR",
    ("products", "product_weight_g"): "INTEGER",
}


def columns_of(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in con.execute(f"DESCRIBE {table}").fetchall()]


def test_tables_and_column_order(warehouse):
    con = duckdb.connect(str(warehouse), read_only=True)
    main_tables = {
        r[0]
        for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'").fetchall()
    }
    assert main_tables == set(KAGGLE_HEADERS)
    for table, header in KAGGLE_HEADERS.items():
        assert [c for c, _ in columns_of(con, table)] == header, table


@pytest.mark.parametrize(("table", "column"), list(EXPECTED_TYPES))
def test_column_types(warehouse, table, column):
    con = duckdb.connect(str(warehouse), read_only=True)
    assert dict(columns_of(con, table))[column] == EXPECTED_TYPES[(table, column)]


def test_primary_keys_declared_and_unique(warehouse):
    con = duckdb.connect(str(warehouse), read_only=True)
    for t in TABLES:
        if not t.primary_key:
            continue
        cons = con.execute(
            "SELECT constraint_column_names FROM duckdb_constraints() WHERE table_name = ? AND constraint_type = 'PRIMARY KEY'",
            [t.name],
        ).fetchall()
        assert [list(t.primary_key)] == [list(c[0]) for c in cons], t.name


def test_ground_truth_is_apart_from_the_model_visible_schema(warehouse):
    con = duckdb.connect(str(warehouse), read_only=True)
    truth_tables = {
        r[0]
        for r in con.execute(
            f"SELECT table_name FROM duckdb_tables() WHERE schema_name = '{TRUTH_SCHEMA}'"
        ).fetchall()
    }
    assert truth_tables == {CHURN_TRUTH.name, "build_info"}
    assert "churn" not in schema_ddl() and "ground_truth" not in schema_ddl()
    with pytest.raises(duckdb.CatalogException):
        con.execute("SELECT * FROM customer_churn")  # not reachable without naming the schema


def test_ids_and_zip_prefixes_look_like_olist(warehouse):
    con = duckdb.connect(str(warehouse), read_only=True)
    bad_ids = con.execute(
        "SELECT count(*) FROM orders WHERE NOT regexp_full_match(order_id, '[0-9a-f]{32}') "
        "OR NOT regexp_full_match(customer_id, '[0-9a-f]{32}')"
    ).fetchone()[0]
    assert bad_ids == 0
    zips = con.execute("SELECT DISTINCT length(customer_zip_code_prefix) FROM customers").fetchall()
    assert zips == [(5,)]
    assert (
        con.execute("SELECT count(*) FROM customers WHERE customer_zip_code_prefix LIKE '0%'").fetchone()[0]
        > 0
    )


def test_schema_matches_real_csv_headers(olist_dir):
    for t in TABLES:
        path = olist_dir / t.csv_name
        if path.is_file():
            with path.open(encoding="utf-8-sig", newline="") as f:
                assert next(csv.reader(f)) == t.column_names

"""The Olist schema: nine tables with the Kaggle CSVs' exact column names, in file order.

Olist's own spellings are kept (``product_name_lenght``). Types follow docs/sources.md#olist-schema: ids are
32-char hex VARCHAR, zip prefixes zero-padded VARCHAR(5), money DECIMAL(10,2), purchase-side times
TIMESTAMP, the two midnight-only columns DATE.

Keys (documented; DuckDB enforces the primary keys we declare, foreign keys are left as documentation
because the real data has dangling references, docs/sources.md#olist-schema):

- customers(customer_id) PK; customer_unique_id identifies the person (repeat buyers share it)
- orders(order_id) PK; orders.customer_id -> customers.customer_id (exactly one order per customer_id)
- order_items(order_id, order_item_id) PK; -> orders, products, sellers
- order_payments(order_id, payment_sequential) PK; -> orders
- order_reviews: no clean PK in the real data ((review_id, order_id) is unique); -> orders
- products(product_id) PK; product_category_name -> product_category_name_translation (2 untranslated)
- sellers(seller_id) PK
- geolocation: no PK; soft join on zip-code prefix
- product_category_name_translation(product_category_name) PK
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Table:
    """One warehouse table: its name, Kaggle file, typed columns and keys."""

    name: str
    csv_name: str
    columns: tuple[tuple[str, str], ...]  # (column, DuckDB type), in the CSV's order
    primary_key: tuple[str, ...] = ()
    foreign_keys: tuple[tuple[str, str], ...] = ()  # (column, "table.column"), documentation only

    @property
    def column_names(self) -> list[str]:
        """Column names in CSV order."""
        return [c for c, _ in self.columns]

    def ddl(self, *, with_primary_key: bool = True) -> str:
        """CREATE TABLE statement for this table."""
        cols = [f"{c} {t}" for c, t in self.columns]
        if with_primary_key and self.primary_key:
            cols.append(f"PRIMARY KEY ({', '.join(self.primary_key)})")
        return f"CREATE TABLE {self.name} (\n    " + ",\n    ".join(cols) + "\n)"


ID = "VARCHAR"
MONEY = "DECIMAL(10,2)"

TABLES: tuple[Table, ...] = (
    Table(
        "customers",
        "olist_customers_dataset.csv",
        (
            ("customer_id", ID),
            ("customer_unique_id", ID),
            ("customer_zip_code_prefix", "VARCHAR"),
            ("customer_city", "VARCHAR"),
            ("customer_state", "VARCHAR"),
        ),
        primary_key=("customer_id",),
    ),
    Table(
        "orders",
        "olist_orders_dataset.csv",
        (
            ("order_id", ID),
            ("customer_id", ID),
            ("order_status", "VARCHAR"),
            ("order_purchase_timestamp", "TIMESTAMP"),
            ("order_approved_at", "TIMESTAMP"),
            ("order_delivered_carrier_date", "TIMESTAMP"),
            ("order_delivered_customer_date", "TIMESTAMP"),
            ("order_estimated_delivery_date", "DATE"),
        ),
        primary_key=("order_id",),
        foreign_keys=(("customer_id", "customers.customer_id"),),
    ),
    Table(
        "order_items",
        "olist_order_items_dataset.csv",
        (
            ("order_id", ID),
            ("order_item_id", "INTEGER"),
            ("product_id", ID),
            ("seller_id", ID),
            ("shipping_limit_date", "TIMESTAMP"),
            ("price", MONEY),
            ("freight_value", MONEY),
        ),
        primary_key=("order_id", "order_item_id"),
        foreign_keys=(
            ("order_id", "orders.order_id"),
            ("product_id", "products.product_id"),
            ("seller_id", "sellers.seller_id"),
        ),
    ),
    Table(
        "order_payments",
        "olist_order_payments_dataset.csv",
        (
            ("order_id", ID),
            ("payment_sequential", "INTEGER"),
            ("payment_type", "VARCHAR"),
            ("payment_installments", "INTEGER"),
            ("payment_value", MONEY),
        ),
        primary_key=("order_id", "payment_sequential"),
        foreign_keys=(("order_id", "orders.order_id"),),
    ),
    Table(
        "order_reviews",
        "olist_order_reviews_dataset.csv",
        (
            ("review_id", ID),
            ("order_id", ID),
            ("review_score", "INTEGER"),
            ("review_comment_title", "VARCHAR"),
            ("review_comment_message", "VARCHAR"),
            ("review_creation_date", "DATE"),
            ("review_answer_timestamp", "TIMESTAMP"),
        ),
        foreign_keys=(("order_id", "orders.order_id"),),
    ),
    Table(
        "products",
        "olist_products_dataset.csv",
        (
            ("product_id", ID),
            ("product_category_name", "VARCHAR"),
            ("product_name_lenght", "INTEGER"),
            ("product_description_lenght", "INTEGER"),
            ("product_photos_qty", "INTEGER"),
            ("product_weight_g", "INTEGER"),
            ("product_length_cm", "INTEGER"),
            ("product_height_cm", "INTEGER"),
            ("product_width_cm", "INTEGER"),
        ),
        primary_key=("product_id",),
        foreign_keys=(("product_category_name", "product_category_name_translation.product_category_name"),),
    ),
    Table(
        "sellers",
        "olist_sellers_dataset.csv",
        (
            ("seller_id", ID),
            ("seller_zip_code_prefix", "VARCHAR"),
            ("seller_city", "VARCHAR"),
            ("seller_state", "VARCHAR"),
        ),
        primary_key=("seller_id",),
    ),
    Table(
        "geolocation",
        "olist_geolocation_dataset.csv",
        (
            ("geolocation_zip_code_prefix", "VARCHAR"),
            ("geolocation_lat", "DOUBLE"),
            ("geolocation_lng", "DOUBLE"),
            ("geolocation_city", "VARCHAR"),
            ("geolocation_state", "VARCHAR"),
        ),
    ),
    Table(
        "product_category_name_translation",
        "product_category_name_translation.csv",
        (
            ("product_category_name", "VARCHAR"),
            ("product_category_name_english", "VARCHAR"),
        ),
        primary_key=("product_category_name",),
    ),
)

TABLES_BY_NAME: dict[str, Table] = {t.name: t for t in TABLES}

# Ground truth lives in its own schema so that model-facing SQL never sees it (the sandbox refuses
# any reference to it). One row per person (customer_unique_id).
TRUTH_SCHEMA = "ground_truth"
CHURN_TRUTH = Table(
    "customer_churn",
    "",
    (
        ("customer_unique_id", ID),
        ("snapshot_date", "DATE"),
        ("horizon_days", "INTEGER"),
        ("n_orders", "INTEGER"),
        ("recency_days", "INTEGER"),
        ("total_spent", "DOUBLE"),
        ("late_deliveries", "INTEGER"),
        ("min_review_score", "INTEGER"),
        ("complaints", "INTEGER"),
        ("undelivered_orders", "INTEGER"),
        ("churn_probability", "DOUBLE"),
        ("risk_level", "VARCHAR"),
        ("churned", "BOOLEAN"),
    ),
    primary_key=("customer_unique_id",),
)


def schema_ddl() -> str:
    """DDL of the model-visible schema, as given to models in SQL prompts."""
    return ";\n\n".join(t.ddl() for t in TABLES) + ";"

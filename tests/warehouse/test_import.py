"""Importing the real Olist CSVs: quirks (BOM, CRLF, quoted newlines, quoting), fingerprints, errors."""

from __future__ import annotations

import duckdb
import numpy as np
import pytest

from tucano_commerce.errors import DataError
from tucano_commerce.warehouse import KAGGLE_BLOBS, build_warehouse, git_blob_sha1

HEADS = {
    "orders": "olist_head_samples/olist_orders_dataset.head.csv",
    "order_items": "olist_head_samples/olist_order_items_dataset.head.csv",
    "order_payments": "olist_head_samples/olist_order_payments_dataset.head.csv",
    "customers": "olist_head_samples/olist_customers_dataset.head.csv",
    "order_reviews": "olist_order_reviews_dataset.head6123.csv",
}


@pytest.fixture(scope="module")
def real(olist_dir, tmp_path_factory):
    """Warehouse with every real file in the shared folder: full dimensions, fact-table heads."""
    path = tmp_path_factory.mktemp("real") / "real.duckdb"
    report = build_warehouse(
        path,
        seed=0,
        scale=0.02,
        olist_dir=olist_dir,
        csv_overrides={t: olist_dir / p for t, p in HEADS.items()},
    )
    return path, report


def test_full_dimension_files_are_pristine_and_complete(real, olist_dir):
    path, report = real
    assert report.row_counts["products"] == 32_951
    assert report.row_counts["sellers"] == 3_095
    assert report.row_counts["product_category_name_translation"] == 71
    for table in ("products", "sellers", "product_category_name_translation"):
        assert "pristine Kaggle file" in report.sources[table]
    assert git_blob_sha1(olist_dir / "olist_products_dataset.csv") == KAGGLE_BLOBS["products"]
    con = duckdb.connect(str(path), read_only=True)
    # BOM: the first column name is clean, so this resolves.
    assert (
        con.execute(
            "SELECT count(*) FROM product_category_name_translation WHERE product_category_name = 'beleza_saude'"
        ).fetchone()[0]
        == 1
    )
    # Zip prefixes keep their leading zeros (pandas would turn "01151" into 1151).
    assert (
        con.execute("SELECT count(*) FROM sellers WHERE seller_zip_code_prefix LIKE '0%'").fetchone()[0] > 0
    )
    assert con.execute("SELECT DISTINCT length(seller_zip_code_prefix) FROM sellers").fetchall() == [(5,)]
    # Olist's dirt is kept as is: the seller whose city is a zip code.
    assert con.execute("SELECT count(*) FROM sellers WHERE seller_city = '04482255'").fetchone()[0] == 1
    assert (
        con.execute("SELECT count(*) FROM products WHERE product_category_name IS NULL").fetchone()[0] == 610
    )


def test_review_head_with_crlf_and_multiline_messages(real):
    path, report = real
    assert report.row_counts["order_reviews"] == 6_123
    assert "differs from the Kaggle original" in report.sources["order_reviews"]  # a head, not the full file
    con = duckdb.connect(str(path), read_only=True)
    n_msgs, n_titles, with_cr, multiline = con.execute(
        "SELECT count(review_comment_message), count(review_comment_title),"
        " count(*) FILTER (WHERE contains(review_comment_message, chr(13))),"
        " count(*) FILTER (WHERE contains(review_comment_message, chr(10))) FROM order_reviews"
    ).fetchone()
    assert (n_msgs, n_titles, with_cr) == (2_562, 734, 0)
    assert multiline > 0
    assert con.execute("SELECT DISTINCT typeof(review_creation_date) FROM order_reviews").fetchall() == [
        ("DATE",)
    ]


def test_fact_heads_import_and_report_their_keys_do_not_join(real):
    path, report = real
    assert report.row_counts["orders"] == 4_071
    assert report.row_counts["order_items"] == 5_154
    assert report.row_counts["order_payments"] == 4_733
    assert report.row_counts["customers"] == 200
    assert report.fk_coverage["order_reviews.order_id -> orders.order_id"] < 0.2
    assert any("order_reviews.order_id" in w for w in report.warnings)
    # Synthetic geolocation is still generated for the real customers and sellers.
    assert report.sources["geolocation"] == "synthetic" and report.row_counts["geolocation"] > 0


def test_synthetic_orders_reference_real_products(olist_dir, tmp_path):
    report = build_warehouse(tmp_path / "mixed.duckdb", seed=0, scale=0.02, olist_dir=olist_dir)
    assert report.fk_coverage["order_items.product_id -> products.product_id"] == 1.0
    assert report.fk_coverage["order_items.seller_id -> sellers.seller_id"] == 1.0
    assert report.sources["orders"] == "synthetic"


def test_wrong_header_names_the_file_and_line(tmp_path):
    bad = tmp_path / "olist_sellers_dataset.csv"
    bad.write_text(
        "seller_id,seller_zip,seller_city,seller_state\nabc,01000,sao paulo,SP\n", encoding="utf-8"
    )
    with pytest.raises(
        DataError, match=r"olist_sellers_dataset\.csv: line 1: .*missing \['seller_zip_code_prefix'\]"
    ):
        build_warehouse(tmp_path / "w.duckdb", olist_dir=tmp_path, scale=0.02)


def test_bad_value_names_the_file_line_and_column(tmp_path):
    bad = tmp_path / "reviews.csv"
    bad.write_text(
        "review_id,order_id,review_score,review_comment_title,review_comment_message,review_creation_date,review_answer_timestamp\r\n"
        'a,b,5,,"ok",2018-01-18 00:00:00,2018-01-18 21:46:59\r\n'
        'c,d,5,,"ok",not a date,2018-01-18 21:46:59\r\n',
        encoding="utf-8",
    )
    with pytest.raises(DataError, match=r'reviews\.csv: line 3: column "review_creation_date"'):
        build_warehouse(tmp_path / "w.duckdb", csv_overrides={"order_reviews": bad}, scale=0.02)


def test_unknown_table_in_overrides(tmp_path):
    f = tmp_path / "x.csv"
    f.write_text("a\n1\n")
    with pytest.raises(DataError, match="unknown table 'order'"):
        build_warehouse(tmp_path / "w.duckdb", csv_overrides={"order": f})


def test_imported_null_text_reaches_the_generator_as_none() -> None:
    """Real tables are read back for the generator: a NULL text cell (e.g. a product without category) is
    None, a NULL number NaN; numpy's default fill for text would have made it the string "?"."""
    from tucano_commerce.warehouse._build import _fetch_columns

    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT * FROM (VALUES ('a', 1), (NULL, NULL)) v(s, n)")
    columns = _fetch_columns(con, "t")
    assert list(columns["s"]) == ["a", None]
    assert columns["n"][0] == 1 and np.isnan(columns["n"][1])

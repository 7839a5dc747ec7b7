"""The synthetic warehouse reproduces the published Olist distributions (note Part B).

Checked on a 0.4x build (~40k orders). Tolerances are several standard errors of the sampling
noise at that size, so a failure means the generator drifted, not bad luck.
"""

from __future__ import annotations

import duckdb
import pytest

from tucano_commerce.warehouse import _calibration as cal


@pytest.fixture(scope="module")
def q(big_warehouse):
    con = duckdb.connect(str(big_warehouse), read_only=True)

    def run(sql: str):
        return con.execute(sql).fetchall()

    yield run
    con.close()


def shares(rows) -> dict:
    total = sum(n for _, n in rows)
    return {k: n / total for k, n in rows}


def published(counts: dict) -> dict:
    total = sum(counts.values())
    return {k: v / total for k, v in counts.items()}


def test_order_volume_by_month_with_the_black_friday_peak(q):
    got = shares(q("SELECT strftime(order_purchase_timestamp, '%Y-%m'), count(*) FROM orders GROUP BY 1"))
    for month, share in published(cal.MONTHLY_ORDERS).items():
        assert got.get(month, 0.0) == pytest.approx(share, abs=0.005), month
    assert got["2017-11"] / got["2017-10"] == pytest.approx(7_544 / 4_631, rel=0.1)
    assert max((v, m) for m, v in got.items() if m.startswith("2017"))[1] == "2017-11"
    first, last = q("SELECT min(order_purchase_timestamp), max(order_purchase_timestamp) FROM orders")[0]
    assert str(first) >= cal.FIRST_PURCHASE and str(last) == cal.LAST_PURCHASE


def test_status_mix(q):
    got = shares(q("SELECT order_status, count(*) FROM orders GROUP BY 1"))
    for status, share in published(cal.ORDER_STATUS).items():
        assert got.get(status, 0.0) == pytest.approx(share, abs=0.004), status


def test_delivery_times_and_late_share(q):
    mean_days, late_share, lead = q(
        "SELECT avg(date_diff('second', order_purchase_timestamp, order_delivered_customer_date)) / 86400,"
        " avg((order_delivered_customer_date > order_estimated_delivery_date)::INT),"
        " avg(date_diff('day', CAST(order_purchase_timestamp AS DATE), order_estimated_delivery_date))"
        " FROM orders WHERE order_status = 'delivered'"
    )[0]
    assert mean_days == pytest.approx(cal.MEAN_DELIVERY_DAYS, abs=0.6)
    assert late_share == pytest.approx(cal.LATE_SHARE, abs=0.008)
    assert lead == pytest.approx(cal.MEAN_ESTIMATED_LEAD_DAYS, abs=1.0)
    lateness = q(
        "SELECT avg(date_diff('second', CAST(order_estimated_delivery_date AS TIMESTAMP), order_delivered_customer_date)) / 86400"
        " FROM orders WHERE order_delivered_customer_date > order_estimated_delivery_date"
    )[0][0]
    assert lateness == pytest.approx(cal.MEAN_LATENESS_DAYS, abs=1.0)
    spike = q(
        "SELECT avg((order_delivered_customer_date > order_estimated_delivery_date)::INT) FROM orders"
        " WHERE order_status = 'delivered' AND strftime(order_purchase_timestamp, '%Y-%m') = '2018-03'"
    )[0][0]
    assert spike == pytest.approx(cal.LATE_SHARE_SPIKES["2018-03"], abs=0.03)
    # Timeline order: purchase <= approval <= carrier <= delivery.
    assert (
        q(
            "SELECT count(*) FROM orders WHERE order_approved_at < order_purchase_timestamp"
            " OR order_delivered_carrier_date < order_approved_at"
            " OR order_delivered_customer_date < order_delivered_carrier_date"
        )[0][0]
        == 0
    )
    assert (
        q(
            "SELECT count(*) FROM orders WHERE order_status <> 'delivered' AND order_delivered_customer_date IS NOT NULL"
        )[0][0]
        == 0
    )


def test_payments(q):
    got = shares(q("SELECT payment_type, count(*) FROM order_payments GROUP BY 1"))
    for ptype, tol in {"credit_card": 0.015, "boleto": 0.015, "voucher": 0.01, "debit_card": 0.005}.items():
        assert got[ptype] == pytest.approx(published(cal.PAYMENT_TYPE_ROWS)[ptype], abs=tol), ptype
    rows_per_order = q("SELECT count(*) / count(DISTINCT order_id) FROM order_payments")[0][0]
    assert rows_per_order == pytest.approx(103_886 / 99_440, abs=0.02)
    assert (
        q(
            "SELECT count(*) FROM order_payments WHERE payment_type <> 'credit_card' AND payment_installments <> 1"
        )[0][0]
        == 0
    )
    credit_mean = q(
        "SELECT avg(payment_installments) FROM order_payments WHERE payment_type = 'credit_card'"
    )[0][0]
    assert credit_mean == pytest.approx(3.51, abs=0.3)
    matched = q(
        "WITH i AS (SELECT order_id, sum(price + freight_value) AS v FROM order_items GROUP BY 1),"
        " p AS (SELECT order_id, sum(payment_value) AS v FROM order_payments GROUP BY 1)"
        " SELECT avg((abs(i.v - p.v) <= 0.01)::INT) FROM i JOIN p USING (order_id)"
    )[0][0]
    assert matched >= 0.98  # payments = price + freight (Olist: 98.4 % within a cent)


def test_reviews(q):
    got = shares(q("SELECT review_score, count(*) FROM order_reviews GROUP BY 1"))
    for score, share in published(cal.REVIEW_SCORES).items():
        assert got[score] == pytest.approx(share, abs=0.01), score
    with_text = q("SELECT avg((review_comment_message IS NOT NULL)::INT) FROM order_reviews")[0][0]
    assert with_text == pytest.approx(0.413, abs=0.02)
    by_score = dict(
        q("SELECT review_score, avg((review_comment_message IS NOT NULL)::INT) FROM order_reviews GROUP BY 1")
    )
    for score, share in cal.COMMENT_SHARE_BY_SCORE.items():
        assert by_score[score] == pytest.approx(share, abs=0.03), score
    drop = q(
        "SELECT avg(review_score) FILTER (WHERE NOT late) - avg(review_score) FILTER (WHERE late) FROM ("
        " SELECT r.review_score, o.order_delivered_customer_date > o.order_estimated_delivery_date AS late"
        " FROM order_reviews r JOIN orders o USING (order_id) WHERE o.order_status = 'delivered')"
    )[0][0]
    assert drop == pytest.approx(cal.LATE_SCORE_DROP_STARS, abs=0.3)
    per_order = dict(
        q("SELECT n, count(*) FROM (SELECT count(*) AS n FROM order_reviews GROUP BY order_id) GROUP BY n")
    )
    assert per_order[2] > 0  # some orders have two reviews
    assert (
        q("SELECT count(*) - count(DISTINCT review_id) FROM order_reviews")[0][0] > 0
    )  # repeated review ids


def test_review_texts_agree_with_score_and_delivery(q):
    rows = q(
        "SELECT r.review_score, lower(r.review_comment_message),"
        " o.order_status = 'delivered' AS delivered,"
        " o.order_delivered_customer_date > o.order_estimated_delivery_date AS late"
        " FROM order_reviews r JOIN orders o USING (order_id) WHERE r.review_comment_message IS NOT NULL"
        # a repeated review_id is one survey answer covering several orders: it need not fit each order
        " AND r.review_id IN (SELECT review_id FROM order_reviews GROUP BY 1 HAVING count(*) = 1)"
    )
    assert len({m for _, m, _, _ in rows}) > 300  # varied, not a handful of strings
    late_low = [m for s, m, d, late in rows if late and s <= 2]
    assert late_low and all(any(w in m for w in ("atras", "demor", "prazo")) for m in late_low)
    lost = [m for s, m, d, _ in rows if not d and s <= 2]
    assert lost and all(any(w in m for w in ("receb", "cancel", "chegar", "nada de", "pedido")) for m in lost)
    praise = [m for s, m, d, late in rows if s == 5 and d and not late]
    assert all("defeito" not in m and "atras" not in m for m in praise)


def test_geography(q):
    got = shares(q("SELECT customer_state, count(*) FROM customers GROUP BY 1"))
    assert len(got) == 27
    assert got["SP"] == pytest.approx(41_746 / 99_441, abs=0.015)
    assert sorted(got, key=got.get, reverse=True)[:3] == ["SP", "RJ", "MG"]
    sellers = shares(q("SELECT seller_state, count(*) FROM sellers GROUP BY 1"))
    assert sellers["SP"] == pytest.approx(1_849 / 3_095, abs=0.05)
    top_city = q("SELECT customer_city FROM customers GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")[0][0]
    assert top_city == "sao paulo"


def test_catalogue_items_and_prices(q):
    products = shares(
        q("SELECT coalesce(product_category_name, '(none)'), count(*) FROM products GROUP BY 1")
    )
    assert products["(none)"] == pytest.approx(610 / 32_951, abs=0.005)
    assert products["cama_mesa_banho"] == pytest.approx(3_029 / 32_951, abs=0.01)
    assert len(products) > 60
    items_per_order = q("SELECT count(*) / (SELECT count(*) FROM orders) FROM order_items")[0][0]
    assert items_per_order == pytest.approx(112_650 / 99_441, abs=0.03)
    single = q("SELECT avg((n = 1)::INT) FROM (SELECT count(*) AS n FROM order_items GROUP BY order_id)")[0][
        0
    ]
    assert single == pytest.approx(88_863 / 98_666, abs=0.015)
    median, mean, fmedian, fmean = q(
        "SELECT median(price), avg(price), median(freight_value), avg(freight_value) FROM order_items"
    )[0]
    assert float(median) == pytest.approx(cal.PRICE_MEDIAN, rel=0.12)
    assert float(mean) == pytest.approx(cal.PRICE_MEAN, rel=0.12)
    assert float(fmedian) == pytest.approx(cal.FREIGHT_MEDIAN, rel=0.12)
    assert float(fmean) == pytest.approx(cal.FREIGHT_MEAN, rel=0.12)
    top5 = [r[0] for r in q(
        "SELECT product_category_name FROM order_items JOIN products USING (product_id)"
        " WHERE product_category_name IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC LIMIT 7"
    )]  # fmt: skip
    assert len(set(top5) & set(cal.TOP_CATEGORY_ITEMS)) >= 4


def test_repeat_customers(q):
    persons, repeat_share = q(
        "SELECT count(*), avg((n > 1)::INT) FROM (SELECT customer_unique_id, count(*) AS n FROM customers GROUP BY 1)"
    )[0]
    orders = q("SELECT count(*) FROM orders")[0][0]
    assert persons / orders == pytest.approx(96_096 / 99_441, abs=0.005)
    assert repeat_share == pytest.approx(0.0312, abs=0.005)


def test_regional_delivery_pattern(q):
    rows = dict(
        (region, (days, late))
        for region, days, late in q(
            "SELECT CASE WHEN c.customer_state = 'SP' THEN 'SP' WHEN c.customer_state IN "
            "('BA','SE','AL','PE','PB','RN','CE','PI','MA','PA','AM','AP','RR','AC','RO','TO') THEN 'N/NE' ELSE 'rest' END,"
            " avg(date_diff('second', o.order_purchase_timestamp, o.order_delivered_customer_date)) / 86400,"
            " avg((o.order_delivered_customer_date > o.order_estimated_delivery_date)::INT)"
            " FROM orders o JOIN customers c USING (customer_id) WHERE o.order_status = 'delivered' GROUP BY 1"
        )
    )
    assert rows["SP"][0] < rows["rest"][0] < rows["N/NE"][0]
    assert rows["SP"][1] < rows["N/NE"][1]
    assert rows["SP"][0] == pytest.approx(8.3, abs=1.0)  # Olist: SP waits ~8 days

"""Deterministic synthetic Olist warehouse, calibrated to the published distributions.

``generate(seed, scale)`` returns every table as a dict of numpy columns (None/NaN/NaT = NULL). The
whole build is vectorised; the only per-row Python is id formatting and review-text assembly.
Same seed and scale, same data; the draw order below is part of the format, so changing it changes
every warehouse (bump ``GENERATOR_VERSION`` when it does).

Causal story, in draw order: sellers and a catalogue of products; persons (customer_unique_id) with a
latent engagement that drives repeat purchases; orders placed over the Olist months; status and the
delivery timeline (late share per month); items, payments; reviews whose score depends on the
delivery outcome and whose text is consistent with it (``_review_text``); then the latent churn
model, computed afterwards from the finished tables (``_churn``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tucano_commerce.warehouse import _calibration as cal
from tucano_commerce.warehouse._review_text import review_texts
from tucano_commerce.warehouse._rng import (
    choice_from_counts,
    choice_weighted,
    hex_ids,
    lognormal_from_median_mean,
)

GENERATOR_VERSION = 1
Columns = dict[str, np.ndarray]
DAY = 86_400
SNAPSHOT = np.datetime64(cal.LAST_PURCHASE, "s")


@dataclass
class Places:
    """Where persons or sellers live: state, city, zip prefix (vectorised)."""

    state: np.ndarray
    city: np.ndarray
    zip_prefix: np.ndarray


def draw_places(rng: np.random.Generator, state_counts: dict[str, int], n: int) -> Places:
    """States from ``state_counts``; the capital gets its published share, other cities the rest."""
    state = choice_from_counts(rng, state_counts, n)
    city = np.empty(n, dtype=object)
    zips = np.empty(n, dtype=object)
    for st in np.unique(state):
        rows = np.flatnonzero(state == st)
        (lo, hi), _, _, cities = cal.STATE_GEO[st]
        cap = cal.CAPITAL_SHARE.get(st, cal.DEFAULT_CAPITAL_SHARE) if len(cities) > 1 else 1.0
        rest = np.arange(1, len(cities)) ** -0.5  # other cities: flat Zipf by rank (ours)
        w = np.concatenate([[cap], (1 - cap) * rest / rest.sum()]) if len(cities) > 1 else np.ones(1)
        pick = rng.choice(len(cities), size=len(rows), p=w / w.sum())
        city[rows] = np.asarray(cities, dtype=object)[pick]
        # Each city owns a contiguous slice of the state's zip range, so a zip prefix maps to one city.
        width = (hi - lo + 1) // len(cities)
        zips[rows] = [f"{z:05d}" for z in lo + pick * width + rng.integers(0, max(width, 1), len(rows))]
    return Places(state, city, zips)


def make_sellers(rng: np.random.Generator, n_orders: int) -> Columns:
    """Sellers with the published state mix and a little of Olist's dirt in ``seller_city``."""
    n = max(20, round(n_orders * cal.SELLERS_PER_ORDER))
    places = draw_places(rng, cal.SELLER_STATES, n)
    city = places.city.copy()
    dirty = rng.random(n) < 0.02  # ours: Olist has "sao paulo - sp", "sp / sp", "são paulo" ...
    variants = np.array([f"{c} - {s.lower()}" for c, s in zip(city, places.state, strict=True)], dtype=object)
    city[dirty] = variants[dirty]
    city[(city == "sao paulo") & (rng.random(n) < 0.01)] = "são paulo"
    return {
        "seller_id": hex_ids(rng, n),
        "seller_zip_code_prefix": places.zip_prefix,
        "seller_city": city,
        "seller_state": places.state,
    }


def make_translation() -> Columns:
    """The category translation table: 71 of the 73 categories have an English name."""
    rows = [(pt, en) for pt, en, _ in cal.CATEGORIES if en is not None]
    return {
        "product_category_name": np.array([r[0] for r in rows], dtype=object),
        "product_category_name_english": np.array([r[1] for r in rows], dtype=object),
    }


def make_products(rng: np.random.Generator, n_orders: int) -> Columns:
    """A catalogue with the published category mix (610/32,951 without a category) and sizes."""
    n = max(50, round(n_orders * cal.PRODUCTS_PER_ORDER))
    names = [c for c, _, _ in cal.CATEGORIES] + [None]
    weights = [k for _, _, k in cal.CATEGORIES] + [cal.PRODUCTS_WITHOUT_CATEGORY]
    category = choice_weighted(rng, np.array(names, dtype=object), weights, n)
    no_cat = np.array([c is None for c in category])
    name_len = np.clip(rng.normal(49, 10, n).round(), 5, 76)
    desc_len = np.clip(lognormal_from_median_mean(rng, 595, 787, n).round(), 4, 3_992)
    photos = np.clip(rng.geometric(0.55, n), 1, 20)
    weight = np.clip(lognormal_from_median_mean(rng, 700, 2_276, n).round(), 0, 40_425)
    length = np.clip(lognormal_from_median_mean(rng, 25, 30, n).round(), 7, 105)
    height = np.clip(lognormal_from_median_mean(rng, 13, 17, n).round(), 2, 105)
    width = np.clip(lognormal_from_median_mean(rng, 20, 23, n).round(), 6, 118)
    # Olist: the 610 products without a category also lack name/description/photo counts, and two
    # products lack weight and dimensions.
    text_cols = [np.where(no_cat, np.nan, c) for c in (name_len, desc_len, photos)]
    no_dims = np.zeros(n, dtype=bool)
    no_dims[rng.choice(n, size=min(2, n), replace=False)] = True
    dim_cols = [np.where(no_dims, np.nan, c) for c in (weight, length, height, width)]
    return {
        "product_id": hex_ids(rng, n),
        "product_category_name": category,
        "product_name_lenght": text_cols[0],
        "product_description_lenght": text_cols[1],
        "product_photos_qty": text_cols[2],
        "product_weight_g": dim_cols[0],
        "product_length_cm": dim_cols[1],
        "product_height_cm": dim_cols[2],
        "product_width_cm": dim_cols[3],
    }


def month_starts() -> tuple[np.ndarray, np.ndarray]:
    """Start of each calibration month and of the following month (datetime64[s])."""
    start = np.array([np.datetime64(m + "-01", "s") for m in cal.MONTHLY_ORDERS])
    end = np.array([(np.datetime64(m, "M") + 1).astype("datetime64[s]") for m in cal.MONTHLY_ORDERS])
    return start, end


def draw_purchase_times(rng: np.random.Generator, n: int) -> np.ndarray:
    """Purchase timestamps following the monthly curve (incl. the Nov-2017 peak)."""
    start, end = month_starts()
    month = rng.choice(len(start), size=n, p=np.array(list(cal.MONTHLY_ORDERS.values())) / cal.FULL_ORDERS)
    span = (end - start).astype(np.int64)[month]
    t = start[month] + (rng.random(n) * span).astype("timedelta64[s]")
    return np.clip(t, np.datetime64(cal.FIRST_PURCHASE, "s"), SNAPSHOT)


def persons_for(n_orders: int) -> int:
    """Number of distinct persons (customer_unique_id) for ``n_orders`` orders."""
    return round(n_orders * cal.PERSONS_PER_ORDER)


def assign_orders_to_persons(rng: np.random.Generator, n_orders: int) -> tuple[np.ndarray, np.ndarray]:
    """Person index per order and each person's latent engagement.

    About 3 % of persons buy more than once (Olist: 96,096 persons for 99,441 orders); engaged persons
    are more likely to be the repeat buyers, which is what the churn model later reads.
    """
    n_persons = persons_for(n_orders)
    engagement = rng.normal(0.0, 1.0, n_persons)
    extra = n_orders - n_persons
    n_repeat = max(1, min(extra, round(0.0312 * n_persons)))
    w = np.exp(1.5 * engagement)
    repeaters = rng.choice(n_persons, size=n_repeat, replace=False, p=w / w.sum())
    counts = np.ones(n_persons, dtype=np.int64)
    counts[repeaters] += 1
    wr = np.exp(engagement[repeaters])
    counts[repeaters] += rng.multinomial(extra - n_repeat, wr / wr.sum())
    return np.repeat(np.arange(n_persons), counts), engagement


def base_late_share() -> float:
    """Late share outside the spike months such that the overall share is ``LATE_SHARE``."""
    months = cal.MONTHLY_ORDERS
    spike_orders = sum(months[m] for m in cal.LATE_SHARE_SPIKES)
    spike_late = sum(months[m] * s for m, s in cal.LATE_SHARE_SPIKES.items())
    return (cal.LATE_SHARE * cal.FULL_ORDERS - spike_late) / (cal.FULL_ORDERS - spike_orders)


def regional_factors(state: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-order (delivery-time, late-odds) multipliers, normalised to mean 1 over the state mix."""
    shares = {s: n / cal.FULL_ORDERS for s, n in cal.CUSTOMER_STATES.items()}
    mean_time = sum(shares[s] * cal.STATE_DELIVERY[s][0] for s in shares)
    mean_late = sum(shares[s] * cal.STATE_DELIVERY[s][1] for s in shares)
    time = np.array([cal.STATE_DELIVERY[s][0] / mean_time for s in state])
    late = np.array([cal.STATE_DELIVERY[s][1] / mean_late for s in state])
    return time, late


def make_orders(rng: np.random.Generator, n_orders: int, person_state: np.ndarray) -> tuple[Columns, Columns]:
    """Orders with statuses and the delivery timeline; also per-order facts for later tables.

    ``person_state`` is each person's state: delivery times and late odds vary by region.
    """
    person, engagement = assign_orders_to_persons(rng, n_orders)
    time_factor, late_factor = regional_factors(person_state[person])
    purchase = draw_purchase_times(rng, n_orders)
    # A person's orders are in time order (the first is the earliest), so sort times within person.
    order = np.lexsort((purchase, person))
    purchase = purchase[order]
    status = choice_from_counts(rng, cal.ORDER_STATUS, n_orders)

    # Approval: minutes for most, hours to days for some (ours); NULL for created and part of canceled.
    quick = rng.random(n_orders) < 0.7
    approve_s = np.where(
        quick, rng.lognormal(np.log(900), 0.8, n_orders), rng.lognormal(np.log(72_000), 0.9, n_orders)
    )
    canceled_null = (status == "canceled") & (rng.random(n_orders) < (160 - 5) / 625)
    approved_null = (status == "created") | canceled_null

    # Estimated delivery date: purchase date + a lead time with mean 24.37 days (gamma spread: ours).
    lead_days = np.clip(
        rng.gamma(8.0, cal.MEAN_ESTIMATED_LEAD_DAYS * time_factor / 8.0, n_orders).round(), 3, 90
    )
    estimated = purchase.astype("datetime64[D]") + lead_days.astype("timedelta64[D]")

    # Late or not, by purchase month; late ones arrive 8.87 days after the estimate on average.
    month_key = np.datetime_as_string(purchase.astype("datetime64[M]"))
    p_late = np.full(n_orders, base_late_share())
    for m, share in cal.LATE_SHARE_SPIKES.items():
        p_late[month_key == m] = share
    late = rng.random(n_orders) < np.clip(p_late * late_factor, 0.0, 0.9)
    late_by = DAY * (1.0 + rng.exponential(cal.MEAN_LATENESS_DAYS - 1.0, n_orders))
    # On-time deliveries: mean chosen so that the overall mean is 12.5 days; the 1.19 compensates for
    # the draws clipped below the estimate just after (measured on seeds 0-2).
    on_time_mean = (
        1.19
        * (cal.MEAN_DELIVERY_DAYS - cal.LATE_SHARE * (cal.MEAN_ESTIMATED_LEAD_DAYS + cal.MEAN_LATENESS_DAYS))
        / (1 - cal.LATE_SHARE)
    )
    d = rng.gamma(2.5, on_time_mean * time_factor / 2.5, n_orders) * DAY
    lead_s = (estimated.astype("datetime64[s]") - purchase).astype(np.int64)
    d = np.where(d < lead_s - 3_600, d, lead_s * rng.uniform(0.4, 0.95, n_orders))
    est_s = estimated.astype("datetime64[s]")
    delivered = np.where(
        late, est_s + late_by.astype("timedelta64[s]"), purchase + d.astype("timedelta64[s]")
    )
    # Timeline purchase <= approval <= carrier hand-over (~2 days) <= delivery: approval takes at most
    # 30 % and the hand-over at most 60 % of the time to delivery.
    to_delivery = (delivered - purchase).astype(np.int64)
    approve_s = np.minimum(approve_s, 0.3 * to_delivery)
    approved = purchase + approve_s.astype("timedelta64[s]")
    carrier_s = np.clip(rng.lognormal(np.log(2 * DAY), 0.7, n_orders), approve_s + 60, 0.6 * to_delivery)
    carrier = purchase + carrier_s.astype("timedelta64[s]")

    # Orders that would be delivered after the snapshot are still on their way.
    status = np.where((status == "delivered") & (delivered > SNAPSHOT), "shipped", status).astype(object)
    is_delivered = status == "delivered"
    handed_over = np.isin(status, ["delivered", "shipped"])
    nat = np.datetime64("NaT", "s")
    orders = {
        "order_id": hex_ids(rng, n_orders),
        "customer_id": hex_ids(rng, n_orders),
        "order_status": status,
        "order_purchase_timestamp": purchase,
        "order_approved_at": np.where(approved_null, nat, approved),
        "order_delivered_carrier_date": np.where(handed_over, carrier, nat),
        "order_delivered_customer_date": np.where(is_delivered, delivered, nat),
        "order_estimated_delivery_date": estimated,
    }
    facts = {
        "person": person,
        "engagement": engagement,
        "late": is_delivered & late,
        "delivered": is_delivered,
        "late_days": np.where(is_delivered & late, np.ceil(late_by / DAY), 0).astype(np.int64),
        "early_days": np.where(is_delivered & ~late, ((est_s - delivered).astype(np.int64) // DAY), 0),
        "approved_or_purchase": np.where(approved_null, purchase, approved),
    }
    return orders, facts


def make_customers(rng: np.random.Generator, orders: Columns, facts: Columns, places: Places) -> Columns:
    """One customer row per order (Olist's customer_id); persons share customer_unique_id."""
    n_persons = len(facts["engagement"])
    person_ids = hex_ids(rng, n_persons)
    p = facts["person"]
    return {
        "customer_id": orders["customer_id"],
        "customer_unique_id": person_ids[p],
        "customer_zip_code_prefix": places.zip_prefix[p],
        "customer_city": places.city[p],
        "customer_state": places.state[p],
    }


def product_popularity(rng: np.random.Generator, products: Columns) -> np.ndarray:
    """Sales weight per product: heavy-tailed, and the top categories sell above their catalogue share."""
    category = products["product_category_name"]
    w = rng.lognormal(0.0, 1.2, len(category))
    n_products_by_cat = {c: k for c, _, k in cal.CATEGORIES}
    total_products = sum(n_products_by_cat.values()) + cal.PRODUCTS_WITHOUT_CATEGORY
    for cat, items in cal.TOP_CATEGORY_ITEMS.items():
        lift = (items / cal.TOTAL_ITEMS) / (n_products_by_cat[cat] / total_products)
        w[category == cat] *= lift
    return w


def make_items(
    rng: np.random.Generator,
    orders: Columns,
    facts: Columns,
    products: Columns,
    sellers: Columns,
    customers: Columns,
) -> Columns:
    """Items per order (90 % single-item), priced per product, freight by weight and distance."""
    n_orders = len(orders["order_id"])
    status = orders["order_status"]
    no_items = np.isin(status, ["unavailable", "created"]) | (
        (status == "canceled") & (rng.random(n_orders) < (775 - 609 - 5) / 625)
    )
    k = choice_from_counts(rng, cal.ITEMS_PER_ORDER, n_orders).astype(np.int64)
    k[no_items] = 0
    order_idx = np.repeat(np.arange(n_orders), k)
    item_no = np.arange(len(order_idx)) - np.repeat(np.cumsum(k) - k, k) + 1

    n_products = len(products["product_id"])
    pop = product_popularity(rng, products)
    first_pick = rng.choice(n_products, size=n_orders, p=pop / pop.sum())
    other_pick = rng.choice(n_products, size=len(order_idx), p=pop / pop.sum())
    # Multi-item orders mostly repeat one product (two of the same); ours: 65 % of them do.
    same = rng.random(n_orders) < 0.65
    prod = np.where((item_no == 1) | same[order_idx], first_pick[order_idx], other_pick)

    # Each product is listed by one seller; big sellers list more (heavy-tailed, ours).
    n_sellers = len(sellers["seller_id"])
    sw = rng.lognormal(0.0, 1.5, n_sellers)
    product_seller = rng.choice(n_sellers, size=n_products, p=sw / sw.sum())
    seller = product_seller[prod]

    base_price = np.clip(
        lognormal_from_median_mean(rng, cal.PRICE_MEDIAN, cal.PRICE_MEAN, n_products),
        cal.PRICE_MIN,
        cal.PRICE_MAX,
    )
    noise = np.where(rng.random(len(prod)) < 0.7, 1.0, rng.normal(1.0, 0.05, len(prod)))
    price = np.round(np.clip(base_price[prod] * noise, cal.PRICE_MIN, cal.PRICE_MAX), 2)

    weight = np.nan_to_num(products["product_weight_g"].astype(float), nan=700.0)[prod]
    same_state = sellers["seller_state"][seller] == customers["customer_state"][order_idx]
    far = np.isin(
        customers["customer_state"][order_idx],
        ["AM", "RR", "AP", "AC", "RO", "PA", "MA", "PI", "CE", "RN", "PB", "PE", "AL", "SE", "TO"],
    )
    freight = (8.6 + 0.0022 * weight) * np.where(same_state, 1.0, 1.55) * np.where(far, 1.7, 1.0)
    freight = freight * rng.lognormal(0.0, 0.25, len(prod))
    freight = np.round(np.where(rng.random(len(prod)) < 0.003, 0.0, freight), 2)

    shipping_limit = facts["approved_or_purchase"][order_idx] + (rng.uniform(3, 8, len(prod)) * DAY).astype(
        "timedelta64[s]"
    )
    return {
        "order_id": orders["order_id"][order_idx],
        "order_item_id": item_no,
        "product_id": products["product_id"][prod],
        "seller_id": sellers["seller_id"][seller],
        "shipping_limit_date": shipping_limit,
        "price": price,
        "freight_value": freight,
        "_order_idx": order_idx,
    }


def single_row_payment_mix() -> dict[str, float]:
    """Payment type for single-row orders, solved so the row-level type mix matches Olist.

    Multi-row orders (2.98 %) are voucher splits: vouchers plus, in 60 % of them (ours), a final
    credit-card row. Their rows are subtracted from the published row counts; the rest is the
    single-row mix.
    """
    rows = cal.PAYMENT_TYPE_ROWS
    total_rows = sum(rows.values())
    multi_orders = cal.MULTI_PAYMENT_ORDER_SHARE * cal.FULL_ORDERS
    single_orders = cal.FULL_ORDERS - multi_orders
    multi_rows = total_rows - single_orders
    card_in_multi = 0.6 * multi_orders
    remaining: dict[str, float] = dict(rows)
    remaining["credit_card"] -= card_in_multi
    remaining["voucher"] -= multi_rows - card_in_multi
    remaining["voucher"] = max(remaining["voucher"], 1.0)
    s = sum(remaining.values())
    return {t: v / s for t, v in remaining.items()}


def make_payments(rng: np.random.Generator, orders: Columns, items: Columns) -> Columns:
    """Payments that add up to price + freight per order (orders without items pay a list price)."""
    n_orders = len(orders["order_id"])
    total = np.bincount(
        items["_order_idx"], weights=items["price"] + items["freight_value"], minlength=n_orders
    )
    empty = total == 0
    total[empty] = np.round(lognormal_from_median_mean(rng, 100.0, 154.0, int(empty.sum())), 2)
    cents = np.round(total * 100).astype(np.int64)

    multi = rng.random(n_orders) < cal.MULTI_PAYMENT_ORDER_SHARE
    n_rows = np.where(multi, 2 + rng.geometric(0.6, n_orders) - 1, 1)
    with_card = multi & (rng.random(n_orders) < 0.6)
    mix = single_row_payment_mix()
    single_type = choice_from_counts(rng, mix, n_orders)

    order_idx = np.repeat(np.arange(n_orders), n_rows)
    seq = np.arange(len(order_idx)) - np.repeat(np.cumsum(n_rows) - n_rows, n_rows) + 1
    last = seq == n_rows[order_idx]
    ptype = np.where(multi[order_idx], "voucher", single_type[order_idx]).astype(object)
    ptype[last & with_card[order_idx]] = "credit_card"

    # Split the order total over its rows with random shares, exact to the cent.
    share = rng.random(len(order_idx)) + 0.05
    share_sum = np.bincount(order_idx, weights=share, minlength=n_orders)
    value = np.floor(cents[order_idx] * share / share_sum[order_idx]).astype(np.int64)
    remainder = cents - np.bincount(order_idx, weights=value, minlength=n_orders).astype(np.int64)
    value[last] += remainder[order_idx[last]]
    value[ptype == "not_defined"] = 0

    credit_counts = dict(cal.INSTALLMENT_ROWS)
    credit_counts[1] -= sum(v for t, v in cal.PAYMENT_TYPE_ROWS.items() if t != "credit_card")
    inst = choice_from_counts(rng, credit_counts, len(order_idx)).astype(np.int64)
    inst = np.where(ptype == "credit_card", inst, 1)
    return {
        "order_id": orders["order_id"][order_idx],
        "payment_sequential": seq,
        "payment_type": ptype,
        "payment_installments": inst,
        "payment_value": value / 100.0,
        "_order_idx": order_idx,
    }


def score_distributions(late_share: float, undelivered_share: float) -> dict[str, np.ndarray]:
    """Review-score probabilities (1..5) for on-time, late and undelivered orders.

    Late and undelivered distributions are ours (mean 2.6 and 2.1 stars); the on-time distribution is
    solved so that the mixture reproduces Olist's published score mix, which makes late orders score
    ~1.7 stars lower, as published.
    """
    target = np.array([cal.REVIEW_SCORES[s] for s in range(1, 6)], dtype=float)
    target /= target.sum()
    late = np.array([0.44, 0.09, 0.13, 0.12, 0.22])
    undelivered = np.array([0.62, 0.09, 0.10, 0.06, 0.13])
    on_time = (target - late_share * late - undelivered_share * undelivered) / (
        1 - late_share - undelivered_share
    )
    on_time = np.clip(on_time, 0.001, None)
    return {"on_time": on_time / on_time.sum(), "late": late, "undelivered": undelivered}


def make_reviews(rng: np.random.Generator, orders: Columns, facts: Columns, items: Columns) -> Columns:
    """Reviews: score from the delivery outcome, text consistent with score and delivery facts."""
    n_orders = len(orders["order_id"])
    u = rng.random(n_orders)
    n_rev = np.where(u < cal.ORDERS_WITHOUT_REVIEW_SHARE, 0, 1)
    n_rev[
        (u >= cal.ORDERS_WITHOUT_REVIEW_SHARE)
        & (u < cal.ORDERS_WITHOUT_REVIEW_SHARE + cal.ORDERS_WITH_TWO_REVIEWS_SHARE)
    ] = 2
    oi = np.repeat(np.arange(n_orders), n_rev)
    n = len(oi)

    late, delivered = facts["late"][oi], facts["delivered"][oi]
    dists = score_distributions(float(facts["late"].mean()), float((~facts["delivered"]).mean()))
    outcome = np.where(late, 1, np.where(delivered, 0, 2))
    probs = np.stack([dists["on_time"], dists["late"], dists["undelivered"]])[outcome]
    score = (probs.cumsum(axis=1) > rng.random(n)[:, None]).argmax(axis=1) + 1

    has_text = rng.random(n) < np.array([0.0] + [cal.COMMENT_SHARE_BY_SCORE[s] for s in range(1, 6)])[score]
    has_title = rng.random(n) < cal.TITLE_SHARE
    n_items = np.bincount(items["_order_idx"], minlength=n_orders)[oi]
    title, message, topic = review_texts(
        rng,
        score=score,
        late=late,
        delivered=delivered,
        late_days=facts["late_days"][oi],
        early_days=facts["early_days"][oi],
        multi_item=n_items > 1,
        has_title=has_title,
        has_text=has_text,
    )

    # Olist sends the survey when the order arrives (or when it was due); answers come ~2 days later.
    delivered_at = orders["order_delivered_customer_date"][oi]
    due = orders["order_estimated_delivery_date"][oi].astype("datetime64[s]")
    base = np.where(np.isnat(delivered_at), due, delivered_at).astype("datetime64[D]")
    second = np.zeros(n, dtype=bool)
    second[1:] = oi[1:] == oi[:-1]
    created = base + (rng.integers(0, 2, n) + 3 * second).astype("timedelta64[D]")
    created = np.minimum(created, SNAPSHOT.astype("datetime64[D]"))
    lag = lognormal_from_median_mean(
        rng, cal.REVIEW_ANSWER_LAG_MEDIAN_DAYS, cal.REVIEW_ANSWER_LAG_MEAN_DAYS, n
    )
    answered = created.astype("datetime64[s]") + (lag * DAY).astype("timedelta64[s]")

    review_id = hex_ids(rng, n)
    # One survey can cover several orders of the same customer: Olist repeats a review_id (with the
    # same answer) on ~0.8 % of rows. Reviews are grouped by person (orders are), so pairs are adjacent.
    person = facts["person"][oi]
    pairs = np.flatnonzero((person[1:] == person[:-1]) & (oi[1:] != oi[:-1]))
    want = min(len(pairs), round(n * cal.DUPLICATED_REVIEW_ID_SHARE / 2))
    src = np.sort(rng.choice(pairs, size=want, replace=False))
    src = src[np.concatenate([[True], np.diff(src) > 1])]  # no chains: a row is either source or copy
    dst = src + 1
    review_id[dst] = review_id[src]
    for col in (score, title, message, created, answered, topic):
        col[dst] = col[src]
    return {
        "review_id": review_id,
        "order_id": orders["order_id"][oi],
        "review_score": score,
        "review_comment_title": title,
        "review_comment_message": message,
        "review_creation_date": created,
        "review_answer_timestamp": answered,
        "_order_idx": oi,
        "_topic": topic,
    }


def make_geolocation(rng: np.random.Generator, customers: Columns, sellers: Columns) -> Columns:
    """A few rows per zip prefix in use (a soft join, like Olist), ~1 % of prefixes missing."""
    zips = np.concatenate([customers["customer_zip_code_prefix"], sellers["seller_zip_code_prefix"]])
    cities = np.concatenate([customers["customer_city"], sellers["seller_city"]])
    states = np.concatenate([customers["customer_state"], sellers["seller_state"]])
    uniq, first = np.unique(zips.astype(str), return_index=True)
    keep = rng.random(len(uniq)) >= 0.01
    uniq, first = uniq[keep], first[keep]
    reps = 1 + rng.poisson(1.5, len(uniq))
    idx = np.repeat(first, reps)
    st = states[idx]
    lat0 = np.array([cal.STATE_GEO[s][1] for s in st])
    lng0 = np.array([cal.STATE_GEO[s][2] for s in st])
    city = cities[idx].copy()
    accent = (city == "sao paulo") & (rng.random(len(idx)) < 0.1)  # Olist mixes both spellings
    city[accent] = "são paulo"
    return {
        "geolocation_zip_code_prefix": zips[idx],
        "geolocation_lat": lat0 + rng.normal(0, 0.35, len(idx)),
        "geolocation_lng": lng0 + rng.normal(0, 0.35, len(idx)),
        "geolocation_city": city,
        "geolocation_state": st,
    }


def generate(
    seed: int, scale: float, *, products: Columns | None = None, sellers: Columns | None = None
) -> dict[str, Columns]:
    """Generate every table for ``seed`` at ``scale`` x Olist size.

    ``products``/``sellers`` may be given (e.g. the real Kaggle tables); orders then reference them.
    Columns starting with ``_`` are generator-internal links and are not written to the warehouse.
    """
    if not 0 < scale <= 10:
        raise ValueError(f"scale must be in (0, 10], got {scale}")
    # Independent streams per table: a real products table does not shift the orders' draws.
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(8)]
    n_orders = max(200, round(cal.FULL_ORDERS * scale))
    sellers = sellers if sellers is not None else make_sellers(streams[0], n_orders)
    products = products if products is not None else make_products(streams[1], n_orders)
    places = draw_places(streams[3], cal.CUSTOMER_STATES, persons_for(n_orders))
    orders, facts = make_orders(streams[2], n_orders, places.state)
    customers = make_customers(streams[3], orders, facts, places)
    items = make_items(streams[4], orders, facts, products, sellers, customers)
    payments = make_payments(streams[5], orders, items)
    reviews = make_reviews(streams[6], orders, facts, items)
    geolocation = make_geolocation(streams[7], customers, sellers)
    return {
        "customers": customers,
        "orders": orders,
        "order_items": items,
        "order_payments": payments,
        "order_reviews": reviews,
        "products": products,
        "sellers": sellers,
        "geolocation": geolocation,
        "product_category_name_translation": make_translation(),
    }

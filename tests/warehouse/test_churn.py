"""The latent churn model: truth depends on observable history; outcomes are drawn from it."""

from __future__ import annotations

import duckdb
import numpy as np
import pytest

from tucano_commerce.warehouse import CHURN_FEATURES_SQL, RISK_BANDS, churn_probability, risk_level


@pytest.fixture(scope="module")
def truth(big_warehouse):
    con = duckdb.connect(str(big_warehouse), read_only=True)
    rows = con.execute("SELECT * FROM ground_truth.customer_churn").fetchnumpy()
    features = con.execute(CHURN_FEATURES_SQL).fetchnumpy()
    con.close()
    return rows, features


def test_one_row_per_person(big_warehouse, truth):
    rows, _ = truth
    con = duckdb.connect(str(big_warehouse), read_only=True)
    persons = con.execute("SELECT count(DISTINCT customer_unique_id) FROM customers").fetchone()[0]
    assert len(rows["customer_unique_id"]) == len(set(rows["customer_unique_id"])) == persons


def test_truth_matches_the_warehouse_history(truth):
    rows, features = truth
    for col in ("n_orders", "recency_days", "late_deliveries", "complaints"):
        assert np.array_equal(np.asarray(rows[col]), np.asarray(features[col])), col
    p = churn_probability(
        rows["recency_days"].astype(float), rows["n_orders"].astype(float), rows["total_spent"].astype(float),
        rows["late_deliveries"].astype(float), np.ma.filled(rows["min_review_score"].astype(float), np.nan),
        rows["complaints"].astype(float), rows["undelivered_orders"].astype(float),
    )  # fmt: skip
    assert np.allclose(np.round(p, 4), rows["churn_probability"])


def test_probability_moves_the_documented_way(truth):
    rows, _ = truth
    p = rows["churn_probability"]
    recency = rows["recency_days"]
    recent, old = (
        p[recency < np.quantile(recency, 0.25)].mean(),
        p[recency > np.quantile(recency, 0.75)].mean(),
    )
    assert old > recent + 0.15
    assert p[rows["n_orders"] > 1].mean() < p[rows["n_orders"] == 1].mean() - 0.1
    assert p[rows["late_deliveries"] > 0].mean() > p[rows["late_deliveries"] == 0].mean() + 0.05
    assert p[rows["complaints"] > 0].mean() > p[rows["complaints"] == 0].mean() + 0.05


def test_outcomes_are_drawn_from_the_probability(truth):
    rows, _ = truth
    p, churned = rows["churn_probability"], rows["churned"].astype(bool)
    assert churned.mean() == pytest.approx(p.mean(), abs=0.015)
    for lo, hi in ((0.0, 0.4), (0.4, 0.7), (0.7, 1.0)):
        band = (p >= lo) & (p < hi)
        assert churned[band].mean() == pytest.approx(p[band].mean(), abs=0.04)


def test_risk_bands_cover_every_level(truth):
    rows, _ = truth
    levels = rows["risk_level"]
    assert list(risk_level(np.array([0.1, 0.39, 0.4, 0.69, 0.7, 1.0]))) == [
        "baixo",
        "baixo",
        "medio",
        "medio",
        "alto",
        "alto",
    ]
    for name, _, _ in RISK_BANDS:
        assert (levels == name).mean() > 0.05, name  # enough customers in each band for benchmark items

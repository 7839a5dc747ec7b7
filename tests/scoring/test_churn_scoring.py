"""score_churn: accuracy against the true probability's side, calibration, Brier, risk band.

Run: PYTHONPATH=src .venv/bin/python -m pytest tests/scoring/test_churn_scoring.py
"""

from __future__ import annotations

import json

import pytest

from tucano_commerce.errors import DataError
from tucano_commerce.scoring._churn import score_churn
from tucano_commerce.tasks._contracts import SYSTEM_PROMPTS
from tucano_commerce.tasks._items import BenchmarkItem

GOLD = {"churn_probability": 0.7, "risk_level": "alto", "churned": True}
ITEM = BenchmarkItem(
    id="chu-001",
    task="churn",
    difficulty="high",
    system=SYSTEM_PROMPTS["churn"],
    prompt="Cliente: ...",
    ground_truth=GOLD,
    source={"dataset": "synthetic"},
)


def reply(p: object, level: str = "alto", why: str = "Comprou uma vez só.") -> str:
    return json.dumps({"churn_probability": p, "risk_level": level, "justificativa": why}, ensure_ascii=False)


def test_perfect() -> None:
    score = score_churn(ITEM, reply(0.7))
    assert score.mean == 1.0 and score.status == "ok"
    assert score.metrics == pytest.approx(
        {"accuracy": 1.0, "outcome_accuracy": 1.0, "calibration": 1.0, "brier": 0.09, "risk_level_match": 1.0}
    )
    assert score.parsed == {
        "churn_probability": 0.7,
        "risk_level": "alto",
        "justificativa": "Comprou uma vez só.",
    }


def test_wrong_side_of_threshold() -> None:
    # p = 0.4 vs q = 0.7: accuracy 0, calibration 0.7 -> mean 0.35; Brier (0.4 - 1)^2 = 0.36
    score = score_churn(ITEM, reply("40%", level="médio"))
    assert score.metrics == pytest.approx(
        {"accuracy": 0.0, "outcome_accuracy": 0.0, "calibration": 0.7, "brier": 0.36, "risk_level_match": 0.0}
    )
    assert score.mean == pytest.approx(0.35)


def test_right_side_but_off() -> None:
    # p = 0.9: accuracy 1, calibration 0.8 -> 0.9; the band is not part of mean
    score = score_churn(ITEM, reply("0,9", level="baixo"))
    assert score.mean == pytest.approx(0.9)
    assert score.metrics["risk_level_match"] == 0.0


def test_threshold_is_inclusive() -> None:
    item = {"id": "chu-002", "ground_truth": {"churn_probability": 0.5, "risk_level": "medio"}}
    score = score_churn(item, reply(0.5, level="medio"))
    assert score.metrics["accuracy"] == 1.0 and score.mean == 1.0
    assert score.metrics["outcome_accuracy"] is None and score.metrics["brier"] is None  # no outcome


def test_accuracy_follows_true_probability_not_outcome() -> None:
    item = {
        "id": "chu-003",
        "ground_truth": {"churn_probability": 0.8, "risk_level": "alto", "churned": False},
    }
    score = score_churn(item, reply(0.8))
    assert score.metrics["accuracy"] == 1.0 and score.metrics["outcome_accuracy"] == 0.0
    assert score.metrics["brier"] == pytest.approx(0.64)


@pytest.mark.parametrize("p", ["alto", 1.4, None])
def test_invalid_probability_scores_zero_and_keeps_the_rest(p: object) -> None:
    score = score_churn(ITEM, reply(p))
    assert score.mean == 0.0 and score.status == "invalid"
    assert "churn_probability" in (score.reason or "")
    assert score.metrics["brier"] is None and score.metrics["risk_level_match"] == 1.0
    assert score.parsed["churn_probability"] is None and score.parsed["risk_level"] == "alto"


def test_missing_justification_is_invalid_but_scored() -> None:
    score = score_churn(ITEM, '{"churn_probability": 0.7, "risk_level": "alto"}')
    assert score.status == "invalid" and score.mean == 1.0
    assert "justificativa" in (score.reason or "")


@pytest.mark.parametrize(
    ("text", "status"),
    [("Alto risco.", "parse_error"), ("", "empty"), ("<think>O cliente " + reply(0.7), "truncated")],
)
def test_unusable_reply(text: str, status: str) -> None:
    score = score_churn(ITEM, text)
    assert (score.mean, score.status) == (0.0, status) and score.reason
    assert score.metrics["accuracy"] == 0.0 and score.metrics["calibration"] == 0.0
    assert score.metrics["brier"] is None and score.parsed is None


@pytest.mark.parametrize(
    "gt",
    [
        {"risk_level": "alto"},
        {"churn_probability": 1.2, "risk_level": "alto"},
        {"churn_probability": 0.7, "risk_level": "alto", "churned": "talvez"},
    ],
)
def test_bad_ground_truth_is_a_data_error(gt: dict) -> None:
    with pytest.raises(DataError, match="chu-9"):
        score_churn({"id": "chu-9", "ground_truth": gt}, reply(0.7))

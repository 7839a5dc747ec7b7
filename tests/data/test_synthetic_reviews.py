"""The pt-BR review grammar (pytest tests/data/test_synthetic_reviews.py)."""

from __future__ import annotations

from collections import Counter

from tucano_commerce.data._synthetic_reviews import generate_reviews
from tucano_commerce.tasks import check_output

DRAWS = generate_reviews(500, seed=7)


def test_deterministic_per_seed() -> None:
    assert [r.text for r in generate_reviews(50, seed=7)] == [r.text for r in DRAWS[:50]]
    assert [r.text for r in generate_reviews(50, seed=8)] != [r.text for r in DRAWS[:50]]


def test_varied_texts_and_kinds() -> None:
    assert len({r.text for r in DRAWS}) >= 0.8 * len(DRAWS)
    kinds = Counter(r.kind for r in DRAWS)
    assert set(kinds) == {"positive", "negative", "mixed_positive", "mixed_neutral", "neutral", "sarcasm"}
    assert {r.label["sentiment"] for r in DRAWS} == {"positivo", "negativo", "neutro"}
    assert len({r.label["complaint_category"] for r in DRAWS}) == 8


def test_every_label_valid_and_consistent_with_codebook() -> None:
    for r in DRAWS:
        check = check_output("extraction", r.label)
        assert check.ok, (r.text, check.reason())
        assert (r.label["complaint_category"] == "nenhuma") == (r.label["main_complaint"] == "")
        if r.label["sentiment"] == "negativo":
            assert r.label["would_recommend"] is False and r.label["sentiment_score"] <= -0.5
        if r.label["complaint_category"] == "entrega":
            assert r.label["delivery_issue"]
        if r.label["complaint_category"] == "produto":
            assert r.label["product_issue"]


def test_hard_cases_present() -> None:
    sarcasm = [r for r in DRAWS if r.kind == "sarcasm"]
    assert sarcasm and all(r.label["sentiment"] == "negativo" and r.hard for r in sarcasm)
    mixed = [r for r in DRAWS if r.kind.startswith("mixed")]
    assert any(c in r.text.lower() for r in mixed for c in (" mas ", "porém", "apesar de"))
    joined = " ".join(r.text.lower() for r in DRAWS)
    for slang in ("top", "massa", "tô de boa", "aff", "barato saiu caro", "bah", "oxe", "uai"):
        assert slang in joined, slang
    cut = [r for r in DRAWS if r.hard and r.text[-1].isalpha()]  # incomplete: ends mid-word, no full stop
    assert cut

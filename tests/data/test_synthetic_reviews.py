"""The pt-BR review grammar (pytest tests/data/test_synthetic_reviews.py)."""

from __future__ import annotations

from collections import Counter

from tucano_commerce.data._synthetic_reviews import generate_reviews
from tucano_commerce.tasks import check_output
from tucano_commerce.tasks._codebook import label_problems

DRAWS = generate_reviews(500, seed=7)


def test_deterministic_per_seed() -> None:
    assert [r.text for r in generate_reviews(50, seed=7)] == [r.text for r in DRAWS[:50]]
    assert [r.text for r in generate_reviews(50, seed=8)] != [r.text for r in DRAWS[:50]]


def test_varied_texts_and_kinds() -> None:
    assert len({r.text for r in DRAWS}) >= 0.8 * len(DRAWS)
    kinds = Counter(r.kind for r in DRAWS)
    assert set(kinds) == {
        "positive", "negative", "mixed_positive", "mixed_neutral", "mixed_negative", "neutral", "sarcasm",
    }  # fmt: skip
    assert {r.label["sentiment"] for r in DRAWS} == {"positivo", "negativo", "neutro"}
    assert len({r.label["complaint_category"] for r in DRAWS}) == 8


def test_every_label_valid_and_consistent_with_codebook() -> None:
    for r in DRAWS:
        check = check_output("extraction", r.label)
        assert check.ok, (r.text, check.reason())
        assert (r.label["complaint_category"] == "nenhuma") == (r.label["main_complaint"] == "")
        if r.label["sentiment"] == "negativo":  # -0.3 is a mixed text leaning negative (codebook 1.1)
            assert r.label["would_recommend"] is False and r.label["sentiment_score"] <= -0.3
        # sentiment follows the score, the main complaint sets its flag, would_recommend = cue or positivo
        assert label_problems("extraction", r.label, r.text) == [], r.text


def test_mixed_reviews_follow_the_codebook_anchors() -> None:
    """Mixed leaning positive is positivo 0.3, balanced neutro 0.0, leaning negative negativo -0.3."""
    by_kind = {k: {(r.label["sentiment"], r.label["sentiment_score"]) for r in DRAWS if r.kind == k}
               for k in ("mixed_positive", "mixed_neutral", "mixed_negative")}  # fmt: skip
    assert by_kind == {
        "mixed_positive": {("positivo", 0.3)},
        "mixed_neutral": {("neutro", 0.0)},
        "mixed_negative": {("negativo", -0.3)},
    }


def test_partial_delivery_is_entrega_and_no_seller_issue() -> None:
    partial = [r for r in DRAWS if "só veio 1" in r.text or "faltou uma unidade" in r.text]
    assert partial
    for r in partial:
        assert r.label["complaint_category"] == "entrega" and r.label["delivery_issue"], r.text
        assert r.label["seller_issue"] is False, r.text


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

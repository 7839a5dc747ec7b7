"""The rule-based silver labeller (pytest tests/data/test_silver.py). Texts are invented."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tucano_commerce.data._silver import analyse_review, silver_label
from tucano_commerce.tasks import EXTRACTION_FIELDS, check_output
from tucano_commerce.tasks._codebook import label_problems


def test_clear_delivery_complaint() -> None:
    label = silver_label("Até hoje não recebi o pedido, já passou do prazo. Não recomendo!", 1)
    assert label["sentiment"] == "negativo" and label["sentiment_score"] <= -0.5
    assert label["complaint_category"] == "entrega" and label["delivery_issue"] is True
    assert label["would_recommend"] is False
    assert label["main_complaint"] == "pedido não recebido"


def test_clear_praise() -> None:
    label = silver_label("Produto excelente, chegou antes do prazo. Recomendo!", 5)
    assert label["sentiment"] == "positivo" and label["sentiment_score"] == 0.9
    assert label["complaint_category"] == "nenhuma" and label["main_complaint"] == ""
    assert not (label["delivery_issue"] or label["product_issue"] or label["seller_issue"])
    assert label["would_recommend"] is True and label["churn_risk"] <= 0.1


@pytest.mark.parametrize(
    ("text", "category", "flag"),
    [
        ("O produto veio com defeito e não funciona.", "produto", "product_issue"),
        ("Mandaram a cor errada, pedi azul.", "vendedor", "seller_issue"),
        ("Fui cobrado duas vezes e o estorno não saiu.", "pagamento", None),
        ("Pedi a troca e a loja não responde.", "atendimento", None),
        ("Pedi uma luminária azul e me mandaram outra, de mesa.", "vendedor", "seller_issue"),
        ("O secador que chegou é de outra marca.", "vendedor", "seller_issue"),
        ("Produto ok mas o frete é muito caro.", "preco", None),
    ],
)
def test_complaint_categories(text: str, category: str, flag: str | None) -> None:
    label = silver_label(text, 2)
    assert label["complaint_category"] == category
    if flag:
        assert label[flag] is True


def test_flags_say_what_went_wrong_not_whom_the_text_blames() -> None:
    """Codebook 1.1: a delay or a silent store named by the text is no seller issue."""
    late = silver_label("A loja Fulano atrasou a entrega em duas semanas, vendedor péssimo.", 1)
    assert late["complaint_category"] == "entrega" and late["delivery_issue"] is True
    assert late["seller_issue"] is False
    silent = silver_label("Pedi a troca e a loja não responde.", 2)
    assert silent["seller_issue"] is False
    partial = silver_label("Comprei 2 rolos e só veio 1.", 2)
    assert partial["complaint_category"] == "entrega" and partial["seller_issue"] is False
    assert silver_label("Recebi outro dia, tudo certo.", 5)["seller_issue"] is False  # "outro dia" is no item


def test_would_recommend_follows_the_codebook_rule() -> None:
    assert silver_label("Produto bom, chegou rápido.", None)["would_recommend"] is True  # positivo, no cue
    assert (
        silver_label("Top demais, chegou quebrado. Recomendo muito... só que não.", 1)["would_recommend"]
        is False
    )
    assert silver_label("Atrasou, mas recomendo a loja.", 3)["would_recommend"] is True  # the cue decides


def test_negation_awareness() -> None:
    assert silver_label("Não recomendo, não gostei.", None)["sentiment"] == "negativo"
    assert silver_label("Não recomendo, não gostei.", None)["would_recommend"] is False
    calm = silver_label("Chegou sem atraso e sem nenhum defeito, gostei.", None)
    assert (
        calm["complaint_category"] == "nenhuma" and not calm["delivery_issue"] and not calm["product_issue"]
    )
    assert silver_label("O pedido nunca chegou.", None)["delivery_issue"] is True


def test_text_outweighs_stars_and_mixed_is_flagged() -> None:
    label = silver_label("Excelente, amei, perfeito, super recomendo!", 3)
    assert label["sentiment"] == "positivo"
    assert analyse_review("O produto é bom, mas atrasou uma semana.", 4).mixed


def test_explicit_intent_cues() -> None:
    refuse = silver_label("Péssimo, nunca mais compro aqui.", 1)
    assert refuse["churn_risk"] == 0.95 and refuse["repeat_intent"] == 0.0
    loyal = silver_label("Sempre compro nessa loja, ótimo como sempre.", 5)
    assert loyal["repeat_intent"] == 0.9 and loyal["churn_risk"] == 0.05


def test_known_blind_spot_sarcasm() -> None:
    """Documented blind spot: sarcasm with no stars reads as praise plus a delay (not negativo)."""
    label = silver_label("Parabéns, excelente serviço, chegou só 20 dias depois do prazo!", None)
    assert label["sentiment"] != "negativo"
    assert label["delivery_issue"] is True


@settings(max_examples=150, deadline=None)
@given(text=st.text(max_size=200), score=st.one_of(st.none(), st.integers(1, 5)))
def test_every_label_is_valid(text: str, score: int | None) -> None:
    label = silver_label(text, score)
    assert set(label) == set(EXTRACTION_FIELDS)
    assert check_output("extraction", label).ok
    assert (label["complaint_category"] == "nenhuma") == (label["main_complaint"] == "")
    assert label_problems("extraction", label, text) == []  # without a B2W hint it follows the codebook

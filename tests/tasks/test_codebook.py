"""The review codebook: one wording for the codebook and the system prompts, and its mechanical checks.

Run: PYTHONPATH=src .venv/bin/python -m pytest tests/tasks/test_codebook.py
"""

from __future__ import annotations

import pytest

from tucano_commerce.tasks._benchmark import benchmark_dir
from tucano_commerce.tasks._codebook import (
    MIXED_RULE,
    PARTIAL_DELIVERY_RULE,
    RULES,
    SCORE_RULE,
    SELLER_ISSUE_RULE,
    SENTIMENT_RULE,
    WOULD_RECOMMEND_RULE,
    label_problems,
    recommendation_cue,
    sentiment_of_score,
)
from tucano_commerce.tasks._contracts import EXAMPLES, SYSTEM_PROMPTS

DATASHEET = (benchmark_dir() / "README.md").read_text(encoding="utf-8")
# The codebook section alone (the changelog below it quotes the old wordings).
CODEBOOK = DATASHEET.split("## Codebook for the review labels", 1)[1].split("\n## ", 1)[0]
# Which rules each system prompt must state.
PROMPT_RULES = {
    "extraction": (SENTIMENT_RULE, SCORE_RULE, MIXED_RULE, PARTIAL_DELIVERY_RULE, SELLER_ISSUE_RULE,
                   WOULD_RECOMMEND_RULE),
    "sentiment": (SENTIMENT_RULE, SCORE_RULE, MIXED_RULE),
}  # fmt: skip
CLEAN = EXAMPLES["extraction"].model_dump()  # negativo -0.7, entrega, delivery_issue, no recommendation


@pytest.mark.parametrize("name", sorted(RULES))
def test_the_codebook_quotes_every_rule_verbatim(name: str) -> None:
    assert RULES[name] in CODEBOOK, f"benchmark/README.md does not quote {name} word for word"


@pytest.mark.parametrize("task", sorted(PROMPT_RULES))
def test_the_system_prompts_state_the_rules(task: str) -> None:
    for rule in PROMPT_RULES[task]:
        assert rule in SYSTEM_PROMPTS[task]


def test_one_would_recommend_wording() -> None:
    """The issue-11 gap: the prompt and the codebook said two different things."""
    assert WOULD_RECOMMEND_RULE in SYSTEM_PROMPTS["extraction"] and WOULD_RECOMMEND_RULE in CODEBOOK
    assert "satisfeito no geral" not in SYSTEM_PROMPTS["extraction"]
    assert "neutral without a recommendation" not in CODEBOOK


def test_every_anchor_is_in_the_prompt_and_the_codebook_table() -> None:
    for english in ("-0.9", "-0.7", "-0.5", "-0.3", "-0.1..0.1", "0.3 mixed leaning positive", "0.8", "0.9"):
        assert english in CODEBOOK
    for value in ("-0,9", "-0,7", "-0,5", "-0,3", "0,3", "0,8", "0,9"):
        assert f"{value} " in SCORE_RULE


@pytest.mark.parametrize(
    ("score", "label"),
    [(0.3, "positivo"), (0.11, "positivo"), (0.1, "neutro"), (0.0, "neutro"), (-0.1, "neutro"),
     (-0.3, "negativo"), (-0.9, "negativo"), (1.0, "positivo")],
)  # fmt: skip
def test_the_label_follows_the_score(score: float, label: str) -> None:
    assert sentiment_of_score(score) == label


@pytest.mark.parametrize(
    ("text", "cue"),
    [
        ("Chegou antes do prazo. Recomendo!", True),
        ("Título: Super recomendo\nComentário: tudo certo", True),
        ("Vale a pena.", True),
        ("Pode comprar sem medo", True),
        ("Não recomendo.", False),
        ("Enfim, n recomendo", False),  # negated, abbreviated
        ("Jamais indico essa loja", False),
        ("Não vale a pena", False),
        ("Top demais, chegou quebrado. Recomendo muito... só que não.", False),  # ironic
        ("Sempre compro aqui e nunca me decepcionei. Recomendo!", True),  # negation stops at the full stop
        ("top demais, chegou quebrado. recomendo mto... só q ñ.", False),
        ("Chegou. Vou testar no fim de semana.", None),
        ("", None),
    ],
)
def test_recommendation_cue(text: str, cue: bool | None) -> None:
    assert recommendation_cue(text) is cue


def test_a_label_that_follows_the_rules_has_no_problems() -> None:
    assert label_problems("extraction", CLEAN, "O pedido chegou com duas semanas de atraso.") == []
    assert label_problems("sentiment", {"sentiment": "positivo", "sentiment_score": 0.3}, None) == []


@pytest.mark.parametrize(
    ("change", "text", "field"),
    [
        ({"sentiment": "neutro", "sentiment_score": 0.3}, None, "sentiment"),  # mixed leaning positive
        ({"sentiment": "positivo", "sentiment_score": 0.0}, None, "sentiment"),
        ({"delivery_issue": False}, None, "delivery_issue"),  # main complaint entrega without its flag
        ({"complaint_category": "vendedor"}, None, "seller_issue"),
        # a flag set but no complaint
        ({"complaint_category": "nenhuma", "main_complaint": ""}, None, "delivery_issue"),
        ({"complaint_category": "nenhuma", "delivery_issue": False}, None, "main_complaint"),
        ({"main_complaint": ""}, None, "main_complaint"),
        ({"would_recommend": True}, "Atrasou duas semanas.", "would_recommend"),  # negativo, no cue
        ({"would_recommend": False}, "Atrasou duas semanas, mas recomendo.", "would_recommend"),
        (
            {"sentiment": "neutro", "sentiment_score": 0.0, "would_recommend": True},  # ext-017 before 1.1
            "Adoro a loja, mas o frete está caro e compro pouco.",
            "would_recommend",
        ),
        (
            {"sentiment": "positivo", "sentiment_score": 0.3, "would_recommend": False},  # leaning positive
            "Atrasou uns dias, mas no geral gostei.",
            "would_recommend",
        ),
    ],
)
def test_each_broken_rule_is_reported(change: dict, text: str | None, field: str) -> None:
    problems = label_problems("extraction", {**CLEAN, **change}, text)
    assert [f for f, _ in problems] == [field], problems


def test_would_recommend_needs_the_text() -> None:
    """Without the text the rule is not checked: a recommendation can overrule a negative balance."""
    assert label_problems("extraction", {**CLEAN, "would_recommend": True}, None) == []


def test_missing_or_invalid_fields_are_left_to_the_contract_check() -> None:
    assert label_problems("extraction", {"sentiment": "positivo"}, "Recomendo") == []
    assert label_problems("sentiment", {"sentiment": "positivo", "sentiment_score": "alto"}) == []


def test_the_rules_keep_the_review_prompts_within_the_grpo_prompt_budget() -> None:
    """The rules go into every review prompt, and configs/grpo_v3.yaml caps prompts at 1,024 tokens.

    Measured with Qwen2's BPE vocabulary (shared by Qwen2.5/Qwen3; Tucano2-qwen's own tokenizer was not
    at hand): the extraction system prompt is 791 tokens for 2,568 characters, the longest extraction
    prompt of a 1,000-example training build 938 tokens (the SQL prompts' 908 was the maximum before).
    A test cannot load that tokenizer, so characters stand in for tokens.
    """
    assert len(SYSTEM_PROMPTS["extraction"]) <= 2_700
    assert len(SYSTEM_PROMPTS["sentiment"]) <= 1_100

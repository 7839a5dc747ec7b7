"""Procedural math problems: answers re-derived independently, and the verifier on messy replies."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from tucano_commerce.data._math import (
    GENERAL_SYSTEM_PROMPT,
    MATH_GENERATORS,
    build_math_examples,
    number_readings,
    verify_answer,
)


def expected(generator: str, p: dict) -> Fraction:
    """The answer from the stored parameters, written independently of the generators."""
    F = Fraction
    if generator == "discount":
        return F(p["price"]) - F(p["price"] * p["pct"], 100)
    if generator == "successive_discounts":
        after_first = F(p["price"]) * (1 - F(p["a"], 100))
        return after_first - after_first * F(p["b"], 100)
    if generator == "installments":
        return F(p["total_cents"], 100 * p["n"])
    if generator == "freight_split":
        return F(p["freight_cents"], 100) * F(p["weights"][p["index"]], sum(p["weights"]))
    if generator == "order_total":
        return F(sum(q * c for q, c in p["items"]) + p["freight_cents"] - p["coupon_cents"], 100)
    if generator == "average_ticket":
        return F(sum(p["values_cents"]), 100) / len(p["values_cents"])
    if generator == "percent_change":
        return abs(F(p["new"], p["old"]) - 1) * 100
    if generator == "cubic_weight":
        return F(math.prod(p["dims"]), 6000)
    if generator == "unit_conversion":
        return F(p["n"] * p["grams"], 1000)
    if generator == "simple_interest":
        interest = F(p["capital"]) * F(p["rate_tenths"], 1000) * p["months"]
        return p["capital"] + interest if p["total"] else interest
    if generator == "markup":
        unit_cost = F(p["cost"]) + F(p["freight"], p["k"])
        return unit_cost * F(100 + p["margin"], 100)
    if generator == "share":
        return F(p["part"], p["total"]) * 100
    if generator == "cashback":
        return min(F(p["spend_cents"], 100) * F(p["pct"], 100), F(p["cap_cents"], 100))
    if generator == "boxes_and_freight":
        return math.ceil(F(p["units"], p["per_box"])) * F(p["box_fee_cents"], 100)
    if generator == "discount_then_installments":
        return F(p["price"]) * F(p["pct"], 100)
    raise AssertionError(f"no independent formula for {generator}")


@pytest.fixture(scope="module")
def examples():
    return build_math_examples(300, seed=2026)


def test_answers_recomputed_from_parameters(examples) -> None:
    assert len(examples) == 300
    assert {e.source["generator"] for e in examples} == set(MATH_GENERATORS)
    for e in examples:
        want = expected(e.source["generator"], e.source["params"])
        assert Fraction(e.ground_truth["answer_exact"]) == want, e.user_text()
        assert e.ground_truth["answer"] == float(want)
        assert (want * 10_000).denominator == 1, "answers are terminating decimals (<= 4 places)"
        assert want >= 0


def test_example_shape_unique_and_deterministic(examples) -> None:
    assert len({e.user_text() for e in examples}) == len(examples)
    for e in examples:
        assert e.task == "general" and e.label_source == "synthetic"
        assert e.prompt[0] == {"role": "system", "content": GENERAL_SYSTEM_PROMPT}
        assert e.ground_truth["tolerance"] > 0
        assert "{" not in e.user_text()
    assert [e.model_dump() for e in build_math_examples(300, seed=2026)] == [e.model_dump() for e in examples]
    assert [e.user_text() for e in build_math_examples(20, seed=1)] != [e.user_text() for e in examples[:20]]


def pt_br(value: float) -> str:
    whole, frac = f"{value:.4f}".rstrip("0").rstrip(".").partition(".")[::2]
    whole = f"{int(whole):,}".replace(",", ".")
    return whole + ("," + frac if frac else "")


def test_correct_replies_score_one_in_any_format(examples) -> None:
    for e in examples:
        a = e.ground_truth["answer"]
        assert (
            verify_answer(f"Vamos calcular passo a passo.\n...\nResposta: {pt_br(a)}", e.ground_truth) == 1.0
        )
        assert verify_answer(f"Resposta: R$ {pt_br(a)}", e.ground_truth) == 1.0
        assert verify_answer(f"**Resposta:** {a}", e.ground_truth) == 1.0
        assert verify_answer(f"Resposta: {a + 0.01 + a * 1e-3:.4f}", e.ground_truth) == 0.0


@pytest.mark.parametrize(
    ("reply", "answer", "score"),
    [
        ("Conta: 1000 + 234,56 = 1234,56\nResposta: R$ 1.234,56", 1234.56, 1.0),
        ("Resposta: 1,234.56 reais", 1234.56, 1.0),
        ("resposta: 12,5%", 12.5, 1.0),
        ("RESPOSTA : 12.5 %", 12.5, 1.0),
        ("Resposta final: 85.", 85, 1.0),
        ("Resposta: 1.234", 1234, 1.0),  # pt-BR thousands
        ("Resposta: 1.234", 1.234, 1.0),  # English decimals
        ("Resposta: −7,5", -7.5, 1.0),
        ("Resposta:\n  42", 42, 1.0),
        ("Resposta: 1.234.567,8", 1234567.8, 1.0),
        ("Resposta: 40\nRevisando... Resposta: 42", 42, 1.0),  # the last Resposta counts
        ("Resposta: 42\nRevisando... Resposta: 40", 42, 0.0),
        ("O resultado é 42.", 42, 0.0),  # no Resposta line
        ("Resposta: não sei", 42, 0.0),
        ("Resposta: 4200", 42, 0.0),
        ("", 42, 0.0),
    ],
)
def test_verifier_on_messy_replies(reply: str, answer: float, score: float) -> None:
    assert verify_answer(reply, {"answer": answer, "tolerance": 1e-6}) == score


def test_number_readings() -> None:
    assert number_readings("R$ 1.234,56") == [1234.56]
    assert number_readings("1,234") == [1234.0, 1.234]
    assert number_readings("abc") == []
    assert verify_answer("Resposta: 100,004", {"answer": 100.0, "tolerance": 1e-4}) == 1.0

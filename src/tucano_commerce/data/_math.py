"""Procedural pt-BR e-commerce math word problems with exact answers, and their verifiable reward.

Each generator draws integer parameters (money in centavos), writes a pt-BR problem and computes the answer
with ``fractions.Fraction``; parameters are chosen so every answer is a terminating decimal (at most 4
places, usually 2), so no rounding convention is needed. The parameters go into ``source["params"]``, so a
test can re-derive the answer independently.

``verify_answer`` is the reward for ``general`` rows: it reads the number after the last ``Resposta:`` in a
completion, in pt-BR (``R$ 1.234,56``, ``12,5%``) or English (``1,234.56``) format, and returns 1.0 when it
matches the ground truth within its tolerance, else 0.0.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable
from fractions import Fraction
from typing import Any

from tucano_commerce.data._records import TrainingExample

__all__ = [
    "GENERAL_SYSTEM_PROMPT",
    "MATH_GENERATORS",
    "build_math_examples",
    "extract_final_answer",
    "number_readings",
    "verify_answer",
]

GENERAL_SYSTEM_PROMPT = (
    "Você é um assistente de um e-commerce brasileiro que resolve problemas de matemática do dia a dia da loja. "
    "Pense passo a passo, mostrando as contas de forma curta e clara, em português do Brasil. "
    "Termine a resposta com uma linha no formato exato `Resposta: <número>`, só com o número final "
    "(sem unidade e sem texto depois), usando vírgula ou ponto como separador decimal."
)
DEFAULT_TOLERANCE = 1e-6  # relative, with a floor of 1 on |answer|: effectively exact for these problems

Params = dict[str, Any]
Problem = tuple[str, Fraction, Params, str]  # (text, answer, params, difficulty)

PRODUCTS = ("um fone de ouvido", "uma cafeteira", "um tênis de corrida", "um jogo de panelas", "uma mochila",
            "uma luminária", "uma cadeira de escritório", "um liquidificador", "um kit de toalhas", "um smartwatch",
            "uma air fryer", "um tapete")  # fmt: skip
NAMES = ("Ana", "Bruno", "Carla", "Diego", "Fernanda", "Gustavo", "Helena", "Igor", "Juliana", "Lucas",
         "Mariana", "Rafael")  # fmt: skip


def brl(value: Fraction | int) -> str:
    """Money in pt-BR format: ``R$ 1.234,56``."""
    cents = Fraction(value) * 100
    assert cents.denominator == 1, "money must be whole centavos"
    whole, frac = divmod(int(cents), 100)
    return f"R$ {whole:,}".replace(",", ".") + f",{frac:02d}"


def _int(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def _pct(value: Fraction | int) -> str:
    text = f"{float(value):g}".replace(".", ",")
    return f"{text}%"


def _discount(rng: random.Random) -> Problem:
    price, pct, product = rng.randrange(40, 2000), rng.randrange(5, 60, 5), rng.choice(PRODUCTS)
    wordings = (
        f"{product[0].upper()}{product[1:]} custa {brl(price)} e está com {_pct(pct)} de desconto. Qual é o preço final, em reais?",
        f"Na promoção, o preço de {brl(price)} de {product} recebe {_pct(pct)} de desconto. Quanto o cliente "
        "paga, em reais?",
    )
    text = rng.choice(wordings)
    return text, Fraction(price) * (100 - pct) / 100, {"price": price, "pct": pct}, "easy"


def _successive_discounts(rng: random.Random) -> Problem:
    price, a, b = rng.randrange(1, 40) * 100, rng.randrange(5, 40, 5), rng.randrange(5, 30, 5)
    text = (
        f"Um produto de {brl(price)} recebe um desconto de {_pct(a)} e, depois, um cupom de {_pct(b)} aplicado "
        "sobre o preço já com desconto. Qual é o preço final, em reais?"
    )
    return text, Fraction(price) * (100 - a) * (100 - b) / 10000, {"price": price, "a": a, "b": b}, "medium"


def _installments(rng: random.Random) -> Problem:
    n, cents = rng.choice((2, 3, 4, 5, 6, 8, 10, 12)), rng.randrange(1500, 40000)
    total = Fraction(cents * n, 100)
    wordings = (
        f"Uma compra de {brl(total)} foi parcelada em {n} vezes iguais, sem juros. Qual é o valor de cada parcela, "
        "em reais?",
        f"{rng.choice(NAMES)} comprou {rng.choice(PRODUCTS)} por {brl(total)} em {n}x sem juros no cartão. "
        "Quanto paga por parcela, em reais?",
    )
    text = rng.choice(wordings)
    return text, total / n, {"total_cents": cents * n, "n": n}, "easy"


def _freight_split(rng: random.Random) -> Problem:
    weights = [rng.randrange(1, 10) for _ in range(3)]
    unit = rng.randrange(1, 400)  # centavos per weight unit, so every share is whole centavos
    freight = Fraction(unit * sum(weights), 100)
    i = rng.randrange(3)
    listed = ", ".join(f"{w} kg" for w in weights[:2]) + f" e {weights[2]} kg"
    text = (
        f"Um frete de {brl(freight)} será dividido entre três pacotes proporcionalmente ao peso: {listed}. "
        f"Quanto do frete cabe ao pacote {i + 1} (de {weights[i]} kg), em reais?"
    )
    return (
        text,
        freight * weights[i] / sum(weights),
        {"freight_cents": unit * sum(weights), "weights": weights, "index": i},
        "medium",
    )


def _order_total(rng: random.Random) -> Problem:
    items = [(rng.randrange(1, 5), rng.randrange(990, 25000)) for _ in range(rng.randrange(2, 4))]
    freight, coupon = rng.randrange(0, 5000), rng.randrange(0, 3000, 500)
    lines = "; ".join(
        f"{q} {'unidade' if q == 1 else 'unidades'} de {brl(Fraction(p, 100))}" for q, p in items
    )
    cupom = (
        f"usou um cupom de {brl(Fraction(coupon, 100))} de desconto no total" if coupon else "não usou cupom"
    )
    text = (
        f"Um pedido tem {lines}. O frete é {brl(Fraction(freight, 100))} e o cliente {cupom}. Qual é o valor "
        "final do pedido, em reais?"
    )
    answer = Fraction(sum(q * p for q, p in items) + freight - coupon, 100)
    return (
        text,
        answer,
        {"items": [list(x) for x in items], "freight_cents": freight, "coupon_cents": coupon},
        "medium",
    )


def _average_ticket(rng: random.Random) -> Problem:
    n = rng.randrange(3, 7)
    values = [rng.randrange(2000, 50000) for _ in range(n)]
    values[-1] += (-sum(values)) % n  # the mean is whole centavos
    listed = ", ".join(brl(Fraction(v, 100)) for v in values)
    wordings = (
        f"Uma loja recebeu {n} pedidos hoje, nos valores {listed}. Qual é o ticket médio, em reais?",
        f"Os últimos {n} pedidos de um vendedor foram de {listed}. Qual é o valor médio por pedido, em reais?",
    )
    text = rng.choice(wordings)
    return text, Fraction(sum(values), 100 * n), {"values_cents": values}, "easy"


def _percent_change(rng: random.Random) -> Problem:
    old, pct = rng.randrange(2, 200) * 100, rng.randrange(1, 80)
    up = rng.random() < 0.5
    new = old * (100 + pct) // 100 if up else old * (100 - pct) // 100
    if up:
        text = (
            f"As vendas de um marketplace passaram de {_int(old)} pedidos em um mês para {_int(new)} no mês "
            "seguinte. De quantos por cento foi o aumento?"
        )
    else:
        text = (
            f"O número de devoluções caiu de {_int(old)} para {_int(new)} depois de uma melhoria nas fotos dos "
            "produtos. De quantos por cento foi a queda?"
        )
    return text, Fraction(abs(new - old) * 100, old), {"old": old, "new": new}, "medium"


def _cubic_weight(rng: random.Random) -> Problem:
    while True:
        dims = [rng.randrange(10, 80) for _ in range(3)]
        if math.prod(dims) % 3 == 0:  # /6000 gives a terminating decimal
            break
    length, width, height = dims
    text = (
        f"Uma transportadora cobra pelo peso cúbico, calculado como comprimento × largura × altura (em cm) "
        f"dividido por 6000. Qual é o peso cúbico, em kg, de uma caixa de {length} cm × {width} cm × "
        f"{height} cm?"
    )
    return text, Fraction(math.prod(dims), 6000), {"dims": dims}, "easy"


def _unit_conversion(rng: random.Random) -> Problem:
    n, grams = rng.randrange(2, 60), rng.randrange(50, 3000, 10)
    text = (
        f"Um vendedor vai despachar {n} unidades de um produto que pesa {grams} g cada uma. Qual é o peso total "
        "da remessa, em quilogramas?"
    )
    return text, Fraction(n * grams, 1000), {"n": n, "grams": grams}, "easy"


def _simple_interest(rng: random.Random) -> Problem:
    capital, rate_tenths, months = rng.randrange(5, 100) * 100, rng.randrange(5, 40), rng.randrange(2, 13)
    rate = Fraction(rate_tenths, 10)
    ask_total = rng.random() < 0.5
    what = "o montante total a pagar (valor + juros)" if ask_total else "o valor dos juros"
    text = (
        f"Um lojista financiou {brl(capital)} em estoque a juros simples de {_pct(rate)} ao mês, por {months} "
        f"meses. Qual é {what}, em reais?"
    )
    interest = capital * rate * months / 100
    return (
        text,
        capital + interest if ask_total else interest,
        {"capital": capital, "rate_tenths": rate_tenths, "months": months, "total": ask_total},
        "medium",
    )


def _markup(rng: random.Random) -> Problem:
    k, cost, per_unit_freight, margin = (
        rng.choice((10, 20, 25, 40, 50)),
        rng.randrange(5, 300),
        rng.randrange(1, 20),
        rng.randrange(10, 80, 5),
    )
    text = (
        f"Uma loja compra {k} unidades de {rng.choice(PRODUCTS).split(' ', 1)[1]} a {brl(cost)} cada e paga "
        f"{brl(k * per_unit_freight)} de frete pelo lote inteiro. Ela quer vender com {_pct(margin)} de margem "
        "sobre o custo total por unidade (produto + frete rateado). Qual deve ser o preço de venda de cada "
        "unidade, em reais?"
    )
    answer = Fraction(k * cost + k * per_unit_freight, k) * (100 + margin) / 100
    return text, answer, {"k": k, "cost": cost, "freight": k * per_unit_freight, "margin": margin}, "hard"


def _share(rng: random.Random) -> Problem:
    total = rng.choice((200, 250, 400, 500, 800, 1000, 1250, 1600, 2000))
    part = rng.randrange(1, total)
    method = rng.choice(("boleto", "cartão de crédito", "Pix", "cartão de débito"))
    text = (
        f"Dos {_int(total)} pedidos de uma semana, {_int(part)} foram pagos com {method}. Que porcentagem dos "
        "pedidos isso representa?"
    )
    return text, Fraction(part * 100, total), {"total": total, "part": part}, "easy"


def _cashback(rng: random.Random) -> Problem:
    spend, pct, cap = rng.randrange(5000, 300000), rng.randrange(2, 15), rng.randrange(10, 100) * 100
    text = (
        f"Um programa de cashback devolve {_pct(pct)} do valor da compra, limitado a {brl(Fraction(cap, 100))} "
        f"por compra. Quanto volta para quem comprou {brl(Fraction(spend, 100))}, em reais?"
    )
    answer = min(Fraction(spend * pct, 10000), Fraction(cap, 100))
    return text, answer, {"spend_cents": spend, "pct": pct, "cap_cents": cap}, "medium"


def _boxes_and_freight(rng: random.Random) -> Problem:
    per_box, units, box_fee = rng.choice((6, 8, 10, 12, 24)), rng.randrange(20, 400), rng.randrange(500, 4000)
    boxes = -(-units // per_box)
    text = (
        f"Um cliente comprou {units} unidades de um produto que é enviado em caixas de {per_box} unidades (uma "
        f"caixa pode ir incompleta). Cada caixa custa {brl(Fraction(box_fee, 100))} de frete. Qual é o frete "
        "total, em reais?"
    )
    return (
        text,
        Fraction(boxes * box_fee, 100),
        {"units": units, "per_box": per_box, "box_fee_cents": box_fee},
        "hard",
    )


def _discount_then_installments(rng: random.Random) -> Problem:
    n, pct = rng.choice((2, 3, 4, 5, 10)), rng.randrange(5, 30, 5)
    price, name = rng.randrange(1, 60) * 100 * n, rng.choice(NAMES)
    product = rng.choice(PRODUCTS)
    text = (
        f"{product[0].upper()}{product[1:]} de {brl(price)} tem {_pct(pct)} de desconto no Pix. {name} "
        f"preferiu pagar o preço cheio em {n} parcelas iguais no cartão. Quanto {name} teria "
        "economizado, em reais, pagando no Pix em vez de no cartão?"
    )
    return text, Fraction(price * pct, 100), {"price": price, "pct": pct, "n": n}, "hard"


MATH_GENERATORS: dict[str, Callable[[random.Random], Problem]] = {
    "discount": _discount,
    "successive_discounts": _successive_discounts,
    "installments": _installments,
    "freight_split": _freight_split,
    "order_total": _order_total,
    "average_ticket": _average_ticket,
    "percent_change": _percent_change,
    "cubic_weight": _cubic_weight,
    "unit_conversion": _unit_conversion,
    "simple_interest": _simple_interest,
    "markup": _markup,
    "share": _share,
    "cashback": _cashback,
    "boxes_and_freight": _boxes_and_freight,
    "discount_then_installments": _discount_then_installments,
}


def build_math_examples(n: int, *, seed: int) -> list[TrainingExample]:
    """``n`` math word problems (task ``general``), rotating over the generators, unique texts.

    Ground truth is ``{"answer": float, "answer_exact": "p/q", "tolerance": 1e-6}``; ``source`` holds the
    generator name and its parameters.
    """
    rng = random.Random(seed)
    names = list(MATH_GENERATORS)
    seen: set[str] = set()
    examples: list[TrainingExample] = []
    attempts = 0
    while len(examples) < n and attempts < 50 * max(n, 1):
        name = names[attempts % len(names)]
        attempts += 1
        text, answer, params, difficulty = MATH_GENERATORS[name](rng)
        if text in seen:
            continue
        seen.add(text)
        examples.append(
            TrainingExample(
                id=f"train-gen-{len(examples) + 1:05d}",
                task="general",
                prompt=[
                    {"role": "system", "content": GENERAL_SYSTEM_PROMPT},
                    {"role": "user", "content": text},
                ],
                ground_truth={
                    "answer": float(answer),
                    "answer_exact": str(answer),
                    "tolerance": DEFAULT_TOLERANCE,
                },
                source={"dataset": "procedural_math", "generator": name, "params": params, "seed": seed},
                label_source="synthetic",
                difficulty=difficulty,
            )
        )
    return examples


# ------------------------------------------------------------------------------------ verification
_NUMBER = re.compile(r"[-−]?\s?\d[\d.,]*")
_FINAL = re.compile(r"resposta(?:\s+final)?\s*[*_]*\s*[:：]", re.IGNORECASE)


def number_readings(token: str) -> list[float]:
    """The values a written number may mean, pt-BR or English format (``"1.234"`` is both 1234 and 1.234).

    >>> number_readings("R$ 1.234,56"), number_readings("12,5%"), number_readings("1,234.5")
    ([1234.56], [12.5], [1234.5])
    """
    match = _NUMBER.search(token)
    if match is None:
        return []
    raw = match.group().replace(" ", "").replace("−", "-").rstrip(".,")
    sign = -1.0 if raw.startswith("-") else 1.0
    digits = raw.lstrip("-")
    if "." in digits and "," in digits:
        decimal = "." if digits.rfind(".") > digits.rfind(",") else ","
        other = "," if decimal == "." else "."
        readings = [digits.replace(other, "").replace(decimal, ".")]
    elif "." in digits or "," in digits:
        sep = "." if "." in digits else ","
        head, _, tail = digits.rpartition(sep)
        if digits.count(sep) > 1:
            readings = [digits.replace(sep, "")]
        elif len(tail) == 3:  # 1.234 / 1,234: thousands or decimals
            readings = [head + tail, head + "." + tail]
        else:
            readings = [head + "." + tail]
    else:
        readings = [digits]
    out = []
    for r in readings:
        try:
            out.append(sign * float(r))
        except ValueError:
            continue
    return out


def extract_final_answer(response: str) -> list[float]:
    """Readings of the number after the last ``Resposta:`` (empty when there is none)."""
    matches = list(_FINAL.finditer(response))
    if not matches:
        return []
    tail = response[matches[-1].end() :].replace("*", "").replace("`", "").strip()
    line = tail.splitlines()[0] if tail else ""
    return number_readings(line)


def verify_answer(response: str, ground_truth: dict[str, Any]) -> float:
    """1.0 if the last ``Resposta:`` number matches ``ground_truth["answer"]``, else 0.0.

    Match: ``|x - answer| <= tolerance * max(1, |answer|)`` for any reading ``x`` of the written number
    (tolerance from the ground truth, default 1e-6).

    >>> verify_answer("Conta: 100 - 15% = 85\\nResposta: R$ 85,00", {"answer": 85.0})
    1.0
    """
    answer = float(ground_truth["answer"])
    tolerance = float(ground_truth.get("tolerance", DEFAULT_TOLERANCE))
    bound = tolerance * max(1.0, abs(answer))
    return 1.0 if any(abs(x - answer) <= bound for x in extract_final_answer(response)) else 0.0

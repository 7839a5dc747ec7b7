"""A pt-BR review grammar: reviews composed from a label chosen first, so the label is known by construction.

Every fragment here was written for this project (none comes from a real review). One draw:

1. picks a *kind*: ``positive``, ``negative`` (measured, clear or angry), ``mixed_positive`` (praise "mas"
   a complaint, on balance positive: 0.3), ``mixed_neutral`` (balanced, "porém" / "apesar de": 0.0),
   ``mixed_negative`` (the same body closing on the bad side, "no geral não gostei": -0.3), ``neutral``
   (factual, no evaluation) or ``sarcasm`` (praise words around a negative fact; labelled negative);
2. picks the complaint category and fact, recommendation and repeat-intent cues, which fix the label by
   the benchmark's codebook anchors (``benchmark/README.md``); every label passes the codebook's
   mechanical checks (``tasks/_codebook.label_problems``) against its own text;
3. renders: an opener (plain, slang or a regional variant: "bah", "oxe", "uai", "égua", "massa", "top",
   "aff", "tô de boa"), facts joined by connectives, closings, an optional title, a writing style
   (lower case, no accents, internet abbreviations) and, for some draws, a last sentence cut mid-word.
   The cut sentence carries no label information, so the label stays exact.

``generate_reviews(n, seed=...)`` is deterministic per seed; every label passes
``check_output("extraction", ...)``. Bump ``GRAMMAR_VERSION`` when the output for a seed changes.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from typing import Any

from tucano_commerce.tasks import check_output, review_text

GRAMMAR_VERSION = 2  # 2: mixed_negative kind (codebook 1.1's -0.3 anchor)

# (noun phrase, gender ending for adjectives); "{item}" / "{g}" slots in the fragments below.
ITEMS = (
    ("o fone", "o"), ("a cafeteira", "a"), ("o tênis", "o"), ("a capinha", "a"), ("o liquidificador", "o"),
    ("a luminária", "a"), ("o relógio", "o"), ("a mochila", "a"), ("o jogo de lençol", "o"),
    ("a panela", "a"), ("o carregador", "o"), ("a cadeira", "a"), ("o ventilador", "o"), ("a bolsa", "a"),
)  # fmt: skip

# category -> ((fact fragments, main_complaint), ...). Facts are clauses without a final full stop.
COMPLAINTS: dict[str, tuple[tuple[tuple[str, ...], str], ...]] = {
    "entrega": (
        (("{item} chegou {n} dias depois do prazo", "a entrega atrasou {n} dias"), "atraso de {n} dias na entrega"),
        (("até hoje não recebi {item}", "{item} nunca chegou", "já passou do prazo e nada de chegar"), "produto não entregue"),
        (("comprei {k} unidades e só veio 1", "o pedido veio incompleto, faltou uma unidade"), "entrega incompleta"),
        (("a entrega demorou quase um mês", "demorou demais pra chegar"), "demora na entrega"),
        (("o rastreio diz entregue mas não recebi nada",), "consta entregue mas não chegou"),
    ),
    "produto": (
        (("{item} veio com defeito", "{item} chegou com defeito de fábrica"), "produto com defeito"),
        (("{item} parou de funcionar em {n} dias", "{item} não funciona"), "produto parou de funcionar"),
        (("{item} chegou quebrad{g}", "{item} veio todo amassad{g}"), "produto chegou danificado"),
        (("a qualidade é bem inferior à da foto", "o material é muito fraco"), "qualidade inferior ao anunciado"),
        (("{item} parece falsificad{g}",), "produto parece falsificado"),
        (("barato saiu caro, {item} desmanchou na primeira semana",), "produto barato de má qualidade"),
    ),
    "vendedor": (
        (("mandaram a cor errada", "veio a cor errada"), "cor errada enviada"),
        (("veio o tamanho errado", "mandaram o tamanho errado"), "tamanho errado enviado"),
        (("enviaram um modelo diferente do anunciado", "veio um produto diferente do que comprei"), "produto diferente do anunciado"),
        (("a loja cancelou a venda sem explicação", "cancelaram minha compra sem aviso"), "venda cancelada pela loja"),
    ),
    "atendimento": (
        (("pedi a troca há {n} dias e ninguém responde",), "troca sem resposta"),
        (("abri a devolução e até agora sem resposta",), "devolução sem resposta"),
        (("o reembolso nunca foi feito", "estou esperando o reembolso há {n} dias"), "reembolso não realizado"),
        (("o SAC não resolve nada", "liguei {k} vezes no atendimento e nada"), "atendimento não resolve"),
    ),
    "preco": (
        (("o frete custou quase o preço do produto", "o frete é caro demais"), "frete caro"),
        (("achei caro demais pelo que é", "o preço está muito acima do mercado"), "preço alto"),
    ),
    "pagamento": (
        (("fui cobrado duas vezes no cartão", "cobraram em dobro no meu cartão"), "cobrança em dobro no cartão"),
        (("o estorno até agora não caiu", "pedi o estorno há {n} dias e nada"), "estorno não realizado"),
        (("paguei o boleto e o pedido continua como não pago",), "boleto pago não reconhecido"),
    ),
    "outro": (
        (("não veio a nota fiscal", "até agora não mandaram a nota fiscal"), "nota fiscal não enviada"),
    ),
}  # fmt: skip
ISSUE_OF = {"entrega": "delivery_issue", "produto": "product_issue", "vendedor": "seller_issue"}
CATEGORY_WEIGHTS = {
    "entrega": 5,
    "produto": 5,
    "vendedor": 3,
    "atendimento": 2,
    "preco": 1,
    "pagamento": 1,
    "outro": 1,
}

# Minor complaints for mixed reviews: each compatible with having received and used the product.
MIXED_COMPLAINTS: dict[str, tuple[tuple[tuple[str, ...], str], ...]] = {
    "entrega": (
        (("demorou {n} dias a mais que o previsto", "a entrega atrasou uns dias"), "pequeno atraso na entrega"),
        (("comprei {k} unidades e só veio 1 até agora",), "entrega incompleta"),
    ),
    "produto": (
        (("o acabamento é meio fraco", "o material poderia ser melhor"), "acabamento fraco"),
        (("{item} é menor do que parece na foto",), "menor do que parece na foto"),
        (("{item} veio com um arranhão",), "produto veio arranhado"),
    ),
    "vendedor": ((("mandaram a cor errada", "veio numa cor diferente da que pedi"), "cor errada enviada"),),
    "atendimento": ((("a troca de tamanho demorou e ninguém respondia",), "troca demorada"),),
    "preco": ((("o frete é salgado", "o frete é caro"), "frete caro"), (("achei um pouco caro",), "preço um pouco alto")),
}  # fmt: skip
DELIVERY_PRAISE = (
    "{item} chegou antes do prazo", "a entrega foi super rápida", "veio tudo bem embalado",
    "chegou certinho e bem protegido",
)  # fmt: skip
PRODUCT_PRAISE = (
    "{item} é exatamente como na foto", "{item} funciona perfeitamente", "a qualidade é ótima",
    "o acabamento é excelente", "{item} é lind{g}", "o material é de primeira", "o vendedor foi super atencioso",
)  # fmt: skip
POSITIVE_FACTS = DELIVERY_PRAISE + PRODUCT_PRAISE
# For "apesar de ...": infinitive / nominal forms of praise.
DELIVERY_CONCESSIONS = ("ter chegado rápido", "a embalagem ser caprichada", "ter chegado no prazo")
PRODUCT_CONCESSIONS = ("o preço ser bom", "ser bonit{g}", "funcionar bem")

# Openers: (text, enthusiastic, regional/slang). Regional variants: RS bah/tri, NE oxe/arretado, MG uai, PA égua.
PRAISE_OPENERS = (
    ("Adorei!", True, False), ("Excelente compra.", True, False), ("Muito bom!", False, False),
    ("Perfeito.", True, False), ("Nota 10!", True, False), ("Top demais!", True, True),
    ("Show de bola.", False, True), ("Bah, tri bom!", False, True), ("Massa demais!", True, True),
    ("Arretado de bom!", True, True), ("Uai, gostei demais.", False, True), ("Égua, que coisa boa!", True, True),
    ("Da hora!", False, True), ("Gostei.", False, False), ("", False, False), ("", False, False),
)  # fmt: skip
NEGATIVE_OPENERS = (
    ("Que decepção.", False), ("Aff.", True), ("Lamentável.", False), ("Oxe, que absurdo.", True),
    ("Bah, que decepção.", True), ("Vixe.", True), ("Poxa.", False), ("", False), ("", False),
)  # fmt: skip
SARCASM_TEMPLATES = (
    "Parabéns à loja: {fact}. Que eficiência!",
    "Amei! {Fact}. Serviço nota 10, só que não.",
    "Maravilha, {fact}. Melhor compra da minha vida 🙄",
    "Que sorte a minha, {fact}. Excelente!",
    "Top demais, {fact}. Recomendo muito... só que não.",
)
REC_YES = ("Recomendo!", "Super recomendo.", "Pode comprar sem medo.", "Tô de boa, recomendo.")
REC_NO = ("Não recomendo.", "Não indico pra ninguém.")
REPEAT_EXPLICIT = ("Vou comprar de novo com certeza.", "Com certeza compro de novo.")
REPEAT_LOYAL = (
    "Já comprei várias vezes e vou continuar comprando.",
    "Sempre compro aqui e nunca me decepcionei.",
)
REFUSE = ("Não compro mais nessa loja.", "Nunca mais compro aqui.")
ANGRY = ("Quero meu dinheiro de volta!", "Vou reclamar no Procon.", "Um absurdo!")
MEASURED = ("Espero que resolvam.", "Aguardo uma solução.", "Fica a dica pra melhorar.")
MIXED_POS_CLOSINGS = ("No geral gostei.", "Valeu a pena mesmo assim.", "Fora isso, tudo certo.")
MIXED_NEUTRAL_CLOSINGS = ("Fica o meio termo.", "Nem bom nem ruim.", "Tem prós e contras.", "")
MIXED_NEG_CLOSINGS = (
    "No geral não gostei.",
    "Vou devolver.",
    "No fim, não fiquei satisfeito.",
    "Pesou mais o problema.",
)
NEUTRAL_TEXTS = (
    "Recebi {item} ontem, ainda não usei.", "Produto recebido.", "Comprei pra dar de presente, ainda não entreguei.",
    "Tudo normal, nada a declarar.", "Chegou. Vou testar no fim de semana.", "{Item} é o que diz o anúncio.",
)  # fmt: skip
# Sentences that carry no label information: the incomplete texts are cut inside one of these.
FILLERS = (
    "Comprei pra minha mãe e ela disse que vai usar na cozinha nova",
    "Da próxima vez vou olhar com mais atenção as especificações antes de fechar",
    "Aproveitei a promoção da semana passada junto com outras coisas",
    "Era pra usar no escritório durante o home office",
)
TITLES = {
    "positive": ("Ótimo", "Gostei", "Muito bom", "Top"),
    "negative": ("Decepcionado", "Problema com o pedido", "Atenção"),
    "mixed_positive": ("Bom, mas...", "Quase perfeito"),
    "mixed_neutral": ("Mais ou menos", "Regular"),
    "mixed_negative": ("Poderia ser melhor", "Não gostei"),
    "neutral": ("Pedido", "Recebido"),
    "sarcasm": ("Parabéns", "Nota 10"),
}
ABBREVIATIONS = (
    ("você", "vc"),
    ("porque", "pq"),
    ("muito", "mto"),
    ("também", "tb"),
    ("que ", "q "),
    ("não", "ñ"),
)
KIND_WEIGHTS = {
    "positive": 28, "negative": 28, "mixed_positive": 10, "mixed_neutral": 8, "mixed_negative": 6, "neutral": 9,
    "sarcasm": 8,
}  # fmt: skip


@dataclass(frozen=True)
class SyntheticReview:
    """One review made by the grammar, with its label (known by construction)."""

    text: str
    label: dict[str, Any]
    kind: str
    score: int  # star rating consistent with the label
    hard: bool  # mixed, sarcasm, slang/regional or incomplete


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def _strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")


def _fill(template: str, rng: random.Random, item: tuple[str, str], n: int) -> str:
    noun, g = item
    return (
        template.replace("{Item}", _cap(noun))
        .replace("{item}", noun)
        .replace("{g}", g)
        .replace("{n}", str(n))
        .replace("{k}", str(rng.choice((2, 3, 4))))
    )


def _pick_weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _complaint(
    rng: random.Random, item: tuple[str, str], n: int, among: tuple[str, ...] = tuple(CATEGORY_WEIGHTS)
) -> tuple[str, str, str]:
    """(category, fact clause, main_complaint) drawn from the categories ``among``."""
    weights = {c: CATEGORY_WEIGHTS[c] for c in among}
    category = _pick_weighted(rng, weights)
    facts, main = rng.choice(COMPLAINTS[category])
    return category, _fill(rng.choice(facts), rng, item, n), _fill(main, rng, item, n)


def _label(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "complaint_category": "nenhuma",
        "delivery_issue": False,
        "product_issue": False,
        "seller_issue": False,
        "main_complaint": "",
    }
    base.update(fields)
    check = check_output("extraction", base)
    assert check.ok, f"grammar label breaks the contract: {check.reason()}"
    return check.values


def _issues(*categories: str) -> dict[str, bool]:
    return {flag: any(ISSUE_OF.get(c) == flag for c in categories) for flag in ISSUE_OF.values()}


def generate_review(rng: random.Random) -> SyntheticReview:
    """Draw one review (label first, then text) from ``rng``."""
    kind = _pick_weighted(rng, KIND_WEIGHTS)
    item = rng.choice(ITEMS)
    n = rng.randint(3, 25)
    slang = False
    parts: list[str] = []
    if kind == "positive":
        opener, enthusiastic, slang = rng.choice(PRAISE_OPENERS)
        facts = rng.sample(POSITIVE_FACTS, rng.choice((1, 2)))
        parts = [opener, _cap(" e ".join(_fill(f, rng, item, n) for f in facts)) + "."]
        repeat_cue = rng.random()
        churn, repeat = 0.1, 0.7
        if repeat_cue < 0.15:
            parts.append(rng.choice(REPEAT_LOYAL))
            churn, repeat = 0.05, 0.9
        elif repeat_cue < 0.4:
            parts.append(rng.choice(REPEAT_EXPLICIT))
            repeat = 0.9
        if rng.random() < 0.6:
            parts.append(rng.choice(REC_YES))
            slang = slang or parts[-1].startswith("Tô")
        label = _label(
            sentiment="positivo",
            sentiment_score=0.9 if enthusiastic else 0.8,
            churn_risk=churn,
            repeat_intent=repeat,
            would_recommend=True,
        )
        score = rng.choice((4, 5, 5))
    elif kind in ("negative", "sarcasm"):
        category, fact, main = _complaint(rng, item, n)
        cats = [category]
        if kind == "sarcasm":
            parts = [
                _fill(rng.choice(SARCASM_TEMPLATES), rng, item, n)
                .replace("{fact}", fact)
                .replace("{Fact}", _cap(fact))
            ]
            sentiment_score, churn, repeat = -0.7, 0.7, 0.1
        else:
            opener, slang = rng.choice(NEGATIVE_OPENERS)
            body = _cap(fact)
            if rng.random() < 0.3:  # a lesser, compatible second problem; the first stays the main one
                secondary = tuple(c for c in ("atendimento", "preco", "pagamento") if c != category)
                other, fact2, _ = _complaint(rng, item, n, among=secondary)
                cats.append(other)
                body += f" e ainda por cima {fact2}"
            parts = [opener, body + "."]
            intensity = rng.random()
            if intensity < 0.3:
                parts.append(rng.choice(MEASURED))
                sentiment_score, churn, repeat = -0.5, 0.6, 0.3
            elif intensity < 0.7:
                sentiment_score, churn, repeat = -0.7, 0.7, 0.2
            else:
                parts.append(rng.choice(ANGRY))
                sentiment_score, churn, repeat = -0.9, 0.8, 0.1
        if rng.random() < 0.3:
            parts.append(rng.choice(REFUSE))
            churn, repeat = 0.95, 0.0
            sentiment_score = min(sentiment_score, -0.7)
        if rng.random() < 0.4:
            parts.append(rng.choice(REC_NO))
        label = _label(
            sentiment="negativo",
            sentiment_score=sentiment_score,
            churn_risk=churn,
            repeat_intent=repeat,
            complaint_category=category,
            would_recommend=False,
            main_complaint=main,
            **_issues(*cats),
        )
        score = rng.choice((1, 1, 2))
    elif kind in ("mixed_positive", "mixed_neutral", "mixed_negative"):
        category = _pick_weighted(rng, {c: CATEGORY_WEIGHTS[c] for c in MIXED_COMPLAINTS})
        mixed_facts, main = rng.choice(MIXED_COMPLAINTS[category])
        fact, main = _fill(rng.choice(mixed_facts), rng, item, n), _fill(main, rng, item, n)
        about_delivery = category == "entrega"  # praise the other side of the purchase
        praise = _fill(rng.choice(PRODUCT_PRAISE if about_delivery else DELIVERY_PRAISE), rng, item, n)
        concessions = PRODUCT_CONCESSIONS if about_delivery else DELIVERY_CONCESSIONS
        style = rng.random()
        if style < 0.4:
            body = f"{_cap(praise)}, mas {fact}."
        elif style < 0.7:
            body = f"{_cap(praise)}. Porém {fact}."
        else:
            body = f"Apesar de {_fill(rng.choice(concessions), rng, item, n)}, {fact}."
        if kind == "mixed_positive":
            parts = [body, rng.choice(MIXED_POS_CLOSINGS)]
            values = {
                "sentiment": "positivo",
                "sentiment_score": 0.3,
                "churn_risk": 0.3,
                "repeat_intent": 0.6,
            }
            recommend = True
            score = rng.choice((3, 4, 4))
        elif kind == "mixed_neutral":
            parts = [body, rng.choice(MIXED_NEUTRAL_CLOSINGS)]
            values = {"sentiment": "neutro", "sentiment_score": 0.0, "churn_risk": 0.5, "repeat_intent": 0.5}
            recommend = False
            score = rng.choice((2, 3, 3))
        else:  # leans negative: the closing says the problem outweighed the praise
            parts = [body, rng.choice(MIXED_NEG_CLOSINGS)]
            values = {
                "sentiment": "negativo",
                "sentiment_score": -0.3,
                "churn_risk": 0.6,
                "repeat_intent": 0.4,
            }
            recommend = False
            score = rng.choice((2, 2, 3))
        label = _label(
            **values,
            complaint_category=category,
            would_recommend=recommend,
            main_complaint=main,
            **_issues(category),
        )
    else:  # neutral
        parts = [_fill(rng.choice(NEUTRAL_TEXTS), rng, item, n)]
        label = _label(
            sentiment="neutro", sentiment_score=0.0, churn_risk=0.3, repeat_intent=0.5, would_recommend=False
        )
        score = rng.choice((3, 4, 5))

    incomplete = rng.random() < 0.08
    if incomplete:
        filler = rng.choice(FILLERS).split()
        cut = rng.choice([i for i, w in enumerate(filler) if i >= 2 and len(w) >= 4])
        word = filler[cut]
        parts.append(" ".join([*filler[:cut], word[: rng.randrange(2, len(word) - 1)]]))  # cut mid-word
    message = " ".join(p for p in parts if p)
    style = rng.random()
    if style < 0.12:
        message = message.lower()
    elif style < 0.2:
        message = _strip_accents(message).lower()
    elif style < 0.28:
        for word, abbr in ABBREVIATIONS:
            message = message.replace(word, abbr).replace(_cap(word), abbr)
        message = message.lower()
    title = rng.choice(TITLES[kind]) if rng.random() < 0.3 else None
    text = review_text(title, message)
    hard = kind.startswith("mixed") or kind == "sarcasm" or slang or incomplete
    return SyntheticReview(text=text, label=label, kind=kind, score=score, hard=hard)


def generate_reviews(n: int, *, seed: int) -> list[SyntheticReview]:
    """``n`` reviews from the grammar, the same for the same seed.

    Example:
        >>> [r.label["sentiment"] for r in generate_reviews(2, seed=0)] == [
        ...     r.label["sentiment"] for r in generate_reviews(2, seed=0)]
        True
    """
    rng = random.Random(f"synthetic-reviews-v{GRAMMAR_VERSION}-{seed}")
    return [generate_review(rng) for _ in range(n)]

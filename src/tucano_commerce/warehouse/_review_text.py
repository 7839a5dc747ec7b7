"""Synthetic pt-BR review titles and messages, consistent with the score and the delivery facts.

Texts are assembled from fragments written for this project (none is taken from Olist reviews):
a topic is chosen from what happened to the order (late, never delivered, on time and early) and
the score, then an opening, a body and a closing are drawn for that topic, and a writing style
(all lower case, no accents, internet abbreviations, shouting) is applied, so that the same facts
read differently from review to review, as real reviews do.
"""

from __future__ import annotations

import unicodedata

import numpy as np

# topic -> (bodies, closings). "{d}" is replaced by the number of days late / early.
TOPICS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "elogio_prazo": (
        (
            "Chegou {d} dias antes do prazo e bem embalado.",
            "Entrega super rápida, chegou antes da data prevista.",
            "Recebi bem antes do prazo, produto exatamente como na foto.",
            "Chegou rapidinho, {d} dias antes do previsto.",
        ),
        ("Recomendo a loja!", "Compraria de novo.", "Nota 10.", "Muito satisfeito.", ""),
    ),
    "elogio_produto": (
        (
            "Produto de ótima qualidade, conforme o anúncio.",
            "Gostei muito do produto, acabamento excelente.",
            "O produto é lindo e funciona perfeitamente.",
            "Tudo certo com o pedido, produto original.",
            "Material bom, veio tudo direitinho.",
            "Superou minhas expectativas.",
        ),
        ("Recomendo!", "Vou comprar mais vezes.", "Parabéns ao vendedor.", "Obrigada!", ""),
    ),
    "atraso_leve": (
        (
            "Atrasou {d} dias, mas o produto é muito bom.",
            "Demorou um pouco mais que o prazo, porém chegou certinho.",
            "A entrega passou do prazo, mas o vendedor foi atencioso.",
            "Chegou com atraso de {d} dias, produto ok.",
        ),
        ("No geral gostei.", "Só melhorar a entrega.", "", "Recomendo, apesar da demora."),
    ),
    "atraso": (
        (
            "O produto chegou com {d} dias de atraso.",
            "Entrega atrasou muito, {d} dias depois do prazo.",
            "Prazo de entrega não foi cumprido, tive que ficar cobrando.",
            "Demorou demais para chegar, passou {d} dias do prazo.",
            "Comprei para um presente e chegou atrasado, depois da data.",
        ),
        ("Não compro mais.", "Péssima experiência.", "Decepcionada com a loja.", "Muito chateado.", ""),
    ),
    "nao_recebido": (
        (
            "Até hoje não recebi o produto.",
            "Paguei e o pedido nunca chegou.",
            "O pedido foi cancelado sem nenhuma explicação.",
            "Já passou o prazo e nada de chegar, ninguém responde.",
            "Não recebi e não consigo contato com a loja.",
        ),
        ("Quero meu dinheiro de volta.", "Estou aguardando o reembolso.", "Não recomendo.", "Absurdo.", ""),
    ),
    "defeito": (
        (
            "O produto veio com defeito.",
            "Veio quebrado, a embalagem estava toda amassada.",
            "Parou de funcionar na primeira semana.",
            "Produto de péssima qualidade, parece falsificado.",
            "Veio faltando peças para a montagem.",
        ),
        ("Já pedi a troca.", "Quero devolver.", "Não recomendo.", "Dinheiro jogado fora.", ""),
    ),
    "errado": (
        (
            "Veio um produto diferente do que eu comprei.",
            "Recebi a cor errada.",
            "O tamanho não corresponde ao anunciado.",
            "Comprei dois itens e só chegou um.",
            "Produto diferente da foto do anúncio.",
        ),
        ("Aguardando a solução.", "Ninguém resolve.", "Decepcionado.", ""),
    ),
    "vendedor": (
        (
            "O vendedor não responde as mensagens.",
            "Atendimento péssimo, ninguém resolve nada.",
            "A loja parceira não dá retorno.",
            "Entrei em contato várias vezes e não tive resposta.",
        ),
        ("Não compro mais com esse vendedor.", "Falta respeito com o cliente.", ""),
    ),
    "misto": (
        (
            "O produto é bom, mas a embalagem veio danificada.",
            "Entrega rápida, porém o produto deixa a desejar.",
            "Razoável, esperava mais pelo preço.",
            "Funciona, mas o acabamento é fraco.",
            "Bonito, mas menor do que parece na foto.",
        ),
        ("Dá pro gasto.", "Mais ou menos.", "Poderia ser melhor.", ""),
    ),
}
TITLES: dict[str, tuple[str, ...]] = {
    "elogio_prazo": ("Entrega rápida", "Super recomendo", "Chegou antes"),
    "elogio_produto": ("Ótimo produto", "Recomendo", "Muito bom", "Excelente"),
    "atraso_leve": ("Bom, mas atrasou", "Demorou um pouco"),
    "atraso": ("Atraso na entrega", "Muito atraso", "Demorou"),
    "nao_recebido": ("Não recebi", "Pedido não entregue", "Cadê meu pedido"),
    "defeito": ("Produto com defeito", "Veio quebrado", "Péssima qualidade"),
    "errado": ("Produto errado", "Veio diferente"),
    "vendedor": ("Péssimo atendimento", "Vendedor não responde"),
    "misto": ("Razoável", "Mais ou menos", "Regular"),
}
OPENINGS = ("", "", "", "Comprei e ", "Bom dia. ", "Olá, ")
ABBREVIATIONS = {"você": "vc", "porque": "pq", "também": "tb", "tudo": "td", "muito": "mto", "não": "ñ"}
TOPIC_NAMES = tuple(TOPICS)


def strip_accents(text: str) -> str:
    """Drop diacritics, as many real reviews are typed."""
    return "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")


def styled(text: str, style: int) -> str:
    """Apply writing style ``style``: 0 as written, 1 lower case, 2 no accents, 3 abbreviations, 4 shouting."""
    if style == 1:
        return text.lower()
    if style == 2:
        return strip_accents(text).lower()
    if style == 3:
        for word, abbr in ABBREVIATIONS.items():
            text = text.replace(word, abbr).replace(word.capitalize(), abbr)
        return text.lower()
    if style == 4:
        return text.upper().replace(".", "!")
    return text


def choose_topics(
    rng: np.random.Generator,
    score: np.ndarray,
    late: np.ndarray,
    delivered: np.ndarray,
    early_days: np.ndarray,
) -> np.ndarray:
    """Index into ``TOPIC_NAMES`` for each review, from the order's facts and the score."""
    n = len(score)
    t = {name: i for i, name in enumerate(TOPIC_NAMES)}
    u = rng.random(n)
    low_problem = np.where(u < 0.5, t["defeito"], np.where(u < 0.8, t["errado"], t["vendedor"]))
    topic = np.where(
        score >= 4, np.where(early_days >= 5, t["elogio_prazo"], t["elogio_produto"]), t["misto"]
    )
    topic = np.where(score <= 2, low_problem, topic)
    topic = np.where(late, np.where(score >= 3, t["atraso_leve"], t["atraso"]), topic)
    topic = np.where(~delivered & (score <= 3), t["nao_recebido"], topic)
    return topic


def review_texts(
    rng: np.random.Generator,
    *,
    score: np.ndarray,
    late: np.ndarray,
    delivered: np.ndarray,
    late_days: np.ndarray,
    early_days: np.ndarray,
    multi_item: np.ndarray,
    has_title: np.ndarray,
    has_text: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Title, message and topic per review; None where the review has no title / message."""
    n = len(score)
    topic = choose_topics(rng, score, late, delivered, early_days)
    # Draw every choice up front (vectorised) so the per-row loop only formats strings.
    r_body, r_close, r_open, r_title = (rng.random(n) for _ in range(4))
    style = rng.choice(5, size=n, p=[0.45, 0.25, 0.15, 0.10, 0.05])
    titles = np.full(n, None, dtype=object)
    messages = np.full(n, None, dtype=object)
    for i in np.flatnonzero(has_text | has_title):
        name = TOPIC_NAMES[topic[i]]
        days = int(late_days[i] if late[i] else early_days[i])
        if has_text[i]:
            bodies, closings = TOPICS[name]
            body = bodies[int(r_body[i] * len(bodies))]
            if "{d}" in body and days < 2:
                body = bodies[0] if "{d}" not in bodies[0] else body.replace("{d} dias", "alguns dias")
            body = body.replace("{d}", str(days))
            if name == "errado" and not multi_item[i] and "dois itens" in body:
                body = bodies[0]
            opening = OPENINGS[int(r_open[i] * len(OPENINGS))]
            if opening:  # "Comprei e o produto..." continues the sentence; "Bom dia. O produto..." does not
                body = opening + (body if opening.endswith(". ") else body[0].lower() + body[1:])
            closing = closings[int(r_close[i] * len(closings))]
            messages[i] = styled(f"{body} {closing}".strip(), int(style[i]))
        if has_title[i]:
            options = TITLES[name]
            titles[i] = styled(options[int(r_title[i] * len(options))], int(style[i]) % 3)
    return titles, messages, np.asarray(TOPIC_NAMES, dtype=object)[topic]

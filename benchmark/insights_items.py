"""The 15 insight items: open questions over small tables computed from the benchmark warehouse.

Each item stores the SQL of its tables (``source.tables``), so ``tucano bench validate`` can recompute
them and check that the prompt still shows exactly these numbers. Key facts are *claims* derived from
the table rows by the functions below (``tucano_commerce.tasks._facts``): a derived number (difference,
ratio, share, growth), the names it is about and the claim it supports (higher, lower, up, down,
stable ...), with a pt-BR sentence that states it. An answer covers a fact when one of its sentences
states the same claim (see ``tucano_commerce.scoring._key_facts``); a number copied from the table covers
nothing by itself. The facts' sentences together are the item's reference answer.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from typing import Any

from tucano_commerce.tasks._facts import (
    Fact,
    br,
    by_max,
    by_min,
    fact,
    growth,
    leader,
    money,
    name,
    pct,
    ratio,
    share,
)
from tucano_commerce.warehouse import DELIVERED, LATE

Row = tuple[Any, ...]
LATE_WORDS = ["atrasad*", "atraso*"]


def days(value: float) -> str:
    return f"{br(value, 1)} dias"


# ---- the facts of each item (t = the item's tables, each a list of rows) ------------------------------


def late_vs_ontime(t: list[list[Row]]) -> list[Fact]:
    late, ontime = t[0]  # ordered by situacao: atrasado, no prazo
    gap, below = ontime[2] - late[2], 100 * (ontime[2] - late[2]) / ontime[2]
    times, points = ratio(late[3], ontime[3]), late[3] - ontime[3]
    return [
        fact(
            f"Pedidos atrasados têm nota média {br(gap)} ponto menor que os entregues no prazo ({br(late[2])} "
            f"contra {br(ontime[2])}), {pct(below)} abaixo.",
            [[gap, below]],
            [LATE_WORDS],
            tolerance=0.05,
            claim=["lower", "higher", "worst", "down"],
        ),
        fact(
            f"Entre os atrasados, {pct(late[3])} das notas são 1, {br(times, 1)} vezes a proporção dos entregues "
            f"no prazo ({pct(ontime[3])}).",
            [[times, points]],
            [LATE_WORDS],
            tolerance=0.05,
            claim=["higher", "worst", "up"],
        ),
        share(
            late[1],
            late[1] + ontime[1],
            LATE_WORDS,
            "Os pedidos atrasados são só {share} das avaliações, uma parcela pequena com impacto grande na nota.",
        ),
    ]


def payments(t: list[list[Row]]) -> list[Fact]:
    rows = t[0]  # ordered by number of payments
    top, second = rows[0], rows[1]
    times = ratio(top[1], second[1])
    return [
        fact(
            f"O {name(top[0])} domina os pagamentos, com {pct(top[2])}, {br(times, 1)} vezes o {name(second[0])}.",
            [[top[2], times]],
            [top[0]],
            tolerance=0.03,
            claim=["higher"],
        ),
        leader(rows, 3, "ticket médio", money, against="second"),
        leader(rows, 3, "ticket médio", money, lowest=True, against="second"),
    ]


def top_states_delivery(t: list[list[Row]]) -> list[Fact]:
    rows = t[0]  # the 5 states with most deliveries, by volume
    top, second = rows[0], rows[1]
    total = sum(r[1] for r in rows)
    fastest = by_min(rows, 2)
    assert fastest[0] == top[0], "the fact below says the largest state is also the fastest"
    return [
        leader(rows, 3, "taxa de atraso", pct, article="a", claim=["worst"]),
        leader(rows, 2, "tempo médio de entrega", days, claim=["worst"]),
        fact(
            f"{top[0]} concentra {pct(100 * top[1] / total)} das entregas dos cinco estados, {br(ratio(top[1], second[1]), 1)} "
            f"vezes o volume de {second[0]}, e ainda tem o menor prazo médio ({days(top[2])}).",
            [[100 * top[1] / total, ratio(top[1], second[1])]],
            [top[0]],
            tolerance=0.03,
            claim=["share", "higher", "lower", "best"],
        ),
    ]


def top_categories(t: list[list[Row]]) -> list[Fact]:
    rows = t[0]  # by revenue
    top, second = rows[0], rows[1]
    cheap = by_min(rows, 3)
    rank = sorted(rows, key=lambda r: -r[2]).index(cheap) + 1
    return [
        fact(
            f"{top[0]} lidera a receita, com {money(top[1])}, {pct(growth(second[1], top[1]))} acima de {second[0]}.",
            [[top[1], growth(second[1], top[1])]],
            [top[0]],
            tolerance=0.02,
            claim=["higher"],
        ),
        leader(rows, 3, "preço médio", money),
        fact(
            f"{cheap[0]} depende de volume: tem o menor preço médio ({money(cheap[3])}) e {br(cheap[2], 0)} itens, "
            f"o {rank}º maior volume.",
            [[cheap[3], cheap[2]]],
            [cheap[0]],
            tolerance=0.02,
            claim=["lower", "higher"],
        ),
    ]


def loyalty(t: list[list[Row]]) -> list[Fact]:
    rec, once = t[0]  # ordered by grupo: recorrente, uma compra
    times = ratio(rec[3], once[3])
    return [
        fact(
            f"Só {pct(rec[2])} dos clientes são recorrentes: para cada recorrente há {br(ratio(once[1], rec[1]), 0)} "
            "clientes de uma compra só.",
            [[rec[2], ratio(once[1], rec[1])]],
            [["recorrente*"]],
            tolerance=0.03,
            claim=["lower"],
        ),
        fact(
            f"Os recorrentes gastam em média {money(rec[3])}, {br(times, 1)} vezes o gasto de quem comprou uma vez "
            f"({money(once[3])}).",
            [[times, growth(once[3], rec[3]), rec[3] - once[3]]],
            [["recorrente*"]],
            tolerance=0.05,
            claim=["higher", "up"],
        ),
        fact(
            f"A nota média é praticamente igual nos dois grupos ({br(rec[4])} contra {br(once[4])}), uma diferença "
            f"de {br(abs(rec[4] - once[4]))} ponto.",
            [[abs(rec[4] - once[4]), rec[4], once[4]]],
            [["nota*", "avalia*"]],
            tolerance=0.03,
            claim=["stable"],
        ),
    ]


def monthly_orders(t: list[list[Row]]) -> list[Fact]:
    rows = t[0]
    peak = by_max(rows, 1)
    before = rows[rows.index(peak) - 1]
    h17 = sum(r[1] for r in rows if "2017-01" <= r[0] <= "2017-06")
    h18 = sum(r[1] for r in rows if "2018-01" <= r[0] <= "2018-06")
    y18 = [r[1] for r in rows if r[0] >= "2018-01"]
    assert (max(y18) - min(y18)) / statistics.mean(y18) < 0.3, "the third fact says 2018 was flat"
    return [
        fact(
            f"O pico foi em {name(peak[0])}, com {peak[1]} pedidos, {pct(growth(before[1], peak[1]))} acima de "
            f"{name(before[0])}.",
            [[peak[1], growth(before[1], peak[1])]],
            [peak[0]],
            tolerance=0.02,
            claim=["higher", "up"],
        ),
        fact(
            f"O primeiro semestre de 2018 somou {br(h18, 0)} pedidos, {br(ratio(h18, h17), 1)} vezes os {br(h17, 0)} "
            f"do primeiro semestre de 2017 (alta de {pct(growth(h17, h18))}).",
            [[h18, ratio(h18, h17), growth(h17, h18), h17]],
            ["2018"],
            tolerance=0.02,
            claim=["up", "higher"],
        ),
        fact(
            f"Em 2018 o volume se manteve num patamar estável, entre {min(y18)} e {max(y18)} pedidos por mês.",
            [[min(y18), max(y18), statistics.mean(y18)]],
            ["2018"],
            tolerance=0.02,
            claim=["stable"],
        ),
    ]


def monthly_late(t: list[list[Row]]) -> list[Fact]:
    rows = t[0]
    median = statistics.median(r[2] for r in rows)
    first, second, third = sorted(rows, key=lambda r: -r[2])[:3]
    busiest = by_max(rows, 1)
    assert busiest == third, "the third fact says the busiest month is the third spike"
    return [
        fact(
            f"A taxa de atraso teve o pico em {name(first[0])}: {pct(first[2])}, {br(ratio(first[2], median), 1)} "
            f"vezes a mediana do período ({pct(median)}).",
            [[first[2], ratio(first[2], median)]],
            [first[0]],
            tolerance=0.03,
            claim=["higher", "up"],
        ),
        fact(
            f"Em {name(second[0])} o atraso também disparou, para {pct(second[2])}, "
            f"{br(ratio(second[2], median), 1)} vezes a mediana.",
            [[second[2], ratio(second[2], median)]],
            [second[0]],
            tolerance=0.03,
            claim=["higher", "up", "second"],
        ),
        fact(
            f"Em {name(third[0])}, mês de maior volume ({third[1]} entregas), o atraso subiu para {pct(third[2])}, "
            f"{br(ratio(third[2], median), 1)} vezes a mediana.",
            [[third[2], ratio(third[2], median)]],
            [third[0]],
            tolerance=0.03,
            claim=["higher", "up"],
        ),
    ]


def monthly_score(t: list[list[Row]]) -> list[Fact]:
    rows = t[0]
    lows = sorted(rows, key=lambda r: (r[1], r[0]))[:3]
    spikes = sorted(rows, key=lambda r: -r[2])[:3]
    assert {r[0] for r in lows} == {r[0] for r in spikes}, "the facts say the score dips are the delay spikes"
    mean_rest = statistics.mean(r[1] for r in rows if r not in lows)
    worst, *others = lows
    return [
        fact(
            f"A menor nota média foi em {name(worst[0])}, {br(worst[1])}, {br(mean_rest - worst[1])} ponto abaixo da "
            f"média dos outros meses, justamente o mês de maior atraso ({pct(worst[2])}).",
            [[worst[1], mean_rest - worst[1], worst[2]]],
            [worst[0]],
            tolerance=0.02,
            claim=["lower", "worst", "down"],
        ),
        *[
            fact(
                f"Em {name(r[0])} a nota também caiu, para {br(r[1])}, com atraso de {pct(r[2])}.",
                [[r[1], r[2]]],
                [r[0]],
                tolerance=0.02,
                claim=["lower", "down", "worst", "higher"],
            )
            for r in others
        ],
    ]


def quarterly_ticket(t: list[list[Row]]) -> list[Fact]:
    rows = t[0]
    lo, hi = by_min(rows, 2), by_max(rows, 2)
    assert lo == rows[0] and rows[0][1] == min(r[1] for r in rows), (
        "the third fact: the first quarter is the outlier"
    )
    spread = growth(lo[2], hi[2])
    return [
        fact(
            f"O ticket médio ficou praticamente estável, entre {money(lo[2])} e {money(hi[2])} por trimestre, uma faixa "
            f"de {pct(spread)}.",
            [[lo[2], hi[2], spread, hi[2] - lo[2]]],
            [["ticket*", "valor medio*"]],
            tolerance=0.02,
            claim=["stable"],
        ),
        fact(
            f"Enquanto isso, os pedidos cresceram de {rows[0][1]} para {rows[-1][1]} por trimestre, "
            f"{br(ratio(rows[-1][1], rows[0][1]), 1)} vezes.",
            [[ratio(rows[-1][1], rows[0][1]), growth(rows[0][1], rows[-1][1]), rows[-1][1]]],
            [["pedido*", "volume"]],
            tolerance=0.03,
            claim=["up", "higher"],
        ),
        fact(
            f"Só o {name(lo[0])} destoa, com o menor ticket ({money(lo[2])}) num trimestre de poucos pedidos "
            f"({lo[1]}).",
            [[lo[2], lo[1]]],
            [lo[0]],
            tolerance=0.02,
            claim=["lower"],
        ),
    ]


def category_growth(t: list[list[Row]]) -> list[Fact]:
    rows = t[0]
    spans = {}
    for cat in sorted({r[0] for r in rows}):
        series = [r for r in rows if r[0] == cat]
        spans[cat] = (series[0], series[-1])
    fastest = max(spans, key=lambda c: ratio(spans[c][1][2], spans[c][0][2]))
    out = []
    for cat, (a, b) in sorted(spans.items(), key=lambda kv: kv[0] != fastest):
        times, g = ratio(b[2], a[2]), growth(a[2], b[2])
        lead = "cresceu mais rápido que as outras: sua" if cat == fastest else "multiplicou a"
        out.append(
            fact(
                f"{cat} {lead} receita trimestral de {money(a[2])} no {name(a[1])} para {money(b[2])} no "
                f"{name(b[1])}, {br(times, 1)} vezes ({pct(g)}).",
                [[times, g]],
                [cat],
                tolerance=0.03,
                claim=["up", "higher"],
            )
        )
    return out


def logistics_priorities(t: list[list[Row]]) -> list[Fact]:
    rows = t[0]  # ordered by late rate, highest first
    overall = sum(r[1] * r[2] for r in rows) / sum(r[1] for r in rows)
    late_counts = {r[0]: r[1] * r[2] / 100 for r in rows if r[2] > overall}
    impact = max(late_counts, key=late_counts.get)
    row = next(r for r in rows if r[0] == impact)
    runner = max((c for c in late_counts if c != impact), key=late_counts.get)
    return [
        leader(rows, 2, "taxa de atraso", pct, article="a", claim=["worst"]),
        fact(
            f"{rows[1][0]} vem em segundo, com {pct(rows[1][2])} de atraso, {br(ratio(rows[1][2], rows[-1][2]), 1)} vezes "
            f"a de {rows[-1][0]}.",
            [[rows[1][2], ratio(rows[1][2], rows[-1][2])]],
            [rows[1][0]],
            tolerance=0.03,
            claim=["second", "higher", "worst"],
        ),
        fact(
            f"{impact} tem o maior impacto absoluto: {pct(row[2])} de {row[1]} entregas são cerca de "
            f"{br(late_counts[impact], 0)} pedidos atrasados, {br(ratio(late_counts[impact], late_counts[runner]), 1)} "
            f"vezes os de {runner} ({br(late_counts[runner], 0)}).",
            [[late_counts[impact], ratio(late_counts[impact], late_counts[runner])]],
            [impact],
            tolerance=0.03,
            claim=["higher", "worst"],
        ),
    ]


def freight_regions(t: list[list[Row]]) -> list[Fact]:
    rows = t[0]  # ordered by freight share of the price, highest first
    top, low = rows[0], rows[-1]
    volume = sum(r[1] for r in rows)
    return [
        leader(rows, 3, "peso do frete sobre o preço", pct, claim=["worst"]),
        fact(
            f"O frete médio no {top[0]}, {money(top[2])}, é {br(ratio(top[2], low[2]), 1)} vezes o do {low[0]} "
            f"({money(low[2])}).",
            [[ratio(top[2], low[2]), top[2], top[2] - low[2]]],
            [top[0]],
            tolerance=0.03,
            claim=["higher"],
        ),
        fact(
            f"O {low[0]}, com {pct(100 * low[1] / volume)} dos itens, tem o menor peso do frete ({pct(low[3])}).",
            [[low[3], 100 * low[1] / volume]],
            [low[0]],
            tolerance=0.03,
            claim=["lower", "best"],
        ),
    ]


def installments(t: list[list[Row]]) -> list[Fact]:
    rows = t[0]  # ordered by band: 1x, 2-3x, 4-6x, 7x ou mais
    top = by_max(rows, 2)
    assert top[0] == "1x", "the first fact says paying at once is the most common band"
    lo, hi = by_min(rows, 3), by_max(rows, 3)
    parcelled = sum(r[1] for r in rows if r[0] != "1x")
    return [
        fact(
            f"O pagamento à vista (1x) é a faixa mais comum, com {pct(top[2])} dos pagamentos no cartão.",
            [[top[2], top[1]]],
            ["1x"],
            tolerance=0.02,
            claim=["higher"],
        ),
        share(
            parcelled,
            sum(r[1] for r in rows),
            ["parcel*"],
            "Ainda assim, os pagamentos parcelados representam {share} do total.",
        ),
        fact(
            f"O valor médio quase não muda com o parcelamento: fica entre {money(lo[3])} e {money(hi[3])} em todas as "
            f"faixas, variação de {pct(growth(lo[3], hi[3]))}.",
            [[growth(lo[3], hi[3]), lo[3], hi[3], hi[3] - lo[3]]],
            [["valor medio", "ticket*"]],
            tolerance=0.03,
            claim=["stable"],
        ),
    ]


def complaint_themes(t: list[list[Row]]) -> list[Fact]:
    rows = t[0]  # ordered by number of comments
    assert rows[0][0] == "atraso" and rows[1][0] == "defeito/qualidade", "facts name the top two themes"
    delivery = sum(r[1] for r in rows if r[0] in ("atraso", "nao recebido"))
    return [
        fact(
            f"Atraso é o tema mais frequente, com {pct(rows[0][2])} dos comentários negativos.",
            [[rows[0][2], rows[0][1]]],
            [["atraso*", "atrasad*"]],
            tolerance=0.02,
            claim=["higher"],
        ),
        share(
            delivery,
            sum(r[1] for r in rows),
            ["entrega*", "logistic*", "nao recebid*"],
            "Somando atraso e não recebido, problemas de entrega respondem por {share} dos comentários, quase metade.",
        ),
        fact(
            f"Defeito/qualidade vem em segundo, com {pct(rows[1][2])}.",
            [[rows[1][2], rows[1][1]]],
            [["defeito*", "qualidade"]],
            tolerance=0.02,
            claim=["second", "higher"],
        ),
    ]


def recency(t: list[list[Row]]) -> list[Fact]:
    rows = t[0]  # bands from the most recent
    big = by_max(rows, 2)
    old = [r for r in rows if r[0] in ("181-365", "366+")]
    old_share = sum(r[2] for r in old)
    return [
        fact(
            f"A faixa de {big[0]} dias é a maior, com {pct(big[2])} dos clientes ({br(big[1], 0)}).",
            [[big[2], big[1]]],
            [big[0]],
            tolerance=0.02,
            claim=["higher"],
        ),
        fact(
            f"{pct(old_share)} da base está há mais de 180 dias sem comprar.",
            [[old_share, sum(r[1] for r in old)]],
            [],
            tolerance=0.03,
            claim=["share", "higher"],
        ),
        leader(rows, 3, "taxa de recorrentes", pct, article="a"),
    ]


# (difficulty, question, [(table title, sql)], facts(tables) -> list[Fact], rubric hints)
InsightSpec = tuple[str, str, list[tuple[str, str]], Callable[[list[list[Row]]], list[Fact]], str]

INSIGHTS: list[InsightSpec] = [
    # ---- comparison ---------------------------------------------------------------------------
    ("comparison",
     "Compare a experiência dos clientes cujos pedidos chegaram com atraso com a dos que receberam no prazo. "
     "Qual é o tamanho da diferença e o que ela indica para o negócio?",
     [("Avaliações por situação da entrega",
       f"SELECT CASE WHEN {LATE} THEN 'atrasado' ELSE 'no prazo' END AS situacao, count(*) AS avaliacoes, "
       "round(avg(r.review_score), 2) AS nota_media, "
       "round(100.0 * avg((r.review_score = 1)::INT), 1) AS pct_nota_1 "
       f"FROM orders o JOIN order_reviews r USING (order_id) WHERE {DELIVERED} GROUP BY situacao ORDER BY situacao")],
     late_vs_ontime,
     "Deve quantificar a queda de nota com atraso e tratar atraso como alavanca de satisfação; bônus por citar a "
     "concentração de notas 1."),
    ("comparison",
     "Compare os meios de pagamento: qual domina em número de pagamentos, qual tem o maior ticket médio e qual o menor? "
     "O que isso sugere?",
     [("Pagamentos por tipo",
       "SELECT payment_type, count(*) AS pagamentos, round(100.0 * count(*) / sum(count(*)) OVER (), 1) AS pct, "
       "round(avg(payment_value), 2) AS valor_medio FROM order_payments GROUP BY payment_type ORDER BY pagamentos DESC")],
     payments,
     "Cartão de crédito domina; voucher tem ticket baixo (uso parcial/complementar). Recomendações sobre parcelamento "
     "ou boleto contam para acionabilidade."),
    ("comparison",
     "Compare os 5 estados com mais pedidos quanto a tempo de entrega e taxa de atraso. Qual estado tem o pior "
     "desempenho logístico entre eles?",
     [("Entrega nos 5 estados com mais pedidos",
       "SELECT c.customer_state AS estado, count(*) AS pedidos_entregues, "
       "round(avg(date_diff('second', o.order_purchase_timestamp, o.order_delivered_customer_date)) / 86400, 1) AS dias_medios, "
       f"round(100.0 * avg(({LATE})::INT), 1) AS pct_atraso "
       f"FROM orders o JOIN customers c USING (customer_id) WHERE {DELIVERED} "
       "GROUP BY c.customer_state ORDER BY pedidos_entregues DESC LIMIT 5")],
     top_states_delivery,
     "Deve apontar o estado de pior atraso com o número e diferenciar volume de desempenho."),
    ("comparison",
     "Entre as 6 categorias de maior receita, compare receita, volume e preço médio. Qual categoria vende mais caro e "
     "qual depende mais de volume?",
     [("Categorias de maior receita",
       "SELECT p.product_category_name AS categoria, round(sum(i.price), 2) AS receita, count(*) AS itens, "
       "round(avg(i.price), 2) AS preco_medio FROM order_items i JOIN products p USING (product_id) "
       "WHERE p.product_category_name IS NOT NULL GROUP BY 1 ORDER BY receita DESC LIMIT 6")],
     top_categories,
     "Deve distinguir receita puxada por preço de receita puxada por volume."),
    ("comparison",
     "Compare clientes que compraram uma única vez com os que compraram mais de uma vez: quantos são, quanto gastam e "
     "como avaliam. O que isso diz sobre fidelização?",
     [("Clientes por número de compras",
       "WITH per AS (SELECT c.customer_unique_id, count(DISTINCT o.order_id) AS n, sum(p.payment_value) AS gasto "
       "FROM customers c JOIN orders o USING (customer_id) LEFT JOIN order_payments p USING (order_id) GROUP BY 1), "
       "notas AS (SELECT c.customer_unique_id, avg(r.review_score) AS nota FROM customers c JOIN orders o USING (customer_id) "
       "JOIN order_reviews r USING (order_id) GROUP BY 1) "
       "SELECT CASE WHEN n = 1 THEN 'uma compra' ELSE 'recorrente' END AS grupo, count(*) AS clientes, "
       "round(100.0 * count(*) / sum(count(*)) OVER (), 1) AS pct_clientes, round(avg(gasto), 2) AS gasto_medio, "
       "round(avg(nota), 2) AS nota_media FROM per LEFT JOIN notas USING (customer_unique_id) GROUP BY grupo ORDER BY grupo")],
     loyalty,
     "Deve notar que recorrentes são poucos (~3 %) e gastam mais; recomendar retenção conta a favor."),
    # ---- trend --------------------------------------------------------------------------------
    ("trend",
     "Descreva a evolução do volume de pedidos de janeiro de 2017 a agosto de 2018. Houve picos? Como o primeiro "
     "semestre de 2018 se compara ao de 2017?",
     [("Pedidos por mês",
       "SELECT strftime(order_purchase_timestamp, '%Y-%m') AS mes, count(*) AS pedidos FROM orders "
       "WHERE order_purchase_timestamp >= TIMESTAMP '2017-01-01' AND order_purchase_timestamp < TIMESTAMP '2018-09-01' "
       "GROUP BY mes ORDER BY mes")],
     monthly_orders,
     "O pico de novembro de 2017 (Black Friday) deve ser identificado; crescimento forte de 2017 para 2018."),
    ("trend",
     "Analise a taxa de atraso mês a mês. Em quais meses ela disparou e como isso se relaciona com o volume?",
     [("Atraso por mês",
       "SELECT strftime(o.order_purchase_timestamp, '%Y-%m') AS mes, count(*) AS entregues, "
       f"round(100.0 * avg(({LATE})::INT), 1) AS pct_atraso FROM orders o WHERE {DELIVERED} "
       "AND o.order_purchase_timestamp >= TIMESTAMP '2017-01-01' AND o.order_purchase_timestamp < TIMESTAMP '2018-09-01' "
       "GROUP BY mes ORDER BY mes")],
     monthly_late,
     "Deve apontar os picos (nov/2017 e fev-mar/2018) com números e relacionar com a pressão de volume."),
    ("trend",
     "Como evoluiu a nota média das avaliações por mês? Há quedas e qual a provável causa, à luz da taxa de atraso?",
     [("Nota média e atraso por mês",
       "SELECT strftime(o.order_purchase_timestamp, '%Y-%m') AS mes, round(avg(r.review_score), 2) AS nota_media, "
       f"round(100.0 * avg(({LATE})::INT), 1) AS pct_atraso FROM orders o JOIN order_reviews r USING (order_id) "
       f"WHERE {DELIVERED} AND o.order_purchase_timestamp >= TIMESTAMP '2017-01-01' "
       "AND o.order_purchase_timestamp < TIMESTAMP '2018-09-01' GROUP BY mes ORDER BY mes")],
     monthly_score,
     "Deve ligar as quedas de nota aos meses de atraso alto, com números."),
    ("trend",
     "Analise a evolução trimestral do ticket médio por pedido (soma dos pagamentos do pedido). Ele está subindo, "
     "caindo ou estável?",
     [("Ticket médio por trimestre",
       "WITH p AS (SELECT order_id, sum(payment_value) AS total FROM order_payments GROUP BY order_id) "
       "SELECT strftime(o.order_purchase_timestamp, '%Y') || '-T' || quarter(o.order_purchase_timestamp) AS trimestre, "
       "count(*) AS pedidos, round(avg(p.total), 2) AS ticket_medio FROM orders o JOIN p USING (order_id) "
       "WHERE o.order_purchase_timestamp >= TIMESTAMP '2017-01-01' AND o.order_purchase_timestamp < TIMESTAMP '2018-07-01' "
       "GROUP BY trimestre ORDER BY trimestre")],
     quarterly_ticket,
     "Boa resposta reconhece oscilação pequena (ticket ~estável) em vez de inventar tendência."),
    ("trend",
     "Compare a evolução trimestral da receita das 3 maiores categorias. Alguma cresce mais rápido que as outras?",
     [("Receita trimestral das 3 maiores categorias",
       "WITH top AS (SELECT p.product_category_name AS cat FROM order_items i JOIN products p USING (product_id) "
       "WHERE p.product_category_name IS NOT NULL GROUP BY 1 ORDER BY sum(i.price) DESC LIMIT 3) "
       "SELECT p.product_category_name AS categoria, strftime(o.order_purchase_timestamp, '%Y') || '-T' || "
       "quarter(o.order_purchase_timestamp) AS trimestre, round(sum(i.price), 2) AS receita "
       "FROM order_items i JOIN products p USING (product_id) JOIN orders o USING (order_id) "
       "WHERE p.product_category_name IN (SELECT cat FROM top) AND o.order_purchase_timestamp >= TIMESTAMP '2017-01-01' "
       "AND o.order_purchase_timestamp < TIMESTAMP '2018-07-01' GROUP BY 1, 2 ORDER BY 1, 2")],
     category_growth,
     "Deve comparar crescimento relativo (não só absoluto) entre as categorias."),
    # ---- recommendation -----------------------------------------------------------------------
    ("recommendation",
     "Com base na tabela, em quais estados a empresa deveria priorizar melhorias logísticas? Justifique com números e "
     "proponha ações.",
     [("Atraso e nota por estado (estados com pelo menos 100 entregas)",
       "SELECT c.customer_state AS estado, count(*) AS entregues, "
       f"round(100.0 * avg(({LATE})::INT), 1) AS pct_atraso, round(avg(r.review_score), 2) AS nota_media "
       "FROM orders o JOIN customers c USING (customer_id) LEFT JOIN order_reviews r USING (order_id) "
       f"WHERE {DELIVERED} GROUP BY 1 HAVING count(*) >= 100 ORDER BY pct_atraso DESC")],
     logistics_priorities,
     "Deve priorizar por impacto (taxa x volume), citar estados e números, e propor ações concretas (transportadora, "
     "prazo estimado mais realista, CD regional)."),
    ("recommendation",
     "O frete pesa quanto no valor dos itens em cada região? Que política de frete você recomendaria?",
     [("Frete relativo ao preço por região do cliente",
       "SELECT CASE WHEN c.customer_state IN ('SP','RJ','MG','ES') THEN 'Sudeste' "
       "WHEN c.customer_state IN ('PR','SC','RS') THEN 'Sul' WHEN c.customer_state IN ('DF','GO','MT','MS') THEN 'Centro-Oeste' "
       "WHEN c.customer_state IN ('BA','SE','AL','PE','PB','RN','CE','PI','MA') THEN 'Nordeste' ELSE 'Norte' END AS regiao, "
       "count(*) AS itens, round(avg(i.freight_value), 2) AS frete_medio, "
       "round(100.0 * sum(i.freight_value) / sum(i.price), 1) AS frete_pct_preco "
       "FROM order_items i JOIN orders o USING (order_id) JOIN customers c USING (customer_id) GROUP BY 1 ORDER BY frete_pct_preco DESC")],
     freight_regions,
     "Deve citar a disparidade regional com números e propor política (frete subsidiado, mínimo para frete grátis, CDs)."),
    ("recommendation",
     "Como os clientes parcelam as compras no cartão de crédito? Recomende uma estratégia de parcelamento.",
     [("Parcelamento no cartão de crédito",
       "SELECT CASE WHEN payment_installments <= 1 THEN '1x' WHEN payment_installments <= 3 THEN '2-3x' "
       "WHEN payment_installments <= 6 THEN '4-6x' ELSE '7x ou mais' END AS faixa, count(*) AS pagamentos, "
       "round(100.0 * count(*) / sum(count(*)) OVER (), 1) AS pct, round(avg(payment_value), 2) AS valor_medio "
       "FROM order_payments WHERE payment_type = 'credit_card' GROUP BY faixa ORDER BY faixa")],
     installments,
     "Deve relacionar número de parcelas com ticket e sugerir parcelamento sem juros condicionado a valor mínimo."),
    ("recommendation",
     "Os comentários das avaliações negativas (nota 1 ou 2) foram agrupados por tema. Quais problemas atacar primeiro "
     "e como?",
     [("Temas das avaliações negativas com comentário",
       "SELECT CASE WHEN lower(review_comment_message) SIMILAR TO '.*(atras|demor|prazo).*' THEN 'atraso' "
       "WHEN lower(review_comment_message) SIMILAR TO '.*(receb|chegou|cancel|pedido).*' THEN 'nao recebido' "
       "WHEN lower(review_comment_message) SIMILAR TO '.*(defeito|quebr|qualidade|funcion|pe[cç]as).*' THEN 'defeito/qualidade' "
       "WHEN lower(review_comment_message) SIMILAR TO '.*(errad|diferente|cor |tamanho|s[oó] chegou um).*' THEN 'produto errado' "
       "WHEN lower(review_comment_message) SIMILAR TO '.*(vendedor|respond|atendimento|retorno|contato).*' THEN 'atendimento' "
       "ELSE 'outros' END AS tema, count(*) AS comentarios, "
       "round(100.0 * count(*) / sum(count(*)) OVER (), 1) AS pct FROM order_reviews "
       "WHERE review_score <= 2 AND review_comment_message IS NOT NULL GROUP BY tema ORDER BY comentarios DESC")],
     complaint_themes,
     "Deve priorizar pelos temas mais frequentes com números e propor ações por tema."),
    ("recommendation",
     "A tabela mostra a base de clientes por tempo desde a última compra. Proponha uma campanha de retenção: quem "
     "abordar primeiro e por quê?",
     [("Clientes por recência (dias desde a última compra, referência 2018-10-17)",
       "WITH last AS (SELECT c.customer_unique_id, max(o.order_purchase_timestamp) AS ultima, count(*) AS n "
       "FROM customers c JOIN orders o USING (customer_id) GROUP BY 1) "
       "SELECT CASE WHEN date_diff('day', ultima, TIMESTAMP '2018-10-17 17:30:18') <= 90 THEN '0-90' "
       "WHEN date_diff('day', ultima, TIMESTAMP '2018-10-17 17:30:18') <= 180 THEN '91-180' "
       "WHEN date_diff('day', ultima, TIMESTAMP '2018-10-17 17:30:18') <= 365 THEN '181-365' ELSE '366+' END AS faixa, "
       "count(*) AS clientes, round(100.0 * count(*) / sum(count(*)) OVER (), 1) AS pct, "
       "round(100.0 * avg((n > 1)::INT), 1) AS pct_recorrentes FROM last GROUP BY faixa "
       "ORDER BY min(date_diff('day', ultima, TIMESTAMP '2018-10-17 17:30:18'))")],
     recency,
     "Deve priorizar clientes recentes/recorrentes em risco (91-180 dias) e justificar com os números; campanhas concretas."),
]  # fmt: skip

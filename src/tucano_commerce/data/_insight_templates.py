"""The insights training templates: parameterised analytical questions over one warehouse table each.

Each ``InsightTemplate`` is a question with slots (a state, a category, a year, a payment type, a region,
a minimum count ...), the SQL of the table it shows and a ``facts`` function that derives the key facts
from the table rows. Facts are claims in the scorer's form (``tucano_commerce.tasks._facts``: a derived
number, the names it is about and the claim kind), the same form as the benchmark's, so the GRPO insights
reward applies the benchmark's rules.

The catalogue also keeps the benchmark's own templates (the question wording or SQL skeleton of a
benchmark item with a slot added): they are marked in ``data._heldout.HELD_OUT``, have no ``facts`` and
are never drawn (``training_templates``); the contamination guard checks that they are not used.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tucano_commerce.tasks._facts import (
    Fact,
    br,
    change,
    fact,
    growth,
    leader,
    money,
    name,
    pct,
    ratio,
    share,
    times,
)
from tucano_commerce.warehouse import DELIVERED, LATE, PERIOD, YEAR

__all__ = ["INSIGHT_TEMPLATES", "REGIONS", "InsightTemplate", "NotEnoughData"]

Row = tuple[Any, ...]
REGIONS = {"Sudeste": ("SP", "RJ", "MG", "ES"), "Sul": ("PR", "SC", "RS"), "Centro-Oeste": ("DF", "GO", "MT", "MS"),
           "Nordeste": ("BA", "SE", "AL", "PE", "PB", "RN", "CE", "PI", "MA")}  # fmt: skip
REGION_CASE = (
    "CASE "
    + " ".join(
        f"WHEN c.customer_state IN ({', '.join(repr(s) for s in states)}) THEN '{name}'"
        for name, states in REGIONS.items()
    )
    + " ELSE 'Norte' END"
)


class NotEnoughData(Exception):
    """The slice is too thin (or too flat) for this question; the generator tries other parameters."""


def _need(rows: list[Row], k: int) -> list[Row]:
    if len(rows) < k:
        raise NotEnoughData
    return rows


def _positive(*values: Any) -> None:
    if any(float(v) <= 0 for v in values):
        raise NotEnoughData  # a ratio against zero says nothing


@dataclass(frozen=True)
class InsightTemplate:
    """One parameterised insights question: text, table title and SQL (``str.format`` slots), facts, hint.

    ``facts`` is None for the benchmark's templates (held out, never generated).
    """

    name: str
    kind: str  # comparison | trend | recommendation (the item's difficulty, as in the benchmark)
    params: tuple[str, ...]  # slot kinds: state, category, year, payment, region, period, min_n
    question: str
    title: str
    sql: str
    facts: Callable[[list[Row], dict[str, Any]], list[Fact]] | None
    hint: str


def _days(value: float) -> str:
    return f"{br(value, 1)} dias"


def _count(value: float) -> str:
    return br(value, 0)


# --- facts of the training templates -----------------------------------------------------------------


def _category_years(t: list[Row], p: dict[str, Any]) -> list[Fact]:
    years = {int(r[0]): r for r in _need(t, 2)}
    if set(years) != {2017, 2018}:
        raise NotEnoughData
    before, after = years[2017], years[2018]
    _positive(before[1], before[2], before[3])
    return [
        change(before, after, 2, "a receita da categoria", money),
        change(before, after, 1, "o número de pedidos", _count),
        change(before, after, 3, "o preço médio", money),
    ]


def _region_states(t: list[Row], p: dict[str, Any]) -> list[Fact]:
    rows = _need(t, 3)
    _positive(*(r[3] for r in rows))
    top = rows[0]
    return [
        share(
            top[1],
            sum(r[1] for r in rows),
            top[0],
            f"{top[0]} concentra {{share}} dos pedidos da região {p['region']} em {p['year']}.",
        ),
        leader(rows, 3, "taxa de atraso", pct, article="a", claim=["worst"]),
        leader(rows, 2, "ticket médio", money),
    ]


_ORIGIN = {"mesmo estado": "vendedores do mesmo estado", "outro estado": "vendedores de outro estado"}


def _seller_local(t: list[Row], p: dict[str, Any]) -> list[Fact]:
    rows = {r[0]: r for r in _need(t, 2)}
    local, remote = rows.get("mesmo estado"), rows.get("outro estado")
    if local is None or remote is None or min(local[1], remote[1]) < 30:
        raise NotEnoughData
    _positive(local[2], remote[2], local[3], remote[3])
    hi, lo = (remote, local) if remote[2] >= local[2] else (local, remote)
    slow, fast = (remote, local) if remote[3] >= local[3] else (local, remote)
    days = float(slow[3]) - float(fast[3])
    facts = [
        fact(
            f"Itens de {_ORIGIN[hi[0]]} pagam frete médio de {money(hi[2])}, {times(ratio(hi[2], lo[2]))} vezes o dos "
            f"{_ORIGIN[lo[0]]} ({money(lo[2])}).",
            [[ratio(hi[2], lo[2]), float(hi[2]) - float(lo[2])]],
            [hi[0]],
            tolerance=0.03,
            claim=["higher"],
        ),
        share(
            local[1],
            local[1] + remote[1],
            "mesmo estado",
            "Vendas de vendedores do mesmo estado representam só {share} dos itens.",
        ),
    ]
    if days < 1.0:
        facts.append(
            fact(
                f"O prazo de entrega é praticamente o mesmo nas duas origens ({_days(local[3])} no mesmo estado "
                f"contra {_days(remote[3])} de outro estado).",
                [[days, local[3], remote[3]]],
                [["prazo*", "entrega*"]],
                tolerance=0.05,
                claim=["stable"],
            )
        )
    else:
        facts.append(
            fact(
                f"A entrega dos {_ORIGIN[slow[0]]} leva {br(days, 1)} dias a mais ({_days(slow[3])} contra "
                f"{_days(fast[3])}).",
                [[days, ratio(slow[3], fast[3])]],
                [slow[0]],
                tolerance=0.05,
                claim=["higher", "lower", "worst"],
            )
        )
    return facts


def _weekdays(t: list[Row], p: dict[str, Any]) -> list[Fact]:
    rows = _need(t, 7)
    _positive(*(r[1] for r in rows))
    weekend = sum(r[1] for r in rows if r[0] in ("sábado", "domingo"))
    lo, hi = min(float(r[3]) for r in rows), max(float(r[3]) for r in rows)
    facts = [
        leader(rows, 1, "volume de pedidos", _count),
        share(
            weekend,
            sum(r[1] for r in rows),
            ["fim de semana", "fins de semana", "sabado e domingo"],
            "O fim de semana (sábado e domingo) concentra {share} dos pedidos.",
        ),
    ]
    if growth(lo, hi) < 15:
        facts.append(
            fact(
                f"O ticket médio quase não muda entre os dias: fica entre {money(lo)} e {money(hi)}, variação "
                f"de {pct(growth(lo, hi))}.",
                [[growth(lo, hi), lo, hi]],
                [["ticket*", "valor medio"]],
                tolerance=0.05,
                claim=["stable"],
            )
        )
    else:
        facts.append(leader(rows, 3, "ticket médio", money))
    return facts


def _monthly_revenue(t: list[Row], p: dict[str, Any]) -> list[Fact]:
    rows = _need(t, 6)
    _positive(*(r[1] for r in rows))
    return [
        leader(rows, 1, "receita", money, article="a"),
        change(rows[0], rows[-1], 1, "a receita mensal", money),
    ]


def _monthly_cancel(t: list[Row], p: dict[str, Any]) -> list[Fact]:
    rows = _need(t, 6)
    median = statistics.median(float(r[2]) for r in rows)
    _positive(median)
    peak = sorted(rows, key=lambda r: (-float(r[2]), r[0]))[0]
    overall = sum(r[1] * float(r[2]) for r in rows) / sum(r[1] for r in rows)
    return [
        fact(
            f"O pico de cancelamentos foi em {name(peak[0])}: {pct(peak[2], 2)}, {times(ratio(peak[2], median))} vezes "
            f"a mediana dos meses ({pct(median, 2)}).",
            [[peak[2], ratio(peak[2], median)]],
            [peak[0]],
            tolerance=0.03,
            claim=["higher", "up"],
        ),
        fact(
            f"No período, {pct(overall, 2)} dos pedidos foram cancelados ou ficaram indisponíveis, uma parcela pequena "
            "do total.",
            [overall],
            [],
            tolerance=0.05,
            claim=["share", "lower"],
        ),
        change(
            rows[0], rows[-1], 2, "a taxa de cancelamento", lambda v: pct(v, 2), points=True, stable_below=0.5
        ),
    ]


def _quarterly_delivery(t: list[Row], p: dict[str, Any]) -> list[Fact]:
    rows = _need(t, 4)
    _positive(*(r[2] for r in rows))
    return [
        change(rows[0], rows[-1], 2, "o prazo médio de entrega", _days),
        leader(rows, 2, "prazo médio", _days, claim=["worst"]),
        change(rows[0], rows[-1], 3, "a taxa de atraso", pct, points=True),
    ]


def _new_customers(t: list[Row], p: dict[str, Any]) -> list[Fact]:
    rows = _need(t, 6)
    _positive(*(r[1] for r in rows))
    facts = [
        leader(rows, 1, "número de clientes novos", _count),
        change(rows[0], rows[-1], 1, "a entrada de clientes novos", _count),
    ]
    if len(rows) == 12:
        h1, h2 = sum(r[1] for r in rows[:6]), sum(r[1] for r in rows[6:])
        word = "a mais" if h2 >= h1 else "a menos"
        facts.append(
            fact(
                f"O segundo semestre trouxe {_count(h2)} clientes novos, {pct(abs(growth(h1, h2)))} {word} que o "
                f"primeiro ({_count(h1)}).",
                [[abs(growth(h1, h2)), h2, h1]],
                [["segundo semestre", "2º semestre", "2o semestre"]],
                tolerance=0.03,
                claim=["up", "down", "higher", "lower"],
            )
        )
    return facts


def _payment_share(t: list[Row], p: dict[str, Any]) -> list[Fact]:
    rows = _need(t, 4)
    _positive(*(r[2] for r in rows))
    what = f"participação do {p['payment_pt']}" if p["payment"] != "boleto" else "participação do boleto"
    return [
        change(rows[0], rows[-1], 2, f"a {what}", pct, points=True),
        leader(rows, 2, what, pct, article="a"),
    ]


def _freight_weight(t: list[Row], p: dict[str, Any]) -> list[Fact]:
    rows = _need(t, 3)
    _positive(*(r[2] for r in rows), *(r[3] for r in rows))
    light = rows[0]
    return [
        leader(rows, 3, "peso do frete sobre o preço", pct, claim=["worst"]),
        leader(rows, 2, "frete médio", money),
        share(
            light[1],
            sum(r[1] for r in rows),
            light[0],
            f"Itens de {light[0]} representam {{share}} dos itens vendidos na região.",
        ),
    ]


def _price_bands(t: list[Row], p: dict[str, Any]) -> list[Fact]:
    rows = _need(t, 4)
    _positive(*(r[2] for r in rows), *(r[3] for r in rows))
    lo, hi = min(float(r[2]) for r in rows), max(float(r[2]) for r in rows)
    facts = [leader(rows, 3, "percentual de notas baixas", pct, claim=["worst"])]
    if hi - lo < 0.15:
        facts.append(
            fact(
                f"A nota média quase não muda com o preço: fica entre {br(lo)} e {br(hi)} em todas as faixas, "
                f"diferença de {br(hi - lo)} ponto.",
                [[hi - lo, lo, hi]],
                [["nota*", "avalia*"]],
                tolerance=0.05,
                claim=["stable"],
            )
        )
    else:
        facts.append(
            leader(rows, 2, "nota média", article="a", lowest=True, by="diff", unit="ponto", claim=["worst"])
        )
    facts.append(leader(rows, 4, "taxa de atraso", pct, article="a"))
    return facts


def _worst_categories(t: list[Row], p: dict[str, Any]) -> list[Fact]:
    rows = _need(t, 3)
    _positive(*(r[3] for r in rows))
    second = rows[1]
    gap = float(rows[-1][2]) - float(second[2])
    return [
        leader(rows, 2, "nota média", article="a", lowest=True, by="diff", unit="ponto", claim=["worst"]),
        leader(rows, 3, "percentual de notas baixas", pct, claim=["worst"]),
        fact(
            f"{second[0]} vem em segundo entre as piores, com nota {br(second[2])}, {br(gap)} ponto abaixo de "
            f"{rows[-1][0]}.",
            [[second[2], gap]],
            [second[0]],
            tolerance=0.03,
            claim=["second", "worst"],
        ),
    ]


def _seller_concentration(t: list[Row], p: dict[str, Any]) -> list[Fact]:
    rows = _need(t, 4)
    top = [r for r in rows if r[0] != "demais"]
    rest = next((r for r in rows if r[0] == "demais"), None)
    if rest is None or len(top) < 5:
        raise NotEnoughData
    total = sum(float(r[2]) for r in rows)
    return [
        share(
            sum(float(r[2]) for r in top),
            total,
            ["5 maiores", "cinco maiores", "top 5", "maiores vendedores"],
            "Os 5 maiores vendedores concentram {share} da receita da categoria.",
        ),
        leader(top, 2, "receita", money, article="a", against="second"),
        share(
            rest[2],
            total,
            ["demais", "outros", "restantes"],
            f"Os demais {rest[1]} vendedores somam só {{share}} da receita.",
        ),
    ]


_SCORE_NAMES = {n: [f"nota {n}", f"notas {n}", f"{n} estrela*", f"avaliações {n}"] for n in range(1, 6)}


def _comments(t: list[Row], p: dict[str, Any]) -> list[Fact]:
    rows = {int(r[0]): r for r in _need(t, 5)}
    if set(rows) != {1, 2, 3, 4, 5}:
        raise NotEnoughData
    _positive(*(r[2] for r in rows.values()))
    one, five = rows[1], rows[5]
    comments = {n: r[1] * float(r[2]) / 100 for n, r in rows.items()}
    low_share = 100 * (comments[1] + comments[2]) / sum(comments.values())
    hi, lo = (one, five) if one[2] >= five[2] else (five, one)
    top = sorted(rows.values(), key=lambda r: (-r[1], r[0]))[0]
    bottom = sorted(rows.values(), key=lambda r: (r[1], r[0]))[0]
    return [
        fact(
            f"Avaliações de nota {hi[0]} trazem comentário em {pct(hi[2])} dos casos, {times(ratio(hi[2], lo[2]))} vezes a "
            f"taxa das de nota {lo[0]} ({pct(lo[2])}).",
            [[ratio(hi[2], lo[2]), float(hi[2]) - float(lo[2])]],
            [_SCORE_NAMES[int(hi[0])]],
            tolerance=0.03,
            claim=["higher"],
        ),
        fact(
            f"As notas 1 e 2 respondem por {pct(low_share)} de todos os comentários escritos.",
            [low_share],
            [["notas 1 e 2", "nota 1 ou 2", "notas baixas", "negativ*", "insatisfeit*"]],
            tolerance=0.05,
            claim=["share", "higher", "lower"],
        ),
        fact(
            f"A nota {top[0]} é a mais comum, com {_count(top[1])} avaliações, {times(ratio(top[1], bottom[1]))} vezes "
            f"as de nota {bottom[0]}.",
            [[top[1], ratio(top[1], bottom[1])]],
            [_SCORE_NAMES[int(top[0])]],
            tolerance=0.03,
            claim=["higher"],
        ),
    ]


_STATE = "c.customer_state = '{state}'"
_REGION = "c.customer_state IN ({region_states})"
_MONTH = "strftime(o.order_purchase_timestamp, '%Y-%m')"
_QUARTER = "strftime(o.order_purchase_timestamp, '%Y') || '-T' || quarter(o.order_purchase_timestamp)"
_H1_2017_TO_H1_2018 = "o.order_purchase_timestamp >= TIMESTAMP '2017-01-01' AND o.order_purchase_timestamp < TIMESTAMP '2018-07-01'"
_DAYS = "date_diff('second', o.order_purchase_timestamp, o.order_delivered_customer_date) / 86400"
_WEEKDAY = (
    "CASE dayofweek(o.order_purchase_timestamp) WHEN 0 THEN 'domingo' WHEN 1 THEN 'segunda-feira' "
    "WHEN 2 THEN 'terça-feira' WHEN 3 THEN 'quarta-feira' WHEN 4 THEN 'quinta-feira' "
    "WHEN 5 THEN 'sexta-feira' ELSE 'sábado' END"
)

INSIGHT_TEMPLATES: tuple[InsightTemplate, ...] = (
    # ---- comparison ---------------------------------------------------------------------------------
    InsightTemplate("category_years", "comparison", ("category",),
        "Compare o desempenho da categoria {category} em 2017 e 2018: pedidos, receita e preço médio. A categoria "
        "cresceu, e o crescimento veio de volume ou de preço?",
        "Categoria {category} por ano",
        "SELECT year(o.order_purchase_timestamp) AS ano, count(DISTINCT o.order_id) AS pedidos, "
        "round(sum(i.price), 2) AS receita, round(avg(i.price), 2) AS preco_medio FROM order_items i "
        "JOIN products p USING (product_id) JOIN orders o USING (order_id) WHERE p.product_category_name = "
        "'{category}' AND year(o.order_purchase_timestamp) IN (2017, 2018) GROUP BY ano ORDER BY ano",
        _category_years, "Deve quantificar o crescimento (em %) e separar efeito de volume e de preço."),
    InsightTemplate("region_states", "comparison", ("region", "year"),
        "Compare os estados da região {region} nos pedidos de {year}: volume, ticket médio e taxa de atraso. Qual "
        "estado se destaca negativamente?",
        "Estados da região {region} — pedidos de {year}",
        "WITH pay AS (SELECT order_id, sum(payment_value) AS total FROM order_payments GROUP BY order_id) "
        "SELECT c.customer_state AS estado, count(*) AS pedidos, round(avg(pay.total), 2) AS ticket_medio, "
        f"round(100.0 * avg(({LATE})::INT), 1) AS pct_atraso FROM orders o JOIN customers c USING (customer_id) "
        f"JOIN pay USING (order_id) WHERE {DELIVERED} AND {YEAR} AND c.customer_state IN ({{region_states}}) "
        "GROUP BY 1 ORDER BY pedidos DESC, estado",
        _region_states, "Deve diferenciar volume de desempenho e apontar o estado com pior atraso, com números."),
    InsightTemplate("seller_local", "comparison", ("year", "region"),
        "Nos pedidos entregues em {year} a clientes da região {region}, compare os itens vendidos por vendedores do "
        "mesmo estado do cliente com os de outro estado: frete, prazo e atraso. Vale a pena incentivar vendas locais?",
        "Itens por origem do vendedor — clientes da região {region}, {year}",
        "SELECT CASE WHEN s.seller_state = c.customer_state THEN 'mesmo estado' ELSE 'outro estado' END AS origem, "
        f"count(*) AS itens, round(avg(i.freight_value), 2) AS frete_medio, round(avg({_DAYS}), 1) AS dias_medios, "
        f"round(100.0 * avg(({LATE})::INT), 1) AS pct_atraso FROM order_items i JOIN orders o USING (order_id) "
        f"JOIN customers c USING (customer_id) JOIN sellers s USING (seller_id) WHERE {DELIVERED} AND {YEAR} "
        f"AND {_REGION} GROUP BY origem ORDER BY origem",
        _seller_local, "Deve quantificar a diferença de frete e de prazo e pesar a participação das vendas locais."),
    InsightTemplate("weekdays_state", "comparison", ("state",),
        "Em que dias da semana os clientes de {state_name} mais compram? Compare o volume e o ticket médio entre os "
        "dias e diga quando concentrar campanhas.",
        "Pedidos por dia da semana — clientes de {state}",
        "WITH pay AS (SELECT order_id, sum(payment_value) AS total FROM order_payments GROUP BY order_id) "
        f"SELECT {_WEEKDAY} AS dia, count(*) AS pedidos, round(100.0 * count(*) / sum(count(*)) OVER (), 1) AS pct, "
        "round(avg(pay.total), 2) AS ticket_medio FROM orders o JOIN customers c USING (customer_id) "
        f"JOIN pay USING (order_id) WHERE {_STATE} GROUP BY dia ORDER BY min(dayofweek(o.order_purchase_timestamp))",
        _weekdays, "Deve apontar o dia de maior volume, o peso do fim de semana e se o ticket muda, com números."),
    # ---- trend --------------------------------------------------------------------------------------
    InsightTemplate("monthly_revenue_category", "trend", ("category", "year"),
        "Como evoluiu mês a mês a receita da categoria {category} em {year}? Em que mês ela foi maior e como "
        "terminou o ano em relação ao início?",
        "Receita mensal da categoria {category} em {year}",
        f"SELECT {_MONTH} AS mes, round(sum(i.price), 2) AS receita FROM order_items i JOIN products p "
        "USING (product_id) JOIN orders o USING (order_id) WHERE p.product_category_name = '{category}' "
        f"AND {YEAR} GROUP BY mes ORDER BY mes",
        _monthly_revenue, "Deve apontar o mês de maior receita e comparar início e fim do período, com números."),
    InsightTemplate("monthly_cancel_region", "trend", ("year", "region"),
        "Como evoluiu mês a mês, em {year}, a taxa de pedidos cancelados ou indisponíveis de clientes da região "
        "{region}? Houve meses fora do padrão?",
        "Cancelamentos por mês — região {region}, {year}",
        f"SELECT {_MONTH} AS mes, count(*) AS pedidos, round(100.0 * avg((o.order_status IN ('canceled', "
        "'unavailable'))::INT), 2) AS pct_cancelados FROM orders o JOIN customers c USING (customer_id) "
        f"WHERE {YEAR} AND {_REGION} GROUP BY mes ORDER BY mes",
        _monthly_cancel, "Deve apontar o mês fora do padrão em relação à mediana e o nível geral de cancelamento."),
    InsightTemplate("quarterly_delivery_state", "trend", ("state",),
        "Como evoluiu, trimestre a trimestre, o prazo de entrega para clientes de {state_name}? A entrega está "
        "ficando mais rápida ou mais lenta, e o atraso acompanha?",
        "Prazo de entrega por trimestre — clientes de {state}",
        f"SELECT {_QUARTER} AS trimestre, count(*) AS entregues, round(avg({_DAYS}), 1) AS dias_medios, "
        f"round(100.0 * avg(({LATE})::INT), 1) AS pct_atraso FROM orders o JOIN customers c USING (customer_id) "
        f"WHERE {DELIVERED} AND {_STATE} AND {_H1_2017_TO_H1_2018} GROUP BY trimestre ORDER BY trimestre",
        _quarterly_delivery, "Deve comparar o primeiro e o último trimestre, apontar o mais lento e ligar ao atraso."),
    InsightTemplate("new_customers_region", "trend", ("year", "region"),
        "Quantos clientes novos (primeira compra) a empresa conquistou por mês em {year} na região {region}? A "
        "aquisição está acelerando ou perdendo força?",
        "Clientes novos por mês — região {region}, {year}",
        "WITH first AS (SELECT c.customer_unique_id, min(o.order_purchase_timestamp) AS primeira FROM customers c "
        f"JOIN orders o USING (customer_id) WHERE {_REGION} GROUP BY 1) SELECT strftime(primeira, '%Y-%m') AS mes, "
        "count(*) AS clientes_novos FROM first WHERE year(primeira) = {year} "
        "AND primeira < TIMESTAMP '2018-09-01' GROUP BY mes ORDER BY mes",
        _new_customers, "Deve apontar o mês de maior aquisição e a direção da tendência, com números."),
    InsightTemplate("payment_share_region", "trend", ("payment", "region"),
        "Como evoluiu, trimestre a trimestre, a participação do {payment_pt} nos pagamentos de clientes da região "
        "{region}? A tendência é de alta, de queda ou de estabilidade?",
        "Participação de {payment} nos pagamentos por trimestre — região {region}",
        f"SELECT {_QUARTER} AS trimestre, count(*) AS pagamentos, round(100.0 * avg((pay.payment_type = "
        "'{payment}')::INT), 1) AS pct_tipo FROM order_payments pay JOIN orders o USING (order_id) "
        f"JOIN customers c USING (customer_id) WHERE {_REGION} AND {_H1_2017_TO_H1_2018} "
        "GROUP BY trimestre ORDER BY trimestre",
        _payment_share, "Deve dizer se a participação sobe, cai ou fica estável, em pontos percentuais."),
    # ---- recommendation -----------------------------------------------------------------------------
    InsightTemplate("worst_categories_year", "recommendation", ("year", "min_n"),
        "Nos pedidos de {year}, quais categorias (com pelo menos {min_n} avaliações) deveriam ter a qualidade revista "
        "primeiro? Mostre os números que sustentam a escolha e sugira o que fazer em cada uma.",
        "Categorias com pior nota média em {year} (pelo menos {min_n} avaliações)",
        "SELECT p.product_category_name AS categoria, count(*) AS avaliacoes, round(avg(r.review_score), 2) AS "
        "nota_media, round(100.0 * avg((r.review_score <= 2)::INT), 1) AS pct_notas_baixas FROM order_items i "
        "JOIN products p USING (product_id) JOIN orders o USING (order_id) JOIN order_reviews r USING (order_id) "
        f"WHERE p.product_category_name IS NOT NULL AND {YEAR} GROUP BY 1 HAVING count(*) >= {{min_n}} "
        "ORDER BY avg(r.review_score), categoria LIMIT 6",
        _worst_categories, "Deve priorizar as categorias de pior nota com números e propor ações por categoria."),
    InsightTemplate("freight_weight_region", "recommendation", ("region", "year"),
        "Para clientes da região {region}, em {year}, como o peso do produto afeta o frete? Que política de frete "
        "você recomendaria por faixa de peso?",
        "Frete por faixa de peso do produto — região {region}, {year}",
        "SELECT CASE WHEN pr.product_weight_g <= 500 THEN 'até 500 g' WHEN pr.product_weight_g <= 2000 THEN "
        "'500 g a 2 kg' WHEN pr.product_weight_g <= 5000 THEN '2 a 5 kg' ELSE '5 kg ou mais' END AS faixa, "
        "count(*) AS itens, round(avg(i.freight_value), 2) AS frete_medio, "
        "round(100.0 * sum(i.freight_value) / sum(i.price), 1) AS frete_pct_preco FROM order_items i "
        "JOIN products pr USING (product_id) JOIN orders o USING (order_id) JOIN customers c USING (customer_id) "
        f"WHERE pr.product_weight_g IS NOT NULL AND {_REGION} AND {YEAR} GROUP BY faixa "
        "ORDER BY min(pr.product_weight_g)",
        _freight_weight, "Deve quantificar como o frete cresce com o peso e propor política por faixa."),
    InsightTemplate("price_bands_region", "recommendation", ("year", "region"),
        "Nos pedidos de {year} de clientes da região {region}, a satisfação muda com a faixa de preço do item? Onde a "
        "empresa deveria agir primeiro?",
        "Avaliação e atraso por faixa de preço do item — região {region}, {year}",
        "SELECT CASE WHEN i.price < 50 THEN 'até R$ 50' WHEN i.price < 100 THEN 'R$ 50 a 100' WHEN i.price < 200 "
        "THEN 'R$ 100 a 200' WHEN i.price < 500 THEN 'R$ 200 a 500' ELSE 'R$ 500 ou mais' END AS faixa, "
        "count(*) AS itens, round(avg(r.review_score), 2) AS nota_media, "
        "round(100.0 * avg((r.review_score <= 2)::INT), 1) AS pct_notas_baixas, "
        f"round(100.0 * avg(({LATE})::INT), 1) AS pct_atraso FROM order_items i JOIN orders o USING (order_id) "
        "JOIN customers c USING (customer_id) JOIN order_reviews r USING (order_id) "
        f"WHERE {DELIVERED} AND {YEAR} AND {_REGION} GROUP BY faixa ORDER BY min(i.price)",
        _price_bands, "Deve dizer se a nota muda com o preço, apontar a faixa com mais notas baixas e não inventar "
        "relação onde não há."),
    InsightTemplate("seller_concentration_category", "recommendation", ("category",),
        "Na categoria {category}, quanto da receita está concentrada nos maiores vendedores? Que riscos isso traz e o "
        "que você recomendaria?",
        "Receita da categoria {category} por vendedor (os 5 maiores e os demais)",
        "WITH s AS (SELECT i.seller_id, sum(i.price) AS receita, count(*) AS itens FROM order_items i "
        "JOIN products p USING (product_id) WHERE p.product_category_name = '{category}' GROUP BY 1), "
        "r AS (SELECT *, row_number() OVER (ORDER BY receita DESC, seller_id) AS pos FROM s) "
        "SELECT CASE WHEN pos <= 5 THEN left(seller_id, 8) ELSE 'demais' END AS vendedor, count(*) AS vendedores, "
        "round(sum(receita), 2) AS receita, sum(itens) AS itens FROM r GROUP BY 1 ORDER BY min(pos)",
        _seller_concentration, "Deve quantificar a concentração nos maiores vendedores e propor ações de risco e de "
        "desenvolvimento da base."),
    InsightTemplate("comments_by_score_state", "recommendation", ("year", "state"),
        "Nos pedidos de {year} de clientes de {state_name}, quais notas vêm acompanhadas de comentário escrito? Como "
        "o atendimento deveria usar esses comentários?",
        "Avaliações com comentário por nota — clientes de {state}, {year}",
        "SELECT r.review_score AS nota, count(*) AS avaliacoes, round(100.0 * avg((r.review_comment_message IS NOT "
        "NULL)::INT), 1) AS pct_com_comentario FROM order_reviews r JOIN orders o USING (order_id) "
        f"JOIN customers c USING (customer_id) WHERE {YEAR} AND {_STATE} GROUP BY nota ORDER BY nota",
        _comments, "Deve comparar a taxa de comentário das notas baixas e altas e propor uso no atendimento."),
    # ---- the benchmark's templates: held out (data._heldout.HELD_OUT), never generated ------------------
    InsightTemplate("late_vs_ontime_state", "comparison", ("state",),
        "Para clientes de {state_name} ({state}), compare a experiência de quem recebeu o pedido com atraso com a de "
        "quem recebeu no prazo. Qual é o tamanho da diferença e o que ela indica para o negócio?",
        "Avaliações por situação da entrega — clientes de {state}",
        f"SELECT CASE WHEN {LATE} THEN 'atrasado' ELSE 'no prazo' END AS situacao, count(*) AS avaliacoes, "
        "round(avg(r.review_score), 2) AS nota_media, round(100.0 * avg((r.review_score = 1)::INT), 1) AS pct_nota_1 "
        f"FROM orders o JOIN customers c USING (customer_id) JOIN order_reviews r USING (order_id) "
        f"WHERE {DELIVERED} AND {_STATE} GROUP BY situacao ORDER BY situacao",
        None, "Deve quantificar a queda de nota com atraso no estado e tratar atraso como alavanca."),
    InsightTemplate("payments_state", "comparison", ("state",),
        "Compare os meios de pagamento usados por clientes de {state_name}: qual domina em número de pagamentos, "
        "qual tem o maior ticket médio e qual o menor? O que isso sugere?",
        "Pagamentos por tipo — clientes de {state}",
        "SELECT pay.payment_type, count(*) AS pagamentos, round(100.0 * count(*) / sum(count(*)) OVER (), 1) AS pct, "
        "round(avg(pay.payment_value), 2) AS valor_medio FROM order_payments pay JOIN orders o USING (order_id) "
        f"JOIN customers c USING (customer_id) WHERE {_STATE} AND pay.payment_type <> 'not_defined' "
        "GROUP BY pay.payment_type ORDER BY pagamentos DESC, pay.payment_type",
        None, "Deve citar o meio dominante com a participação e contrastar os tickets médios."),
    InsightTemplate("payments_year", "comparison", ("year",),
        "Nos pedidos feitos em {year}, compare os meios de pagamento: participação, ticket médio maior e menor. "
        "Que ações comerciais isso sugere?",
        "Pagamentos por tipo — pedidos de {year}",
        "SELECT pay.payment_type, count(*) AS pagamentos, round(100.0 * count(*) / sum(count(*)) OVER (), 1) AS pct, "
        "round(avg(pay.payment_value), 2) AS valor_medio FROM order_payments pay JOIN orders o USING (order_id) "
        f"WHERE {YEAR} AND pay.payment_type <> 'not_defined' GROUP BY pay.payment_type ORDER BY pagamentos DESC, "
        "pay.payment_type",
        None, "Deve citar o meio dominante e o ticket de cada extremo; recomendações sobre parcelamento contam."),
    InsightTemplate("top_categories_state", "comparison", ("state",),
        "Entre as 5 categorias de maior receita nas compras de clientes de {state_name}, compare receita, volume e "
        "preço médio. Qual vende mais caro e qual depende mais de volume?",
        "Categorias de maior receita — clientes de {state}",
        "SELECT p.product_category_name AS categoria, round(sum(i.price), 2) AS receita, count(*) AS itens, "
        "round(avg(i.price), 2) AS preco_medio FROM order_items i JOIN products p USING (product_id) "
        f"JOIN orders o USING (order_id) JOIN customers c USING (customer_id) WHERE {_STATE} "
        "AND p.product_category_name IS NOT NULL GROUP BY 1 ORDER BY sum(i.price) DESC, categoria LIMIT 5",
        None, "Deve distinguir receita puxada por preço de receita puxada por volume."),
    InsightTemplate("monthly_orders_state", "trend", ("state", "year"),
        "Descreva a evolução mensal dos pedidos de clientes de {state_name} em {year}. Houve picos ou quedas?",
        "Pedidos por mês — clientes de {state}, {year}",
        f"SELECT {_MONTH} AS mes, count(*) AS pedidos FROM orders o JOIN customers c USING (customer_id) "
        f"WHERE {_STATE} AND {YEAR} GROUP BY mes ORDER BY mes",
        None, "Deve identificar o mês de pico e o de menor volume, com números, e o total do ano."),
    InsightTemplate("monthly_late_period", "trend", ("period",),
        "Analise a taxa de atraso mês a mês entre {m1_name} e {m2_name} de {year}. Em quais meses ela disparou e como "
        "isso se relaciona com o volume?",
        "Atraso por mês — {m1_name} a {m2_name} de {year}",
        f"SELECT {_MONTH} AS mes, count(*) AS entregues, round(100.0 * avg(({LATE})::INT), 1) AS pct_atraso "
        f"FROM orders o WHERE {DELIVERED} AND {PERIOD} GROUP BY mes ORDER BY mes",
        None, "Deve apontar os meses de pico e de mínimo de atraso e relacionar com o volume."),
    InsightTemplate("quarterly_ticket_payment", "trend", ("payment",),
        "Como evoluiu, trimestre a trimestre, o ticket médio dos pedidos pagos com {payment_pt}? Está subindo, "
        "caindo ou estável?",
        "Ticket médio por trimestre — pagamentos via {payment}",
        "WITH pay AS (SELECT order_id, sum(payment_value) AS total FROM order_payments WHERE payment_type = "
        f"'{{payment}}' GROUP BY order_id) SELECT {_QUARTER} AS trimestre, count(*) AS pedidos, "
        "round(avg(pay.total), 2) AS ticket_medio FROM orders o JOIN pay USING (order_id) "
        "WHERE o.order_purchase_timestamp >= TIMESTAMP '2017-01-01' AND o.order_purchase_timestamp < "
        "TIMESTAMP '2018-07-01' GROUP BY trimestre ORDER BY trimestre",
        None, "Boa resposta compara primeiro e último trimestre e não inventa tendência."),
    InsightTemplate("monthly_score_state", "trend", ("state", "year"),
        "Como evoluiu a nota média das avaliações de clientes de {state_name} ao longo de {year}? Há quedas e qual a "
        "provável causa, à luz da taxa de atraso?",
        "Nota média e atraso por mês — clientes de {state}, {year}",
        f"SELECT {_MONTH} AS mes, round(avg(r.review_score), 2) AS nota_media, "
        f"round(100.0 * avg(({LATE})::INT), 1) AS pct_atraso FROM orders o JOIN customers c USING (customer_id) "
        f"JOIN order_reviews r USING (order_id) WHERE {DELIVERED} AND {_STATE} AND {YEAR} GROUP BY mes ORDER BY mes",
        None, "Deve ligar as quedas de nota aos meses de atraso alto, com números."),
    InsightTemplate("logistics_states_year", "recommendation", ("year", "min_n"),
        "Considerando os pedidos de {year}, em quais estados (com pelo menos {min_n} entregas) a empresa deveria "
        "priorizar melhorias logísticas? Justifique com números e proponha ações.",
        "Atraso e nota por estado em {year} (estados com pelo menos {min_n} entregas)",
        "SELECT c.customer_state AS estado, count(*) AS entregues, "
        f"round(100.0 * avg(({LATE})::INT), 1) AS pct_atraso, round(avg(r.review_score), 2) AS nota_media "
        "FROM orders o JOIN customers c USING (customer_id) LEFT JOIN order_reviews r USING (order_id) "
        f"WHERE {DELIVERED} AND {YEAR} GROUP BY 1 HAVING count(*) >= {{min_n}} ORDER BY pct_atraso DESC, estado",
        None, "Deve priorizar por impacto (taxa x volume), citar estados e números e propor ações."),
    InsightTemplate("installments_state", "recommendation", ("state",),
        "Como os clientes de {state_name} parcelam as compras no cartão de crédito? Recomende uma estratégia de "
        "parcelamento para o estado.",
        "Parcelamento no cartão de crédito — clientes de {state}",
        "SELECT CASE WHEN pay.payment_installments <= 1 THEN '1x' WHEN pay.payment_installments <= 3 THEN '2-3x' "
        "WHEN pay.payment_installments <= 6 THEN '4-6x' ELSE '7x ou mais' END AS faixa, count(*) AS pagamentos, "
        "round(100.0 * count(*) / sum(count(*)) OVER (), 1) AS pct, round(avg(pay.payment_value), 2) AS valor_medio "
        "FROM order_payments pay JOIN orders o USING (order_id) JOIN customers c USING (customer_id) "
        f"WHERE pay.payment_type = 'credit_card' AND {_STATE} GROUP BY faixa ORDER BY faixa",
        None, "Deve relacionar número de parcelas com ticket e sugerir parcelamento condicionado a valor."),
    InsightTemplate("freight_region_category", "recommendation", ("category",),
        "Quanto o frete pesa no preço dos itens da categoria {category} em cada região do país? Que política de "
        "frete você recomendaria para essa categoria?",
        "Frete relativo ao preço por região — categoria {category}",
        f"SELECT {REGION_CASE} AS regiao, count(*) AS itens, round(avg(i.freight_value), 2) AS frete_medio, "
        "round(100.0 * sum(i.freight_value) / sum(i.price), 1) AS frete_pct_preco FROM order_items i "
        "JOIN products p USING (product_id) JOIN orders o USING (order_id) JOIN customers c USING (customer_id) "
        "WHERE p.product_category_name = '{category}' GROUP BY 1 ORDER BY frete_pct_preco DESC, regiao",
        None, "Deve citar a disparidade regional com números e propor política de frete."),
    InsightTemplate("recency_state", "recommendation", ("state",),
        "A tabela mostra os clientes de {state_name} por tempo desde a última compra. Proponha uma campanha de "
        "retenção: quem abordar primeiro e por quê?",
        "Clientes de {state} por recência (dias desde a última compra, referência {snapshot})",
        "WITH last AS (SELECT c.customer_unique_id, max(o.order_purchase_timestamp) AS ultima, count(*) AS n "
        f"FROM customers c JOIN orders o USING (customer_id) WHERE {_STATE} GROUP BY 1), "
        "d AS (SELECT n, date_diff('day', ultima, TIMESTAMP '{snapshot}') AS dias FROM last) "
        "SELECT CASE WHEN dias <= 90 THEN '0-90' WHEN dias <= 180 THEN '91-180' WHEN dias <= 365 THEN '181-365' "
        "ELSE '366+' END AS faixa, count(*) AS clientes, round(100.0 * count(*) / sum(count(*)) OVER (), 1) AS pct, "
        "round(100.0 * avg((n > 1)::INT), 1) AS pct_recorrentes FROM d GROUP BY faixa ORDER BY min(dias)",
        None, "Deve priorizar clientes recentes ou em risco com números e propor campanhas concretas."),
)  # fmt: skip

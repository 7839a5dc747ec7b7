"""Churn and insights training prompts computed from a (training) warehouse.

Both mirror the benchmark's authoring (``benchmark/churn_items.py``, ``benchmark/insights_items.py``) with
other content: a warehouse of another seed, other customers, other slices of the data.

* Churn: customer profiles rendered by ``render_profile`` at the warehouse's snapshot date (the truth in
  ``ground_truth.customer_churn`` is defined at that date, so it is never moved), balanced over the three
  true-risk bands and rotating over five kinds of history (repeat buyer, written complaint, late delivery,
  single order with a review text, anything else). Customers are ranked by a seeded hash.
* Insights: parameterised analytical questions (a state, a category, a year, a payment type, a region, a
  month range ...) of three kinds (comparison, trend, recommendation), each with one table rendered by
  ``render_table`` and key facts derived from the table rows in the scorer's format
  (``{"text", "numbers", "entities", "tolerance"}``, see ``tucano_commerce.scoring._insights``).
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tucano_commerce.data._records import TrainingExample
from tucano_commerce.data._sql_templates import MONTHS, PAYMENT_PT, warehouse_info
from tucano_commerce.sql import sandbox_connection
from tucano_commerce.tasks._context import render_profile, render_table
from tucano_commerce.tasks._contracts import SYSTEM_PROMPTS
from tucano_commerce.tasks._facts import DELIVERED, LATE, STATE_NAMES, Fact, fact
from tucano_commerce.tasks._prompts import CHURN_PROMPT, INSIGHTS_PROMPT
from tucano_commerce.warehouse import RISK_BANDS

__all__ = ["CHURN_KINDS", "INSIGHT_TEMPLATES", "build_churn_examples", "build_insights_examples"]

Row = tuple[Any, ...]

# ---------------------------------------------------------------------------------------------- churn
CHURN_KINDS: tuple[str, ...] = ("repeat", "complaint", "late", "single_with_text", "other")
DIFFICULTY_OF_BAND = {"baixo": "low", "medio": "medium", "alto": "high"}

_CHURN_ROWS_SQL = """
SELECT t.customer_unique_id, t.risk_level, t.n_orders, t.complaints, t.late_deliveries,
       coalesce(h.has_text, false) AS has_text, t.churn_probability, t.churned
FROM ground_truth.customer_churn t
LEFT JOIN (SELECT c.customer_unique_id, bool_or(r.review_comment_message IS NOT NULL) AS has_text
           FROM customers c JOIN orders o USING (customer_id) JOIN order_reviews r USING (order_id)
           GROUP BY 1) h USING (customer_unique_id)
"""


def _stable_rank(key: str, seed: int) -> str:
    return hashlib.sha256(f"{seed}:{key}".encode()).hexdigest()


def _is_kind(kind: str, n_orders: int, complaints: int, late: int, has_text: bool) -> bool:
    return {
        "repeat": n_orders >= 2,
        "complaint": complaints >= 1,
        "late": late >= 1,
        "single_with_text": n_orders == 1 and has_text,
        "other": True,
    }[kind]


def build_churn_examples(
    db_path: Path, n: int, *, seed: int, exclude_customers: set[str] | frozenset[str] = frozenset()
) -> list[TrainingExample]:
    """``n`` churn prompts, balanced over the risk bands (where the warehouse allows) and the history kinds.

    Args:
        db_path: the training warehouse (opened through ``sandbox_connection``).
        n: number of examples.
        seed: seeds the customer ranking; same seed and warehouse give the same examples.
        exclude_customers: ``customer_unique_id`` values never to use (e.g. benchmark customers).

    Returns:
        Examples with ground truth ``{"churn_probability", "risk_level", "churned"}`` and difficulty
        low/medium/high by true band.
    """
    info = warehouse_info(db_path)
    con = sandbox_connection(db_path)
    try:
        snapshot = str(
            con.execute("SELECT max(CAST(order_purchase_timestamp AS DATE)) FROM orders").fetchone()[0]
        )
        rows = sorted(
            (r for r in con.execute(_CHURN_ROWS_SQL).fetchall() if r[0] not in exclude_customers),
            key=lambda r: _stable_rank(r[0], seed),
        )
        bands = [name for name, _, _ in RISK_BANDS]
        pools = {(b, k): [r for r in rows if r[1] == b and _is_kind(k, r[2], r[3], r[4], r[5])]
                 for b in bands for k in CHURN_KINDS}  # fmt: skip
        cursor = dict.fromkeys(pools, 0)
        used: set[str] = set()

        def take(band: str, kind: str) -> Row | None:
            pool = pools[(band, kind)]
            while cursor[(band, kind)] < len(pool):
                row = pool[cursor[(band, kind)]]
                cursor[(band, kind)] += 1
                if row[0] not in used:
                    return row
            return None

        chosen: list[tuple[Row, str]] = []
        turn = 0
        exhausted: set[str] = set()
        while len(chosen) < n and len(exhausted) < len(bands):
            band = bands[turn % len(bands)]
            kind = CHURN_KINDS[(turn // len(bands)) % len(CHURN_KINDS)]
            turn += 1
            if band in exhausted:
                continue
            row = take(band, kind)
            if row is None and kind != "other":
                row, kind = take(band, "other"), "other"
            if row is None:
                exhausted.add(band)
                continue
            used.add(row[0])
            chosen.append((row, kind))

        examples = []
        for i, (row, kind) in enumerate(chosen, 1):
            person, level, n_orders, _, _, _, p, churned = row
            examples.append(
                TrainingExample(
                    id=f"train-chu-{i:05d}",
                    task="churn",
                    prompt=[
                        {"role": "system", "content": SYSTEM_PROMPTS["churn"]},
                        {"role": "user", "content": CHURN_PROMPT.format(profile=render_profile(con, person, snapshot))},
                    ],
                    ground_truth={"churn_probability": float(p), "risk_level": level, "churned": bool(churned)},
                    source={"dataset": "warehouse", "customer_unique_id": person, "kind": kind,
                            "n_orders": int(n_orders), "snapshot_date": snapshot, "warehouse": info},
                    label_source="synthetic",
                    difficulty=DIFFICULTY_OF_BAND[level],
                )
            )  # fmt: skip
        return examples
    finally:
        con.close()


# ------------------------------------------------------------------------------------------- insights
REGIONS = {"Sudeste": ("SP", "RJ", "MG", "ES"), "Sul": ("PR", "SC", "RS"), "Centro-Oeste": ("DF", "GO", "MT", "MS"),
           "Nordeste": ("BA", "SE", "AL", "PE", "PB", "RN", "CE", "PI", "MA")}  # fmt: skip
REGION_CASE = ("CASE " + " ".join(
    f"WHEN c.customer_state IN ({', '.join(repr(s) for s in states)}) THEN '{name}'"
    for name, states in REGIONS.items()) + " ELSE 'Norte' END")  # fmt: skip


def _by_max(rows: list[Row], col: int) -> Row:
    return max(rows, key=lambda r: (float(r[col]), str(r[0])))


def _by_min(rows: list[Row], col: int) -> Row:
    return min(rows, key=lambda r: (float(r[col]), str(r[0])))


class _NotEnoughData(Exception):
    """The slice is too thin for this question; the generator tries other parameters."""


def _need(rows: list[Row], k: int) -> list[Row]:
    if len(rows) < k:
        raise _NotEnoughData
    return rows


@dataclass(frozen=True)
class InsightTemplate:
    """One parameterised insights question: text, table title and SQL (``str.format`` slots), facts, hint."""

    name: str
    kind: str  # comparison | trend | recommendation (the item's difficulty, as in the benchmark)
    params: tuple[str, ...]  # slot kinds: state, category, year, payment, region, period, min_n
    question: str
    title: str
    sql: str
    facts: Callable[[list[Row], dict[str, Any]], list[Fact]]
    hint: str


def _late_vs_ontime(t: list[Row], p: dict[str, Any]) -> list[Fact]:
    late, ontime = (next((r for r in _need(t, 2) if r[0] == s), None) for s in ("atrasado", "no prazo"))
    if late is None or ontime is None or min(late[1], ontime[1]) < 10:
        raise _NotEnoughData
    return [fact("nota média dos pedidos atrasados", [late[2]]), fact("nota média dos pedidos no prazo", [ontime[2]]),
            fact("diferença de nota entre no prazo e atrasado", [float(ontime[2]) - float(late[2])], tolerance=0.05),
            fact("percentual de notas 1 entre atrasados", [late[3]])]  # fmt: skip


def _payments(t: list[Row], p: dict[str, Any]) -> list[Fact]:
    _need(t, 3)
    hi, lo = _by_max(t, 3), _by_min(t, 3)
    return [fact("meio de pagamento dominante e sua participação", [t[0][2]], [t[0][0]]),
            fact("maior ticket médio", [hi[3]], [hi[0]]), fact("menor ticket médio", [lo[3]], [lo[0]])]  # fmt: skip


def _top_categories(t: list[Row], p: dict[str, Any]) -> list[Fact]:
    _need(t, 3)
    price, volume = _by_max(t, 3), _by_max(t, 2)
    return [fact("categoria de maior receita", [t[0][1]], [t[0][0]], tolerance=0.01),
            fact("categoria de maior preço médio", [price[3]], [price[0]]),
            fact("categoria com mais itens vendidos", [volume[2]], [volume[0]])]  # fmt: skip


def _category_years(t: list[Row], p: dict[str, Any]) -> list[Fact]:
    years = {int(r[0]): r for r in _need(t, 2)}
    if set(years) != {2017, 2018} or float(years[2017][2]) <= 0:
        raise _NotEnoughData
    growth = 100.0 * (float(years[2018][2]) / float(years[2017][2]) - 1)
    return [fact("receita em 2017", [years[2017][2]], ["2017"], tolerance=0.01),
            fact("receita em 2018", [years[2018][2]], ["2018"], tolerance=0.01),
            fact("variação percentual da receita de 2017 para 2018", [growth], tolerance=0.05),
            fact("preço médio em 2018", [years[2018][3]])]  # fmt: skip


def _region_states(t: list[Row], p: dict[str, Any]) -> list[Fact]:
    _need(t, 2)
    late, ticket = _by_max(t, 3), _by_max(t, 2)
    return [fact("estado com mais pedidos na região", [t[0][1]], [t[0][0]], tolerance=0.01),
            fact("estado com maior taxa de atraso", [late[3]], [late[0]]),
            fact("estado com maior ticket médio", [ticket[2]], [ticket[0]])]  # fmt: skip


def _monthly_counts(t: list[Row], p: dict[str, Any]) -> list[Fact]:
    _need(t, 6)
    peak, low = _by_max(t, 1), _by_min(t, 1)
    return [fact("mês de pico", [peak[1]], [peak[0]], tolerance=0.01),
            fact("total de pedidos no ano", [sum(int(r[1]) for r in t)], tolerance=0.01),
            fact("mês de menor volume", [low[1]], [low[0]], tolerance=0.01)]  # fmt: skip


def _monthly_revenue(t: list[Row], p: dict[str, Any]) -> list[Fact]:
    _need(t, 6)
    peak = _by_max(t, 1)
    return [fact("mês de maior receita", [peak[1]], [peak[0]], tolerance=0.01),
            fact("receita total no ano", [sum(float(r[1]) for r in t)], tolerance=0.01),
            fact("receita no primeiro e no último mês", [t[0][1], t[-1][1]], [t[0][0], t[-1][0]])]  # fmt: skip


def _monthly_late(t: list[Row], p: dict[str, Any]) -> list[Fact]:
    _need(t, 4)
    hi, lo = _by_max(t, 2), _by_min(t, 2)
    return [fact("mês de maior taxa de atraso", [hi[2]], [hi[0]]),
            fact("mês de menor taxa de atraso", [lo[2]], [lo[0]], tolerance=0.05),
            fact("volume entregue no mês de maior atraso", [hi[1]], tolerance=0.01)]  # fmt: skip


def _quarterly_ticket(t: list[Row], p: dict[str, Any]) -> list[Fact]:
    _need(t, 4)
    return [fact("ticket médio no primeiro trimestre", [t[0][2]], [t[0][0]]),
            fact("ticket médio no último trimestre", [t[-1][2]], [t[-1][0]]),
            fact("maior ticket médio trimestral", [_by_max(t, 2)[2]])]  # fmt: skip


def _monthly_score(t: list[Row], p: dict[str, Any]) -> list[Fact]:
    _need(t, 6)
    lo, hi = _by_min(t, 1), _by_max(t, 1)
    return [fact("mês de menor nota média", [lo[1]], [lo[0]]), fact("taxa de atraso nesse mês", [lo[2]]),
            fact("mês de maior nota média", [hi[1]], [hi[0]])]  # fmt: skip


def _logistics_states(t: list[Row], p: dict[str, Any]) -> list[Fact]:
    _need(t, 3)
    volume = _by_max(t, 1)
    return [fact("estado com maior taxa de atraso", [t[0][2]], [t[0][0]]),
            fact("segundo estado com maior taxa de atraso", [t[1][2]], [t[1][0]]),
            fact("estado com maior volume de entregas", [volume[1]], [volume[0]], tolerance=0.01)]  # fmt: skip


def _installments(t: list[Row], p: dict[str, Any]) -> list[Fact]:
    bands = {r[0]: r for r in _need(t, 3)}
    if "1x" not in bands:
        raise _NotEnoughData
    top = _by_max(t, 2)
    facts = [fact("faixa de parcelamento mais comum", [top[2]], [top[0]]),
             fact("valor médio à vista (1x)", [bands["1x"][3]], ["1x"])]  # fmt: skip
    if "7x ou mais" in bands:
        facts.append(fact("valor médio na faixa de 7x ou mais", [bands["7x ou mais"][3]], ["7x"]))
    return facts


def _worst_categories(t: list[Row], p: dict[str, Any]) -> list[Fact]:
    _need(t, 3)
    return [fact("categoria com pior nota média", [t[0][2]], [t[0][0]]),
            fact("segunda pior categoria", [t[1][2]], [t[1][0]]),
            fact("percentual de notas 1 ou 2 na pior categoria", [t[0][3]], tolerance=0.05)]  # fmt: skip


def _freight_regions(t: list[Row], p: dict[str, Any]) -> list[Fact]:
    _need(t, 3)
    return [fact("região onde o frete mais pesa", [t[0][3]], [t[0][0]]),
            fact("região onde o frete menos pesa", [t[-1][3]], [t[-1][0]]),
            fact("frete médio na região mais cara", [t[0][2]])]  # fmt: skip


def _recency(t: list[Row], p: dict[str, Any]) -> list[Fact]:
    _need(t, 3)
    top = _by_max(t, 2)
    first = [fact("clientes na faixa mais recente (0-90 dias)", [t[0][1]], ["0-90"], tolerance=0.01)] if t[0][0] == "0-90" else []  # fmt: skip
    return first + [fact("maior faixa de clientes", [top[2]], [top[0]]),
                    fact("percentual de recorrentes na maior faixa", [top[3]], tolerance=0.05)]  # fmt: skip


_STATE = "c.customer_state = '{state}'"
_YEAR = "year(o.order_purchase_timestamp) = {year}"
_MONTH = "strftime(o.order_purchase_timestamp, '%Y-%m')"
_PERIOD = (
    "o.order_purchase_timestamp >= TIMESTAMP '{start}' AND o.order_purchase_timestamp < TIMESTAMP '{end}'"
)
_QUARTER = "strftime(o.order_purchase_timestamp, '%Y') || '-T' || quarter(o.order_purchase_timestamp)"

INSIGHT_TEMPLATES: tuple[InsightTemplate, ...] = (
    InsightTemplate("late_vs_ontime_state", "comparison", ("state",),
        "Para clientes de {state_name} ({state}), compare a experiência de quem recebeu o pedido com atraso com a de "
        "quem recebeu no prazo. Qual é o tamanho da diferença e o que ela indica para o negócio?",
        "Avaliações por situação da entrega — clientes de {state}",
        f"SELECT CASE WHEN {LATE} THEN 'atrasado' ELSE 'no prazo' END AS situacao, count(*) AS avaliacoes, "
        "round(avg(r.review_score), 2) AS nota_media, round(100.0 * avg((r.review_score = 1)::INT), 1) AS pct_nota_1 "
        f"FROM orders o JOIN customers c USING (customer_id) JOIN order_reviews r USING (order_id) "
        f"WHERE {DELIVERED} AND {_STATE} GROUP BY situacao ORDER BY situacao",
        _late_vs_ontime, "Deve quantificar a queda de nota com atraso no estado e tratar atraso como alavanca."),
    InsightTemplate("payments_state", "comparison", ("state",),
        "Compare os meios de pagamento usados por clientes de {state_name}: qual domina em número de pagamentos, "
        "qual tem o maior ticket médio e qual o menor? O que isso sugere?",
        "Pagamentos por tipo — clientes de {state}",
        "SELECT pay.payment_type, count(*) AS pagamentos, round(100.0 * count(*) / sum(count(*)) OVER (), 1) AS pct, "
        "round(avg(pay.payment_value), 2) AS valor_medio FROM order_payments pay JOIN orders o USING (order_id) "
        f"JOIN customers c USING (customer_id) WHERE {_STATE} AND pay.payment_type <> 'not_defined' "
        "GROUP BY pay.payment_type ORDER BY pagamentos DESC, pay.payment_type",
        _payments, "Deve citar o meio dominante com a participação e contrastar os tickets médios."),
    InsightTemplate("payments_year", "comparison", ("year",),
        "Nos pedidos feitos em {year}, compare os meios de pagamento: participação, ticket médio maior e menor. "
        "Que ações comerciais isso sugere?",
        "Pagamentos por tipo — pedidos de {year}",
        "SELECT pay.payment_type, count(*) AS pagamentos, round(100.0 * count(*) / sum(count(*)) OVER (), 1) AS pct, "
        "round(avg(pay.payment_value), 2) AS valor_medio FROM order_payments pay JOIN orders o USING (order_id) "
        f"WHERE {_YEAR} AND pay.payment_type <> 'not_defined' GROUP BY pay.payment_type ORDER BY pagamentos DESC, "
        "pay.payment_type",
        _payments, "Deve citar o meio dominante e o ticket de cada extremo; recomendações sobre parcelamento contam."),
    InsightTemplate("top_categories_state", "comparison", ("state",),
        "Entre as 5 categorias de maior receita nas compras de clientes de {state_name}, compare receita, volume e "
        "preço médio. Qual vende mais caro e qual depende mais de volume?",
        "Categorias de maior receita — clientes de {state}",
        "SELECT p.product_category_name AS categoria, round(sum(i.price), 2) AS receita, count(*) AS itens, "
        "round(avg(i.price), 2) AS preco_medio FROM order_items i JOIN products p USING (product_id) "
        f"JOIN orders o USING (order_id) JOIN customers c USING (customer_id) WHERE {_STATE} "
        "AND p.product_category_name IS NOT NULL GROUP BY 1 ORDER BY sum(i.price) DESC, categoria LIMIT 5",
        _top_categories, "Deve distinguir receita puxada por preço de receita puxada por volume."),
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
        f"JOIN pay USING (order_id) WHERE {DELIVERED} AND {_YEAR} AND c.customer_state IN ({{region_states}}) "
        "GROUP BY 1 ORDER BY pedidos DESC, estado",
        _region_states, "Deve diferenciar volume de desempenho e apontar o estado com pior atraso, com números."),
    InsightTemplate("monthly_orders_state", "trend", ("state", "year"),
        "Descreva a evolução mensal dos pedidos de clientes de {state_name} em {year}. Houve picos ou quedas?",
        "Pedidos por mês — clientes de {state}, {year}",
        f"SELECT {_MONTH} AS mes, count(*) AS pedidos FROM orders o JOIN customers c USING (customer_id) "
        f"WHERE {_STATE} AND {_YEAR} GROUP BY mes ORDER BY mes",
        _monthly_counts, "Deve identificar o mês de pico e o de menor volume, com números, e o total do ano."),
    InsightTemplate("monthly_revenue_category", "trend", ("category", "year"),
        "Como evoluiu mês a mês a receita da categoria {category} em {year}? Em que mês ela foi maior e como "
        "terminou o ano em relação ao início?",
        "Receita mensal da categoria {category} em {year}",
        f"SELECT {_MONTH} AS mes, round(sum(i.price), 2) AS receita FROM order_items i JOIN products p "
        "USING (product_id) JOIN orders o USING (order_id) WHERE p.product_category_name = '{category}' "
        f"AND {_YEAR} GROUP BY mes ORDER BY mes",
        _monthly_revenue, "Deve apontar o mês de maior receita e comparar início e fim do período, com números."),
    InsightTemplate("monthly_late_period", "trend", ("period",),
        "Analise a taxa de atraso mês a mês entre {m1_name} e {m2_name} de {year}. Em quais meses ela disparou e como "
        "isso se relaciona com o volume?",
        "Atraso por mês — {m1_name} a {m2_name} de {year}",
        f"SELECT {_MONTH} AS mes, count(*) AS entregues, round(100.0 * avg(({LATE})::INT), 1) AS pct_atraso "
        f"FROM orders o WHERE {DELIVERED} AND {_PERIOD} GROUP BY mes ORDER BY mes",
        _monthly_late, "Deve apontar os meses de pico e de mínimo de atraso e relacionar com o volume."),
    InsightTemplate("quarterly_ticket_payment", "trend", ("payment",),
        "Como evoluiu, trimestre a trimestre, o ticket médio dos pedidos pagos com {payment_pt}? Está subindo, "
        "caindo ou estável?",
        "Ticket médio por trimestre — pagamentos via {payment}",
        "WITH pay AS (SELECT order_id, sum(payment_value) AS total FROM order_payments WHERE payment_type = "
        f"'{{payment}}' GROUP BY order_id) SELECT {_QUARTER} AS trimestre, count(*) AS pedidos, "
        "round(avg(pay.total), 2) AS ticket_medio FROM orders o JOIN pay USING (order_id) "
        "WHERE o.order_purchase_timestamp >= TIMESTAMP '2017-01-01' AND o.order_purchase_timestamp < "
        "TIMESTAMP '2018-07-01' GROUP BY trimestre ORDER BY trimestre",
        _quarterly_ticket, "Boa resposta compara primeiro e último trimestre e não inventa tendência."),
    InsightTemplate("monthly_score_state", "trend", ("state", "year"),
        "Como evoluiu a nota média das avaliações de clientes de {state_name} ao longo de {year}? Há quedas e qual a "
        "provável causa, à luz da taxa de atraso?",
        "Nota média e atraso por mês — clientes de {state}, {year}",
        f"SELECT {_MONTH} AS mes, round(avg(r.review_score), 2) AS nota_media, "
        f"round(100.0 * avg(({LATE})::INT), 1) AS pct_atraso FROM orders o JOIN customers c USING (customer_id) "
        f"JOIN order_reviews r USING (order_id) WHERE {DELIVERED} AND {_STATE} AND {_YEAR} GROUP BY mes ORDER BY mes",
        _monthly_score, "Deve ligar as quedas de nota aos meses de atraso alto, com números."),
    InsightTemplate("logistics_states_year", "recommendation", ("year", "min_n"),
        "Considerando os pedidos de {year}, em quais estados (com pelo menos {min_n} entregas) a empresa deveria "
        "priorizar melhorias logísticas? Justifique com números e proponha ações.",
        "Atraso e nota por estado em {year} (estados com pelo menos {min_n} entregas)",
        "SELECT c.customer_state AS estado, count(*) AS entregues, "
        f"round(100.0 * avg(({LATE})::INT), 1) AS pct_atraso, round(avg(r.review_score), 2) AS nota_media "
        "FROM orders o JOIN customers c USING (customer_id) LEFT JOIN order_reviews r USING (order_id) "
        f"WHERE {DELIVERED} AND {_YEAR} GROUP BY 1 HAVING count(*) >= {{min_n}} ORDER BY pct_atraso DESC, estado",
        _logistics_states, "Deve priorizar por impacto (taxa x volume), citar estados e números e propor ações."),
    InsightTemplate("installments_state", "recommendation", ("state",),
        "Como os clientes de {state_name} parcelam as compras no cartão de crédito? Recomende uma estratégia de "
        "parcelamento para o estado.",
        "Parcelamento no cartão de crédito — clientes de {state}",
        "SELECT CASE WHEN pay.payment_installments <= 1 THEN '1x' WHEN pay.payment_installments <= 3 THEN '2-3x' "
        "WHEN pay.payment_installments <= 6 THEN '4-6x' ELSE '7x ou mais' END AS faixa, count(*) AS pagamentos, "
        "round(100.0 * count(*) / sum(count(*)) OVER (), 1) AS pct, round(avg(pay.payment_value), 2) AS valor_medio "
        "FROM order_payments pay JOIN orders o USING (order_id) JOIN customers c USING (customer_id) "
        f"WHERE pay.payment_type = 'credit_card' AND {_STATE} GROUP BY faixa ORDER BY faixa",
        _installments, "Deve relacionar número de parcelas com ticket e sugerir parcelamento condicionado a valor."),
    InsightTemplate("worst_categories_year", "recommendation", ("year", "min_n"),
        "Nos pedidos de {year}, quais categorias (com pelo menos {min_n} avaliações) deveriam ter a qualidade revista "
        "primeiro? Justifique com números e proponha ações.",
        "Categorias com pior nota média em {year} (pelo menos {min_n} avaliações)",
        "SELECT p.product_category_name AS categoria, count(*) AS avaliacoes, round(avg(r.review_score), 2) AS "
        "nota_media, round(100.0 * avg((r.review_score <= 2)::INT), 1) AS pct_notas_baixas FROM order_items i "
        "JOIN products p USING (product_id) JOIN orders o USING (order_id) JOIN order_reviews r USING (order_id) "
        f"WHERE p.product_category_name IS NOT NULL AND {_YEAR} GROUP BY 1 HAVING count(*) >= {{min_n}} "
        "ORDER BY avg(r.review_score), categoria LIMIT 6",
        _worst_categories, "Deve priorizar as categorias de pior nota com números e propor ações por categoria."),
    InsightTemplate("freight_region_category", "recommendation", ("category",),
        "Quanto o frete pesa no preço dos itens da categoria {category} em cada região do país? Que política de "
        "frete você recomendaria para essa categoria?",
        "Frete relativo ao preço por região — categoria {category}",
        f"SELECT {REGION_CASE} AS regiao, count(*) AS itens, round(avg(i.freight_value), 2) AS frete_medio, "
        "round(100.0 * sum(i.freight_value) / sum(i.price), 1) AS frete_pct_preco FROM order_items i "
        "JOIN products p USING (product_id) JOIN orders o USING (order_id) JOIN customers c USING (customer_id) "
        "WHERE p.product_category_name = '{category}' GROUP BY 1 ORDER BY frete_pct_preco DESC, regiao",
        _freight_regions, "Deve citar a disparidade regional com números e propor política de frete."),
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
        _recency, "Deve priorizar clientes recentes ou em risco com números e propor campanhas concretas."),
)  # fmt: skip


def _insight_pools(con: Any) -> dict[str, list[Any]]:
    def values(sql: str) -> list[Any]:
        return [r[0] for r in con.execute(sql).fetchall()]

    months: dict[int, list[int]] = {}
    for year, month in con.execute(
        "SELECT year(order_purchase_timestamp) y, month(order_purchase_timestamp) m FROM orders "
        "GROUP BY y, m HAVING count(*) >= 100 ORDER BY y, m"
    ).fetchall():
        months.setdefault(int(year), []).append(int(month))
    periods = [(y, ms[i], ms[j]) for y, ms in months.items() for i in range(len(ms))
               for j in range(i + 3, min(len(ms), i + 7))]  # fmt: skip
    return {
        "state": values("SELECT customer_state FROM customers GROUP BY 1 HAVING count(*) >= 150 ORDER BY 1"),
        "category": values(
            "SELECT p.product_category_name FROM order_items i JOIN products p USING (product_id) "
            "WHERE p.product_category_name IS NOT NULL GROUP BY 1 HAVING count(*) >= 120 ORDER BY 1"
        ),
        "year": [y for y in (2017, 2018) if y in months],
        "payment": [
            p
            for p in values("SELECT DISTINCT payment_type FROM order_payments ORDER BY 1")
            if p in PAYMENT_PT
        ],
        "region": sorted(REGIONS),
        "period": periods,
        "min_n": [30, 50, 100],
    }


def _fill(
    template: InsightTemplate, rng: random.Random, pools: dict[str, list[Any]], snapshot: str
) -> dict[str, Any]:
    slots: dict[str, Any] = {"snapshot": snapshot}
    for kind in template.params:
        value = rng.choice(pools[kind])
        if kind == "period":
            year, m1, m2 = value
            end = f"{year + 1}-01-01" if m2 == 12 else f"{year}-{m2 + 1:02d}-01"
            slots.update(
                year=year,
                m1_name=MONTHS[m1 - 1],
                m2_name=MONTHS[m2 - 1],
                start=f"{year}-{m1:02d}-01",
                end=end,
            )
        else:
            slots[kind] = value
    if "state" in slots:
        slots["state_name"] = STATE_NAMES.get(slots["state"], slots["state"])
    if "payment" in slots:
        slots["payment_pt"] = PAYMENT_PT[slots["payment"]]
    if "region" in slots:
        slots["region_states"] = ", ".join(f"'{s}'" for s in REGIONS[slots["region"]])
    return slots


def build_insights_examples(
    db_path: Path, n: int, *, seed: int, max_attempts_per_example: int = 20
) -> list[TrainingExample]:
    """``n`` insights prompts over slices of the warehouse, with key facts derived from the shown table.

    Kinds (comparison, trend, recommendation) rotate; each (template, parameters) pair is used once, and a
    slice too thin for its question is skipped.

    Args:
        db_path: the training warehouse (opened through ``sandbox_connection``).
        n: number of examples (fewer if the parameter space runs out).
        seed: seeds the parameter draws.
        max_attempts_per_example: give up after ``n * max_attempts_per_example`` draws.

    Returns:
        Examples with ground truth ``{"key_facts": [...], "rubric": [hint]}`` and the table SQL in ``source``.
    """
    info = warehouse_info(db_path)
    con = sandbox_connection(db_path)
    try:
        snapshot = str(con.execute("SELECT max(order_purchase_timestamp) FROM orders").fetchone()[0])
        pools = _insight_pools(con)
        by_kind: dict[str, list[InsightTemplate]] = {}
        for template in INSIGHT_TEMPLATES:
            by_kind.setdefault(template.kind, []).append(template)
        kinds = sorted(by_kind)
        rng = random.Random(seed)
        seen: set[tuple[str, str]] = set()
        examples: list[TrainingExample] = []
        attempts = 0
        while len(examples) < n and attempts < n * max_attempts_per_example:
            kind = kinds[attempts % len(kinds)]
            attempts += 1
            template = rng.choice(by_kind[kind])
            slots = _fill(template, rng, pools, snapshot)
            question = template.question.format(**slots)
            if (template.name, question) in seen:
                continue
            seen.add((template.name, question))
            title, sql = template.title.format(**slots), template.sql.format(**slots)
            cur = con.execute(sql)
            columns, rows = [d[0] for d in cur.description], cur.fetchall()
            try:
                facts = template.facts(rows, slots)
            except _NotEnoughData:
                continue
            table = render_table(title, columns, rows)
            examples.append(
                TrainingExample(
                    id=f"train-ins-{len(examples) + 1:05d}",
                    task="insights",
                    prompt=[
                        {"role": "system", "content": SYSTEM_PROMPTS["insights"]},
                        {"role": "user", "content": INSIGHTS_PROMPT.format(tables=table, question=question)},
                    ],
                    ground_truth={"key_facts": facts, "rubric": [template.hint]},
                    source={"dataset": "warehouse", "template": template.name,
                            "params": {k: slots[k] for k in slots if k in template.params or k in
                                       ("year", "m1_name", "m2_name")},
                            "tables": [{"title": title, "sql": sql}], "warehouse": info},
                    label_source="synthetic",
                    difficulty=template.kind,
                )
            )  # fmt: skip
        return examples
    finally:
        con.close()

"""The 15 insight items: open questions over small tables computed from the benchmark warehouse.

Each item stores the SQL of its tables (``source.tables``), so ``tucano bench validate`` can recompute
them and check that the prompt still shows exactly these numbers. Key facts are derived from the
table rows by the functions below; each fact is ``{"text", "numbers", "entities", "tolerance"}``:
covered when every number appears in the answer within the relative tolerance and every entity is
named (see ``tucano_commerce.scoring`` key_fact_coverage).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tucano_commerce.tasks._facts import DELIVERED, LATE, Fact, fact

Row = tuple[Any, ...]


def by_max(rows: list[Row], col: int) -> Row:
    return max(rows, key=lambda r: (r[col], str(r[0])))


def by_min(rows: list[Row], col: int) -> Row:
    return min(rows, key=lambda r: (r[col], str(r[0])))


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
     lambda t: [
         fact("nota média dos pedidos atrasados", [t[0][0][2]]),
         fact("nota média dos pedidos no prazo", [t[0][1][2]]),
         fact("diferença de nota entre no prazo e atrasado", [t[0][1][2] - t[0][0][2]], tolerance=0.05),
         fact("percentual de notas 1 entre atrasados", [t[0][0][3]]),
     ],
     "Deve quantificar a queda de nota com atraso e tratar atraso como alavanca de satisfação; bônus por citar a "
     "concentração de notas 1."),
    ("comparison",
     "Compare os meios de pagamento: qual domina em número de pagamentos, qual tem o maior ticket médio e qual o menor? "
     "O que isso sugere?",
     [("Pagamentos por tipo",
       "SELECT payment_type, count(*) AS pagamentos, round(100.0 * count(*) / sum(count(*)) OVER (), 1) AS pct, "
       "round(avg(payment_value), 2) AS valor_medio FROM order_payments GROUP BY payment_type ORDER BY pagamentos DESC")],
     lambda t: [
         fact("meio de pagamento dominante e sua participação", [t[0][0][2]], [str(t[0][0][0])]),
         fact("maior ticket médio", [by_max(t[0], 3)[3]], [str(by_max(t[0], 3)[0])]),
         fact("menor ticket médio", [by_min(t[0], 3)[3]], [str(by_min(t[0], 3)[0])]),
     ],
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
     lambda t: [
         fact("estado com maior taxa de atraso entre os 5", [by_max(t[0], 3)[3]], [str(by_max(t[0], 3)[0])]),
         fact("estado com maior tempo médio de entrega", [by_max(t[0], 2)[2]], [str(by_max(t[0], 2)[0])]),
         fact("SP concentra o maior volume", [t[0][0][1]], [str(t[0][0][0])]),
     ],
     "Deve apontar o estado de pior atraso com o número e diferenciar volume de desempenho."),
    ("comparison",
     "Entre as 6 categorias de maior receita, compare receita, volume e preço médio. Qual categoria vende mais caro e "
     "qual depende mais de volume?",
     [("Categorias de maior receita",
       "SELECT p.product_category_name AS categoria, round(sum(i.price), 2) AS receita, count(*) AS itens, "
       "round(avg(i.price), 2) AS preco_medio FROM order_items i JOIN products p USING (product_id) "
       "WHERE p.product_category_name IS NOT NULL GROUP BY 1 ORDER BY receita DESC LIMIT 6")],
     lambda t: [
         fact("categoria de maior receita", [t[0][0][1]], [str(t[0][0][0])], tolerance=0.01),
         fact("categoria de maior preço médio", [by_max(t[0], 3)[3]], [str(by_max(t[0], 3)[0])]),
         fact("categoria com mais itens vendidos", [by_max(t[0], 2)[2]], [str(by_max(t[0], 2)[0])]),
     ],
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
     lambda t: [
         fact("percentual de clientes recorrentes", [t[0][0][2]], tolerance=0.05),
         fact("gasto médio dos recorrentes", [t[0][0][3]]),
         fact("gasto médio de quem comprou uma vez", [t[0][1][3]]),
     ],
     "Deve notar que recorrentes são poucos (~3 %) e gastam mais; recomendar retenção conta a favor."),
    # ---- trend --------------------------------------------------------------------------------
    ("trend",
     "Descreva a evolução do volume de pedidos de janeiro de 2017 a agosto de 2018. Houve picos? Como o primeiro "
     "semestre de 2018 se compara ao de 2017?",
     [("Pedidos por mês",
       "SELECT strftime(order_purchase_timestamp, '%Y-%m') AS mes, count(*) AS pedidos FROM orders "
       "WHERE order_purchase_timestamp >= TIMESTAMP '2017-01-01' AND order_purchase_timestamp < TIMESTAMP '2018-09-01' "
       "GROUP BY mes ORDER BY mes")],
     lambda t: [
         fact("mês de pico", [by_max(t[0], 1)[1]], [str(by_max(t[0], 1)[0])], tolerance=0.01),
         fact("pedidos no 1º semestre de 2017", [sum(r[1] for r in t[0] if "2017-01" <= r[0] <= "2017-06")], tolerance=0.01),
         fact("pedidos no 1º semestre de 2018", [sum(r[1] for r in t[0] if "2018-01" <= r[0] <= "2018-06")], tolerance=0.01),
     ],
     "O pico de novembro de 2017 (Black Friday) deve ser identificado; crescimento forte de 2017 para 2018."),
    ("trend",
     "Analise a taxa de atraso mês a mês. Em quais meses ela disparou e como isso se relaciona com o volume?",
     [("Atraso por mês",
       "SELECT strftime(o.order_purchase_timestamp, '%Y-%m') AS mes, count(*) AS entregues, "
       f"round(100.0 * avg(({LATE})::INT), 1) AS pct_atraso FROM orders o WHERE {DELIVERED} "
       "AND o.order_purchase_timestamp >= TIMESTAMP '2017-01-01' AND o.order_purchase_timestamp < TIMESTAMP '2018-09-01' "
       "GROUP BY mes ORDER BY mes")],
     lambda t: [
         fact("mês de maior taxa de atraso", [by_max(t[0], 2)[2]], [str(by_max(t[0], 2)[0])]),
         fact("taxa de atraso em novembro de 2017", [next(r[2] for r in t[0] if r[0] == "2017-11")], ["2017-11"]),
         fact("menor taxa de atraso do período", [by_min(t[0], 2)[2]], tolerance=0.05),
     ],
     "Deve apontar os picos (nov/2017 e fev-mar/2018) com números e relacionar com a pressão de volume."),
    ("trend",
     "Como evoluiu a nota média das avaliações por mês? Há quedas e qual a provável causa, à luz da taxa de atraso?",
     [("Nota média e atraso por mês",
       "SELECT strftime(o.order_purchase_timestamp, '%Y-%m') AS mes, round(avg(r.review_score), 2) AS nota_media, "
       f"round(100.0 * avg(({LATE})::INT), 1) AS pct_atraso FROM orders o JOIN order_reviews r USING (order_id) "
       f"WHERE {DELIVERED} AND o.order_purchase_timestamp >= TIMESTAMP '2017-01-01' "
       "AND o.order_purchase_timestamp < TIMESTAMP '2018-09-01' GROUP BY mes ORDER BY mes")],
     lambda t: [
         fact("mês de menor nota média", [by_min(t[0], 1)[1]], [str(by_min(t[0], 1)[0])]),
         fact("taxa de atraso nesse mês", [by_min(t[0], 1)[2]]),
         fact("mês de maior nota média", [by_max(t[0], 1)[1]], [str(by_max(t[0], 1)[0])]),
     ],
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
     lambda t: [
         fact("ticket médio no primeiro trimestre", [t[0][0][2]], [str(t[0][0][0])]),
         fact("ticket médio no último trimestre", [t[0][-1][2]], [str(t[0][-1][0])]),
         fact("maior ticket médio trimestral", [by_max(t[0], 2)[2]]),
     ],
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
     lambda t: [
         fact(f"receita de {cat} no 1º e no último trimestre",
              [next(r[2] for r in t[0] if r[0] == cat and r[1] == "2017-T1"),
               next(r[2] for r in t[0] if r[0] == cat and r[1] == "2018-T2")], [cat], tolerance=0.01)
         for cat in sorted({r[0] for r in t[0]})
     ],
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
     lambda t: [
         fact("estado com maior taxa de atraso", [t[0][0][2]], [str(t[0][0][0])]),
         fact("segundo estado com maior taxa de atraso", [t[0][1][2]], [str(t[0][1][0])]),
         fact("estado com maior volume de entregas", [by_max(t[0], 1)[1]], [str(by_max(t[0], 1)[0])], tolerance=0.01),
     ],
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
     lambda t: [
         fact("região onde o frete mais pesa", [t[0][0][3]], [str(t[0][0][0])]),
         fact("região onde o frete menos pesa", [t[0][-1][3]], [str(t[0][-1][0])]),
         fact("frete médio na região mais cara", [t[0][0][2]]),
     ],
     "Deve citar a disparidade regional com números e propor política (frete subsidiado, mínimo para frete grátis, CDs)."),
    ("recommendation",
     "Como os clientes parcelam as compras no cartão de crédito? Recomende uma estratégia de parcelamento.",
     [("Parcelamento no cartão de crédito",
       "SELECT CASE WHEN payment_installments <= 1 THEN '1x' WHEN payment_installments <= 3 THEN '2-3x' "
       "WHEN payment_installments <= 6 THEN '4-6x' ELSE '7x ou mais' END AS faixa, count(*) AS pagamentos, "
       "round(100.0 * count(*) / sum(count(*)) OVER (), 1) AS pct, round(avg(payment_value), 2) AS valor_medio "
       "FROM order_payments WHERE payment_type = 'credit_card' GROUP BY faixa ORDER BY faixa")],
     lambda t: [
         fact("faixa de parcelamento mais comum", [by_max(t[0], 2)[2]], [str(by_max(t[0], 2)[0])]),
         fact("valor médio na faixa de 7x ou mais", [next(r[3] for r in t[0] if r[0] == "7x ou mais")], ["7x"]),
         fact("valor médio à vista (1x)", [next(r[3] for r in t[0] if r[0] == "1x")], ["1x"]),
     ],
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
     lambda t: [
         fact("tema mais frequente", [t[0][0][2]], [str(t[0][0][0])]),
         fact("segundo tema mais frequente", [t[0][1][2]], [str(t[0][1][0])]),
     ],
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
     lambda t: [
         fact("clientes na faixa mais recente (0-90 dias)", [t[0][0][1]], ["0-90"], tolerance=0.01),
         fact("maior faixa de clientes", [by_max(t[0], 2)[2]], [str(by_max(t[0], 2)[0])]),
     ],
     "Deve priorizar clientes recentes/recorrentes em risco (91-180 dias) e justificar com os números; campanhas concretas."),
]  # fmt: skip

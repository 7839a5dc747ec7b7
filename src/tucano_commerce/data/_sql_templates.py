"""Template-generated text-to-SQL training prompts over the training warehouse.

Each ``SqlTemplate`` is one query shape (filters, joins, aggregates, GROUP BY + ORDER BY + LIMIT, HAVING,
window functions, ROUND) with 2-4 pt-BR paraphrases of its question. Slots (state, category, year, month
range, payment type, score ...) are filled from values that actually occur in the warehouse, read through
``sandbox_connection``. Whenever a query has ``ORDER BY ... LIMIT``, the SQL carries a deterministic
tie-breaker and the question states it. Every gold query is run through ``lint_gold`` on all the given
warehouses (the training one and a second-seed variant); candidates that fail are dropped and counted.

Prompts are built with the benchmark's own ``sql_prompt`` and system prompt, so a training prompt looks
exactly like a benchmark prompt with another question. Templates that reproduce a benchmark item (its
question or SQL skeleton with a slot or a filter added) stay in ``SQL_TEMPLATES`` but are marked held out
in ``data._heldout`` and never drawn.
"""

from __future__ import annotations

import json
import logging
import random
import string
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tucano_commerce._ptbr import MONTHS
from tucano_commerce.data._heldout import training_templates
from tucano_commerce.data._pools import read_pools
from tucano_commerce.data._records import TrainingExample
from tucano_commerce.errors import DataError
from tucano_commerce.sql import lint_gold, sandbox_connection
from tucano_commerce.tasks._contracts import SYSTEM_PROMPTS
from tucano_commerce.tasks._prompts import sql_prompt
from tucano_commerce.warehouse import DELIVERED, LATE, PERIOD, YEAR

__all__ = ["SQL_TEMPLATES", "SqlBuildReport", "SqlTemplate", "build_sql_examples", "generate_sql_examples"]

log = logging.getLogger(__name__)

STATUS_PT = {"delivered": "entregue", "shipped": "enviado", "canceled": "cancelado",
             "unavailable": "indisponível", "invoiced": "faturado", "processing": "em processamento",
             "approved": "aprovado", "created": "criado"}  # fmt: skip
PAYMENT_PT = {"credit_card": "cartão de crédito", "boleto": "boleto", "voucher": "voucher",
              "debit_card": "cartão de débito"}  # fmt: skip


@dataclass(frozen=True)
class SqlTemplate:
    """One query shape: its name, difficulty, question paraphrases and gold SQL (``str.format`` slots)."""

    name: str
    difficulty: str  # simple | join | aggregate, as in the benchmark
    questions: tuple[str, ...]
    sql: str


def _t(name: str, difficulty: str, sql: str, *questions: str) -> SqlTemplate:
    return SqlTemplate(name, difficulty, tuple(questions), sql)


TIE_CAT = "em caso de empate, em ordem alfabética da categoria"
SQL_TEMPLATES: tuple[SqlTemplate, ...] = (
    # ---- simple: one table, filters, one aggregate --------------------------------------------------
    _t("orders_by_status", "simple", "SELECT count(*) AS pedidos FROM orders WHERE order_status = '{status}'",
       "Quantos pedidos têm o status '{status}' ({status_pt})?",
       "Qual é o número de pedidos com order_status igual a '{status}'?",
       "Conte os pedidos cujo status é '{status}' ({status_pt})."),
    _t("customers_in_state", "simple",
       "SELECT count(DISTINCT customer_unique_id) AS clientes FROM customers WHERE customer_state = '{state}'",
       "Quantas pessoas diferentes (customer_unique_id) são clientes no estado {state}?",
       "Conte os clientes únicos, pelo customer_unique_id, com endereço no estado {state}.",
       "Qual é o número de clientes distintos (customer_unique_id) do estado {state}?"),
    _t("orders_in_period", "simple",
       "SELECT count(*) AS pedidos FROM orders o WHERE " + PERIOD,
       "Quantos pedidos foram feitos entre {m1_name} e {m2_name} de {year}, incluindo os dois meses?",
       "Qual é o número de pedidos comprados de {m1_name} a {m2_name} de {year} (meses inclusive)?",
       "Conte os pedidos cuja data de compra cai entre o início de {m1_name} e o fim de {m2_name} de {year}."),
    _t("avg_payment_by_type", "simple",
       "SELECT round(avg(payment_value), 2) AS valor_medio FROM order_payments WHERE payment_type = '{payment}'",
       "Qual é o valor médio dos pagamentos do tipo '{payment}' ({payment_pt})? Arredonde para 2 casas decimais.",
       "Em média, quanto vale um registro de pagamento feito com {payment_pt} ('{payment}')? Use 2 casas decimais."),
    _t("reviews_with_score", "simple",
       "SELECT count(*) AS avaliacoes FROM order_reviews WHERE review_score = {score}",
       "Quantas avaliações receberam nota {score}?",
       "Qual é o total de avaliações com review_score igual a {score}?"),
    _t("reviews_with_comment", "simple",
       "SELECT count(*) AS avaliacoes FROM order_reviews WHERE review_score = {score} "
       "AND review_comment_message IS NOT NULL",
       "Quantas avaliações com nota {score} trazem um comentário escrito (review_comment_message preenchido)?",
       "Entre as avaliações de nota {score}, quantas têm texto de comentário?"),
    _t("items_above_price", "simple", "SELECT count(*) AS itens FROM order_items WHERE price > {price}",
       "Quantos itens vendidos custaram mais de R$ {price} (price maior que {price})?",
       "Conte os itens de pedido com preço acima de R$ {price}."),
    _t("payments_installments", "simple",
       "SELECT round(sum(payment_value), 2) AS total FROM order_payments WHERE payment_installments >= {inst}",
       "Qual é a soma dos pagamentos feitos em {inst} parcelas ou mais? Arredonde para 2 casas decimais.",
       "Quanto foi pago, no total, em pagamentos com pelo menos {inst} parcelas? Use 2 casas decimais."),
    _t("products_in_category", "simple",
       "SELECT count(*) AS produtos FROM products WHERE product_category_name = '{category}'",
       "Quantos produtos do catálogo são da categoria '{category}'?",
       "Qual é o número de produtos cadastrados na categoria '{category}'?"),
    _t("sellers_in_state", "simple", "SELECT count(*) AS vendedores FROM sellers WHERE seller_state = '{seller_state}'",
       "Quantos vendedores estão localizados no estado {seller_state}?",
       "Conte os vendedores cadastrados com seller_state igual a '{seller_state}'."),
    _t("status_counts_year", "simple",
       "SELECT order_status, count(*) AS pedidos FROM orders o WHERE " + YEAR
       + " GROUP BY order_status ORDER BY pedidos DESC, order_status",
       "Liste cada status de pedido com o número de pedidos comprados em {year}, do mais frequente para o menos "
       "frequente (empates em ordem alfabética do status).",
       "Para os pedidos feitos em {year}, quantos há em cada order_status? Ordene do maior para o menor número "
       "e, em caso de empate, pelo status em ordem alfabética."),
    _t("freight_range_price", "simple",
       "SELECT min(freight_value) AS menor_frete, max(freight_value) AS maior_frete FROM order_items "
       "WHERE price > {price}",
       "Qual é o menor e o maior valor de frete (freight_value) entre os itens com preço acima de R$ {price}?",
       "Para itens que custaram mais de R$ {price}, quais são o frete mínimo e o frete máximo?"),
    _t("avg_installments_card", "simple",
       "SELECT round(avg(payment_installments), 2) AS parcelas_medias FROM order_payments "
       "WHERE payment_type = 'credit_card' AND payment_value > {price}",
       "Qual é o número médio de parcelas dos pagamentos com cartão de crédito de valor acima de R$ {price}? "
       "Arredonde para 2 casas decimais.",
       "Em média, em quantas parcelas são divididos os pagamentos no cartão de crédito maiores que R$ {price}? "
       "Use 2 casas decimais."),
    # ---- join: two to four tables -------------------------------------------------------------------
    _t("category_revenue", "join",
       "SELECT round(sum(i.price), 2) AS receita FROM order_items i JOIN products p USING (product_id) "
       "WHERE p.product_category_name = '{category}'",
       "Qual é a receita total (soma de price) dos itens da categoria '{category}'? Arredonde para 2 casas decimais.",
       "Quanto somam os preços de todos os itens vendidos da categoria '{category}'? Use 2 casas decimais."),
    _t("category_revenue_year", "join",
       "SELECT round(sum(i.price), 2) AS receita FROM order_items i JOIN products p USING (product_id) "
       "JOIN orders o USING (order_id) WHERE p.product_category_name = '{category}' AND " + YEAR,
       "Quanto a categoria '{category}' faturou em preço de itens (soma de price) em pedidos feitos em {year}? "
       "Arredonde para 2 casas decimais.",
       "Qual foi a receita de itens da categoria '{category}' nos pedidos comprados em {year}, com 2 casas decimais?"),
    _t("top_products_category", "join",
       "SELECT i.product_id, count(*) AS itens FROM order_items i JOIN products p USING (product_id) "
       "WHERE p.product_category_name = '{category}' GROUP BY i.product_id ORDER BY itens DESC, i.product_id LIMIT {k}",
       "Quais são os {k} produtos (product_id) da categoria '{category}' com mais itens vendidos? Mostre o "
       "product_id e a quantidade, da maior para a menor; em caso de empate, pelo product_id em ordem alfabética.",
       "Liste os {k} product_id mais vendidos (em número de itens) da categoria '{category}', com a quantidade, "
       "em ordem decrescente e desempate pelo product_id crescente."),
    _t("delivered_state_year", "join",
       "SELECT count(*) AS pedidos FROM orders o JOIN customers c USING (customer_id) "
       "WHERE c.customer_state = '{state}' AND o.order_status = 'delivered' AND " + YEAR,
       "Quantos pedidos de clientes do estado {state} feitos em {year} foram entregues (status 'delivered')?",
       "Conte os pedidos comprados em {year} por clientes de {state} que estão com status 'delivered'."),
    _t("top_cities_state", "join",
       "SELECT c.customer_city AS cidade, count(*) AS pedidos FROM orders o JOIN customers c USING (customer_id) "
       "WHERE c.customer_state = '{state}' GROUP BY c.customer_city ORDER BY pedidos DESC, cidade LIMIT {k}",
       "Quais são as {k} cidades do estado {state} com mais pedidos? Mostre a cidade e o número de pedidos, do "
       "maior para o menor, com empates em ordem alfabética da cidade.",
       "Liste as {k} cidades de {state} que mais fizeram pedidos, com a contagem, em ordem decrescente "
       "(desempate: nome da cidade em ordem alfabética)."),
    _t("seller_state_freight", "join",
       "SELECT round(sum(i.freight_value), 2) AS frete_total FROM order_items i JOIN sellers s USING (seller_id) "
       "WHERE s.seller_state = '{seller_state}'",
       "Qual é o valor total de frete (soma de freight_value) dos itens vendidos por vendedores do estado "
       "{seller_state}? Arredonde para 2 casas decimais.",
       "Quanto somam os fretes dos itens cujos vendedores ficam em {seller_state}? Use 2 casas decimais."),
    _t("top_sellers_state", "join",
       "SELECT i.seller_id, round(sum(i.price), 2) AS receita FROM order_items i JOIN sellers s USING (seller_id) "
       "WHERE s.seller_state = '{seller_state}' GROUP BY i.seller_id ORDER BY sum(i.price) DESC, i.seller_id LIMIT {k}",
       "Quais são os {k} vendedores (seller_id) do estado {seller_state} com maior receita em preço de itens? "
       "Mostre o seller_id e a receita arredondada para 2 casas, da maior para a menor; empates pelo seller_id.",
       "Liste os {k} seller_id de {seller_state} que mais faturaram (soma de price), com a receita com 2 casas "
       "decimais, em ordem decrescente e desempate pelo seller_id em ordem alfabética."),
    _t("review_avg_period", "join",
       "SELECT round(avg(r.review_score), 2) AS nota_media FROM orders o JOIN order_reviews r USING (order_id) "
       "WHERE " + PERIOD,
       "Qual é a nota média das avaliações dos pedidos comprados entre {m1_name} e {m2_name} de {year} (meses "
       "inclusive)? Arredonde para 2 casas decimais.",
       "Para os pedidos feitos de {m1_name} a {m2_name} de {year}, qual foi a média de review_score, com 2 casas?"),
    _t("reviews_status_score", "join",
       "SELECT count(DISTINCT o.order_id) AS pedidos FROM orders o JOIN order_reviews r USING (order_id) "
       "WHERE o.order_status = '{status}' AND r.review_score = {score}",
       "Quantos pedidos com status '{status}' receberam avaliação com nota {score}?",
       "Conte os pedidos distintos com order_status '{status}' que têm alguma avaliação de nota {score}."),
    _t("category_english_items", "join",
       "SELECT t.product_category_name_english AS categoria_en, count(*) AS itens FROM order_items i "
       "JOIN products p USING (product_id) JOIN product_category_name_translation t USING (product_category_name) "
       "WHERE p.product_category_name = '{category}' GROUP BY t.product_category_name_english",
       "Qual é o nome em inglês da categoria '{category}' e quantos itens dela foram vendidos?",
       "Para a categoria '{category}', retorne o nome da categoria em inglês e o número de itens vendidos."),
    _t("payment_state_total", "join",
       "SELECT round(sum(pay.payment_value), 2) AS total FROM order_payments pay JOIN orders o USING (order_id) "
       "JOIN customers c USING (customer_id) WHERE pay.payment_type = '{payment}' AND c.customer_state = '{state}'",
       "Qual é o valor total pago via {payment_pt} ('{payment}') por clientes do estado {state}? Arredonde para 2 "
       "casas decimais.",
       "Quanto os clientes de {state} pagaram, somando os pagamentos do tipo '{payment}'? Use 2 casas decimais."),
    _t("avg_price_category_state", "join",
       "SELECT round(avg(i.price), 2) AS preco_medio FROM order_items i JOIN products p USING (product_id) "
       "JOIN orders o USING (order_id) JOIN customers c USING (customer_id) "
       "WHERE p.product_category_name = '{category}' AND c.customer_state = '{state}'",
       "Qual é o preço médio dos itens da categoria '{category}' comprados por clientes do estado {state}? "
       "Arredonde para 2 casas decimais.",
       "Em média, quanto custou um item da categoria '{category}' vendido para clientes de {state}? Use 2 casas."),
    _t("distinct_sellers_category", "join",
       "SELECT count(DISTINCT i.seller_id) AS vendedores FROM order_items i JOIN products p USING (product_id) "
       "WHERE p.product_category_name = '{category}'",
       "Quantos vendedores distintos venderam pelo menos um item da categoria '{category}'?",
       "Conte os seller_id diferentes que têm vendas na categoria '{category}'."),
    _t("min_max_payment_year", "join",
       "SELECT min(pay.payment_value) AS menor, max(pay.payment_value) AS maior FROM order_payments pay "
       "JOIN orders o USING (order_id) WHERE pay.payment_type = '{payment}' AND " + YEAR,
       "Qual foi o menor e o maior valor de pagamento via {payment_pt} ('{payment}') em pedidos feitos em {year}?",
       "Nos pedidos comprados em {year}, quais foram os valores mínimo e máximo de um pagamento do tipo "
       "'{payment}'?"),
    # ---- aggregate: GROUP BY, HAVING, windows -------------------------------------------------------
    _t("top_categories_avg_price", "aggregate",
       "SELECT p.product_category_name AS categoria, round(avg(i.price), 2) AS preco_medio FROM order_items i "
       "JOIN products p USING (product_id) WHERE p.product_category_name IS NOT NULL "
       "GROUP BY p.product_category_name HAVING count(*) >= {min_items} "
       "ORDER BY avg(i.price) DESC, categoria LIMIT {k}",
       "Entre as categorias com pelo menos {min_items} itens vendidos, quais são as {k} com maior preço médio por "
       f"item? Mostre a categoria e o preço médio arredondado para 2 casas, do maior para o menor; {TIE_CAT}.",
       "Considerando só categorias com {min_items} ou mais itens vendidos, liste as {k} de maior preço médio, com "
       f"o preço médio (2 casas decimais), em ordem decrescente; {TIE_CAT}."),
    _t("monthly_orders_state", "aggregate",
       "SELECT strftime(o.order_purchase_timestamp, '%Y-%m') AS mes, count(*) AS pedidos FROM orders o "
       "JOIN customers c USING (customer_id) WHERE c.customer_state = '{state}' AND " + YEAR
       + " GROUP BY mes ORDER BY mes",
       "Para cada mês de {year}, mostre o mês no formato 'AAAA-MM' e o número de pedidos de clientes do estado "
       "{state}, em ordem cronológica.",
       "Quantos pedidos os clientes de {state} fizeram em cada mês de {year}? Retorne o mês ('AAAA-MM') e a "
       "contagem, em ordem cronológica."),
    _t("monthly_revenue_category", "aggregate",
       "SELECT strftime(o.order_purchase_timestamp, '%Y-%m') AS mes, round(sum(i.price), 2) AS receita "
       "FROM order_items i JOIN products p USING (product_id) JOIN orders o USING (order_id) "
       "WHERE p.product_category_name = '{category}' AND " + YEAR + " GROUP BY mes ORDER BY mes",
       "Mês a mês em {year}, qual foi a receita (soma de price, arredondada para 2 casas) da categoria "
       "'{category}'? Retorne o mês ('AAAA-MM') e a receita, em ordem cronológica.",
       "Mostre, para cada mês de {year} com vendas da categoria '{category}', o mês no formato 'AAAA-MM' e a soma "
       "dos preços dos itens (2 casas decimais), em ordem cronológica."),
    _t("payment_share_year", "aggregate",
       "SELECT pay.payment_type, round(sum(pay.payment_value), 2) AS total, "
       "round(100.0 * sum(pay.payment_value) / sum(sum(pay.payment_value)) OVER (), 2) AS participacao_pct "
       "FROM order_payments pay JOIN orders o USING (order_id) WHERE " + YEAR
       + " GROUP BY pay.payment_type ORDER BY sum(pay.payment_value) DESC, pay.payment_type",
       "Para cada tipo de pagamento, mostre o valor total pago em pedidos feitos em {year} (2 casas decimais) e a "
       "participação percentual no total do ano (2 casas), do maior para o menor valor; empates pelo tipo.",
       "Qual a participação (%) de cada payment_type no valor pago nos pedidos de {year}? Retorne o tipo, o total "
       "(2 casas) e a participação (2 casas), em ordem decrescente de total e desempate pelo tipo."),
    _t("seller_state_rank", "aggregate",
       "SELECT s.seller_state AS estado, count(*) AS itens, rank() OVER (ORDER BY count(*) DESC) AS posicao "
       "FROM order_items i JOIN sellers s USING (seller_id) JOIN orders o USING (order_id) WHERE " + YEAR
       + " GROUP BY s.seller_state ORDER BY posicao, estado",
       "Faça um ranking dos estados dos vendedores pelo número de itens vendidos em pedidos de {year}: mostre o "
       "estado, a quantidade de itens e a posição (rank, 1 = mais itens), ordenando pela posição e, em empates, "
       "pelo estado.",
       "Para pedidos comprados em {year}, classifique cada seller_state pela quantidade de itens vendidos (rank, "
       "1 = maior). Retorne estado, itens e posição, ordenados pela posição e depois pelo estado."),
    _t("monthly_lag_state", "aggregate",
       "SELECT mes, pedidos, pedidos - lag(pedidos) OVER (ORDER BY mes) AS variacao FROM ("
       "SELECT strftime(o.order_purchase_timestamp, '%Y-%m') AS mes, count(*) AS pedidos FROM orders o "
       "JOIN customers c USING (customer_id) WHERE c.customer_state = '{state}' AND " + PERIOD
       + " GROUP BY mes) ORDER BY mes",
       "Para cada mês de {m1_name} a {m2_name} de {year}, mostre o mês ('AAAA-MM'), o número de pedidos de "
       "clientes do estado {state} e a diferença em relação ao mês anterior (nula no primeiro mês), em ordem "
       "cronológica.",
       "Mês a mês, entre {m1_name} e {m2_name} de {year}, quantos pedidos vieram de clientes de {state} e quanto "
       "isso variou frente ao mês anterior? Retorne mês ('AAAA-MM'), pedidos e variação (nula no primeiro mês)."),
    _t("states_having_orders", "aggregate",
       "SELECT c.customer_state AS estado, count(*) AS pedidos FROM orders o JOIN customers c USING (customer_id) "
       "WHERE " + YEAR + " GROUP BY c.customer_state HAVING count(*) >= {min_orders} ORDER BY pedidos DESC, estado",
       "Quais estados de clientes tiveram pelo menos {min_orders} pedidos em {year}? Mostre o estado e o número "
       "de pedidos, do maior para o menor; empates em ordem alfabética do estado.",
       "Liste os estados com {min_orders} ou mais pedidos comprados em {year}, com a contagem, em ordem "
       "decrescente e desempate pela sigla do estado."),
    _t("score_avg_freight_year", "aggregate",
       "SELECT r.review_score AS nota, round(avg(i.freight_value), 2) AS frete_medio FROM order_items i "
       "JOIN orders o USING (order_id) JOIN order_reviews r USING (order_id) WHERE " + YEAR
       + " GROUP BY r.review_score ORDER BY nota",
       "Para cada nota de avaliação (1 a 5), qual é o frete médio por item dos pedidos comprados em {year}? "
       "Mostre a nota e o frete médio arredondado para 2 casas, ordenados pela nota.",
       "Nos pedidos de {year}, calcule o freight_value médio dos itens para cada review_score. Retorne nota e "
       "frete médio (2 casas decimais), da nota 1 à 5."),
    _t("top_categories_state", "aggregate",
       "SELECT p.product_category_name AS categoria, round(sum(i.price), 2) AS receita FROM order_items i "
       "JOIN products p USING (product_id) JOIN orders o USING (order_id) JOIN customers c USING (customer_id) "
       "WHERE c.customer_state = '{state}' AND p.product_category_name IS NOT NULL "
       "GROUP BY p.product_category_name ORDER BY sum(i.price) DESC, categoria LIMIT {k}",
       "Quais são as {k} categorias de produto com maior receita (soma de price) entre clientes do estado "
       f"{{state}}? Mostre a categoria e a receita arredondada para 2 casas, da maior para a menor; {TIE_CAT}.",
       "Entre os itens comprados por clientes de {state}, quais {k} categorias somam mais receita? Retorne a "
       f"categoria e a receita (2 casas), em ordem decrescente; {TIE_CAT}."),
    _t("late_rate_states", "aggregate",
       f"SELECT c.customer_state AS estado, round(100.0 * avg(({LATE})::INT), 1) AS pct_atraso FROM orders o "
       f"JOIN customers c USING (customer_id) WHERE {DELIVERED} AND " + YEAR
       + f" GROUP BY c.customer_state HAVING count(*) >= {{min_orders}} ORDER BY avg(({LATE})::INT) DESC, estado "
       "LIMIT {k}",
       "Entre os estados com pelo menos {min_orders} pedidos entregues em {year}, quais são os {k} com maior "
       "percentual de entregas atrasadas (entregues depois da data estimada)? Mostre o estado e o percentual "
       "arredondado para 1 casa decimal, do maior para o menor; empates em ordem alfabética do estado.",
       "Considerando pedidos comprados em {year} e entregues, e só estados com {min_orders} ou mais entregas, "
       "liste os {k} estados com maior taxa de atraso (%, 1 casa decimal), em ordem decrescente e desempate "
       "pela sigla."),
    _t("category_share_state", "aggregate",
       "SELECT p.product_category_name AS categoria, count(*) AS itens, "
       "round(100.0 * count(*) / sum(count(*)) OVER (), 2) AS participacao_pct FROM order_items i "
       "JOIN products p USING (product_id) JOIN orders o USING (order_id) JOIN customers c USING (customer_id) "
       "WHERE c.customer_state = '{state}' AND p.product_category_name IS NOT NULL "
       "GROUP BY p.product_category_name ORDER BY itens DESC, categoria LIMIT {k}",
       "Para os itens vendidos a clientes do estado {state} (só produtos com categoria), quais são as {k} "
       "categorias com mais itens? Mostre a categoria, os itens e a participação percentual no total de itens "
       f"com categoria do estado (2 casas), do maior para o menor; {TIE_CAT}.",
       "Liste as {k} categorias mais vendidas em número de itens para clientes de {state}, com a quantidade e a "
       "participação (%) sobre todos os itens com categoria vendidos ao estado, arredondada para 2 casas; "
       f"ordem decrescente, {TIE_CAT}."),
    _t("weekday_orders_year", "aggregate",
       "SELECT dayofweek(o.order_purchase_timestamp) AS dia_semana, count(*) AS pedidos, "
       "round(100.0 * count(*) / sum(count(*)) OVER (), 2) AS participacao_pct FROM orders o WHERE " + YEAR
       + " GROUP BY dia_semana ORDER BY dia_semana",
       "Para os pedidos feitos em {year}, mostre o dia da semana da compra como número (0 = domingo a 6 = sábado, "
       "como dayofweek), quantos pedidos houve nesse dia e que percentual eles representam do ano (2 casas), de "
       "0 a 6.",
       "Quantos pedidos foram comprados em cada dia da semana em {year}? Retorne o dia como número de 0 (domingo) "
       "a 6 (sábado), a contagem e o percentual sobre o total do ano com 2 casas, em ordem do dia."),
    _t("top_category_per_state", "aggregate",
       "SELECT c.customer_state AS estado, p.product_category_name AS categoria, count(*) AS itens FROM order_items i "
       "JOIN products p USING (product_id) JOIN orders o USING (order_id) JOIN customers c USING (customer_id) "
       "WHERE p.product_category_name IS NOT NULL GROUP BY c.customer_state, p.product_category_name "
       "HAVING count(*) >= {min_items} QUALIFY row_number() OVER (PARTITION BY c.customer_state "
       "ORDER BY count(*) DESC, p.product_category_name) = 1 ORDER BY estado",
       "Para cada estado de cliente, qual é a categoria com mais itens vendidos, considerando só pares estado e "
       "categoria com pelo menos {min_items} itens? Mostre o estado, a categoria e os itens, em ordem alfabética "
       "do estado; empate de categorias resolvido pela ordem alfabética da categoria.",
       "Liste, estado por estado, a categoria campeã em número de itens vendidos a clientes daquele estado (só "
       "pares com {min_items} itens ou mais; empates pela categoria em ordem alfabética), com a quantidade, "
       "ordenando pelo estado."),
    _t("approval_hours_payment", "aggregate",
       "SELECT pay.payment_type, round(avg(date_diff('minute', o.order_purchase_timestamp, o.order_approved_at)) "
       "/ 60.0, 2) AS horas_aprovacao, count(DISTINCT o.order_id) AS pedidos FROM orders o JOIN order_payments pay "
       "USING (order_id) WHERE o.order_approved_at IS NOT NULL AND " + YEAR
       + " GROUP BY pay.payment_type ORDER BY horas_aprovacao DESC, pay.payment_type",
       "Nos pedidos comprados em {year}, quanto tempo leva, em média, a aprovação do pagamento (horas entre a compra "
       "e order_approved_at) para cada tipo de pagamento? Mostre o tipo, as horas médias (2 casas) e o número de "
       "pedidos distintos, da aprovação mais lenta para a mais rápida; empates pelo tipo.",
       "Para cada payment_type, calcule a média de horas entre order_purchase_timestamp e order_approved_at dos "
       "pedidos de {year} (2 casas decimais) e conte os pedidos distintos; ordene da maior média para a menor, "
       "desempate pelo tipo."),
    _t("score_distribution_category", "aggregate",
       "SELECT r.review_score AS nota, count(*) AS avaliacoes, round(100.0 * count(*) / sum(count(*)) OVER (), 2) "
       "AS participacao_pct FROM order_reviews r WHERE r.order_id IN (SELECT i.order_id FROM order_items i "
       "JOIN products p USING (product_id) WHERE p.product_category_name = '{category}') GROUP BY r.review_score "
       "ORDER BY nota",
       "Nos pedidos que contêm pelo menos um item da categoria '{category}', como se distribuem as notas das "
       "avaliações? Mostre a nota, o número de avaliações e a participação percentual (2 casas), da nota 1 à 5.",
       "Para pedidos com algum item de '{category}', conte as avaliações por review_score e calcule o percentual "
       "de cada nota sobre o total (2 casas decimais), ordenando pela nota."),
    _t("repeat_share_state", "aggregate",
       "WITH per AS (SELECT c.customer_unique_id, c.customer_state, count(DISTINCT o.order_id) AS n FROM customers c "
       "JOIN orders o USING (customer_id) GROUP BY c.customer_unique_id, c.customer_state) "
       "SELECT customer_state AS estado, count(*) AS clientes, round(100.0 * avg((n >= 2)::INT), 2) AS pct_recorrentes "
       "FROM per GROUP BY customer_state HAVING count(*) >= {min_orders} ORDER BY pct_recorrentes DESC, estado",
       "Por estado do cliente (só estados com pelo menos {min_orders} clientes únicos, contando cada "
       "customer_unique_id no estado em que comprou), qual é o percentual de clientes com dois ou mais pedidos? "
       "Mostre o estado, o número de clientes e o percentual (2 casas), do maior para o menor; empates pela sigla.",
       "Considerando pares (customer_unique_id, estado), em cada estado com {min_orders} ou mais clientes, que "
       "porcentagem dos clientes fez 2 pedidos ou mais? Retorne estado, clientes e percentual com 2 casas, em "
       "ordem decrescente de percentual e desempate pela sigla."),
    _t("cumulative_revenue_seller_state", "aggregate",
       "SELECT trimestre, receita, sum(receita) OVER (ORDER BY trimestre) AS receita_acumulada FROM ("
       "SELECT strftime(o.order_purchase_timestamp, '%Y') || '-T' || quarter(o.order_purchase_timestamp) AS trimestre, "
       "round(sum(i.price), 2) AS receita FROM order_items i JOIN orders o USING (order_id) JOIN sellers s "
       "USING (seller_id) WHERE s.seller_state = '{seller_state}' GROUP BY trimestre) ORDER BY trimestre",
       "Para os vendedores do estado {seller_state}, mostre por trimestre (formato 'AAAA-Tn') a receita em preço "
       "de itens (2 casas) e a receita acumulada até aquele trimestre, em ordem cronológica.",
       "Trimestre a trimestre ('AAAA-Tn'), quanto faturaram em preço de itens os vendedores de {seller_state} "
       "(2 casas decimais) e qual o acumulado desde o primeiro trimestre? Ordene cronologicamente."),
    _t("items_per_order_year", "aggregate",
       "WITH n AS (SELECT order_id, count(*) AS itens FROM order_items GROUP BY order_id) "
       "SELECT n.itens, count(*) AS pedidos, round(100.0 * count(*) / sum(count(*)) OVER (), 2) AS participacao_pct "
       "FROM n JOIN orders o USING (order_id) WHERE " + YEAR + " GROUP BY n.itens ORDER BY n.itens",
       "Nos pedidos feitos em {year}, quantos itens tem cada pedido? Mostre o número de itens por pedido, quantos "
       "pedidos têm essa quantidade e a participação percentual (2 casas), do menor para o maior número de itens.",
       "Para os pedidos comprados em {year}, agrupe pela quantidade de itens no pedido e mostre a quantidade, o "
       "número de pedidos e o percentual sobre o total (2 casas decimais), em ordem crescente de itens."),
)  # fmt: skip


@dataclass
class SqlBuildReport:
    """What ``generate_sql_examples`` produced and dropped.

    Attributes:
        examples: the accepted training examples.
        candidates: distinct (question, gold) candidates considered.
        lint_failures: template name -> candidates dropped because their gold failed ``lint_gold``.
        problems: a few example lint problems, for the log.
        warehouse: ``{"seed", "scale"}`` of the first warehouse.
    """

    examples: list[TrainingExample] = field(default_factory=list)
    candidates: int = 0
    lint_failures: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    warehouse: dict[str, Any] = field(default_factory=dict)

    @property
    def dropped(self) -> int:
        """Total candidates dropped by the lint."""
        return sum(self.lint_failures.values())


def warehouse_info(db_path: Path) -> dict[str, Any]:
    """``{"seed", "scale"}`` recorded in a warehouse's ``ground_truth.build_info`` (None if absent)."""
    con = sandbox_connection(db_path)
    try:
        rows = dict(con.execute("SELECT key, value FROM ground_truth.build_info").fetchall())
    finally:
        con.close()
    return {k: json.loads(rows[k]) if k in rows else None for k in ("seed", "scale")}


@dataclass
class _Pools:
    states: list[str]
    seller_states: list[str]
    categories: list[str]
    statuses: list[str]
    payments: list[str]
    months: dict[int, list[int]]  # year -> months with enough orders


def _read_pools(db_path: Path) -> _Pools:
    """Slot values of the SQL templates, each frequent enough that its query has a non-trivial answer."""
    counts = read_pools(db_path)
    return _Pools(
        states=counts.at_least(counts.customer_states, 100),
        seller_states=counts.at_least(counts.seller_states, 10),
        categories=[c for c in counts.at_least(counts.categories, 60) if c in counts.translated_categories],
        statuses=[s for s in counts.at_least(counts.statuses, 20) if s in STATUS_PT],
        payments=[p for p in counts.at_least(counts.payments, 50) if p in PAYMENT_PT],
        months={y: ms for y, ms in counts.months_by_year(min_orders=100).items() if len(ms) >= 2},
    )


def _sample_slots(rng: random.Random, pools: _Pools) -> dict[str, Any]:
    year = rng.choice(sorted(pools.months))
    months = pools.months[year]
    i = rng.randrange(len(months) - 1)
    j = rng.randrange(i + 1, min(len(months), i + 6))
    m1, m2 = months[i], months[j]
    end = f"{year + 1}-01-01" if m2 == 12 else f"{year}-{m2 + 1:02d}-01"
    status, payment = rng.choice(pools.statuses), rng.choice(pools.payments)
    return {
        "state": rng.choice(pools.states),
        "seller_state": rng.choice(pools.seller_states),
        "category": rng.choice(pools.categories),
        "status": status,
        "status_pt": STATUS_PT[status],
        "payment": payment,
        "payment_pt": PAYMENT_PT[payment],
        "year": year,
        "m1_name": MONTHS[m1 - 1],
        "m2_name": MONTHS[m2 - 1],
        "start": f"{year}-{m1:02d}-01",
        "end": end,
        "score": rng.randint(1, 5),
        "k": rng.choice((3, 4, 5, 6, 8, 10)),
        "price": rng.choice((50, 80, 100, 150, 200, 300, 500, 1000)),
        "inst": rng.randint(2, 10),
        "min_items": rng.choice((20, 30, 50, 80)),
        "min_orders": rng.choice((30, 50, 100, 150, 200, 300)),
    }


def _fields(*texts: str) -> list[str]:
    return sorted({f for t in texts for _, f, _, _ in string.Formatter().parse(t) if f})


def generate_sql_examples(
    n: int,
    *,
    seed: int,
    db_paths: list[Path],
    shuffle_check: bool = True,
    max_attempts_per_example: int = 30,
    templates: Sequence[SqlTemplate] | None = None,
) -> SqlBuildReport:
    """Generate ``n`` SQL examples (fewer if the templates run out) and report what the lint dropped.

    Args:
        n: number of examples wanted.
        seed: RNG seed; the same seed and warehouses give the same examples.
        db_paths: warehouses for slot values (the first) and for ``lint_gold`` (all of them).
        shuffle_check: passed to ``lint_gold`` (the shuffled-copy determinism check).
        max_attempts_per_example: give up after ``n * max_attempts_per_example`` draws.
        templates: the templates to draw from; default: the catalogue without the benchmark's
            (``data._heldout``).

    Returns:
        The report with the examples, candidate count and lint drops per template.

    Raises:
        DataError: no warehouse was given.
    """
    if not db_paths:
        raise DataError("build_sql_examples needs at least one warehouse path (db_paths=[training, variant])")
    paths = [Path(p) for p in db_paths]
    pools = _read_pools(paths[0])
    report = SqlBuildReport(warehouse=warehouse_info(paths[0]))
    by_difficulty: dict[str, list[SqlTemplate]] = {}
    for template in training_templates("sql", SQL_TEMPLATES) if templates is None else templates:
        by_difficulty.setdefault(template.difficulty, []).append(template)
    difficulties = sorted(by_difficulty)
    rng = random.Random(seed)
    seen_questions: set[str] = set()
    lint_ok: dict[str, bool] = {}
    attempts = 0
    while len(report.examples) < n and attempts < n * max_attempts_per_example:
        difficulty = difficulties[attempts % len(difficulties)]
        attempts += 1
        template = rng.choice(by_difficulty[difficulty])
        slots = _sample_slots(rng, pools)
        question = rng.choice(template.questions).format(**slots)
        if question in seen_questions:
            continue
        seen_questions.add(question)
        gold = template.sql.format(**slots)
        report.candidates += 1
        if gold not in lint_ok:
            lint = lint_gold(gold, paths, shuffle_check=shuffle_check)
            lint_ok[gold] = lint.ok
            if not lint.ok and len(report.problems) < 20:
                report.problems.append(f"{template.name}: {lint.problems[0]}")
        if not lint_ok[gold]:
            report.lint_failures[template.name] += 1
            continue
        used = _fields(*template.questions, template.sql)
        report.examples.append(
            TrainingExample(
                id=f"train-sql-{len(report.examples) + 1:05d}",
                task="sql",
                prompt=[
                    {"role": "system", "content": SYSTEM_PROMPTS["sql"]},
                    {"role": "user", "content": sql_prompt(question)},
                ],
                ground_truth={"sql": gold},
                source={
                    "dataset": "warehouse",
                    "template": template.name,
                    "warehouse": report.warehouse,
                    "slots": {k: slots[k] for k in used},
                },
                label_source="synthetic",
                difficulty=template.difficulty,
            )
        )
    return report


def build_sql_examples(n: int, *, seed: int, db_paths: list[Path]) -> list[TrainingExample]:
    """``n`` template-generated SQL examples whose gold queries pass ``lint_gold`` on every ``db_paths``.

    Difficulties (simple/join/aggregate) rotate; question texts are unique. Candidates whose gold fails the
    lint are dropped; the count is logged (use ``generate_sql_examples`` to get it as data).

    Example:
        >>> examples = build_sql_examples(30, seed=2026, db_paths=[train_db, variant_db])  # doctest: +SKIP
    """
    report = generate_sql_examples(n, seed=seed, db_paths=db_paths)
    if report.dropped:
        log.info(
            "sql examples: %d of %d candidates dropped by lint_gold (%s)",
            report.dropped,
            report.candidates,
            dict(report.lint_failures),
        )
    if len(report.examples) < n:
        log.warning("sql examples: only %d of %d could be generated", len(report.examples), n)
    return report.examples

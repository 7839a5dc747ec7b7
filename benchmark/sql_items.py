"""The 15 SQL items: pt-BR business questions with gold DuckDB SQL (5 simple, 5 join, 5 aggregate).

Each question names what to return and, where order matters, the order (and, for a top-k, how ties are
broken), so that a correct answer is unambiguous; ``tucano bench validate`` checks that every gold query
passes ``tucano_commerce.sql.lint_gold`` on each warehouse of the benchmark's SQL test suite and does what its
question states (``tucano_commerce.sql.check_question``: decimal places, top-N, date ranges, order).
"""

from __future__ import annotations

# (difficulty, question, gold SQL, notes)
SQL_ITEMS = [
    ("simple", "Quantos pedidos foram entregues ao cliente (status 'delivered')?",
     "SELECT count(*) AS pedidos_entregues FROM orders WHERE order_status = 'delivered'",
     "single count with a filter"),
    ("simple", "Qual é o valor médio do frete (freight_value) por item vendido? Arredonde para 2 casas decimais.",
     "SELECT round(avg(freight_value), 2) AS frete_medio FROM order_items",
     "ROUND in gold: half a unit (0.005) around the unrounded average"),
    ("simple", "Liste cada tipo de pagamento com o número de registros de pagamento, do mais usado para o menos usado.",
     "SELECT payment_type, count(*) AS registros FROM order_payments GROUP BY payment_type ORDER BY registros DESC",
     "order matters (top-level ORDER BY)"),
    ("simple", "Quantos clientes únicos (customer_unique_id) existem no estado de São Paulo (SP)?",
     "SELECT count(DISTINCT customer_unique_id) AS clientes_sp FROM customers WHERE customer_state = 'SP'",
     "customer_unique_id vs customer_id trap"),
    ("simple", "Quantos produtos do catálogo não têm categoria informada?",
     "SELECT count(*) AS produtos_sem_categoria FROM products WHERE product_category_name IS NULL",
     "NULL handling"),
    ("join", "Quais são as 5 categorias de produto (nome em português) com a maior receita em preço de itens (soma de price)? "
     "Mostre a categoria e a receita, da maior para a menor; em caso de empate, em ordem alfabética da categoria.",
     "SELECT p.product_category_name AS categoria, sum(i.price) AS receita FROM order_items i "
     "JOIN products p USING (product_id) WHERE p.product_category_name IS NOT NULL "
     "GROUP BY p.product_category_name ORDER BY receita DESC, categoria LIMIT 5",
     "join + top-k"),
    ("join", "Qual é a nota média das avaliações dos pedidos entregues com atraso (entregues ao cliente depois da data "
     "estimada) e dos entregues no prazo? Retorne uma linha por grupo com a situação ('atrasado' ou 'no prazo') e a nota "
     "média arredondada para 2 casas.",
     "SELECT CASE WHEN o.order_delivered_customer_date > o.order_estimated_delivery_date THEN 'atrasado' "
     "ELSE 'no prazo' END AS situacao, round(avg(r.review_score), 2) AS nota_media FROM orders o "
     "JOIN order_reviews r USING (order_id) WHERE o.order_status = 'delivered' "
     "AND o.order_delivered_customer_date IS NOT NULL GROUP BY situacao",
     "CASE bucket over a join; row order free"),
    ("join", "Quantos pedidos foram feitos em 2018 por clientes da cidade de 'rio de janeiro'?",
     "SELECT count(*) AS pedidos FROM orders o JOIN customers c USING (customer_id) "
     "WHERE c.customer_city = 'rio de janeiro' AND year(o.order_purchase_timestamp) = 2018",
     "join + date filter"),
    ("join", "Qual é a receita total (soma de price + freight_value) dos itens vendidos por vendedores do estado de SP?",
     "SELECT sum(i.price + i.freight_value) AS receita_sp FROM order_items i JOIN sellers s USING (seller_id) "
     "WHERE s.seller_state = 'SP'",
     "seller side, not customer side"),
    ("join", "Quais são as 3 categorias de produto, pelo nome em inglês, com mais itens vendidos? Mostre o nome em inglês "
     "e a quantidade de itens, da maior para a menor; em caso de empate, em ordem alfabética do nome em inglês.",
     "SELECT t.product_category_name_english AS categoria, count(*) AS itens FROM order_items i "
     "JOIN products p USING (product_id) JOIN product_category_name_translation t USING (product_category_name) "
     "GROUP BY t.product_category_name_english ORDER BY itens DESC, categoria LIMIT 3",
     "three-table join through the translation table"),
    ("aggregate", "Quantos pedidos foram feitos em cada mês de 2017? Retorne o mês no formato 'AAAA-MM' e o número de "
     "pedidos, em ordem cronológica.",
     "SELECT strftime(order_purchase_timestamp, '%Y-%m') AS mes, count(*) AS pedidos FROM orders "
     "WHERE year(order_purchase_timestamp) = 2017 GROUP BY mes ORDER BY mes",
     "monthly series with formatting"),
    ("aggregate", "Quais são os 5 estados com mais pedidos? Para cada um, mostre o estado, o número de pedidos e a "
     "participação percentual no total de pedidos (arredondada para 2 casas), do maior para o menor; em caso de "
     "empate, em ordem alfabética do estado.",
     "SELECT c.customer_state AS estado, count(*) AS pedidos, "
     "round(100.0 * count(*) / sum(count(*)) OVER (), 2) AS participacao_pct FROM orders o "
     "JOIN customers c USING (customer_id) GROUP BY c.customer_state ORDER BY pedidos DESC, estado LIMIT 5",
     "window over an aggregate (share of total)"),
    ("aggregate", "Para cada tipo de pagamento, calcule o valor médio de pagamento (arredondado para 2 casas) e a posição "
     "no ranking do maior para o menor valor médio (1 = maior). Ordene pela posição.",
     "SELECT payment_type, round(avg(payment_value), 2) AS valor_medio, "
     "rank() OVER (ORDER BY avg(payment_value) DESC) AS posicao FROM order_payments "
     "GROUP BY payment_type ORDER BY posicao",
     "RANK window over aggregates"),
    ("aggregate", "Para cada mês de janeiro a agosto de 2018, mostre o mês ('AAAA-MM'), o número de pedidos e a diferença "
     "em relação ao mês anterior (nula para janeiro), em ordem cronológica.",
     "SELECT mes, pedidos, pedidos - lag(pedidos) OVER (ORDER BY mes) AS variacao FROM ("
     "SELECT strftime(order_purchase_timestamp, '%Y-%m') AS mes, count(*) AS pedidos FROM orders "
     "WHERE order_purchase_timestamp >= TIMESTAMP '2018-01-01' AND order_purchase_timestamp < TIMESTAMP '2018-09-01' "
     "GROUP BY mes) ORDER BY mes",
     "LAG window; NULL in the first row"),
    ("aggregate", "Entre os estados com pelo menos 100 pedidos entregues, quais são os 5 com o maior tempo médio de "
     "entrega (dias entre a compra e a entrega ao cliente)? Mostre o estado e o tempo médio em dias arredondado para 1 "
     "casa decimal, ordenados por esse valor arredondado, do mais lento para o mais rápido; em caso de empate, em "
     "ordem alfabética do estado.",
     "SELECT c.customer_state AS estado, round(avg(date_diff('second', o.order_purchase_timestamp, "
     "o.order_delivered_customer_date)) / 86400, 1) AS dias_medios FROM orders o JOIN customers c USING (customer_id) "
     "WHERE o.order_status = 'delivered' AND o.order_delivered_customer_date IS NOT NULL "
     "GROUP BY c.customer_state HAVING count(*) >= 100 ORDER BY dias_medios DESC, estado LIMIT 5",
     "HAVING + date arithmetic + top-k. v1.1: the gold rounds to 1 decimal as the question asks (v1.0 rounded to "
     "2) and ranks by the rounded value, ties alphabetical, as the question now says (at 1 decimal two states can "
     "show the same time)"),
]  # fmt: skip

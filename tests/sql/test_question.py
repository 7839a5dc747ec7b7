"""``check_question``: what a pt-BR question states against what its gold query does.

Run: ``PYTHONPATH=src pytest tests/sql/test_question.py``
"""

from __future__ import annotations

import pytest

from tucano_commerce.sql import check_question
from tucano_commerce.tasks import read_items

TOP5 = (
    "SELECT c.customer_state AS estado, count(*) AS pedidos FROM orders o JOIN customers c USING (customer_id) "
    "GROUP BY 1 ORDER BY pedidos DESC, estado LIMIT 5"
)
TOP5_Q = "Quais são os 5 estados com mais pedidos? Mostre o estado e os pedidos, do maior para o menor; em caso de empate, em ordem alfabética do estado."
AVG2 = "SELECT round(avg(freight_value), 2) AS frete_medio FROM order_items"
PERIOD = (
    "SELECT count(*) FROM orders o WHERE o.order_purchase_timestamp >= TIMESTAMP '2018-03-01' "
    "AND o.order_purchase_timestamp < TIMESTAMP '2018-06-01'"
)


def test_every_benchmark_question_agrees_with_its_gold() -> None:
    for item in (i for i in read_items() if i.task == "sql"):
        assert check_question(item.source["question"], item.ground_truth["sql"]) == [], item.id


def test_the_v1_0_sql_015_mismatch_is_caught() -> None:
    question = (
        "Entre os estados com pelo menos 100 pedidos entregues, quais são os 5 com o maior tempo médio de entrega "
        "(dias entre a compra e a entrega ao cliente)? Mostre o estado e o tempo médio em dias arredondado para 1 "
        "casa decimal, do mais lento para o mais rápido."
    )
    gold_v1_0 = (
        "SELECT c.customer_state AS estado, round(avg(date_diff('second', o.order_purchase_timestamp, "
        "o.order_delivered_customer_date)) / 86400, 2) AS dias_medios FROM orders o JOIN customers c "
        "USING (customer_id) WHERE o.order_status = 'delivered' AND o.order_delivered_customer_date IS NOT NULL "
        "GROUP BY c.customer_state HAVING count(*) >= 100 ORDER BY avg(date_diff('second', "
        "o.order_purchase_timestamp, o.order_delivered_customer_date)) DESC LIMIT 5"
    )
    assert check_question(question, gold_v1_0) == [
        "the question asks for 1 decimal place but the gold query rounds to 2 decimal places"
    ]


@pytest.mark.parametrize(
    ("question", "gold", "problem"),
    [
        # decimal places
        ("Qual é o frete médio por item? Arredonde para 1 casa decimal.", AVG2, "asks for 1 decimal place but the gold query rounds to 2"),
        ("Qual é o frete médio por item? Use duas casas decimais.", AVG2.replace(", 2)", ", 1)"), "asks for 2 decimal places but the gold query rounds to 1"),
        ("Qual é o frete médio por item?", AVG2, "rounds to 2 decimal places but the question does not ask for rounding"),
        ("Qual é o frete médio por item (2 casas)?", "SELECT avg(freight_value) FROM order_items", "asks for 2 decimal places but the gold query does not round"),
        # top-N
        (TOP5_Q.replace("os 5 estados", "os 4 estados"), TOP5, "asks for the top 4 but the gold query has LIMIT 5"),
        (TOP5_Q.replace("os 5 estados", "os estados"), TOP5, "has LIMIT 5 but the question states no top 5"),
        (TOP5_Q, TOP5.replace(" LIMIT 5", ""), "asks for the top 5 but the gold query has no LIMIT"),
        # date ranges
        ("Quantos pedidos foram feitos entre março e maio de 2018, incluindo os dois meses?", PERIOD.replace("2018-06-01", "2018-05-01"), "asks for marco-maio 2018 but the gold query's date bounds are >= 2018-03-01, < 2018-05-01"),
        ("Quantos pedidos foram feitos entre março e maio de 2017, incluindo os dois meses?", PERIOD, "names the year 2017 but the gold query does not restrict dates to it"),
        ("Quantos pedidos foram feitos em 2018?", PERIOD, "restricts dates to >= 2018-03-01, < 2018-06-01 but the question names no months"),
        ("Quantos pedidos foram feitos?", "SELECT count(*) FROM orders WHERE year(order_purchase_timestamp) = 2017", "restricts dates to 2017 but the question does not name that year"),
        # order
        (TOP5_Q.replace("do maior para o menor", "do menor para o maior"), TOP5, "asks for ascending order but the gold query's first sort key is descending"),
        ("Liste cada tipo de pagamento e seus registros, do menos usado para o mais usado.", "SELECT payment_type, count(*) AS n FROM order_payments GROUP BY 1 ORDER BY n DESC", "asks for ascending order"),
        (TOP5_Q.replace(", do maior para o menor", ""), TOP5, "orders its rows (top-level ORDER BY) but the question asks for no order"),
        (TOP5_Q.replace("; em caso de empate, em ordem alfabética do estado", ""), TOP5, "breaks ties with 1 more sort key(s) before LIMIT 5 but the question states no tie-breaker"),
        (TOP5_Q, TOP5.replace(", estado LIMIT", " LIMIT"), "states a tie-breaker but the gold query sorts by one key only"),
        ("Liste os estados e o número de pedidos em ordem alfabética.", "SELECT customer_state, count(*) FROM customers GROUP BY 1", "asks for an order but the gold query has no top-level ORDER BY"),
    ],
)  # fmt: skip
def test_mismatches_are_caught(question: str, gold: str, problem: str) -> None:
    problems = check_question(question, gold)
    assert any(problem in p for p in problems), problems


@pytest.mark.parametrize(
    ("question", "gold"),
    [
        # phrasings of the training templates (data/_sql_templates.py), filled in
        ("Liste cada status de pedido com o número de pedidos comprados em 2017, do mais frequente para o menos "
         "frequente (empates em ordem alfabética do status).",
         "SELECT order_status, count(*) AS pedidos FROM orders o WHERE year(o.order_purchase_timestamp) = 2017 "
         "GROUP BY order_status ORDER BY pedidos DESC, order_status"),
        ("Para os pedidos feitos em 2018, quantos há em cada order_status? Ordene do maior para o menor número e, em "
         "caso de empate, pelo status em ordem alfabética.",
         "SELECT order_status, count(*) AS pedidos FROM orders o WHERE year(o.order_purchase_timestamp) = 2018 "
         "GROUP BY order_status ORDER BY pedidos DESC, order_status"),
        ("Conte os pedidos cuja data de compra cai entre o início de março e o fim de maio de 2018.", PERIOD),
        ("Qual é o número de pedidos comprados de março a maio de 2018 (meses inclusive)?", PERIOD),
        ("Faça um ranking dos estados dos vendedores pelo número de itens vendidos em pedidos de 2017: mostre o "
         "estado, a quantidade de itens e a posição (rank, 1 = mais itens), ordenando pela posição e, em empates, "
         "pelo estado.",
         "SELECT s.seller_state AS estado, count(*) AS itens, rank() OVER (ORDER BY count(*) DESC) AS posicao "
         "FROM order_items i JOIN sellers s USING (seller_id) JOIN orders o USING (order_id) WHERE "
         "year(o.order_purchase_timestamp) = 2017 GROUP BY s.seller_state ORDER BY posicao, estado"),
        ("Considerando pedidos comprados em 2018 e entregues, e só estados com 50 ou mais entregas, liste os 5 "
         "estados com maior taxa de atraso (%, 1 casa decimal), em ordem decrescente e desempate pela sigla.",
         "SELECT c.customer_state AS estado, round(100.0 * avg((o.order_delivered_customer_date > "
         "o.order_estimated_delivery_date)::INT), 1) AS pct_atraso FROM orders o JOIN customers c USING (customer_id) "
         "WHERE year(o.order_purchase_timestamp) = 2018 GROUP BY c.customer_state HAVING count(*) >= 50 "
         "ORDER BY avg((o.order_delivered_customer_date > o.order_estimated_delivery_date)::INT) DESC, estado LIMIT 5"),
        ("Qual é o estado com mais pedidos?",
         "SELECT customer_state FROM customers GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"),
    ],
)  # fmt: skip
def test_phrasings_in_use_are_understood(question: str, gold: str) -> None:
    assert check_question(question, gold) == []


def test_an_unparseable_gold_is_left_to_the_lint() -> None:
    assert check_question("Quantos pedidos?", "SELEC 1") == []

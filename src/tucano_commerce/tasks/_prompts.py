"""User-prompt templates of the five tasks, shared by the benchmark's authoring script and the GRPO
training data, so that training prompts look exactly like benchmark prompts (with other content); and the
readers of the parts a filled template holds (the review, the question, the data), for the contamination
guard.
"""

from __future__ import annotations

import re

from tucano_commerce.warehouse import HORIZON_DAYS, schema_ddl

EXTRACTION_PROMPT = (
    "Extraia as informações pedidas da avaliação de cliente abaixo, feita em um marketplace brasileiro.\n\n"
    "<avaliacao>\n{review}\n</avaliacao>"
)
SENTIMENT_PROMPT = (
    "Classifique o sentimento da avaliação de cliente abaixo.\n\n<avaliacao>\n{review}\n</avaliacao>"
)
SQL_GLOSSARY = """Glossário:
- orders: pedidos; order_status 'delivered' = entregue; order_purchase_timestamp = data/hora da compra;
  order_delivered_customer_date = entrega ao cliente; order_estimated_delivery_date = data estimada de entrega
  (entregue depois dela = atrasado).
- customers: um customer_id por pedido; customer_unique_id identifica a pessoa (clientes recorrentes).
- order_items: itens do pedido; price = preço do item; freight_value = frete do item.
- order_payments: pagamentos (um pedido pode ter vários); payment_type: credit_card, boleto, voucher, debit_card.
- order_reviews: avaliações de 1 a 5 (review_score) com comentário opcional.
- products / product_category_name_translation: categoria em português e o nome em inglês.
- sellers: vendedores; geolocation: coordenadas por prefixo de CEP."""
SQL_PROMPT = (
    "Esquema do banco de dados (DuckDB):\n\n{ddl}\n\n{glossary}\n\nPergunta: {question}\n\n"
    "Escreva uma única consulta SQL (dialeto DuckDB) que responda à pergunta."
)
CHURN_PROMPT = (
    "{profile}\n\nCom base no histórico acima, estime a probabilidade de este cliente NÃO fazer nenhuma nova compra "
    f"nos {HORIZON_DAYS} dias seguintes à data de referência (churn), classifique o risco "
    "(baixo < 0,4 ≤ medio < 0,7 ≤ alto) e justifique brevemente."
)
INSIGHTS_PROMPT = (
    "Você é analista de negócios de um marketplace brasileiro. Dados:\n\n{tables}\n\nPergunta: {question}\n\n"
    "Responda em português, citando os números relevantes e terminando com recomendações práticas."
)


def sql_prompt(question: str) -> str:
    """The SQL task's user prompt: DDL, glossary, question."""
    return SQL_PROMPT.format(ddl=schema_ddl(), glossary=SQL_GLOSSARY, question=question)


_TAGGED_REVIEW = re.compile(r"<avaliacao>\s*(.*?)\s*</avaliacao>", re.S)
_QUESTION = re.compile(r"Pergunta:\s*(.*?)(?:\n\n|\Z)", re.S)


def review_of(user_text: str) -> str:
    """The review inside an extraction/sentiment prompt (the whole text when there is no ``<avaliacao>``)."""
    m = _TAGGED_REVIEW.search(user_text)
    return m.group(1) if m else user_text


def question_of(user_text: str) -> str:
    """The question of a SQL or insights prompt (after ``Pergunta:``; the whole text when there is none)."""
    m = _QUESTION.search(user_text)
    return m.group(1) if m else user_text


def insights_data_of(user_text: str) -> str:
    """The tables and question of an insights prompt, without the instructions around them."""
    head = user_text.split("Dados:", 1)[-1]
    return head.split("Responda em português", 1)[0]

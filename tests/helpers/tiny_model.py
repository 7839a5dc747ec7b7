"""The tests' one tiny model: ``train._tiny``'s builders (the GRPO recipe's CPU model) with the settings the
backend tests need: a tokenizer trained on a few dozen pt-BR/SQL sentences (vocab 512) and peaky random
weights, so greedy decoding is far from ties. Nothing is downloaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tucano_commerce.train._tiny import CHATML_THINKING, build_tiny_model, build_tiny_tokenizer

CORPUS = [
    "O pedido chegou atrasado e a embalagem estava danificada.",
    "Produto excelente, entrega rápida, recomendo a loja!",
    "Comprei um fone de ouvido e veio com defeito, quero devolver.",
    "A entrega demorou duas semanas, mas o produto é bom.",
    "Não recebi o produto até agora e ninguém responde.",
    "Ótimo atendimento do vendedor, chegou antes do prazo.",
    "O preço estava bom, mas o frete foi muito caro.",
    "Veio a cor errada e o vendedor cancelou a troca.",
    "Qual estado tem mais pedidos entregues com atraso?",
    "Liste as categorias com maior receita no último trimestre.",
    "Quantos clientes de São Paulo compraram mais de uma vez?",
    "Resuma os principais motivos de reclamação dos clientes.",
    "Responda apenas com um objeto JSON válido.",
    '{"sentiment": "negativo", "sentiment_score": -0.8, "churn_risk": 0.7}',
    '{"sentiment": "positivo", "delivery_issue": false, "would_recommend": true}',
    "SELECT customer_state, count(*) FROM customers GROUP BY 1 ORDER BY 2 DESC;",
    "SELECT avg(price) FROM order_items WHERE seller_id = 'abc';",
    "SELECT o.order_id, r.review_score FROM orders o JOIN order_reviews r USING (order_id);",
    "SELECT date_trunc('month', order_purchase_timestamp) AS mes, sum(payment_value) FROM orders;",
    "SELECT product_category_name, count(*) AS n FROM products GROUP BY ALL HAVING n > 10;",
    "Você é um analista de dados de um e-commerce brasileiro.",
    "Pense passo a passo antes de responder.",
    "A taxa de recompra caiu em março por causa dos atrasos na entrega.",
    "Recomendo revisar os prazos das transportadoras no Nordeste.",
] * 2

# The ChatML template without any enable_thinking logic (a template that ignores the kwarg).
CHATML_PLAIN = (
    "{%- for message in messages -%}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' -}}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{- '<|im_start|>assistant\\n' -}}{%- endif -%}"
)


def build_tokenizer(chat_template: str = CHATML_THINKING) -> Any:
    """A byte-level BPE trained on CORPUS (vocab 512), wrapped as a fast HF tokenizer with a ChatML template."""
    return build_tiny_tokenizer(CORPUS, vocab_size=512, chat_template=chat_template, max_length=None)


def build_model(tok: Any, *, eos_ids: list[int]) -> Any:
    """A seeded random Qwen3 with 2 layers of width 64, peaky logits (init 0.2), in eval mode."""
    return build_tiny_model(tok, eos_ids=eos_ids, context=512, initializer_range=0.2).eval()


# Prompts of different lengths. The first stops early by EOS, the second runs to the cap (see tiny_model).
PROBE_PROMPTS = [
    "Olá",
    "Qual estado tem mais pedidos entregues com atraso? Responda apenas com um objeto JSON válido.",
    "SELECT 1",
    "O pedido chegou atrasado e a embalagem estava danificada. Produto excelente, entrega rápida!",
]
PROBE_TOKENS = 24


@dataclass(frozen=True)
class TinyModel:
    """A saved tiny model: its folder, EOS ids, and how each probe prompt behaves under greedy decoding."""

    path: Path
    eos_ids: tuple[int, ...]
    stops_early: str  # a probe prompt whose greedy reply hits an EOS id within PROBE_TOKENS
    runs_long: str  # a probe prompt whose greedy reply has no EOS within PROBE_TOKENS
    prompts: tuple[str, ...] = tuple(PROBE_PROMPTS)  # different lengths
    probe_tokens: int = PROBE_TOKENS

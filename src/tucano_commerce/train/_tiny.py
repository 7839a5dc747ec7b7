"""A tiny random Qwen3 + a locally trained tokenizer, for running the GRPO recipe end to end on a CPU.

``model.path: tiny://qwen3`` resolves here: on first use ``ensure_tiny_model()`` builds the model under
``$TUCANO_HOME/tiny/qwen3`` (about a second) and later runs reuse it. Nothing is downloaded.

- Tokenizer: byte-level BPE trained on a few pt-BR/SQL sentences plus the benchmark's prompt texts (so the
  long system prompts of the training data stay short in tokens), wrapped as a fast HF tokenizer with a
  Qwen3-style ChatML template that honours ``enable_thinking`` (false pre-fills an empty think block).
- Model: ``Qwen3Config`` with hidden 64, 2 layers, 4 heads, 2 KV heads, head_dim 16, tied embeddings,
  seeded random weights (the same approach as ``tests/backends/conftest.py``).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

TINY_SCHEME = "tiny://"
TINY_VOCAB = 2048
TINY_CONTEXT = 4096
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
THINK_TOKENS = ["<think>", "</think>"]
CHATML_THINKING = (
    "{%- for message in messages -%}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' -}}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}"
    "{{- '<|im_start|>assistant\\n' -}}"
    "{%- if enable_thinking is defined and enable_thinking is false -%}"
    "{{- '<think>\\n\\n</think>\\n\\n' -}}"
    "{%- endif -%}"
    "{%- endif -%}"
)
CORPUS = [
    "O pedido chegou atrasado e a embalagem estava danificada.",
    "Produto excelente, entrega rápida, recomendo a loja!",
    "Não recebi o produto até agora e ninguém responde.",
    "Qual estado tem mais pedidos entregues com atraso?",
    "Responda apenas com um objeto JSON válido.",
    '{"sentiment": "negativo", "sentiment_score": -0.8, "churn_risk": 0.7}',
    "SELECT customer_state, count(*) FROM customers GROUP BY 1 ORDER BY 2 DESC;",
    "Pense passo a passo antes de responder. Resposta: 42",
]


def is_tiny(path: str) -> bool:
    """Whether a model path asks for the tiny model."""
    return path.startswith(TINY_SCHEME)


def _corpus() -> list[str]:
    """CORPUS plus every string of the benchmark's prompts (system prompts, reviews, SQL contexts)."""
    texts = list(CORPUS)
    try:
        from tucano_commerce.tasks._benchmark import benchmark_dir

        lines = (benchmark_dir() / "prompts.jsonl").read_text(encoding="utf-8").splitlines()
    except Exception:  # the tokenizer still works from CORPUS alone
        lines = []

    def walk(value: Any) -> None:
        if isinstance(value, str):
            texts.append(value)
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    for line in lines:
        if line.strip():
            walk(json.loads(line))
    return texts


def build_tiny_tokenizer() -> Any:
    """A byte-level BPE (vocab ``TINY_VOCAB``) with the ChatML + enable_thinking template."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    raw = Tokenizer(models.BPE())
    raw.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    raw.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=TINY_VOCAB,
        special_tokens=SPECIALS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    raw.train_from_iterator(_corpus(), trainer)
    tok = PreTrainedTokenizerFast(
        tokenizer_object=raw,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        additional_special_tokens=["<|im_start|>"],
        model_max_length=TINY_CONTEXT,
    )
    tok.add_tokens(THINK_TOKENS)  # like Qwen3: added but not special, so decoding keeps them
    tok.chat_template = CHATML_THINKING
    return tok


def build_tiny_model(tok: Any) -> Any:
    """A seeded random Qwen3 (hidden 64, 2 layers, 4 heads, 2 KV heads, head_dim 16)."""
    import torch
    from transformers import Qwen3Config, Qwen3ForCausalLM

    eos = tok.convert_tokens_to_ids("<|im_end|>")
    config = Qwen3Config(
        vocab_size=(len(tok) + 63) // 64 * 64,
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        head_dim=16,
        max_position_embeddings=TINY_CONTEXT,
        tie_word_embeddings=True,
        bos_token_id=None,
        eos_token_id=eos,
        pad_token_id=tok.pad_token_id,
    )
    torch.manual_seed(0)
    model = Qwen3ForCausalLM(config)
    model.generation_config.eos_token_id = eos
    model.generation_config.pad_token_id = tok.pad_token_id
    return model


def ensure_tiny_model(path: str = "tiny://qwen3") -> Path:
    """The folder of the tiny model named by ``path``, built (atomically) on first use."""
    from tucano_commerce.train._config import resolve_path

    target = resolve_path(path)
    if (target / "config.json").exists() and (target / "tokenizer.json").exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tiny-", dir=target.parent))
    try:
        tok = build_tiny_tokenizer()
        build_tiny_model(tok).save_pretrained(tmp)
        tok.save_pretrained(tmp)
        if target.exists():
            shutil.rmtree(target)
        tmp.replace(target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target

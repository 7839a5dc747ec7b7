"""A tiny Qwen3 + a locally trained tokenizer, for running the GRPO recipe end to end on a CPU.

``model.path: tiny://qwen3`` resolves here: on first use ``ensure_tiny_model()`` builds the model under
``$TUCANO_HOME/tiny/qwen3`` (~15 s) and later runs reuse it (rebuilt when ``TINY_VERSION`` changes).
Nothing is downloaded.

- Tokenizer: byte-level BPE trained on a few pt-BR/SQL sentences plus the benchmark's prompt texts (so the
  long system prompts of the training data stay short in tokens), wrapped as a fast HF tokenizer with a
  Qwen3-style ChatML template that honours ``enable_thinking`` (false pre-fills an empty think block).
- Model: ``Qwen3Config`` with hidden 64, 2 layers, 4 heads, 2 KV heads, head_dim 16, tied embeddings,
  seeded random weights (the same approach as ``tests/backends/conftest.py``), then a short supervised
  warm start (``warm_start``): each registered task's ``warm_start_reply`` (its output contract with
  made-up values, no benchmark or Olist text) after its real system prompt, plus math replies. Why: a random model writes noise, every reward is 0,
  every GRPO group has zero variance and the ``filter`` strategy drops all of them, so a tiny run would
  train nothing. Warmed up, its samples at temperature 1 are half-valid JSON whose rewards differ within
  a group, as after SFT (version 3: 14 of 24 groups of 4 completions of 48 tokens on tiny-data prompts had
  reward variance, rewards weighted 0.2/0.3/0.5, main_complaint compared by exact match).
"""

from __future__ import annotations

import json
import random
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

TINY_SCHEME = "tiny://"
TINY_VERSION = 3
"""Bump when the tiny model's recipe changes: cached copies with another version are rebuilt (3: the warm-up
replies come from the task registry, so their random draws differ from version 2's)."""
WARM_START_STEPS = 150
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
# The tokenizer's training text besides the benchmark's prompts (the warm-up replies are the task specs').
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


def build_tiny_tokenizer(
    texts: Iterable[str] | None = None,
    *,
    vocab_size: int = TINY_VOCAB,
    chat_template: str = CHATML_THINKING,
    max_length: int | None = TINY_CONTEXT,
) -> Any:
    """A byte-level BPE with Qwen3's special tokens and a ChatML template (also the tests' tiny tokenizer).

    Args:
        texts: What the BPE is trained on (default: ``CORPUS`` plus the benchmark's prompt strings).
        vocab_size: BPE vocabulary size.
        chat_template: Jinja chat template (default: ChatML honouring ``enable_thinking``).
        max_length: ``model_max_length``; None leaves transformers' default (no limit).
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    raw = Tokenizer(models.BPE())
    raw.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    raw.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIALS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    raw.train_from_iterator(_corpus() if texts is None else list(texts), trainer)
    limit = {} if max_length is None else {"model_max_length": max_length}
    tok = PreTrainedTokenizerFast(
        tokenizer_object=raw,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        additional_special_tokens=["<|im_start|>"],
        **limit,
    )
    tok.add_tokens(THINK_TOKENS)  # like Qwen3: added but not special, so decoding keeps them
    tok.chat_template = chat_template
    return tok


def build_tiny_model(
    tok: Any,
    *,
    eos_ids: Sequence[int] | None = None,
    context: int = TINY_CONTEXT,
    initializer_range: float | None = None,
) -> Any:
    """A seeded random Qwen3 (hidden 64, 2 layers, 4 heads, 2 KV heads, head_dim 16; also the tests' one).

    Args:
        tok: Its tokenizer (the vocabulary is its size rounded up to 64).
        eos_ids: End-of-sequence ids (default: ``<|im_end|>`` alone).
        context: ``max_position_embeddings``.
        initializer_range: Weight init std (default: Qwen3's 0.02; larger gives peakier logits).
    """
    import torch
    from transformers import Qwen3Config, Qwen3ForCausalLM

    eos: int | list[int] = tok.convert_tokens_to_ids("<|im_end|>") if eos_ids is None else list(eos_ids)
    config = Qwen3Config(
        vocab_size=(len(tok) + 63) // 64 * 64,
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        head_dim=16,
        max_position_embeddings=context,
        tie_word_embeddings=True,
        bos_token_id=None,
        eos_token_id=eos,
        pad_token_id=tok.pad_token_id,
    )
    if initializer_range is not None:  # read by the weight init below; unset keeps Qwen3's default
        config.initializer_range = initializer_range
    torch.manual_seed(0)
    model = Qwen3ForCausalLM(config)
    model.generation_config.eos_token_id = eos
    model.generation_config.pad_token_id = tok.pad_token_id
    return model


def _math_reply(rng: random.Random) -> str:
    """A worked sum ending in the ``Resposta:`` line the general rows ask for."""
    a, b = rng.randint(1, 9), rng.randint(1, 9)
    return f"{a} + {b} = {a + b}.\nResposta: {a + b}"


def warm_start_tasks() -> list[str]:
    """The tasks the warm start teaches: every registered task and the math rows, sorted (a fixed order)."""
    from tucano_commerce.scoring import task_names

    return sorted([*task_names(), "general"])


def warm_start_pairs(rng: random.Random, n: int) -> list[tuple[list[dict[str, str]], str]]:
    """``n`` (messages, reply) pairs: a task's system prompt, a ``CORPUS`` sentence, its ``warm_start_reply``."""
    from tucano_commerce.data import GENERAL_SYSTEM_PROMPT
    from tucano_commerce.scoring import get_task

    tasks = warm_start_tasks()
    pairs = []
    for _ in range(n):
        task = rng.choice(tasks)
        spec = None if task == "general" else get_task(task)
        system = spec.system_prompt if spec else GENERAL_SYSTEM_PROMPT
        messages = [{"role": "system", "content": system}, {"role": "user", "content": rng.choice(CORPUS)}]
        pairs.append((messages, spec.warm_start_reply(rng) if spec else _math_reply(rng)))
    return pairs


def warm_start(model: Any, tok: Any, *, steps: int = WARM_START_STEPS, seed: int = 0) -> None:
    """Teach the tiny model the output contracts: ``steps`` AdamW steps of 8 ``warm_start_pairs``.

    Loss on the reply tokens only; prompts are the real system prompts with a ``CORPUS`` sentence as the
    user turn and thinking off, as the tiny recipe trains. ~15 s on 2 CPU cores.
    """
    import torch

    rng = random.Random(seed)
    torch.manual_seed(seed)

    def encode(messages: list[dict[str, str]], reply: str) -> tuple[list[int], list[int]]:
        prompt = tok.apply_chat_template(
            messages, add_generation_prompt=True, tokenize=False, enable_thinking=False
        )
        ids = tok(prompt, add_special_tokens=False)["input_ids"]
        return ids, tok(reply + tok.eos_token, add_special_tokens=False)["input_ids"]

    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    model.train()
    for _ in range(steps):
        batch = [encode(messages, reply) for messages, reply in warm_start_pairs(rng, 8)]
        width = max(len(p) + len(r) for p, r in batch)
        ids = torch.full((len(batch), width), tok.pad_token_id)
        labels = torch.full((len(batch), width), -100)
        attention = torch.zeros((len(batch), width), dtype=torch.long)
        for i, (p, r) in enumerate(batch):
            n = len(p) + len(r)
            ids[i, :n] = torch.tensor(p + r)
            labels[i, len(p) : n] = torch.tensor(r)
            attention[i, :n] = 1
        model(input_ids=ids, attention_mask=attention, labels=labels).loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    model.eval()


def ensure_tiny_model(path: str = "tiny://qwen3") -> Path:
    """The folder of the tiny model named by ``path``, built (atomically) on first use."""
    from tucano_commerce._io import file_lock
    from tucano_commerce.train._config import resolve_path

    target = resolve_path(path)
    with file_lock(target.parent / f".{target.name}.lock"):  # several processes of one run start at once
        return _ensure_tiny_model(target)


def _ensure_tiny_model(target: Path) -> Path:
    marker = target / "tiny_version.json"
    wanted = {"version": TINY_VERSION, "tasks": warm_start_tasks()}  # another task set: another warm start
    if (target / "tokenizer.json").exists() and marker.exists():
        built = json.loads(marker.read_text(encoding="utf-8"))
        if {k: built.get(k) for k in wanted} == wanted:
            return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tiny-", dir=target.parent))
    try:
        tok = build_tiny_tokenizer()
        model = build_tiny_model(tok)
        warm_start(model, tok)
        model.save_pretrained(tmp)
        tok.save_pretrained(tmp)
        info = {**wanted, "warm_start_steps": WARM_START_STEPS}
        (tmp / "tiny_version.json").write_text(json.dumps(info) + "\n", encoding="utf-8")
        if target.exists():
            shutil.rmtree(target)
        tmp.replace(target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target

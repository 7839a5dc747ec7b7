"""CPU-side dispatch cost of one eager HF decode step, with and without PEFT LoRA (the planner's HF floor).

    .venv/bin/python benchmarks/hf_decode_dispatch.py [--layers 4,36] [--new-tokens 64] [--batch 4]

A Qwen3 of 64-wide layers (2 heads x 32, intermediate 128, vocab 512) does almost no arithmetic, so the time of
a decode step is Python, module hooks and ATen dispatch: what eager ``generate`` pays per step on any device
before the GPU's own time. Two layer counts give the per-layer cost (slope) and the per-step cost of the
generate loop (intercept); LoRA r16 on all seven linears (PEFT, train mode as TRL generates, dropout 0.05)
gives the cost per LoRA-wrapped linear. One thread; best of 5 runs (the minimum: other processes on a shared
machine only add time). Prints ms per step and the derived slopes (``src/tucano_commerce/train/_costs.py`` uses
them, plus a CUDA-launch allowance, for ``HF_DISPATCH_*``).
"""

from __future__ import annotations

import argparse
import time

import torch
from peft import LoraConfig, get_peft_model
from transformers import Qwen3Config, Qwen3ForCausalLM


def build(layers: int) -> Qwen3ForCausalLM:
    """A 64-wide Qwen3 with ``layers`` decoder layers."""
    cfg = Qwen3Config(vocab_size=512, hidden_size=64, intermediate_size=128, num_hidden_layers=layers,
                      num_attention_heads=2, num_key_value_heads=1, head_dim=32, max_position_embeddings=4096)  # fmt: skip
    return Qwen3ForCausalLM(cfg).eval()


def seconds_per_step(model: torch.nn.Module, batch: int, new_tokens: int, reps: int = 5) -> float:
    """Best-of-``reps`` wall time of one sampled decode step (prompt of 16 tokens)."""
    ids = torch.randint(0, 512, (batch, 16))
    best = float("inf")
    for _ in range(reps):
        start = time.perf_counter()
        with torch.no_grad():
            model.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=new_tokens,
                           min_new_tokens=new_tokens, do_sample=True, pad_token_id=0)  # fmt: skip
        best = min(best, (time.perf_counter() - start) / new_tokens)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--layers", default="4,36", help="two layer counts, comma-separated")
    ap.add_argument("--new-tokens", type=int, default=64)
    ap.add_argument("--batch", type=int, default=4)
    args = ap.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(1)
    lo, hi = (int(x) for x in args.layers.split(","))
    rows = {}
    for layers in (lo, hi):
        base = seconds_per_step(build(layers), args.batch, args.new_tokens)
        lora = get_peft_model(build(layers), LoraConfig(r=16, lora_alpha=32, lora_dropout=0.05,
                                                        target_modules="all-linear"))  # fmt: skip
        lora.train()
        rows[layers] = (base, seconds_per_step(lora, args.batch, args.new_tokens))
        print(
            f"{layers:3d} layers: {rows[layers][0] * 1e3:6.2f} ms/step plain, {rows[layers][1] * 1e3:6.2f} with LoRA"
        )
    per_layer = (rows[hi][0] - rows[lo][0]) / (hi - lo)
    per_lora_linear = ((rows[hi][1] - rows[hi][0]) - (rows[lo][1] - rows[lo][0])) / ((hi - lo) * 7)
    print(f"per layer {per_layer * 1e3:.3f} ms; per LoRA linear {per_lora_linear * 1e6:.0f} us; "
          f"per step (generate loop) {(rows[lo][0] - lo * per_layer) * 1e3:.2f} ms")  # fmt: skip


if __name__ == "__main__":
    main()

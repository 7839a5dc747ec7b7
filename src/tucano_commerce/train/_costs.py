"""Per-token time model of one GRPO step: generation (HF ``generate`` through PEFT, bf16 or bitsandbytes 4-bit;
vLLM) and the training pass. Constants are calibrated on published runs or measured here; each says which.

Nothing here is a GPU measurement made by this project. ``benchmarks/planner_anchors.py`` prints the planner's
prediction next to each published run it was calibrated on; the lead's GPU check adds measured points.

Decode step (one new token for every sequence of a generate call of ``batch`` sequences):

- GPU time = bytes moved / (peak bandwidth x ``MEMORY_EFFICIENCY``), or the matmul FLOPs
  2 x active params x batch / (peak x compute efficiency) when larger. Bytes = the linear weights (2 B/param
  in bf16; see ``bnb_bytes_per_param`` for 4-bit) + the lm_head (bf16) + the LoRA adapters (fp32; HF only, vLLM
  gets them merged) + the KV cache written so far (x ``HF_KV_TRAFFIC`` for HF, once for vLLM's paged cache).
- HF ``generate`` runs eagerly: every kernel is launched from Python, so a decode step also costs CPU time
  (``hf_dispatch_seconds``). The CPU runs ahead of the GPU until the step's one host sync, so a step takes the
  larger of the two, not their sum.
- vLLM captures the decode step in CUDA graphs: a small fixed scheduler/sampler cost per step
  (``VLLM_DISPATCH_S_PER_STEP``) is added to the GPU time.

Training pass: FLOPs = tokens x (6 x active params with gradient checkpointing: forward, backward through the
frozen base for input gradients, recompute; 4 without) + 6 x LoRA params x tokens, at ``COMPUTE_EFFICIENCY``
of the dense 16-bit peak. A bitsandbytes base also dequantizes every linear weight in each of those passes.
"""

from __future__ import annotations

import math

# ---------------------------------------------------------------------------------------------- calibration

# Share of peak DRAM bandwidth a memory-bound decode step reaches. Calibrated on anchor 2 (Unsloth's Qwen3-4B
# GRPO notebook, vLLM 16-bit on a free Colab T4: 100 steps in 2:54:46 = 104.9 s/step, 4 completions of
# ~1,846 tokens per step; unslothai/notebooks, nb/Qwen3_(4B)-GRPO.ipynb): after the training pass, its decode
# steps take ~51 ms, i.e. ~8.8 GB read per step at ~57 % of the T4's 320 GB/s. 0.6 is also the usual figure
# for GEMV-bound decoding on GDDR6/HBM; it is used for every backend and GPU.
MEMORY_EFFICIENCY = 0.6

# Model FLOP utilisation of the training pass (16-bit tensor cores). Not calibrated: no published run isolates
# it; it is <= 15 % of each anchor's step. 0.3 rather than the textbook 0.4-0.5 because LoRA with gradient
# checkpointing runs many small GEMMs and the micro-batches here are 1-8 sequences.
COMPUTE_EFFICIENCY = 0.3

# Bytes moved per linear parameter and decode step by a bitsandbytes NF4 layer when batch > 1. From first
# principles (bitsandbytes < 0.50 at batch > 1: dequantize_4bit writes a 16-bit copy, then F.linear reads it):
# read 0.52 B of codes + write 2 B + read 2 B = 4.5 B. Anchor 1 (TRL's QLoRA GRPO notebook: Qwen2-7B-Instruct,
# bnb 4-bit, HF generate, G 8 x 1 prompt, 256-token completions, T4: 47,229 s for 500 steps = 94.5 s/step;
# huggingface/trl, examples/notebooks/grpo_trl_lora_qlora.ipynb) implies about twice that: after its training
# pass, each of its 256 decode steps took ~0.3 s, ~60 GB at this bandwidth efficiency for 6.5 B linear params.
# 9.0 = 2 x 4.5 (rounded; in-sample for anchor 1). bitsandbytes >= 0.50 has fused small-batch 4-bit kernels that
# should cost less; unmeasured, so the planner stays on the calibrated (pessimistic) figure for 4-bit.
BNB_BATCHED_BYTES_PER_PARAM = 9.0
# At batch 1 bitsandbytes runs a fused 4-bit GEMV that reads the codes once (NF4 + double-quantised absmax).
NF4_BITS_PER_PARAM = 4 + 0.127

# CPU dispatch of one eager HF decode step, measured on this project's CPU machine with a 64-wide Qwen3 (compute
# ~0, so the time is Python + ATen dispatch; benchmarks/hf_decode_dispatch.py): 0.38 ms per decoder layer,
# +49-57 us per LoRA-wrapped linear (train mode, as TRL generates), ~0.5-1 ms per step for the generate loop,
# in the runs with the machine otherwise idle (load ~1; the same script under load 6-11 gives up to 2.5x more).
# On a GPU each of the ~35 kernels per layer and ~6 per LoRA linear also pays a CUDA launch (~3 us more than the
# CPU op it replaces, an estimate): hence 0.5 ms and 70 us. bitsandbytes' Linear4bit adds its own Python path
# (quant-state checks, matmul_4bit's autograd Function): 50 us per linear, an estimate (no CUDA here).
HF_DISPATCH_S_PER_LAYER = 0.5e-3
PEFT_DISPATCH_S_PER_LINEAR = 70e-6
BNB_DISPATCH_S_PER_LINEAR = 50e-6
HF_DISPATCH_S_PER_STEP = 2e-3

# HF's DynamicCache grows by torch.cat (transformers 5.24 cache_utils.py, DynamicLayer.update): every decode step
# reads and rewrites the whole cache, then attention reads it: 3x the KV bytes, where vLLM's paged cache reads it
# once. It matters at long completions: 4 x 4,096 tokens of Tucano2's KV are 2.3 GiB per step.
HF_KV_TRAFFIC = 3.0

# vLLM decode: scheduler, sampler and detokeniser per step on top of the graph-captured forward (estimate).
VLLM_DISPATCH_S_PER_STEP = 3e-3
# vLLM memory besides weights and KV inside its pool: profiled activations for max_num_batched_tokens 4096
# (TRL's colocate setting), CUDA graphs, sampler buffers, NCCL/cuBLAS workspaces (estimate).
VLLM_WORKSPACE_GIB = 1.0
# Colocate sleep mode (level 2): empty_cache + wake_up(weights) + wake_up(kv_cache) + sleep per generate call,
# on top of re-pushing the weights (estimate: cuMem map/unmap of ~10 GiB plus vLLM's bookkeeping).
VLLM_SLEEP_CYCLE_S = 1.0
# Weight sync (TRL: merge_adapter, push every merged tensor with load_weights, unmerge_adapter): 4 B/param to
# merge (read + write), 4 to push (copy), 4 to unmerge, at MEMORY_EFFICIENCY; plus Python per tensor (estimate).
SYNC_BYTES_PER_PARAM = 12.0
SYNC_S_PER_TENSOR = 0.5e-3
# Server mode pushes the merged weights to the vLLM GPU over NCCL: PCIe 4.0 x16 in practice (estimate).
INTERCONNECT_GB_S = 20.0


# ------------------------------------------------------------------------------------------------ helpers


def bnb_bytes_per_param(batch: int) -> float:
    """Bytes per linear parameter a 4-bit bitsandbytes layer moves per decode step at ``batch`` sequences."""
    return NF4_BITS_PER_PARAM / 8 if batch <= 1 else BNB_BATCHED_BYTES_PER_PARAM


def hf_dispatch_seconds(layers: int, lora_linears: int, linears: int, quantized: bool) -> float:
    """CPU time to launch one eager HF decode step (per layer: the layer, its LoRA wrappers, bnb's path)."""
    per_layer = HF_DISPATCH_S_PER_LAYER + lora_linears * PEFT_DISPATCH_S_PER_LINEAR
    if quantized:
        per_layer += linears * BNB_DISPATCH_S_PER_LINEAR
    return layers * per_layer + HF_DISPATCH_S_PER_STEP


def integrate_decode(step_seconds, start_context: int, steps: int, slices: int = 32) -> float:
    """Sum ``step_seconds(context)`` over ``steps`` decode steps whose context grows from ``start_context``.

    The per-step cost is piecewise linear in the context (KV read grows, weights do not), so a midpoint sum over
    ``slices`` equal slices is exact up to the max() switches between GPU and CPU bound.
    """
    if steps <= 0:
        return 0.0
    n = min(slices, steps)
    width = steps / n
    return sum(step_seconds(start_context + (i + 0.5) * width) * width for i in range(n))


def expected_extra_rounds(groups: int, informative_share: float, k: int, cap: int) -> float:
    """Expected extra generation rounds of DAPO dynamic sampling, capped at ``cap``.

    A step draws generation batches of ``groups`` groups until ``k`` of all drawn groups are informative (reward
    std > 0) or ``cap`` extra batches are spent. Each group is informative with probability
    ``informative_share``, independently. E[extra] = sum over j = 1..cap of P(fewer than k informative groups
    among the first j batches) = sum_j P(Binomial(j x groups, p) < k).
    """
    p = min(max(informative_share, 0.0), 1.0)
    total = 0.0
    for j in range(1, cap + 1):
        n = j * groups
        total += sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(min(k, n + 1)))
    return total

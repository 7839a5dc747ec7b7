"""A principled VRAM and wall-clock planner for one GRPO run (TRL 1.16, LoRA/QLoRA, one GPU).

Every number is an estimate from formulas, not a measurement; the formulas follow
``/work/shared/notes/grpo-trl.md`` §7 and are stated next to each term below.

Memory (GiB = 2**30 bytes). Peak = static + max(generation phase, training phase) + CUDA context
+ 10 % of the dynamic peak for workspaces/fragmentation. A colocated vLLM pool is reserved up front,
so with ``use_vllm`` it is added on top of the training phase (and replaces the HF KV cache).

- ``weights``: bf16 = 2 B/param. 4-bit = NF4 with double quant on the decoder's linear layers,
  (4 + 0.127) bits/param (blocks of 64 with an 8-bit absmax, itself quantised in blocks of 256);
  embedding, lm_head (when untied) and norms stay bf16, as bitsandbytes leaves them.
- ``lora``: r × (d_in + d_out) per targeted projection and layer (every expert for MoE MLPs),
  × 16 B (fp32 weight 4 + grad 4 + AdamW moments 8).
- ``activations``: micro-batch B = per_device_train_batch_size, L = prompt + completion tokens.
  With checkpointing: layers × B·L·hidden × 2 B (saved layer inputs) + one recomputed layer
  B·L·(4·hidden + 2·q + 2·kv + 4·inter)·2 B. Without: that full layer × layers. So k = 2 B per hidden
  unit per layer with checkpointing and k = 2·(4h + 2q + 2kv + 4i)/h B (≈ 46 B for Qwen3-4B) without.
- ``logits``: only completion tokens get logits (TRL's ``logits_to_keep``). Naive: B × C × V × 4 B (fp32)
  × 2 (logits + log-softmax). Fused (TRL 1.16 default): one tile of min(B·C, 4096) tokens ×
  min(V, 32768) vocab × 2 B = 256 MiB at most, independent of B and C.
- ``kv_cache`` (HF generate): 2 × layers × kv_heads × head_dim × (prompt + completion) × gen batch × 2 B.
  TRL generates ``per_device_train_batch_size × steps_per_generation`` completions in one call
  (``steps_per_generation`` defaults to ``gradient_accumulation_steps``), so the gen batch is bs × GA,
  not G. Set ``generation_batch_size`` to override.
- ``vllm_pool``: ``vllm_gpu_memory_utilization`` × GPU memory (vLLM holds its own bf16 weights + KV).
- ``cuda_context``: 0.75 GiB.

Time, per optimizer step (one step = bs × GA completions):

- generation, bandwidth-bound lower bound: every decode step reads the weights once for the whole
  gen batch (the active params for MoE) plus the KV cache written so far; summed over C decode steps,
  bytes = C × weight_bytes + gen_batch × kv_bytes_per_token × C × (P + C/2); divided by
  bandwidth × ``generation_efficiency``. Prefill is added as compute: 2 × active params × P × gen_batch.
- training compute: tokens = bs × GA × (P + C); FLOPs = tokens × active params × (2 forward
  + 2 backward through the frozen base for input grads + 2 recompute when checkpointing)
  + 6 × LoRA params × tokens; divided by peak bf16 FLOP/s × ``compute_efficiency``. The old/ref
  log-prob forward is skipped (beta = 0, one iteration), as TRL does then.
- evals: every ``eval_steps`` steps, ``eval_examples × num_generations`` completions generated in
  batches of the gen batch, at the same bandwidth bound.

Sanity check against the note's §7.2 (Qwen3-4B, NF4, r16, 512 + 4096, L4): case A (bs=1, gen batch 4)
gives 6.5 GiB here vs ≈ 6.7 in the note; C (bs=4, gen batch 8) 9.7 vs ≈ 9.8; E (vLLM 0.5, bs=1) 16.7 vs
≈ 16.7. Disagreement: D (no fused head, bs=4) is 29.8 here vs ≈ 19.7 in the note, because the note
models TRL 0.24's bf16 logits (≈ 2.3 GiB per sequence, ≈ 9.3 GiB) while the naive term here is fp32
logits + fp32 log-softmax (18.5 GiB). §7.3's CPU naive measurement (8.1 GiB at B=1, C=4096) is above
this planner's 4.6 GiB, since it also holds the logits' gradient and temporaries: treat the naive
term as a floor; either way it does not fit on an L4, which is the conclusion that matters.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tucano_commerce.errors import UnknownNameError
from tucano_commerce.train._shapes import ModelShape, get_shape

GIB = 2**30

LORA_TARGETS = ("q", "k", "v", "o", "gate", "up", "down")
_TARGET_ALIASES = {f"{m}_proj": m for m in LORA_TARGETS}


class GpuSpec(BaseModel):
    """Nominal numbers of one accelerator."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(description="Short name, e.g. 'l4'.")
    memory_gib: float = Field(gt=0, description="Memory visible to CUDA, GiB.")
    bandwidth_gb_s: float = Field(gt=0, description="Peak memory bandwidth, GB/s (1e9 B/s).")
    bf16_tflops: float = Field(gt=0, description="Peak dense bf16 tensor-core TFLOP/s (no sparsity).")


# Nominal datasheet numbers. L4: 24 GB GDDR6 (nvidia-smi shows 23,034 MiB ≈ 22.5 GiB), 300 GB/s,
# 121 TFLOP/s dense bf16 (242 with sparsity). A100 80GB SXM: 2,039 GB/s, 312 TFLOP/s dense bf16.
# H100 80GB SXM: 3,350 GB/s, 989 TFLOP/s dense bf16; nvidia-smi shows 81,559 MiB.
GPUS: dict[str, GpuSpec] = {
    "l4": GpuSpec(name="l4", memory_gib=22.5, bandwidth_gb_s=300, bf16_tflops=121),
    "a100": GpuSpec(name="a100", memory_gib=80.0, bandwidth_gb_s=2039, bf16_tflops=312),
    "h100": GpuSpec(name="h100", memory_gib=79.6, bandwidth_gb_s=3350, bf16_tflops=989),
}

CUDA_CONTEXT_GIB = 0.75
OVERHEAD_FRACTION = 0.10  # workspaces and fragmentation, on the dynamic peak
NF4_BITS_PER_PARAM = 4 + 0.127  # 4-bit codes + double-quantised absmax (8/64 + 32/(64*256))
FUSED_TILE_TOKENS, FUSED_TILE_VOCAB = 4096, 32768


class PlanInputs(BaseModel):
    """What the planner needs to know about one GRPO run. Defaults are the ADR's v3 config."""

    model_config = ConfigDict(extra="forbid")

    model: ModelShape = Field(
        description="Model shape, or a preset name (qwen3-4b, tucano2-qwen-3.7b, qwen3-30b-a3b)."
    )
    quantization: Literal["none", "4bit"] = Field(
        default="4bit",
        description="'none' = bf16 weights; '4bit' = bitsandbytes NF4 with double quant (QLoRA).",
    )
    lora_r: int = Field(default=16, ge=1, description="LoRA rank r.")
    lora_target_modules: tuple[str, ...] = Field(
        default=LORA_TARGETS,
        description="Projections that get adapters: q, k, v, o, gate, up, down ('*_proj' ok).",
    )
    max_prompt_length: int = Field(default=1024, ge=1, description="Prompt tokens (TRL max_prompt_length).")
    max_completion_length: int = Field(
        default=4096, ge=1, description="Completion tokens (TRL max_completion_length)."
    )
    num_generations: int = Field(default=4, ge=1, description="Completions per prompt, G.")
    per_device_train_batch_size: int = Field(default=4, ge=1, description="Completions per micro-batch.")
    gradient_accumulation_steps: int = Field(default=4, ge=1, description="Micro-batches per optimizer step.")
    generation_batch_size: int | None = Field(
        default=None,
        ge=1,
        description="Completions generated per call; None = bs × GA, as TRL does by default.",
    )
    gradient_checkpointing: bool = Field(default=True, description="Recompute layer activations in backward.")
    fused_lm_head: bool = Field(
        default=True,
        description="TRL 1.16's chunked lm_head + log-softmax (default True); False = full logits.",
    )
    use_vllm: bool = Field(default=False, description="Generate with colocated vLLM instead of HF generate.")
    vllm_gpu_memory_utilization: float = Field(
        default=0.5, gt=0, le=1, description="Share of GPU memory vLLM reserves when use_vllm."
    )
    max_steps: int = Field(default=500, ge=1, description="Optimizer steps.")
    eval_steps: int = Field(default=50, ge=1, description="Steps between evaluations.")
    eval_examples: int = Field(
        default=40, ge=0, description="Prompts per evaluation (each gets G completions)."
    )
    generation_efficiency: float = Field(
        default=0.6,
        gt=0,
        le=1,
        description="Share of peak bandwidth decoding reaches (bandwidth-bound bound).",
    )
    compute_efficiency: float = Field(
        default=0.4, gt=0, le=1, description="Share of peak bf16 FLOP/s training reaches (MFU)."
    )

    @field_validator("model", mode="before")
    @classmethod
    def _preset(cls, value: object) -> object:
        return get_shape(value) if isinstance(value, str) else value

    @field_validator("lora_target_modules", mode="before")
    @classmethod
    def _targets(cls, value: object) -> object:
        if isinstance(value, str):
            value = (value,)
        names = tuple(_TARGET_ALIASES.get(str(v), str(v)) for v in value)  # type: ignore[union-attr]
        bad = [n for n in names if n not in LORA_TARGETS]
        if bad:
            raise ValueError(f"unknown LoRA targets {bad}; use some of {list(LORA_TARGETS)}")
        return names

    @property
    def gen_batch(self) -> int:
        """Completions generated per generate call."""
        return (
            self.generation_batch_size or self.per_device_train_batch_size * self.gradient_accumulation_steps
        )


class Plan(BaseModel):
    """The planner's answer. ``model_dump()`` is the JSON form."""

    gpu: str = Field(description="GPU the plan is for.")
    model: str = Field(description="Model shape name.")
    terms: dict[str, float] = Field(description="Each memory term, GiB (see the module docstring).")
    total_gib: float = Field(description="Estimated peak, GiB.")
    gpu_memory_gib: float = Field(description="Memory the GPU offers, GiB.")
    headroom_gib: float = Field(description="gpu_memory_gib − total_gib.")
    fits: bool = Field(description="Whether total_gib ≤ gpu_memory_gib.")
    time_terms: dict[str, float] = Field(
        description="Seconds per step: generation, prefill, training; eval s."
    )
    seconds_per_step: float = Field(description="Estimated seconds per optimizer step (lower bound).")
    eval_seconds: float = Field(description="Seconds per evaluation.")
    hours: float = Field(description="max_steps × seconds_per_step + evals, in hours.")
    context_warnings: list[str] = Field(
        description="Prompt + completion exceeding the model's context, and fixes."
    )
    inputs: dict[str, object] = Field(description="The inputs the plan was made from.")


def _lora_params(inputs: PlanInputs) -> int:
    shape, dims = inputs.model, inputs.model.linear_dims()
    per_layer = sum(shape.module_copies(m) * (dims[m][0] + dims[m][1]) for m in inputs.lora_target_modules)
    return shape.layers * inputs.lora_r * per_layer


def _weight_bytes(shape: ModelShape, quantization: str, *, active_only: bool = False) -> float:
    linear = shape.linear_params(active_only=active_only)
    other = shape.embedding_params() + shape.norm_params()
    if quantization == "4bit":
        return linear * NF4_BITS_PER_PARAM / 8 + other * 2
    return (linear + other) * 2.0


def _decode_seconds(inputs: PlanInputs, gpu: GpuSpec, batch: int) -> tuple[float, float]:
    """Bandwidth-bound decode time and compute-bound prefill time for one generate call of ``batch``."""
    shape, p, c = inputs.model, inputs.max_prompt_length, inputs.max_completion_length
    weight_read = _weight_bytes(shape, inputs.quantization, active_only=True)
    kv_read = batch * shape.kv_bytes_per_token() * c * (p + c / 2)
    decode = (c * weight_read + kv_read) / (gpu.bandwidth_gb_s * 1e9 * inputs.generation_efficiency)
    prefill = 2 * shape.n_active_params * p * batch / (gpu.bf16_tflops * 1e12 * inputs.compute_efficiency)
    return decode, prefill


def plan(inputs: PlanInputs, gpu: str) -> Plan:
    """Estimate peak memory and wall-clock time of a GRPO run on ``gpu`` ('l4', 'a100' or 'h100')."""
    try:
        spec = GPUS[gpu.lower()]
    except KeyError:
        raise UnknownNameError(f"unknown GPU {gpu!r}; choose one of {sorted(GPUS)}") from None
    shape = inputs.model
    p, c, bs = inputs.max_prompt_length, inputs.max_completion_length, inputs.per_device_train_batch_size
    seq = p + c
    q, kv = shape.heads * shape.head_dim, shape.kv_heads * shape.head_dim
    inter = shape.intermediate * (shape.n_active_experts or 1)
    full_layer = bs * seq * (4 * shape.hidden + 2 * q + 2 * kv + 4 * inter) * 2
    if inputs.gradient_checkpointing:
        activations = shape.layers * bs * seq * shape.hidden * 2 + full_layer
    else:
        activations = shape.layers * full_layer
    if inputs.fused_lm_head:
        logits = min(bs * c, FUSED_TILE_TOKENS) * min(shape.vocab, FUSED_TILE_VOCAB) * 2
    else:
        logits = bs * c * shape.vocab * 4 * 2
    lora = _lora_params(inputs)
    terms_b = {
        "weights": _weight_bytes(shape, inputs.quantization),
        "lora": lora * 16.0,
        "activations": float(activations),
        "logits": float(logits),
        "kv_cache": 0.0 if inputs.use_vllm else float(shape.kv_bytes_per_token() * seq * inputs.gen_batch),
        "vllm_pool": inputs.vllm_gpu_memory_utilization * spec.memory_gib * GIB if inputs.use_vllm else 0.0,
    }
    terms = {k: v / GIB for k, v in terms_b.items()}
    train_phase = terms["activations"] + terms["logits"]
    dynamic = max(terms["kv_cache"], train_phase) if not inputs.use_vllm else train_phase
    terms["cuda_context"] = CUDA_CONTEXT_GIB
    terms["overhead"] = OVERHEAD_FRACTION * dynamic
    total = (
        terms["weights"] + terms["lora"] + terms["vllm_pool"] + dynamic + CUDA_CONTEXT_GIB + terms["overhead"]
    )

    steps_per_call = bs * inputs.gradient_accumulation_steps / inputs.gen_batch
    decode, prefill = _decode_seconds(inputs, spec, inputs.gen_batch)
    tokens = bs * inputs.gradient_accumulation_steps * seq
    passes = 6 if inputs.gradient_checkpointing else 4
    flops = tokens * (shape.n_active_params * passes + 6 * lora)
    train_s = flops / (spec.bf16_tflops * 1e12 * inputs.compute_efficiency)
    gen_s, prefill_s = decode * steps_per_call, prefill * steps_per_call
    seconds_per_step = gen_s + prefill_s + train_s
    eval_completions = inputs.eval_examples * inputs.num_generations
    eval_s = 0.0
    if eval_completions:
        calls, last = divmod(eval_completions, inputs.gen_batch)
        eval_s = calls * sum(_decode_seconds(inputs, spec, inputs.gen_batch))
        if last:
            eval_s += sum(_decode_seconds(inputs, spec, last))
    n_evals = inputs.max_steps // inputs.eval_steps
    hours = (inputs.max_steps * seconds_per_step + n_evals * eval_s) / 3600

    warnings: list[str] = []
    if seq > shape.context:
        warnings.append(
            f"max_prompt_length {p} + max_completion_length {c} = {seq} tokens exceeds {shape.name}'s "
            f"{shape.context}-token context; lower max_completion_length to {max(shape.context - p, 0)} "
            f"(context − prompt), shorten prompts, or use a longer-context base (e.g. qwen3-4b, 32,768)."
        )
    return Plan(
        gpu=spec.name,
        model=shape.name,
        terms={k: round(v, 3) for k, v in terms.items()},
        total_gib=round(total, 2),
        gpu_memory_gib=spec.memory_gib,
        headroom_gib=round(spec.memory_gib - total, 2),
        fits=total <= spec.memory_gib,
        time_terms={
            "generation_s": round(gen_s, 1),
            "prefill_s": round(prefill_s, 1),
            "training_s": round(train_s, 1),
            "eval_s": round(eval_s, 1),
        },
        seconds_per_step=round(seconds_per_step, 1),
        eval_seconds=round(eval_s, 1),
        hours=round(hours, 2),
        context_warnings=warnings,
        inputs=inputs.model_dump(mode="json"),
    )


_LABELS = {
    "weights": "Base weights",
    "lora": "LoRA params + grads + AdamW (fp32)",
    "activations": "Activations",
    "logits": "Logits",
    "kv_cache": "KV cache (HF generate)",
    "vllm_pool": "vLLM pool",
    "cuda_context": "CUDA context",
    "overhead": "Workspaces / fragmentation (10% of dynamic)",
}


def plan_to_table(result: Plan) -> str:
    """Render a plan as the ADR's step-3.6 markdown table (memory, then time)."""
    inp = result.inputs
    lines = [
        f"GRPO plan: {result.model} on {result.gpu} ({inp['quantization']}, LoRA r={inp['lora_r']}, "
        f"prompt {inp['max_prompt_length']} + completion {inp['max_completion_length']}, "
        f"G={inp['num_generations']}, bs={inp['per_device_train_batch_size']}, "
        f"GA={inp['gradient_accumulation_steps']})",
        "",
        "| Term | GiB |",
        "|---|---:|",
    ]
    lines += [f"| {_LABELS.get(k, k)} | {v:.2f} |" for k, v in result.terms.items()]
    lines += [
        f"| **Peak (static + max(generation, training) + context)** | **{result.total_gib:.2f}** |",
        f"| GPU memory | {result.gpu_memory_gib:.2f} |",
        f"| Headroom | {result.headroom_gib:.2f} ({'fits' if result.fits else 'DOES NOT FIT'}) |",
        "",
        "| Time | Value |",
        "|---|---:|",
        f"| Generation per step (bandwidth bound) | {result.time_terms['generation_s']:.1f} s |",
        f"| Prefill per step | {result.time_terms['prefill_s']:.1f} s |",
        f"| Training per step | {result.time_terms['training_s']:.1f} s |",
        f"| **Seconds per step** | **{result.seconds_per_step:.1f}** |",
        f"| Seconds per eval | {result.eval_seconds:.1f} |",
        f"| **Hours ({inp['max_steps']} steps + evals every {inp['eval_steps']})** | **{result.hours:.2f}** |",
    ]
    if result.context_warnings:
        lines += ["", *(f"WARNING: {w}" for w in result.context_warnings)]
    return "\n".join(lines)

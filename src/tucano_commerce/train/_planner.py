"""A VRAM and wall-clock planner for one GRPO run (TRL 1.16, LoRA/QLoRA, HF generate or vLLM, 1+ GPUs).

Every number is an estimate from formulas, not a measurement. Memory follows
``docs/sources.md#grpo-memory-model`` (within ~1 % of TRL's QLoRA notebook); time follows the per-token cost
model of ``_costs.py``, calibrated on published runs (``benchmarks/planner_anchors.py`` prints them).

Memory (GiB = 2**30 bytes), per GPU (each process holds a full copy under DDP):

- ``weights``: bf16 = 2 B/param. 4-bit = NF4 with double quant on the decoder's linear layers,
  (4 + 0.127) bits/param; embedding, lm_head (when untied) and norms stay bf16, as bitsandbytes leaves them.
- ``lora``: r × (d_in + d_out) per targeted projection and layer (every expert for MoE MLPs),
  × 16 B (fp32 weight 4 + grad 4 + AdamW moments 8).
- ``activations``: micro-batch B = per_device_train_batch_size, L = prompt + completion tokens.
  With checkpointing: layers × B·L·hidden × 2 B (saved layer inputs) + one recomputed layer
  B·L·(4·hidden + 2·q + 2·kv + 4·inter)·2 B. Without: that full layer × layers.
- ``logits``: only completion tokens get logits (TRL's ``logits_to_keep``). Naive: B × C × V × 4 B (fp32)
  × 2 (logits + log-softmax). Fused (TRL 1.16 default): one tile of min(B·C, 4096) tokens ×
  min(V, 32768) vocab × 2 B = 256 MiB at most, independent of B and C.
- ``kv_cache`` (HF generate): 2 × layers × kv_heads × head_dim × 2 B per token × (prompt + completion) × the
  larger of the per-process generation batch and ``per_device_eval_batch_size`` (eval generates too).
  TRL's ``generation_batch_size`` is GLOBAL: per_device_train_batch_size × num_processes ×
  steps_per_generation (``steps_per_generation`` defaults to gradient_accumulation_steps); each process
  generates its 1/num_processes share in one call.
- ``vllm_pool`` (colocate only): ``vllm_gpu_memory_utilization`` × GPU memory, reserved when vLLM starts; it
  must hold vLLM's own bf16 weights, ~1 GiB of workspace and the KV of at least one ``max_model_len``
  sequence (vLLM refuses to start otherwise); the rest is KV, which caps how many sequences decode at
  once. Server mode (``trl vllm-serve`` on another GPU) charges nothing to the training GPU; its pool is
  checked against a whole GPU of the same kind.
- ``cuda_context``: 0.75 GiB; ``overhead``: 10 % of the dynamic peak (workspaces, fragmentation).

Peak = static (weights + lora) + context + the larger of the generation phase (KV, or the vLLM pool) and
the training phase (activations + logits + overhead). Colocated vLLM without sleep mode keeps its pool
during training, so pool and training phase add up; with ``vllm_enable_sleep_mode`` (level 2) it frees its
weights and KV between generate calls and the two phases alternate.

Time, per optimizer step (one process; processes run in parallel), for two cases:

- ``typical``: every generate call runs ``typical_completion_share`` × max_completion_length decode steps
  (a batch runs until its longest completion stops) and dynamic sampling spends its expected extra rounds;
- ``cap``: every call runs to max_completion_length and dynamic sampling spends all ``max_extra_batches``.

Each step = generate calls (GA / steps_per_generation per step) + for vLLM the weight sync (and a
wake/sleep cycle per call with sleep mode) + the training pass (+ one no-grad log-prob forward with vLLM's
importance-sampling correction, or when steps_per_generation > GA) + dynamic sampling's extra rounds. An eval
generates ``eval_examples × num_generations_eval`` completions in calls of ``per_device_eval_batch_size``
(TRL repeats each eval prompt ``num_generations_eval`` times and batches completions), plus their loss
forward. ``seconds_per_step``/``hours`` are the cap case (the conservative end); ``*_range`` give both ends;
``eval_share`` is the larger share of wall time spent in eval over the two cases.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tucano_commerce.errors import UnknownNameError
from tucano_commerce.train import _costs as costs
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
    bf16_tflops: float = Field(
        gt=0, description="Peak dense 16-bit tensor-core TFLOP/s (no sparsity; fp16 where bf16 is absent)."
    )


# Nominal datasheet numbers.
# T4: 16 GB GDDR6 (nvidia-smi 15,360 MiB = 15.0 GiB; Colab reports 14.74 GiB usable), 320 GB/s, 65 TFLOP/s
#   fp16 tensor cores; no bf16 tensor cores (Turing), so 16-bit training there runs in fp16.
# L4: 24 GB GDDR6 (nvidia-smi 23,034 MiB ≈ 22.5 GiB), 300 GB/s, 121 TFLOP/s dense bf16 (242 with sparsity).
# A100 80GB SXM: 2,039 GB/s, 312 TFLOP/s dense bf16. H100 80GB SXM: 3,350 GB/s, 989 TFLOP/s dense bf16;
#   nvidia-smi 81,559 MiB. H200 SXM: 141 GB HBM3e (nvidia-smi ~143,771 MiB ≈ 140 GiB), 4,800 GB/s, 989 TFLOP/s.
GPUS: dict[str, GpuSpec] = {
    "t4": GpuSpec(name="t4", memory_gib=15.0, bandwidth_gb_s=320, bf16_tflops=65),
    "l4": GpuSpec(name="l4", memory_gib=22.5, bandwidth_gb_s=300, bf16_tflops=121),
    "a100": GpuSpec(name="a100", memory_gib=80.0, bandwidth_gb_s=2039, bf16_tflops=312),
    "h100": GpuSpec(name="h100", memory_gib=79.6, bandwidth_gb_s=3350, bf16_tflops=989),
    "h200": GpuSpec(name="h200", memory_gib=140.0, bandwidth_gb_s=4800, bf16_tflops=989),
}

CUDA_CONTEXT_GIB = 0.75
OVERHEAD_FRACTION = 0.10  # workspaces and fragmentation, on the dynamic peak
NF4_BITS_PER_PARAM = costs.NF4_BITS_PER_PARAM
FUSED_TILE_TOKENS, FUSED_TILE_VOCAB = 4096, 32768
TRL_SERVER_GPU_MEMORY_UTILIZATION = 0.9  # `trl vllm-serve --gpu_memory_utilization` default
VLLM_MARGIN_GIB = 1.0  # left free when the planner sizes a colocated vLLM pool (the estimates are not exact)

# The ADR's own figure for its L4 run, shown next to the plan: an estimate by the ADR's author, not a measurement.
ADR_ESTIMATE = {
    "seconds_per_step": 300.0,
    "hours": 42.0,
    "source": "ADR GRPO v3 (one L4): '~5 min/step, ~42 h' — the author's estimate, not a measurement",
}


def gpu_spec(name: str) -> GpuSpec:
    """The preset called ``name``; an unknown name lists the valid ones."""
    try:
        return GPUS[name.lower()]
    except KeyError:
        raise UnknownNameError(f"unknown GPU {name!r}; choose one of {sorted(GPUS)}") from None


class PlanInputs(BaseModel):
    """What the planner needs to know about one GRPO run. Defaults are the ADR's v3 config."""

    model_config = ConfigDict(extra="forbid")

    model: ModelShape = Field(
        description="Model shape, or a preset name (qwen3-4b, tucano2-qwen-3.7b, qwen2-7b, qwen3-30b-a3b)."
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
    max_prompt_length: int = Field(default=1024, ge=1, description="Prompt tokens (data.max_prompt_tokens).")
    max_completion_length: int = Field(
        default=4096, ge=1, description="Completion tokens (TRL max_completion_length)."
    )
    num_generations: int = Field(default=4, ge=1, description="Completions per prompt, G.")
    per_device_train_batch_size: int = Field(default=4, ge=1, description="Completions per micro-batch.")
    gradient_accumulation_steps: int = Field(default=4, ge=1, description="Micro-batches per optimizer step.")
    num_processes: int = Field(
        default=1, ge=1, description="Training processes (GPUs); TRL's generation batch is global."
    )
    generation_batch_size: int | None = Field(
        default=None,
        ge=1,
        description="GLOBAL completions per generation (all processes); None = bs × num_processes × "
        "steps_per_generation, as TRL does.",
    )
    steps_per_generation: int | None = Field(
        default=None,
        ge=1,
        description="Micro-batches one generation feeds; None = gradient_accumulation_steps.",
    )
    gradient_checkpointing: bool = Field(default=True, description="Recompute layer activations in backward.")
    fused_lm_head: bool = Field(
        default=True,
        description="TRL 1.16's chunked lm_head + log-softmax (default True); False = full logits.",
    )
    use_vllm: bool = Field(default=False, description="Generate with vLLM instead of HF generate.")
    vllm_mode: Literal["colocate", "server"] = Field(
        default="colocate", description="'colocate' = same GPU; 'server' = `trl vllm-serve` on another GPU."
    )
    vllm_gpu_memory_utilization: float = Field(
        default=0.3,
        gt=0,
        le=1,
        description="Share of GPU memory a colocated vLLM reserves (TRL's default 0.3); in server mode, the "
        "server's --gpu_memory_utilization (the planner then assumes trl vllm-serve's 0.9 unless set).",
    )
    vllm_enable_sleep_mode: bool = Field(
        default=False, description="Colocate: vLLM frees its weights and KV between generate calls (level 2)."
    )
    vllm_max_model_length: int | None = Field(
        default=None, ge=1, description="vLLM's max_model_len; None = the model's context."
    )
    vllm_importance_sampling_correction: bool = Field(
        default=True,
        description="TRL's vLLM IS correction (default on): one no-grad log-prob forward per step.",
    )
    max_steps: int = Field(default=500, ge=1, description="Optimizer steps.")
    eval_steps: int = Field(default=10, ge=1, description="Steps between evaluations.")
    eval_examples: int = Field(
        default=50,
        ge=0,
        description="Eval prompts per evaluation (0 = no eval); the data build's default is 50.",
    )
    num_generations_eval: int | None = Field(
        default=None, ge=1, description="Completions per eval prompt; None = num_generations (TRL)."
    )
    per_device_eval_batch_size: int = Field(
        default=4,
        ge=1,
        description="Eval completions per generate call and process (TRL counts completions).",
    )
    typical_completion_share: float = Field(
        default=0.5,
        gt=0,
        le=1,
        description="Typical case: a generate call runs this share of max_completion_length (its longest "
        "completion). An assumption, not a measurement: GRPO v2 hit its cap; 0.5 is a run whose lengths are "
        "under control (watch completions/clipped_ratio).",
    )
    dynamic_sampling: bool = Field(
        default=False, description="DAPO dynamic sampling (dynamic_sampling.enabled)."
    )
    min_informative_groups: int = Field(default=1, ge=1, description="k: informative groups a step needs.")
    max_extra_batches: int = Field(default=2, ge=0, description="Cap on extra generation rounds per step.")
    zero_std_share: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="Assumed share of groups whose rewards all tie (TRL logs frac_reward_zero_std): no "
        "measurement for this model yet; 0.5 is a guess, set it from a run's logs.",
    )
    generation_efficiency: float = Field(
        default=costs.MEMORY_EFFICIENCY,
        gt=0,
        le=1,
        description="Share of peak bandwidth a decode step reaches (see _costs.MEMORY_EFFICIENCY).",
    )
    compute_efficiency: float = Field(
        default=costs.COMPUTE_EFFICIENCY,
        gt=0,
        le=1,
        description="Share of peak 16-bit FLOP/s training and prefill reach (MFU).",
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
        if not isinstance(value, Iterable):
            raise ValueError(f"lora_target_modules must be a module name or a list of them, got {value!r}")
        names = tuple(_TARGET_ALIASES.get(str(v), str(v)) for v in value)
        bad = [n for n in names if n not in LORA_TARGETS]
        if bad:
            raise ValueError(f"unknown LoRA targets {bad}; use some of {list(LORA_TARGETS)}")
        return names

    @model_validator(mode="after")
    def _batches(self) -> PlanInputs:
        if self.generation_batch_size is not None and self.steps_per_generation is not None:
            raise ValueError("set generation_batch_size or steps_per_generation, not both (TRL refuses both)")
        per_step = self.per_device_train_batch_size * self.num_processes
        if self.generation_batch_size is not None and self.generation_batch_size % per_step:
            raise ValueError(
                f"generation_batch_size {self.generation_batch_size} (global) is not a multiple of "
                f"per_device_train_batch_size × num_processes = {per_step}"
            )
        return self

    @property
    def steps_per_gen(self) -> int:
        """Micro-batches one generation batch feeds (TRL's ``steps_per_generation``)."""
        if self.generation_batch_size is not None:
            return self.generation_batch_size // (self.per_device_train_batch_size * self.num_processes)
        return self.steps_per_generation or self.gradient_accumulation_steps

    @property
    def gen_batch_global(self) -> int:
        """Completions per generation batch over all processes (TRL's ``generation_batch_size``)."""
        return self.per_device_train_batch_size * self.num_processes * self.steps_per_gen

    @property
    def gen_batch(self) -> int:
        """Completions one process generates per generate call."""
        return self.per_device_train_batch_size * self.steps_per_gen

    @property
    def g_eval(self) -> int:
        """Completions per eval prompt."""
        return self.num_generations_eval or self.num_generations


class Plan(BaseModel):
    """The planner's answer. ``model_dump()`` is the JSON form."""

    gpu: str = Field(description="GPU the plan is for.")
    model: str = Field(description="Model shape name.")
    terms: dict[str, float] = Field(description="Each memory term, GiB (see the module docstring).")
    total_gib: float = Field(description="Estimated peak, GiB.")
    gpu_memory_gib: float = Field(description="Memory the GPU offers, GiB.")
    headroom_gib: float = Field(description="gpu_memory_gib − total_gib.")
    fits: bool = Field(description="Whether total_gib ≤ gpu_memory_gib and vLLM (if used) can start.")
    problems: list[str] = Field(default_factory=list, description="Why it does not fit or start, with fixes.")
    time_terms: dict[str, float] = Field(description="Cap case, seconds per step by part; eval_s per eval.")
    seconds_per_step: float = Field(description="Seconds per optimizer step, cap case (= range's upper end).")
    seconds_per_step_range: tuple[float, float] = Field(description="[typical, cap] seconds per step.")
    eval_seconds: float = Field(description="Seconds per evaluation, cap case.")
    eval_seconds_range: tuple[float, float] = Field(description="[typical, cap] seconds per evaluation.")
    evals: int = Field(description="Evaluations in the run (max_steps // eval_steps; 0 without eval).")
    hours: float = Field(description="max_steps × seconds_per_step + evals, cap case, hours.")
    hours_range: tuple[float, float] = Field(description="[typical, cap] hours for the whole run.")
    eval_share: float = Field(description="Share of wall time spent in eval (the larger of the two cases).")
    batches: dict[str, int] = Field(description="Generation/eval batching as TRL will run it.")
    vllm: dict[str, Any] | None = Field(None, description="vLLM pool, KV and sizing (None without vLLM).")
    dynamic_sampling: dict[str, float] | None = Field(None, description="Extra generation rounds per step.")
    adr_estimate: dict[str, Any] | None = Field(None, description="The ADR's own L4 estimate (l4 only).")
    context_warnings: list[str] = Field(
        description="Prompt + completion exceeding the model's context, and fixes."
    )
    notes: list[str] = Field(
        default_factory=list, description="Non-blocking remarks (e.g. vLLM decoding in waves)."
    )
    inputs: dict[str, object] = Field(description="The inputs the plan was made from.")


# ------------------------------------------------------------------------------------------------- memory


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


def _vllm_budget(inputs: PlanInputs, spec: GpuSpec, static_gib: float, training_gib: float) -> dict[str, Any]:
    """vLLM's pool, what it must hold, how many sequences decode at once, and the utilisation to ask for.

    ``min_gpu_memory_utilization`` holds vLLM's weights, workspace and the KV of one generation batch
    (G × (prompt + completion) for one prompt per step; at least one ``max_model_len`` sequence).
    ``recommended_gpu_memory_utilization`` also holds one eval batch when the GPU has room for it (colocate: the
    trainer's static memory, and without sleep mode its training phase, plus a 1 GiB margin stay free).
    """
    shape = inputs.model
    kv = shape.kv_bytes_per_token()
    seq = inputs.max_prompt_length + inputs.max_completion_length
    max_len = inputs.vllm_max_model_length or shape.context
    util = inputs.vllm_gpu_memory_utilization
    server = inputs.vllm_mode == "server"
    if server and "vllm_gpu_memory_utilization" not in inputs.model_fields_set:
        util = TRL_SERVER_GPU_MEMORY_UTILIZATION
    memory = spec.memory_gib * GIB
    pool = util * memory
    weights = shape.n_params * 2.0
    workspace = costs.VLLM_WORKSPACE_GIB * GIB
    kv_room = pool - weights - workspace
    train_seqs = max(inputs.gen_batch, inputs.num_generations)
    eval_seqs = max(train_seqs, inputs.per_device_eval_batch_size if inputs.eval_examples else 0)
    need_min = weights + workspace + kv * max(train_seqs * seq, max_len)
    need_eval = weights + workspace + kv * max(eval_seqs * seq, max_len)
    if server:
        room = TRL_SERVER_GPU_MEMORY_UTILIZATION * memory
    else:
        room = (
            memory
            - (static_gib + VLLM_MARGIN_GIB + (0 if inputs.vllm_enable_sleep_mode else training_gib)) * GIB
        )
    minimum = math.ceil(need_min / memory * 100) / 100
    recommended = max(
        minimum, min(math.ceil(need_eval / memory * 100), math.floor(room / memory * 100)) / 100
    )
    problems, notes = [], []
    if kv_room < kv * max_len:
        where = "on the vLLM server's GPU" if server else "colocated"
        problems.append(
            f"vLLM {where} gets {util:g} × {spec.memory_gib} GiB = {pool / GIB:.2f} GiB: its bf16 weights "
            f"({weights / GIB:.2f} GiB) + workspace ({costs.VLLM_WORKSPACE_GIB:.1f} GiB) leave "
            f"{max(kv_room, 0) / GIB:.2f} GiB of KV, less than one {max_len}-token sequence "
            f"({kv * max_len / GIB:.2f} GiB), so vLLM will not start: set vllm_gpu_memory_utilization to "
            f">= {minimum:.2f} (weights + KV for {train_seqs} × {seq} tokens; {recommended:.2f} recommended)"
            + ("" if inputs.vllm_max_model_length else f", and vllm_max_model_length to {seq}")
        )
    elif kv_room < kv * train_seqs * seq:
        notes.append(
            f"vLLM's KV ({kv_room / GIB:.2f} GiB) holds fewer than the {train_seqs} sequences of a generation "
            f"batch: it will decode them in waves (planned); vllm_gpu_memory_utilization {minimum:.2f} avoids it"
        )
    return {
        "mode": inputs.vllm_mode,
        "sleep_mode": inputs.vllm_enable_sleep_mode,
        "gpu_memory_utilization": util,
        "pool_gib": round(pool / GIB, 2),
        "weights_gib": round(weights / GIB, 2),
        "workspace_gib": costs.VLLM_WORKSPACE_GIB,
        "kv_gib": round(max(kv_room, 0) / GIB, 2),
        "max_model_len": max_len,
        "concurrent_sequences": max(int(kv_room // (kv * seq)), 0),
        "min_gpu_memory_utilization": minimum,
        "recommended_gpu_memory_utilization": recommended,
        "charged_to_training_gpu": not server,
        "problems": problems,
        "notes": notes,
    }


def _memory(inputs: PlanInputs, pool_gib: float) -> dict[str, float]:
    """Memory terms in GiB (the vLLM pool as given; 0 without colocated vLLM)."""
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
    hf_seqs = max(inputs.gen_batch, inputs.per_device_eval_batch_size if inputs.eval_examples else 0)
    terms_b = {
        "weights": _weight_bytes(shape, inputs.quantization),
        "lora": _lora_params(inputs) * 16.0,
        "activations": float(activations),
        "logits": float(logits),
        "kv_cache": 0.0 if inputs.use_vllm else float(shape.kv_bytes_per_token() * seq * hf_seqs),
    }
    terms = {k: v / GIB for k, v in terms_b.items()}
    terms["vllm_pool"] = pool_gib
    terms["cuda_context"] = CUDA_CONTEXT_GIB
    train_phase = terms["activations"] + terms["logits"]
    dynamic = train_phase if inputs.use_vllm else max(terms["kv_cache"], train_phase)
    terms["overhead"] = OVERHEAD_FRACTION * dynamic
    return terms


def _peak(inputs: PlanInputs, terms: dict[str, float]) -> float:
    static = terms["weights"] + terms["lora"] + terms["cuda_context"]
    training = terms["activations"] + terms["logits"] + terms["overhead"]
    if not inputs.use_vllm:
        return static + max(terms["kv_cache"], terms["activations"] + terms["logits"]) + terms["overhead"]
    if inputs.vllm_mode == "colocate" and inputs.vllm_enable_sleep_mode:
        return static + max(terms["vllm_pool"], training)
    return static + terms["vllm_pool"] + training


# --------------------------------------------------------------------------------------------------- time


def _hf_step(inputs: PlanInputs, spec: GpuSpec, batch: int, lora: int):
    """Seconds of one HF decode step for ``batch`` sequences at a given context length."""
    shape = inputs.model
    active = shape.linear_params(active_only=True)
    if shape.is_moe and shape.n_experts and shape.n_active_experts:  # a batch touches more experts
        per_expert = 3 * shape.hidden * shape.intermediate * shape.layers
        active += per_expert * (min(shape.n_experts, batch * shape.n_active_experts) - shape.n_active_experts)
    per_param = costs.bnb_bytes_per_param(batch) if inputs.quantization == "4bit" else 2.0
    weights = active * per_param + (shape.vocab * shape.hidden + shape.norm_params()) * 2.0 + lora * 4.0
    bw = spec.bandwidth_gb_s * 1e9 * inputs.generation_efficiency
    flops = spec.bf16_tflops * 1e12 * inputs.compute_efficiency
    linears = 4 + 3 * (shape.n_active_experts or 1)
    cpu = costs.hf_dispatch_seconds(
        shape.layers, len(inputs.lora_target_modules), linears, inputs.quantization == "4bit"
    )
    kv = shape.kv_bytes_per_token()
    compute = 2 * shape.n_active_params * batch / flops

    def step(context: float) -> float:
        return max((weights + costs.HF_KV_TRAFFIC * batch * kv * context) / bw, compute, cpu)

    return step


def _vllm_step(inputs: PlanInputs, spec: GpuSpec, batch: int):
    """Seconds of one vLLM decode step (CUDA graphs: GPU time + a fixed scheduler/sampler cost)."""
    shape = inputs.model
    weights = shape.n_active_params * 2.0
    bw = spec.bandwidth_gb_s * 1e9 * inputs.generation_efficiency
    flops = spec.bf16_tflops * 1e12 * inputs.compute_efficiency
    kv = shape.kv_bytes_per_token()
    compute = 2 * shape.n_active_params * batch / flops

    def step(context: float) -> float:
        return max((weights + batch * kv * context) / bw, compute) + costs.VLLM_DISPATCH_S_PER_STEP

    return step


def _generate_seconds(
    inputs: PlanInputs, spec: GpuSpec, batch: int, steps: int, vllm: dict[str, Any] | None, lora: int
) -> tuple[float, float]:
    """(prefill, decode) seconds of one generate call of ``batch`` sequences and ``steps`` new tokens."""
    if batch <= 0:
        return 0.0, 0.0
    p = inputs.max_prompt_length
    prefill = (
        2 * inputs.model.n_active_params * p * batch / (spec.bf16_tflops * 1e12 * inputs.compute_efficiency)
    )
    if vllm is None:
        return prefill, costs.integrate_decode(_hf_step(inputs, spec, batch, lora), p, steps)
    waves = math.ceil(batch / max(vllm["concurrent_sequences"], 1))
    per_wave = math.ceil(batch / waves)
    return prefill, waves * costs.integrate_decode(_vllm_step(inputs, spec, per_wave), p, steps)


def _sync_seconds(inputs: PlanInputs, spec: GpuSpec) -> float:
    """One TRL weight sync into vLLM: merge the adapter, push every merged tensor, unmerge."""
    shape = inputs.model
    local = (
        costs.SYNC_BYTES_PER_PARAM
        * shape.n_params
        / (spec.bandwidth_gb_s * 1e9 * inputs.generation_efficiency)
    )
    tensors = shape.layers * 11 + 3
    if inputs.vllm_mode == "server":
        local = local * 2 / 3 + shape.n_params * 2.0 / (costs.INTERCONNECT_GB_S * 1e9)
    return local + tensors * costs.SYNC_S_PER_TENSOR


def _times(
    inputs: PlanInputs, spec: GpuSpec, vllm: dict[str, Any] | None, completion: int, extra_rounds: float
) -> tuple[dict[str, float], float]:
    """Per-step time terms and seconds per eval for completions of ``completion`` tokens."""
    shape, lora = inputs.model, _lora_params(inputs)
    flops = spec.bf16_tflops * 1e12 * inputs.compute_efficiency
    bw = spec.bandwidth_gb_s * 1e9 * inputs.generation_efficiency
    seq = inputs.max_prompt_length + completion
    calls = inputs.gradient_accumulation_steps / inputs.steps_per_gen  # generate calls per optimizer step
    prefill, decode = _generate_seconds(inputs, spec, inputs.gen_batch, completion, vllm, lora)

    per_call = 0.0  # vLLM overhead paid by every generate call (sleep mode: wake, re-push weights, sleep)
    sync = 0.0
    if vllm is not None:
        one_sync = _sync_seconds(inputs, spec)
        if inputs.vllm_mode == "colocate" and inputs.vllm_enable_sleep_mode:
            per_call = one_sync + costs.VLLM_SLEEP_CYCLE_S
        else:
            sync = one_sync * min(1.0, calls)  # TRL syncs once per optimizer step that generates

    tokens = inputs.per_device_train_batch_size * inputs.gradient_accumulation_steps * seq
    passes = 6 if inputs.gradient_checkpointing else 4
    training = tokens * (shape.n_active_params * passes + 6 * lora) / flops
    if inputs.quantization == "4bit":  # each forward/backward/recompute dequantizes every linear weight
        dequant_bytes = shape.linear_params(active_only=True) * (NF4_BITS_PER_PARAM / 8 + 2)
        training += (passes // 2) * inputs.gradient_accumulation_steps * dequant_bytes / bw
    old_logps = 0.0
    if (vllm is not None and inputs.vllm_importance_sampling_correction) or (
        inputs.steps_per_gen > inputs.gradient_accumulation_steps
    ):
        old_logps = 2 * shape.n_active_params * tokens / flops

    terms = {
        "generation_s": decode * calls,
        "prefill_s": prefill * calls,
        "vllm_overhead_s": sync + per_call * calls,
        "training_s": training,
        "old_logprob_s": old_logps,
        "dynamic_sampling_s": extra_rounds * (prefill + decode + per_call),
    }

    eval_s = 0.0
    if inputs.eval_examples:
        completions = math.ceil(inputs.eval_examples * inputs.g_eval / inputs.num_processes)
        full, last = divmod(completions, inputs.per_device_eval_batch_size)
        eval_s = full * (
            sum(_generate_seconds(inputs, spec, inputs.per_device_eval_batch_size, completion, vllm, lora))
            + per_call
        )
        if last:
            eval_s += sum(_generate_seconds(inputs, spec, last, completion, vllm, lora)) + per_call
        eval_s += 2 * shape.n_active_params * completions * seq / flops  # the eval loss forward
    return terms, eval_s


def _context_warnings(inputs: PlanInputs) -> list[str]:
    shape, p, c = inputs.model, inputs.max_prompt_length, inputs.max_completion_length
    if p + c <= shape.context:
        return []
    return [
        f"max_prompt_length {p} + max_completion_length {c} = {p + c} tokens exceeds {shape.name}'s "
        f"{shape.context}-token context; lower max_completion_length to {max(shape.context - p, 0)} "
        f"(context − prompt), shorten prompts, or use a longer-context base (e.g. qwen3-4b, 32,768)."
    ]


def vllm_sizing(inputs: PlanInputs, gpu: str) -> dict[str, Any]:
    """The vLLM budget of ``inputs`` on ``gpu`` (pool, KV, concurrent sequences, minimum and recommended
    ``vllm_gpu_memory_utilization``), whatever its current utilisation; ``inputs`` must use vLLM."""
    terms = _memory(inputs, 0.0)
    static = terms["weights"] + terms["lora"] + terms["cuda_context"]
    return _vllm_budget(
        inputs, gpu_spec(gpu), static, terms["activations"] + terms["logits"] + terms["overhead"]
    )


def plan(inputs: PlanInputs, gpu: str) -> Plan:
    """Estimate peak memory and wall-clock time of a GRPO run on ``gpu`` (see ``GPUS``)."""
    spec = gpu_spec(gpu)
    terms = _memory(inputs, 0.0)
    vllm = None
    if inputs.use_vllm:
        vllm = vllm_sizing(inputs, gpu)
        if inputs.vllm_mode == "colocate":
            terms["vllm_pool"] = vllm["pool_gib"]
    total = _peak(inputs, terms)
    problems = list(vllm["problems"]) if vllm else []
    if total > spec.memory_gib:
        problems.insert(0, f"estimated peak {total:.2f} GiB exceeds the {spec.name}'s {spec.memory_gib} GiB")

    ds = None
    expected = worst = 0.0
    if inputs.dynamic_sampling:
        groups = inputs.gen_batch_global // inputs.num_generations
        expected = costs.expected_extra_rounds(
            groups, 1 - inputs.zero_std_share, inputs.min_informative_groups, inputs.max_extra_batches
        )
        worst = float(inputs.max_extra_batches)
        ds = {
            "groups_per_batch": groups,
            "expected_extra_rounds": round(expected, 3),
            "max_extra_rounds": worst,
            "zero_std_share": inputs.zero_std_share,
        }
    c_cap = inputs.max_completion_length
    c_typ = max(1, round(c_cap * inputs.typical_completion_share))
    hi_terms, hi_eval = _times(inputs, spec, vllm, c_cap, worst)
    lo_terms, lo_eval = _times(inputs, spec, vllm, c_typ, expected)
    hi_step, lo_step = sum(hi_terms.values()), sum(lo_terms.values())
    evals = inputs.max_steps // inputs.eval_steps if inputs.eval_examples else 0
    hi_s = inputs.max_steps * hi_step + evals * hi_eval
    lo_s = inputs.max_steps * lo_step + evals * lo_eval
    share = max(evals * hi_eval / hi_s, evals * lo_eval / lo_s) if hi_s and lo_s else 0.0

    eval_completions = math.ceil(inputs.eval_examples * inputs.g_eval / inputs.num_processes)
    batches = {
        "generation_batch_global": inputs.gen_batch_global,
        "generation_batch_per_process": inputs.gen_batch,
        "prompts_per_generation": inputs.gen_batch_global // inputs.num_generations,
        "steps_per_generation": inputs.steps_per_gen,
        "num_processes": inputs.num_processes,
        "eval_completions_per_process": eval_completions,
        "eval_generate_calls": math.ceil(eval_completions / inputs.per_device_eval_batch_size),
        "eval_prompts_per_call": max(inputs.per_device_eval_batch_size // inputs.g_eval, 1),
    }
    time_terms = {k: round(v, 1) for k, v in hi_terms.items()} | {"eval_s": round(hi_eval, 1)}
    return Plan(
        gpu=spec.name,
        model=inputs.model.name,
        terms={k: round(v, 3) for k, v in terms.items()},
        total_gib=round(total, 2),
        gpu_memory_gib=spec.memory_gib,
        headroom_gib=round(spec.memory_gib - total, 2),
        fits=not problems,
        problems=problems,
        time_terms=time_terms,
        seconds_per_step=round(hi_step, 1),
        seconds_per_step_range=(round(lo_step, 1), round(hi_step, 1)),
        eval_seconds=round(hi_eval, 1),
        eval_seconds_range=(round(lo_eval, 1), round(hi_eval, 1)),
        evals=evals,
        hours=round(hi_s / 3600, 2),
        hours_range=(round(lo_s / 3600, 2), round(hi_s / 3600, 2)),
        eval_share=round(share, 3),
        batches=batches,
        vllm=vllm,
        dynamic_sampling=ds,
        adr_estimate=dict(ADR_ESTIMATE) if spec.name == "l4" else None,
        context_warnings=_context_warnings(inputs),
        notes=list(vllm["notes"]) if vllm else [],
        inputs=inputs.model_dump(mode="json"),
    )


# -------------------------------------------------------------------------------------------------- table

_LABELS = {
    "weights": "Base weights",
    "lora": "LoRA params + grads + AdamW (fp32)",
    "activations": "Activations",
    "logits": "Logits",
    "kv_cache": "KV cache (HF generate; train or eval batch)",
    "vllm_pool": "vLLM pool (colocate)",
    "cuda_context": "CUDA context",
    "overhead": "Workspaces / fragmentation (10% of dynamic)",
}
_TIME_LABELS = {
    "generation_s": "Generation (decode)",
    "prefill_s": "Prefill",
    "vllm_overhead_s": "vLLM weight sync / sleep cycles",
    "training_s": "Training pass",
    "old_logprob_s": "Old log-prob forward (vLLM IS correction / off-policy)",
    "dynamic_sampling_s": "Dynamic sampling extra rounds",
}


def _rng(pair: tuple[float, float], unit: str = "", digits: int = 1) -> str:
    return f"{pair[0]:.{digits}f}–{pair[1]:.{digits}f}{unit}"


def plan_to_table(result: Plan) -> str:
    """Render a plan as markdown tables: memory by term, then time as ranges (typical – cap)."""
    inp = result.inputs
    backend = "HF generate"
    if result.vllm:
        backend = f"vLLM {result.vllm['mode']}" + (" + sleep" if result.vllm["sleep_mode"] else "")
    b = result.batches
    lines = [
        f"GRPO plan: {result.model} on {result.gpu} ({inp['quantization']}, LoRA r={inp['lora_r']}, {backend}, "
        f"prompt {inp['max_prompt_length']} + completion {inp['max_completion_length']}, "
        f"G={inp['num_generations']}, bs={inp['per_device_train_batch_size']}, "
        f"GA={inp['gradient_accumulation_steps']}, processes={b['num_processes']})",
        f"Generation batch {b['generation_batch_global']} (global) = {b['prompts_per_generation']} prompt(s) × "
        f"G; {b['generation_batch_per_process']} per process per call. Eval: {inp['eval_examples']} prompts × "
        f"{inp['num_generations_eval'] or inp['num_generations']} every {inp['eval_steps']} steps, "
        f"{b['eval_generate_calls']} call(s) of ≤ {inp['per_device_eval_batch_size']} completions.",
        "",
        "| Term | GiB |",
        "|---|---:|",
    ]
    hidden = {"kv_cache"} if result.vllm else {"vllm_pool"}
    lines += [f"| {_LABELS.get(k, k)} | {v:.2f} |" for k, v in result.terms.items() if k not in hidden]
    lines += [
        f"| **Peak (static + max(generation, training) + context)** | **{result.total_gib:.2f}** |",
        f"| GPU memory | {result.gpu_memory_gib:.2f} |",
        f"| Headroom | {result.headroom_gib:.2f} ({'fits' if result.fits else 'DOES NOT FIT'}) |",
    ]
    if result.vllm:
        v = result.vllm
        lines += [
            "",
            f"vLLM ({v['mode']}): pool {v['pool_gib']:.2f} GiB at utilization {v['gpu_memory_utilization']:g} "
            f"= weights {v['weights_gib']:.2f} + workspace {v['workspace_gib']:.1f} + KV {v['kv_gib']:.2f} "
            f"({v['concurrent_sequences']} sequences at once); planner's utilization for this run: "
            f"{v['recommended_gpu_memory_utilization']:.2f}.",
        ]
    lines += [
        "",
        f"Time per optimizer step, cap case (typical = {inp['typical_completion_share']:g} × cap):",
        "",
        "| Time | Seconds |",
        "|---|---:|",
    ]
    lines += [
        f"| {_TIME_LABELS.get(k, k)} | {v:.1f} |" for k, v in result.time_terms.items() if k != "eval_s" and v
    ]
    lines += [
        f"| **Seconds per step (typical – cap)** | **{_rng(result.seconds_per_step_range)}** |",
        f"| Seconds per eval (typical – cap) | {_rng(result.eval_seconds_range)} |",
        f"| **Hours ({inp['max_steps']} steps + {result.evals} evals)** | **{_rng(result.hours_range, ' h')}** |",
        f"| Eval share of wall time | {result.eval_share:.0%} |",
    ]
    if result.adr_estimate:
        a = result.adr_estimate
        lines.append(
            f"| ADR author's estimate (not a measurement) | ~{a['seconds_per_step']:.0f} s/step, "
            f"~{a['hours']:.0f} h |"
        )
    if result.dynamic_sampling:
        d = result.dynamic_sampling
        lines.append(
            f"| Dynamic sampling: extra rounds per step (expected – cap), zero-std share "
            f"{d['zero_std_share']:g} | {d['expected_extra_rounds']:.2f}–{d['max_extra_rounds']:.0f} |"
        )
    notes = [
        *(f"PROBLEM: {p}" for p in result.problems),
        *(f"WARNING: {w}" for w in result.context_warnings),
        *(f"NOTE: {n}" for n in result.notes),
    ]
    if notes:
        lines += ["", *notes]
    return "\n".join(lines)

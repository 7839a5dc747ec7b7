"""GRPO GPU check: a few real GRPO steps on a random Qwen3 of the real shape, measured next to the planner.

    python benchmarks/grpo_gpu_check.py [--shape qwen3-4b|tiny] [--steps 3] [--completion 1024,2048,3072]
                                        [--quantize none|4bit] [--out DIR] [--budget-s 400]

What it runs, for each completion length L of ``--completion`` (in the order given):

- Model: ``Qwen3ForCausalLM`` of the ``--shape`` preset (``qwen3-4b``: 36 layers, hidden 2560, 32/8 heads x 128,
  intermediate 9728, vocab 151,936, tied), randomly initialised in bf16 directly on the GPU (built under a
  ``torch.device("cuda")`` context, so no CPU copy), LoRA r=16 (alpha 32, dropout 0.05) on q/k/v/o/gate/up/down
  through PEFT, gradient checkpointing on. ``--quantize 4bit`` saves the random model once and lets TRL load it
  with bitsandbytes NF4 + double quant (the ADR's QLoRA; needs ``bitsandbytes``).
- Tokenizer: a WordLevel tokenizer with exactly ``shape.vocab`` entries (4 specials, 3 role words, then
  ``w7 .. w151935``), whitespace pre-tokenised, with a ChatML template. Every id the model can sample decodes to
  a word, so nothing has to constrain sampling to "ids below the tokenizer size" (a byte-level BPE would need a
  151k-token training corpus, or a logits processor masking the padded ids). One word = one token, so prompts are
  exactly ``--prompt-tokens`` (1,024) tokens after the chat template. The special ids (EOS, pad, im_start, unk)
  are suppressed in generation (``generation_kwargs={"suppress_tokens": ...}``), so every completion runs to
  exactly L tokens: the planner's worst case. A random model would almost never sample EOS anyway (1 in 151,936).
- Data and reward: conversational prompts of random words; reward = completion length / L + U(0, 1e-3) tie
  breaker, so no group has zero reward std and ``zero_std_strategy="filter"`` masks nothing.
- Trainer: ``TucanoGRPOTrainer`` with the ADR settings (``configs/grpo_v3.yaml``): temperature 1.0, beta 0,
  lr 3e-6, scale_rewards "none", loss_type "dr_grpo", bf16, and ``PlanInputs``' defaults for num_generations (4),
  per_device_train_batch_size (4) and gradient_accumulation_steps (4) unless ``--batch-size``/``--grad-accum``
  say otherwise. So one optimizer step = one generate call of bs x GA = 16 completions + GA micro-batches.

What it measures, per L: wall time of every optimizer step (a ``TrainerCallback`` at ``on_step_end``, after a
CUDA sync; the first step is dropped as warm-up when there are >= 2), the generation time inside each step
(``_generate`` timed), tokens generated, and ``torch.cuda.max_memory_allocated()`` / ``max_memory_reserved()``
since a ``reset_peak_memory_stats()`` before the run, split into the generation phase and the training phase.
Next to them: the planner's ``plan(PlanInputs(...same inputs...), "h100")`` total, its terms and its seconds per
step. Allocated/reserved exclude the CUDA context; the planner's total includes 0.75 GiB for it, so the table
also shows the planner's total without that term and the measured context (``cuda_context_gib``).

Time guard: everything stops before ``--budget-s`` seconds (default 400 s, under 7 minutes) from the script's
start. Before each L the number of steps is planned from the step times predicted for this and the remaining
lengths (measured s/step / planner s/step of the last length, times the planner's s/step for this L; before any
measurement, ``--prior-ms-per-token`` of HF decoding per completion token), so each L gets at least one step
(its peak memory) when possible; during training a step is not started if the last one would not fit. A CUDA
OOM is recorded for its L and the script goes on with the next one. Results are rewritten after every step.

Outputs (``--out``, default ``$OUT`` when set, else ``out/gpu_check/``): ``grpo_gpu_check.json`` and
``grpo_gpu_check.md`` (also printed). Exit status: 0 when at least one L ran a step, 1 otherwise, 2 when a
package is missing (the message lists what to carry).

Without CUDA the script runs on the CPU in fp32 (memory = the process's peak RSS from ``resource``, which never
goes down, so later lengths include earlier ones): ``--shape tiny --steps 2 --completion 16,32`` is the smoke
test. Packages it needs: torch, transformers, trl (1.16: ``TucanoGRPOTrainer`` hooks its internals), peft,
accelerate, datasets, tokenizers, pydantic (bitsandbytes for 4bit). The project itself is imported from ``src/``
without installing it; ``tucano_commerce.train`` loads lazily, so duckdb, sqlglot ... are not needed.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import importlib.util
import json
import math
import os
import platform
import random
import resource
import shutil
import sys
import tempfile
import time
import traceback
import types
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

T0 = time.monotonic()
REPO = Path(__file__).resolve().parents[1]
GIB = 2**30
for _key, _value in {
    "HF_HUB_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "TOKENIZERS_PARALLELISM": "false",
    "WANDB_DISABLED": "true",
    "WANDB_MODE": "disabled",
}.items():
    os.environ.setdefault(_key, _value)

# ADR (configs/grpo_v3.yaml) settings that are not planner inputs.
ADR_GRPO: dict[str, Any] = {
    "temperature": 1.0,
    "beta": 0.0,
    "learning_rate": 3e-6,
    "scale_rewards": "none",
    "loss_type": "dr_grpo",
}
LORA = {"r": 16, "lora_alpha": 32, "lora_dropout": 0.05}
LORA_MODULES = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
# Versions this script was written and smoke-tested against (carry these as wheels when missing or different).
TESTED = {
    "transformers": "5.24.0",
    "trl": "1.16.0",
    "peft": "0.21.2",
    "accelerate": "1.15.0",
    "datasets": "5.2.0",
    "tokenizers": "0.23.3",
    "pydantic": "2.14.4",
    "bitsandbytes": "",  # only for --quantize 4bit; any recent version
}
REQUIRED = ["torch", "transformers", "trl", "peft", "accelerate", "datasets", "tokenizers", "pydantic"]
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<unk>"]
ROLES = ["system", "user", "assistant"]
CHATML = (
    "{%- for m in messages -%}"
    "{{- '<|im_start|>' + m['role'] + '\\n' + m['content'] + '<|im_end|>\\n' -}}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{- '<|im_start|>assistant\\n' -}}{%- endif -%}"
)
SETUP_S = 15.0  # trainer construction + cleanup per length, for the step planning
JSON_NAME, MD_NAME = "grpo_gpu_check.json", "grpo_gpu_check.md"
warnings.filterwarnings("ignore", category=FutureWarning)  # transformers 5's gradient->activation renames


def log(msg: str) -> None:
    print(f"[{time.monotonic() - T0:7.1f}s] {msg}", flush=True)


# --------------------------------------------------------------------------------------------- dependencies


def check_dependencies(quantize: str) -> dict[str, str]:
    """Import every package the run needs; print what is missing and exit 2 instead of failing deep inside."""
    versions: dict[str, str] = {}
    problems: list[str] = []
    missing: list[str] = []
    names = [*REQUIRED, *(["bitsandbytes"] if quantize == "4bit" else [])]
    for name in names:
        try:
            module = importlib.import_module(name)
            versions[name] = str(getattr(module, "__version__", "?"))
        except Exception as exc:  # ImportError, or a package too old/new for its neighbours
            missing.append(name)
            problems.append(
                f"  - {name}: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            )
    if problems:
        print("grpo_gpu_check: cannot start, these packages are missing or fail to import:", file=sys.stderr)
        print("\n".join(problems), file=sys.stderr)
        print(
            "Bring them as wheels built for that machine: pip download --no-deps "
            "--only-binary=:all: --python-version 3.12 ... for "
            + ", ".join(f"{k}=={TESTED[k]}" if TESTED.get(k) else k for k in missing if k != "torch")
            + " (plus dill, multiprocess for datasets; pydantic-core, annotated-types, typing-inspection for "
            "pydantic), then pip install --no-index --no-deps --target /tmp/site .whl/*.whl and "
            "PYTHONPATH=/tmp/site."
            + (" torch (with CUDA) must come from the machine's image." if "torch" in missing else ""),
            file=sys.stderr,
        )
        sys.exit(2)
    for name, want in TESTED.items():
        if name in versions and not versions[name].startswith(want):
            log(f"note: {name} {versions.get(name)} differs from the tested {want}")
    return versions


def load_project() -> types.SimpleNamespace:
    """``_shapes``, ``_planner``, ``_trainer`` and ``_callbacks`` from ``src/`` (installed or not).

    ``tucano_commerce.train`` loads its public names lazily, so these modules need only pydantic, numpy, torch
    and TRL (not the rewards' duckdb, sqlglot or json-repair).
    """
    if importlib.util.find_spec("tucano_commerce") is None:
        sys.path.insert(0, str(REPO / "src"))
    import tucano_commerce._memory as memory
    import tucano_commerce.train._callbacks as _callbacks
    import tucano_commerce.train._planner as _planner
    import tucano_commerce.train._shapes as _shapes
    import tucano_commerce.train._trainer as _trainer

    return types.SimpleNamespace(
        is_out_of_memory=memory.is_out_of_memory,
        AdapterChangeMonitor=_callbacks.AdapterChangeMonitor,
        lost_update_shares=_trainer.lost_update_shares,
        ModelShape=_shapes.ModelShape,
        get_shape=_shapes.get_shape,
        PlanInputs=_planner.PlanInputs,
        plan=_planner.plan,
        GPUS=_planner.GPUS,
        TucanoGRPOTrainer=_trainer.TucanoGRPOTrainer,
    )


# ------------------------------------------------------------------------------------------ model and data


def tiny_shape(proj: types.SimpleNamespace) -> Any:
    """The CPU smoke-test shape: 2 layers, hidden 64, 4 Q / 2 KV heads x 16, vocab 4,096, tied."""
    return proj.ModelShape(
        name="tiny",
        layers=2,
        hidden=64,
        heads=4,
        kv_heads=2,
        head_dim=16,
        intermediate=128,
        vocab=4096,
        tied=True,
        context=8192,
    )


def build_tokenizer(vocab_size: int, context: int) -> Any:
    """WordLevel tokenizer with exactly ``vocab_size`` ids (module docstring), ChatML template."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    fixed = [*SPECIALS, *ROLES]
    vocab = {token: i for i, token in enumerate(fixed)}
    vocab.update({f"w{i}": i for i in range(len(fixed), vocab_size)})
    raw = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    raw.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok = PreTrainedTokenizerFast(
        tokenizer_object=raw,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        unk_token="<unk>",
        additional_special_tokens=["<|im_start|>"],
        model_max_length=context,
    )
    tok.chat_template = CHATML
    if len(tok) != vocab_size:
        raise RuntimeError(f"tokenizer has {len(tok)} ids, expected {vocab_size}")
    return tok


def build_model(shape: Any, tok: Any, device: str, dtype: Any) -> Any:
    """A seeded random Qwen3 of ``shape``, created directly on ``device`` in ``dtype``."""
    import torch
    from transformers import AutoModelForCausalLM, Qwen3Config

    eos = tok.convert_tokens_to_ids("<|im_end|>")
    config = Qwen3Config(
        vocab_size=shape.vocab,
        hidden_size=shape.hidden,
        intermediate_size=shape.intermediate,
        num_hidden_layers=shape.layers,
        num_attention_heads=shape.heads,
        num_key_value_heads=shape.kv_heads,
        head_dim=shape.head_dim,
        max_position_embeddings=shape.context,
        tie_word_embeddings=shape.tied,
        rope_theta=1_000_000.0,
        rms_norm_eps=1e-6,
        bos_token_id=None,
        eos_token_id=eos,
        pad_token_id=tok.pad_token_id,
    )
    torch.manual_seed(0)
    with torch.device(device):
        model = AutoModelForCausalLM.from_config(config, dtype=dtype)
    model.generation_config.eos_token_id = eos
    model.generation_config.pad_token_id = tok.pad_token_id
    return model


def build_dataset(tok: Any, n: int, prompt_tokens: int, seed: int = 0) -> Any:
    """``n`` one-turn conversations of random vocabulary words, ``prompt_tokens`` tokens after the template."""
    import datasets

    empty = tok.apply_chat_template(
        [{"role": "user", "content": ""}], add_generation_prompt=True, tokenize=False
    )
    overhead = len(tok(empty, add_special_tokens=False)["input_ids"])
    words = prompt_tokens - overhead
    if words < 1:
        raise ValueError(f"--prompt-tokens must exceed the template's {overhead} tokens")
    rng = random.Random(seed)
    first = len(SPECIALS) + len(ROLES)
    rows = [
        {
            "prompt": [
                {
                    "role": "user",
                    "content": " ".join(f"w{rng.randrange(first, len(tok))}" for _ in range(words)),
                }
            ]
        }
        for _ in range(n)
    ]
    text = tok.apply_chat_template(rows[0]["prompt"], add_generation_prompt=True, tokenize=False)
    got = len(tok(text, add_special_tokens=False)["input_ids"])
    if got != prompt_tokens:
        raise RuntimeError(f"prompt has {got} tokens after the template, expected {prompt_tokens}")
    return datasets.Dataset.from_list(rows)


def make_reward(completion_length: int, counter: dict[str, Any]) -> Any:
    rng = random.Random(1234)

    def length_reward(
        completions: list[Any], completion_ids: list[list[int]] | None = None, **_: Any
    ) -> list[float]:
        ids = completion_ids or [[] for _ in completions]
        lengths = [len(x) for x in ids]
        counter["tokens"] += sum(lengths)
        counter["completions"] += len(lengths)
        counter["per_call"].append(sum(lengths))
        return [n / completion_length + rng.random() * 1e-3 for n in lengths]

    return length_reward


# --------------------------------------------------------------------------------------------- measurement


class Probe:
    """Wall time and memory of one trainer run: per-step times, generation times, phase peaks."""

    def __init__(self, cuda: bool, deadline: float, save: Any) -> None:
        self.cuda, self.deadline, self.save = cuda, deadline, save
        self.step_s: list[float] = []
        self.gen_s: list[float] = []
        self.gen_peak = [0.0, 0.0]  # allocated, reserved (GiB)
        self.train_peak = [0.0, 0.0]
        self.t_prev = time.monotonic()
        self.in_generation = False
        self.stopped_by_guard = False

    def sync(self) -> None:
        if self.cuda:
            import torch

            torch.cuda.synchronize()

    def _take_peak(self, into: list[float]) -> None:
        if self.cuda:
            import torch

            into[0] = max(into[0], torch.cuda.max_memory_allocated() / GIB)
            into[1] = max(into[1], torch.cuda.max_memory_reserved() / GIB)
            torch.cuda.reset_peak_memory_stats()

    def before_generation(self) -> float:
        self.sync()
        self._take_peak(self.train_peak)  # what ran since the last reset was training (or set-up)
        self.in_generation = True
        return time.monotonic()

    def after_generation(self, t0: float) -> None:
        self.sync()
        self.gen_s.append(time.monotonic() - t0)
        self._take_peak(self.gen_peak)
        self.in_generation = False

    def after_failure(self) -> None:
        self._take_peak(self.gen_peak if self.in_generation else self.train_peak)

    def peak(self) -> tuple[float, float]:
        if self.cuda:
            return max(self.gen_peak[0], self.train_peak[0]), max(self.gen_peak[1], self.train_peak[1])
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / GIB  # KiB on Linux
        return rss, rss


def make_classes(proj: types.SimpleNamespace) -> tuple[type, type]:
    """The timed trainer subclass and the step callback (defined late: they need trl/transformers)."""
    from transformers import TrainerCallback

    class TimedTrainer(proj.TucanoGRPOTrainer):
        probe: Probe

        def _generate(self, prompts: list) -> Any:
            t0 = self.probe.before_generation()
            out = super()._generate(prompts)
            self.probe.after_generation(t0)
            return out

    class StepTimer(TrainerCallback):
        def __init__(self, probe: Probe) -> None:
            self.probe = probe

        def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            self.probe.t_prev = time.monotonic()

        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            p = self.probe
            p.sync()
            now = time.monotonic()
            p.step_s.append(now - p.t_prev)
            p.t_prev = now
            p._take_peak(p.train_peak)
            log(
                f"  step {state.global_step}/{state.max_steps}: {p.step_s[-1]:.1f} s"
                + (f" (generation {p.gen_s[-1]:.1f} s)" if p.gen_s else "")
                + (f", peak {p.peak()[0]:.2f} GiB allocated" if p.cuda else "")
            )
            if state.global_step < state.max_steps and now + p.step_s[-1] > p.deadline:
                control.should_training_stop = True
                p.stopped_by_guard = True
                log("  time guard: the next step would pass the budget; stopping this length")
            p.save()

    return TimedTrainer, StepTimer


def steady(values: list[float]) -> float | None:
    """Mean without the first (warm-up) value when there are >= 2."""
    if not values:
        return None
    use = values[1:] if len(values) >= 2 else values
    return sum(use) / len(use)


def planned_steps(
    index: int, lengths: list[int], requested: int, remaining: float, estimate: Any, setup_s: float = SETUP_S
) -> tuple[int, str]:
    """Steps for ``lengths[index]``: at most ``requested``, leaving one step for each later length."""
    t_here = estimate(lengths[index])
    if t_here is None:  # CPU: no basis for a prediction; the in-training guard still applies
        if remaining < setup_s:
            return 0, f"{remaining:.0f} s left"
        return requested, "no estimate"
    avail = remaining - setup_s
    if avail < t_here:
        return 0, f"{remaining:.0f} s left < one step (~{t_here:.0f} s predicted)"
    reserve = sum(estimate(length) + setup_s for length in lengths[index + 1 :])
    # the first length gets two steps when it can, so that one step is timed without the warm-up
    floor = 2 if index == 0 and requested >= 2 and avail >= 2 * t_here else 1
    n = max(floor, min(requested, math.floor((avail - reserve) / t_here)))
    return n, f"~{t_here:.0f} s/step predicted, {reserve:.0f} s reserved for later lengths"


# ------------------------------------------------------------------------------------------------- report


def fmt(value: Any, digits: int = 2) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def to_markdown(report: dict[str, Any]) -> str:
    dev, s = report["device"], report["settings"]
    static = report.get("static", {})
    lines = [
        f"# GRPO GPU check: {s['shape']} ({s['quantize']}) on {dev['name']}",
        "",
        f"- {report['started']}, {fmt(report.get('elapsed_s'), 0)} s; torch {report['versions'].get('torch')}, "
        f"transformers {report['versions'].get('transformers')}, trl {report['versions'].get('trl')}, "
        f"peft {report['versions'].get('peft')}; device memory {fmt(dev.get('total_memory_gib'))} GiB, "
        f"CUDA context {fmt(dev.get('cuda_context_gib'))} GiB",
        f"- prompt {s['prompt_tokens']} tokens, G={s['num_generations']}, bs={s['per_device_train_batch_size']}, "
        f"GA={s['gradient_accumulation_steps']} (gen batch {s['gen_batch']}), LoRA r={LORA['r']} all-linear, "
        f"grad checkpointing, {', '.join(f'{k}={v}' for k, v in ADR_GRPO.items())}; planner GPU "
        f"'{s['planner_gpu']}'; budget {s['budget_s']:.0f} s",
        f"- static after model build: {fmt(static.get('allocated_gib'))} GiB allocated "
        f"(planner weights {fmt(static.get('planner_weights_gib'))} GiB), built in "
        f"{fmt(static.get('build_s'), 1)} s",
        "- memory: measured = torch peak since reset (no CUDA context); planner total includes "
        f"{report.get('planner_context_gib', 0.75)} GiB context, 'planner - ctx' does not."
        + (" CPU run: memory is the process's peak RSS." if dev["kind"] == "cpu" else ""),
        "- static = allocated after the trainer is built (weights + LoRA params, before optimizer states); "
        "planner weights + LoRA (params, grads, AdamW) = "
        f"{fmt((static.get('planner_weights_gib') or 0) + (static.get('planner_lora_gib') or 0))} GiB.",
        "- time: s/step drops the first (warm-up) step when >= 2 ran; 'gen' = generate call(s) per step.",
        "",
        "| L | status | steps | static alloc GiB | peak alloc GiB | peak reserved GiB | gen-phase alloc "
        "| train-phase alloc | planner total | planner - ctx | s/step | gen s/step "
        "| planner s/step (gen+prefill / train) | tokens/step | gen tok/s |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in report["runs"]:
        m, p = r.get("measured", {}), r.get("planner", {})
        tt = p.get("time_terms", {})
        planner_time = (
            f"{fmt(p.get('seconds_per_step'), 1)} ({fmt(tt.get('generation_s', 0) + tt.get('prefill_s', 0), 1)}"
            f" / {fmt(tt.get('training_s'), 1)})"
            if p
            else "-"
        )
        lines.append(
            f"| {r['completion_length']} | {r['status']} | {r.get('steps_done', 0)}/{r.get('steps_planned', 0)} "
            f"| {fmt(r.get('allocated_before_train_gib'))} "
            f"| {fmt(m.get('peak_allocated_gib'))} | {fmt(m.get('peak_reserved_gib'))} "
            f"| {fmt(m.get('generation_peak_allocated_gib'))} | {fmt(m.get('training_peak_allocated_gib'))} "
            f"| {fmt(p.get('total_gib'))} | {fmt(p.get('total_minus_context_gib'))} "
            f"| {fmt(m.get('seconds_per_step'), 1)} | {fmt(m.get('generation_seconds_per_step'), 1)} "
            f"| {planner_time} | {fmt(m.get('tokens_per_step'), 0)} | {fmt(m.get('generation_tokens_per_s'), 0)} |"
        )
    terms = [r for r in report["runs"] if r.get("planner")]
    if terms:
        names = list(terms[0]["planner"]["terms"])
        lines += [
            "",
            "Planner terms, GiB:",
            "",
            "| L | " + " | ".join(names) + " | total |",
            "|---:|" + "---:|" * (len(names) + 1),
        ]
        for r in terms:
            t = r["planner"]["terms"]
            lines.append(
                f"| {r['completion_length']} | "
                + " | ".join(fmt(t[k]) for k in names)
                + f" | {fmt(r['planner']['total_gib'])} |"
            )
    notes = [f"- L={r['completion_length']}: {r['note']}" for r in report["runs"] if r.get("note")]
    if notes:
        lines += ["", "Notes:", "", *notes]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shape", default="qwen3-4b", help="a planner preset (qwen3-4b, ...) or 'tiny'")
    ap.add_argument("--steps", type=int, default=3, help="optimizer steps per completion length")
    ap.add_argument("--completion", default="1024,2048,3072", help="comma-separated completion lengths")
    ap.add_argument("--quantize", choices=["none", "4bit"], default="none")
    ap.add_argument("--out", default=os.environ.get("OUT") or "out/gpu_check")
    ap.add_argument("--prompt-tokens", type=int, default=1024, help="prompt tokens after the chat template")
    ap.add_argument("--batch-size", type=int, default=None, help="default: PlanInputs' (4)")
    ap.add_argument("--grad-accum", type=int, default=None, help="default: PlanInputs' (4)")
    ap.add_argument("--num-generations", type=int, default=None, help="default: PlanInputs' (4)")
    ap.add_argument("--budget-s", type=float, default=400.0, help="stop before this many seconds (total)")
    ap.add_argument(
        "--prior-ms-per-token",
        type=float,
        default=50.0,
        help="guess of HF generate's time per completion token (one call per step), before any measurement",
    )
    ap.add_argument("--planner-gpu", default="h100")
    ap.add_argument("--cpu", action="store_true", help="run on the CPU even when CUDA is available")
    ap.add_argument(
        "--suite",
        action="store_true",
        help="the issue-10/12 suite instead of the length scan: LoRA-A updates with bf16 vs fp32 adapters "
        "(bf16 and 4-bit base), peak memory with the fix, s/step bf16 vs 4-bit, eval batching (see run_suite)",
    )
    ap.add_argument("--only", default="", help="--suite: comma-separated substrings of the case names to run")
    args = ap.parse_args(argv)
    args.completion_lengths = [int(x) for x in args.completion.split(",") if x.strip()]
    if not args.completion_lengths or min(args.completion_lengths) < 1 or args.steps < 1:
        ap.error("--completion needs positive lengths and --steps >= 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.suite:
        return run_suite(args)
    deadline = T0 + args.budget_s
    versions = check_dependencies(args.quantize)
    import torch
    from peft import LoraConfig
    from transformers import PrinterCallback
    from trl import GRPOConfig

    proj = load_project()
    TimedTrainer, StepTimer = make_classes(proj)

    cuda = torch.cuda.is_available() and not args.cpu
    if args.quantize == "4bit" and not cuda:
        print("grpo_gpu_check: --quantize 4bit needs CUDA (bitsandbytes)", file=sys.stderr)
        return 2
    shape = tiny_shape(proj) if args.shape == "tiny" else proj.get_shape(args.shape)
    defaults = proj.PlanInputs(model=shape)
    bs = args.batch_size or defaults.per_device_train_batch_size
    ga = args.grad_accum or defaults.gradient_accumulation_steps
    g = args.num_generations or defaults.num_generations
    if (bs * ga) % g:
        print(
            f"grpo_gpu_check: bs x GA = {bs * ga} must be a multiple of num_generations {g}", file=sys.stderr
        )
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    device: dict[str, Any] = {"kind": "cuda" if cuda else "cpu", "name": platform.processor() or "cpu"}
    if cuda:
        torch.cuda.init()
        free0, total = torch.cuda.mem_get_info()
        props = torch.cuda.get_device_properties(0)
        device.update(
            name=torch.cuda.get_device_name(0),
            total_memory_gib=total / GIB,
            capability=f"{props.major}.{props.minor}",
            cuda_context_at_start_gib=(total - free0 - torch.cuda.memory_reserved()) / GIB,
            cuda=torch.version.cuda,
        )
    else:
        device.update(cpu_count=os.cpu_count())
    versions["python"] = platform.python_version()
    report: dict[str, Any] = {
        "script": "benchmarks/grpo_gpu_check.py",
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "argv": sys.argv[1:] if argv is None else argv,
        "device": device,
        "versions": versions,
        "settings": {
            "shape": shape.name,
            "quantize": args.quantize,
            "prompt_tokens": args.prompt_tokens,
            "completion_lengths": args.completion_lengths,
            "steps": args.steps,
            "num_generations": g,
            "per_device_train_batch_size": bs,
            "gradient_accumulation_steps": ga,
            "gen_batch": bs * ga,
            "dtype": "bfloat16" if cuda else "float32",
            "lora": {**LORA, "target_modules": LORA_MODULES},
            "grpo": ADR_GRPO,
            "planner_gpu": args.planner_gpu,
            "budget_s": args.budget_s,
        },
        "shape": shape.model_dump(),
        "runs": [],
    }

    def save() -> None:
        report["elapsed_s"] = round(time.monotonic() - T0, 1)
        (out / JSON_NAME).write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
        (out / MD_NAME).write_text(to_markdown(report), encoding="utf-8")

    def planner_for(length: int, steps: int) -> Any:
        inputs = proj.PlanInputs(
            model=shape,
            quantization=args.quantize,
            max_prompt_length=args.prompt_tokens,
            max_completion_length=length,
            num_generations=g,
            per_device_train_batch_size=bs,
            gradient_accumulation_steps=ga,
            gradient_checkpointing=True,
            max_steps=max(steps, 1),
        )
        return proj.plan(inputs, args.planner_gpu)

    log(
        f"device: {device['name']} ({device['kind']}); shape {shape.name}, {shape.n_params / 1e9:.3f} B params"
    )
    dtype = torch.bfloat16 if cuda else torch.float32
    t_build = time.monotonic()
    tok = build_tokenizer(shape.vocab, shape.context)
    base = build_model(shape, tok, "cuda" if cuda else "cpu", dtype)
    if cuda:
        torch.cuda.synchronize()
    report["static"] = {
        "build_s": round(time.monotonic() - t_build, 1),
        "allocated_gib": torch.cuda.memory_allocated() / GIB if cuda else None,
        "planner_weights_gib": planner_for(args.completion_lengths[0], 1).terms["weights"],
        "planner_lora_gib": planner_for(args.completion_lengths[0], 1).terms["lora"],
    }
    report["planner_context_gib"] = planner_for(args.completion_lengths[0], 1).terms["cuda_context"]
    log(f"model + tokenizer built in {report['static']['build_s']} s")
    model_dir: Path | None = None
    if args.quantize == "4bit":
        model_dir = Path(tempfile.mkdtemp(prefix="grpo_gpu_check_model_"))
        base.save_pretrained(model_dir)
        del base
        base = None
        gc.collect()
        torch.cuda.empty_cache()
        log(f"saved the random model to {model_dir} for the 4-bit load")
    special_ids = sorted(tok.convert_tokens_to_ids(SPECIALS))
    max_steps_all = args.steps
    dataset = build_dataset(tok, max(8, max_steps_all * bs * ga // g * 2), args.prompt_tokens)
    save()

    factor: float | None = None  # measured s/step / planner s/step, from the last length that ran
    last: tuple[int, float] | None = None  # (L, measured s/step) of the last length that ran

    def estimate(length: int) -> float | None:
        if factor is not None:
            return factor * planner_for(length, 1).seconds_per_step
        if last is not None:  # planner rounds to 0.0 s (tiny shape): scale by tokens per sequence
            return last[1] * (args.prompt_tokens + length) / (args.prompt_tokens + last[0])
        if cuda:
            return length * args.prior_ms_per_token / 1000.0  # decoding dominates; one generate call per step
        return None

    lengths = args.completion_lengths
    for index, length in enumerate(lengths):
        remaining = deadline - time.monotonic()
        steps, why = planned_steps(index, lengths, args.steps, remaining, estimate, SETUP_S if cuda else 1.0)
        plan_result = planner_for(length, max(steps, 1))
        run: dict[str, Any] = {
            "completion_length": length,
            "status": "running",
            "steps_requested": args.steps,
            "steps_planned": steps,
            "planning": why,
            "planner": {
                **plan_result.model_dump(
                    include={"terms", "total_gib", "fits", "seconds_per_step", "time_terms"}
                ),
                "total_minus_context_gib": round(
                    plan_result.total_gib - plan_result.terms["cuda_context"], 2
                ),
            },
        }
        report["runs"].append(run)
        if steps == 0:
            run.update(status="skipped", note=f"time guard: {why}")
            log(f"L={length}: skipped ({why})")
            save()
            continue
        log(f"L={length}: {steps} step(s) ({why}); planner {plan_result.total_gib} GiB, "
            f"{plan_result.seconds_per_step} s/step")  # fmt: skip
        gc.collect()
        if cuda:
            torch.cuda.empty_cache()
            torch.cuda.reset_peak_memory_stats()
        probe = Probe(cuda, deadline, save)
        counter: dict[str, Any] = {"tokens": 0, "completions": 0, "per_call": []}
        workdir = Path(tempfile.mkdtemp(prefix="grpo_gpu_check_run_"))
        config = GRPOConfig(
            output_dir=str(workdir),
            **ADR_GRPO,
            num_generations=g,
            per_device_train_batch_size=bs,
            gradient_accumulation_steps=ga,
            max_completion_length=length,
            gradient_checkpointing=True,
            bf16=cuda,
            use_cpu=not cuda,
            max_steps=steps,
            logging_steps=1,
            save_strategy="no",
            eval_strategy="no",
            report_to="none",
            disable_tqdm=True,
            seed=0,
            generation_kwargs={"suppress_tokens": special_ids},
            **({"model_init_kwargs": {"dtype": torch.bfloat16}} if model_dir else {}),
        )
        quantization = None
        if model_dir:
            from transformers import BitsAndBytesConfig

            quantization = BitsAndBytesConfig(
                load_in_4bit=True,
                bnb_4bit_quant_type="nf4",
                bnb_4bit_use_double_quant=True,
                bnb_4bit_compute_dtype=torch.bfloat16,
            )
        trainer = None
        failure: str | None = None
        t_run = time.monotonic()
        try:
            trainer = TimedTrainer(
                model=str(model_dir) if model_dir else base,
                reward_funcs=[make_reward(length, counter)],
                args=config,
                train_dataset=dataset,
                processing_class=tok,
                callbacks=[StepTimer(probe)],
                peft_config=LoraConfig(**LORA, target_modules=LORA_MODULES, task_type="CAUSAL_LM"),
                quantization_config=quantization,
                zero_std_strategy="filter",
                advantage_baseline="mean",
            )
            trainer.probe = probe
            run["trainable_params"] = sum(p.numel() for p in trainer.model.parameters() if p.requires_grad)
            trainer.remove_callback(PrinterCallback)  # our step lines replace the per-step dicts
            if cuda:
                run["allocated_before_train_gib"] = torch.cuda.memory_allocated() / GIB
            trainer.train()
            run["status"] = "stopped_by_time_guard" if probe.stopped_by_guard else "ok"
        except Exception as exc:
            oom = proj.is_out_of_memory(exc)
            failure = traceback.format_exc()
            probe.after_failure()
            run["status"] = "oom" if oom else "error"
            run["error"] = f"{type(exc).__name__}: {str(exc)[:500]}"
            run["note"] = ("CUDA OOM" if oom else "error") + (
                " during generation" if probe.in_generation else " during training/set-up"
            )
        if failure:
            print(failure, file=sys.stderr)
            log(f"L={length}: {run['status']}: {run['error'][:200]}")
        run["wall_s"] = round(time.monotonic() - t_run, 1)
        peak_alloc, peak_res = probe.peak()
        tokens_per_call = counter["per_call"]
        gen_steady, step_steady = steady(probe.gen_s), steady(probe.step_s)
        tokens_steady = steady([float(x) for x in tokens_per_call])
        run["steps_done"] = len(probe.step_s)
        run["measured"] = {
            "peak_allocated_gib": peak_alloc,
            "peak_reserved_gib": peak_res,
            "generation_peak_allocated_gib": probe.gen_peak[0] if cuda else None,
            "generation_peak_reserved_gib": probe.gen_peak[1] if cuda else None,
            "training_peak_allocated_gib": probe.train_peak[0] if cuda else None,
            "training_peak_reserved_gib": probe.train_peak[1] if cuda else None,
            "step_seconds": [round(x, 2) for x in probe.step_s],
            "generation_seconds": [round(x, 2) for x in probe.gen_s],
            "seconds_per_step": step_steady,
            "generation_seconds_per_step": gen_steady * max(1, len(probe.gen_s)) / max(1, len(probe.step_s))
            if gen_steady is not None and probe.step_s
            else gen_steady,
            "timing_includes_warmup": len(probe.step_s) < 2,
            "tokens_generated": counter["tokens"],
            "completions": counter["completions"],
            "tokens_per_step": tokens_steady * len(tokens_per_call) / max(1, len(probe.step_s))
            if tokens_steady is not None and probe.step_s
            else None,
            "generation_tokens_per_s": tokens_steady / gen_steady if tokens_steady and gen_steady else None,
        }
        if trainer is not None:
            step_logs = [e for e in trainer.state.log_history if "num_tokens" in e]
            run["trl_last_step_log"] = {
                k: v for k, v in (step_logs[-1] if step_logs else {}).items() if isinstance(v, int | float)
            }
        if step_steady and plan_result.seconds_per_step > 0:
            factor = step_steady / plan_result.seconds_per_step
        if step_steady:
            last = (length, step_steady)
        log(
            f"L={length}: {run['status']}, {run['steps_done']} step(s), peak {peak_alloc:.2f} GiB allocated / "
            f"{peak_res:.2f} reserved (planner {plan_result.total_gib}), "
            f"{fmt(step_steady, 1)} s/step (planner {plan_result.seconds_per_step})"
        )
        # Give the base model back its own forward and no adapters, for the next length's trainer.
        if trainer is not None and base is not None:
            from peft import PeftModel

            if isinstance(trainer.model, PeftModel):
                base = trainer.model.unload()
            base.__dict__.pop("forward", None)  # TRL's fused LM head patches the instance's forward
        del trainer
        gc.collect()
        if cuda:
            torch.cuda.empty_cache()
        shutil.rmtree(workdir, ignore_errors=True)
        save()

    if model_dir:
        shutil.rmtree(model_dir, ignore_errors=True)
    if cuda:  # memory outside torch's allocator (context, cuBLAS/Triton modules), after everything was loaded
        free, total = torch.cuda.mem_get_info()
        device["cuda_context_gib"] = (total - free - torch.cuda.memory_reserved()) / GIB
    report["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    save()
    print()
    print(to_markdown(report))
    log(f"wrote {out / JSON_NAME} and {out / MD_NAME}")
    return 0 if any(r.get("steps_done") for r in report["runs"]) else 1


# ------------------------------------------------------------------------------------ the issue-10/12 suite

SUITE_LR = 3e-6  # the ADR's learning rate: what decides whether bf16 adapters can move
# (name, base, trainable dtype (None = as TRL leaves it), completion tokens, prompt tokens, steps, what for)
SUITE_CASES: list[tuple[str, str, str | None, int, int, int, str]] = [
    ("bf16-base fp32-adapters", "none", "float32", 128, 256, 5, "lora"),
    ("bf16-base bf16-adapters", "none", "bfloat16", 128, 256, 5, "lora"),
    ("bf16-base timing", "none", "float32", 512, 1024, 2, "timing"),
    ("bf16-base eval batching", "none", "float32", 256, 1024, 0, "eval"),
    ("4bit-base trl-cast", "4bit", None, 128, 256, 5, "lora"),
    ("4bit-base fp32-adapters", "4bit", "float32", 128, 256, 5, "lora"),
    ("4bit-base timing", "4bit", "float32", 512, 1024, 2, "timing"),
]
SUITE_JSON, SUITE_MD = "grpo_gpu_suite.json", "grpo_gpu_suite.md"


def FirstStepLoraA(into: dict[str, Any]) -> Any:  # noqa: N802 - a callback factory (transformers loads late)
    """A callback that copies LoRA-A after step 1 into ``into`` (B = 0 before it: A can first move in step 2)."""
    from transformers import TrainerCallback

    class _FirstStep(TrainerCallback):
        def on_step_end(self, args: Any, state: Any, control: Any, model: Any = None, **kwargs: Any) -> None:
            if state.global_step == 1 and model is not None:
                into.update({n: p.detach().clone() for n, p in model.named_parameters() if ".lora_A." in n})

    return _FirstStep()


def run_suite(args: argparse.Namespace) -> int:
    """Issue 10 §12 + issue 12 §6, one prepared script: per case a real GRPO run (``TucanoGRPOTrainer``,
    ADR settings, lr 3e-6, G 4, one prompt per step, GA 1, LoRA r16 all projections, dropout 0.05):

    - "lora" cases: the share of LoRA-A / LoRA-B entries that changed at each step
      (``AdapterChangeMonitor``), the trainable dtypes and their lost-update share at the lr
      (``lost_update_shares``), and peak memory. bf16 base: float32 adapters (the fix) vs bfloat16 (TRL's
      QLoRA cast, reproduced); 4-bit base (bitsandbytes NF4): TRL's own cast vs the fix.
    - "timing" cases: s/step, generation s/step and generated tok/s of HF generate with PEFT, bf16 vs 4-bit,
      1,024-token prompts, completions forced to the cap (special tokens suppressed).
    - "eval": ``trainer.evaluate()`` on 4 prompts x ``num_generations_eval`` 4 at eval batch 4 (one prompt
      per generate call, the shipped v3 setting) vs 16 (four prompts per call).

    The planner's prediction for the same inputs is computed afterwards on any machine from the JSON
    (``settings`` + each case's inputs), so this script needs no planner preset. Results are rewritten
    after every case; a case that would pass ``--budget-s`` is skipped and said so.
    """
    import torch

    versions = check_dependencies("4bit" if torch.cuda.is_available() and not args.cpu else "none")
    from peft import LoraConfig, PeftModel
    from transformers import AutoModelForCausalLM, BitsAndBytesConfig, PrinterCallback
    from trl import GRPOConfig

    proj = load_project()
    TimedTrainer, StepTimer = make_classes(proj)
    cuda = torch.cuda.is_available() and not args.cpu
    shape = tiny_shape(proj) if args.shape == "tiny" else proj.get_shape(args.shape)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    deadline = T0 + args.budget_s
    dtype = torch.bfloat16 if cuda else torch.float32
    device = {"kind": "cuda" if cuda else "cpu", "name": torch.cuda.get_device_name(0) if cuda else "cpu"}
    if cuda:
        device["total_memory_gib"] = torch.cuda.mem_get_info()[1] / GIB
    report: dict[str, Any] = {
        "script": "benchmarks/grpo_gpu_check.py --suite",
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "device": device,
        "versions": {**versions, "python": platform.python_version()},
        "settings": {"shape": shape.name, "lr": SUITE_LR, "num_generations": 4, "per_device_train_batch_size": 4,
                     "gradient_accumulation_steps": 1, "lora": {**LORA, "target_modules": LORA_MODULES},
                     "grpo": {**ADR_GRPO, "learning_rate": SUITE_LR}, "dtype": str(dtype)},
        "shape": shape.model_dump(),
        "cases": [],
    }  # fmt: skip

    def save() -> None:
        report["elapsed_s"] = round(time.monotonic() - T0, 1)
        (out / SUITE_JSON).write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
        (out / SUITE_MD).write_text(suite_markdown(report), encoding="utf-8")

    cases = SUITE_CASES
    if args.only:
        cases = [c for c in cases if any(part.strip() in c[0] for part in args.only.split(","))]
    if shape.name == "tiny":  # the CPU smoke test: same cases, an eighth of the lengths
        cases = [(n, q, t, max(8, c // 8), max(32, p // 8), s, k) for n, q, t, c, p, s, k in SUITE_CASES]
    tok = build_tokenizer(shape.vocab, shape.context)
    special_ids = sorted(tok.convert_tokens_to_ids(SPECIALS))
    datasets_by_prompt = {n: build_dataset(tok, 16, n) for n in {c[4] for c in cases}}
    t0 = time.monotonic()
    base: Any = build_model(shape, tok, "cuda" if cuda else "cpu", dtype)
    report["build_s"] = round(time.monotonic() - t0, 1)
    model_dir: Path | None = None
    estimate = {"lora": 25.0, "timing": 60.0, "eval": 60.0}  # s per case before any measurement (H200 guess)
    save()

    for name, quantize, trainable, length, prompt_tokens, steps, kind in cases:
        case: dict[str, Any] = {"name": name, "base": quantize, "trainable_dtype": trainable or "as TRL leaves it",
                                "completion_length": length, "prompt_tokens": prompt_tokens, "steps": steps,
                                "kind": kind, "status": "running"}  # fmt: skip
        report["cases"].append(case)
        if quantize == "4bit" and (not cuda or importlib.util.find_spec("bitsandbytes") is None):
            case["status"] = "skipped: needs CUDA and bitsandbytes"
            save()
            continue
        if (
            time.monotonic() + estimate[kind] * (2.0 if quantize == "4bit" and model_dir is None else 1.0)
            > deadline
        ):
            case["status"] = "skipped: time budget"
            save()
            continue
        if quantize == "4bit" and model_dir is None:  # switch the base once: save, free, load NF4
            t0 = time.monotonic()
            model_dir = Path(tempfile.mkdtemp(prefix="grpo_suite_model_"))
            base.save_pretrained(model_dir)
            del base
            gc.collect()
            torch.cuda.empty_cache()
            quant = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                                       bnb_4bit_compute_dtype=torch.bfloat16)  # fmt: skip
            base = AutoModelForCausalLM.from_pretrained(model_dir, quantization_config=quant, dtype=torch.bfloat16,
                                                        device_map={"": 0})  # fmt: skip
            base.generation_config.eos_token_id = tok.convert_tokens_to_ids("<|im_end|>")
            base.generation_config.pad_token_id = tok.pad_token_id
            report["load_4bit_s"] = round(time.monotonic() - t0, 1)
        t_case = time.monotonic()
        gc.collect()
        if cuda:
            torch.cuda.empty_cache()
            torch.cuda.reset_peak_memory_stats()
        probe = Probe(cuda, deadline, save)
        counter: dict[str, Any] = {"tokens": 0, "completions": 0, "per_call": []}
        workdir = Path(tempfile.mkdtemp(prefix="grpo_suite_run_"))
        config = GRPOConfig(
            output_dir=str(workdir), **{**ADR_GRPO, "learning_rate": SUITE_LR}, num_generations=4,
            num_generations_eval=4, per_device_train_batch_size=4, gradient_accumulation_steps=1,
            per_device_eval_batch_size=4, max_completion_length=length, gradient_checkpointing=True, bf16=cuda,
            use_cpu=not cuda, max_steps=max(steps, 1), logging_steps=1, save_strategy="no", eval_strategy="no",
            report_to="none", disable_tqdm=True, seed=0, generation_kwargs={"suppress_tokens": special_ids},
        )  # fmt: skip
        watch = proj.AdapterChangeMonitor()
        after_first: dict[str, Any] = {}
        trainer = None
        try:
            trainer = TimedTrainer(
                model=base, reward_funcs=[make_reward(length, counter)], args=config,
                train_dataset=datasets_by_prompt[prompt_tokens], eval_dataset=datasets_by_prompt[prompt_tokens].select(range(4)),
                processing_class=tok, callbacks=[StepTimer(probe), watch, FirstStepLoraA(after_first)],
                peft_config=LoraConfig(**LORA, target_modules=LORA_MODULES, task_type="CAUSAL_LM"),
                zero_std_strategy="filter", trainable_dtype=trainable,
            )  # fmt: skip
            trainer.probe = probe
            watch.attach(trainer)
            trainer.remove_callback(PrinterCallback)
            shares = proj.lost_update_shares(trainer.model, SUITE_LR)
            for part in ("lora_A", "lora_B"):
                mine = [v for n, v in shares.items() if f".{part}." in n]
                case[f"{part}_dtypes"] = sorted({d for d, _ in mine})
                case[f"{part}_lost_share_at_lr"] = max((x for _, x in mine), default=None)
                case[f"{part}_lost_share_mean"] = sum(x for _, x in mine) / len(mine) if mine else None
            if kind == "eval":
                timings = {}
                for eval_bs in (4, 16):
                    trainer.args.per_device_eval_batch_size = eval_bs
                    probe.gen_s.clear()
                    t_eval = time.monotonic()
                    trainer.evaluate()
                    probe.sync()
                    timings[str(eval_bs)] = {"eval_s": round(time.monotonic() - t_eval, 2),
                                             "generate_calls": len(probe.gen_s),
                                             "generation_s": round(sum(probe.gen_s), 2)}  # fmt: skip
                case["eval"] = timings
                case["eval_speedup_16_vs_4"] = round(timings["4"]["eval_s"] / timings["16"]["eval_s"], 2)
            else:
                trainer.train()
            case["status"] = "ok"
        except Exception as exc:
            traceback.print_exc()
            case["status"] = f"error: {type(exc).__name__}: {str(exc)[:300]}"
        peak_alloc, peak_res = probe.peak()
        case.update(
            wall_s=round(time.monotonic() - t_case, 1), peak_allocated_gib=round(peak_alloc, 2),
            peak_reserved_gib=round(peak_res, 2), step_s=[round(x, 2) for x in probe.step_s],
            generation_s=[round(x, 2) for x in probe.gen_s], tokens_per_call=counter["per_call"],
        )  # fmt: skip
        if trainer is not None:
            logs = [h for h in trainer.state.log_history if "adapter/lora_A_changed_frac" in h]
            case["adapter_changes"] = [
                {k: h.get(k) for k in ("step", "adapter/lora_A_changed_frac", "adapter/lora_B_changed_frac",
                                       "adapter/lora_A_update_ratio", "adapter/lora_B_update_ratio")}
                for h in logs
            ]  # fmt: skip
            if after_first:
                now = dict(trainer.model.named_parameters())
                moved = sum(int((now[n].detach() != v).sum()) for n, v in after_first.items())
                case["lora_A_changed_since_step_1"] = moved / sum(v.numel() for v in after_first.values())
            gen = steady(probe.gen_s)
            toks = steady([float(x) for x in counter["per_call"]])
            case["seconds_per_step"] = steady(probe.step_s)
            case["generation_tokens_per_s"] = round(toks / gen, 1) if gen and toks else None
            if isinstance(trainer.model, PeftModel):
                base = trainer.model.unload()
            base.__dict__.pop("forward", None)
        estimate[kind] = max(estimate[kind] * 0.5, case["wall_s"])
        del trainer
        gc.collect()
        if cuda:
            torch.cuda.empty_cache()
        shutil.rmtree(workdir, ignore_errors=True)
        log(f"{name}: {case['status']} in {case['wall_s']} s; peak {case['peak_allocated_gib']} GiB; "
            f"A changed {[c.get('adapter/lora_A_changed_frac') for c in case.get('adapter_changes', [])]}")  # fmt: skip
        save()
    if model_dir is not None:
        shutil.rmtree(model_dir, ignore_errors=True)
    report["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    save()
    print(suite_markdown(report))
    return 0 if any(c["status"] == "ok" for c in report["cases"]) else 1


def suite_markdown(report: dict[str, Any]) -> str:
    """The suite's results as a Markdown table (also printed)."""
    lines = [
        f"# GRPO GPU suite: {report['shape']['name']} on {report['device']['name']}",
        "",
        f"- {report['started']}, {fmt(report.get('elapsed_s'), 0)} s; "
        + ", ".join(f"{k} {v}" for k, v in sorted(report["versions"].items())),
        f"- lr {report['settings']['lr']}, G 4, 1 prompt/step, GA 1, LoRA r16 all projections; completions forced "
        "to the cap; 'A changed' = share of LoRA-A entries that changed in that step (step 1: B = 0, so 0)",
        "",
        "| case | status | adapters | A lost share at lr | A changed per step | A changed since step 1 "
        "| B changed per step | peak alloc GiB | s/step | gen tok/s |",
        "|---|---|---|---:|---|---:|---|---:|---:|---:|",
    ]
    for c in report["cases"]:
        changes = c.get("adapter_changes", [])
        a = ", ".join(fmt(x.get("adapter/lora_A_changed_frac"), 3) for x in changes) or "-"
        b = ", ".join(fmt(x.get("adapter/lora_B_changed_frac"), 3) for x in changes) or "-"
        lines.append(
            f"| {c['name']} | {c['status'][:40]} | {'/'.join(c.get('lora_A_dtypes', [])) or '-'} "
            f"| {fmt(c.get('lora_A_lost_share_mean'), 3)} | {a} | {fmt(c.get('lora_A_changed_since_step_1'), 3)} "
            f"| {b} | {fmt(c.get('peak_allocated_gib'))} "
            f"| {fmt(c.get('seconds_per_step'), 1)} | {fmt(c.get('generation_tokens_per_s'), 0)} |"
        )
    for c in report["cases"]:
        if c.get("eval"):
            e = c["eval"]
            lines.append("")
            lines.append(f"Eval batching ({c['completion_length']}-token completions, 4 prompts x 4): batch 4 "
                         f"{e['4']['eval_s']} s ({e['4']['generate_calls']} generate calls), batch 16 "
                         f"{e['16']['eval_s']} s ({e['16']['generate_calls']} calls): x{c['eval_speedup_16_vs_4']}")  # fmt: skip
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())

"""The GRPO v3 recipe config: one YAML file, validated before anything heavy is loaded.

``load_config(path)`` reads ``configs/grpo_v3.yaml`` (or the tiny CPU variant) into ``GrpoV3Config``.
Every field is documented; unknown keys fail and list the valid ones; errors name the file and the
field. The ``grpo`` section is passed through to TRL's ``GRPOConfig`` (composed, not copied): its keys
are checked against ``GRPOConfig``'s dataclass fields so that a typo fails here, not after the model has
loaded. Cross-field checks (context budget, generation batch divisibility, eval/save alignment, CPU vs
4-bit) raise with a message that names the fix; soft issues go to ``config.warnings``.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from tucano_commerce.errors import ConfigError
from tucano_commerce.train._decide import DecisionThresholds
from tucano_commerce.train._regime import training_regime
from tucano_commerce.train._zero_std import AdvantageBaseline, ZeroStdStrategy

# GRPOConfig fields the recipe sets itself, from the top-level fields named here.
RECIPE_OWNED: dict[str, str] = {
    "output_dir": "output_dir (or --output-dir)",
    "run_name": "run_name",
    "report_to": "tracker",
    "use_cpu": "gpu",
    "bf16": "gpu / model.dtype",
    "fp16": "gpu / model.dtype",
    "reward_weights": "rewards.weights",
    "chat_template_kwargs": "model.chat_template_kwargs",
}
# ADR v3 values the pre-flight compares against (deviations are warnings, not errors).
INTENDED_GRPO: dict[str, Any] = {
    "temperature": 1.0,
    "num_generations": 4,
    "beta": 0.0,
    "learning_rate": 3e-6,
    "max_steps": 500,
    "eval_steps": 10,
    "save_steps": 10,
    "scale_rewards": "none",
    "loss_type": "dr_grpo",
    "load_best_model_at_end": True,
    "metric_for_best_model": "eval_reward_fixed",
    "greater_is_better": True,
}
REWARD_NAMES: tuple[str, str, str] = ("format_reward", "partial_reward", "task_reward")
"""The GRPO reward functions, in the order ``build_reward_functions`` returns them."""
DEFAULT_REWARD_WEIGHTS: tuple[float, float, float] = (0.2, 0.3, 0.5)
"""Their weights (ADR: 0.2 format + 0.3 partial + 0.5 full), in the same order."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ModelSection(_Section):
    """The base model and how it is loaded."""

    path: str = Field(
        description="Local folder or hub id of the base model; 'tiny://qwen3' builds the tiny CPU model "
        "under $TUCANO_HOME/tiny/ on first use."
    )
    loader: Literal["transformers"] = Field(
        "transformers",
        description="'transformers' (+ PEFT LoRA). The Unsloth loader was removed: Unsloth 2026.10.9 requires "
        "trl<=1.15 and transformers<=5.17, this recipe hooks TRL 1.16.",
    )

    @field_validator("loader", mode="before")
    @classmethod
    def _no_unsloth(cls, value: Any) -> Any:
        if value == "unsloth":
            raise ValueError(
                "'unsloth' is no longer supported: Unsloth 2026.10.9 requires trl<=1.15 and transformers<=5.17, "
                "while this recipe hooks TRL 1.16 internals (they cannot be installed together); set "
                "model.loader: transformers"
            )
        return value

    quantize: Literal["none", "4bit"] = Field(
        "none", description="'4bit' = bitsandbytes NF4 with double quantization (QLoRA); needs a GPU."
    )
    dtype: Literal["auto", "bfloat16", "float16", "float32"] = Field(
        "auto", description="Weights/compute dtype; 'auto' = bfloat16 on a GPU, float32 on CPU."
    )
    context_length: int = Field(
        gt=0, description="The model's context window in tokens (Tucano2-qwen-3.7B: 4096)."
    )
    chat_template_kwargs: dict[str, Any] = Field(
        default_factory=dict,
        description="Extra chat-template arguments, e.g. {enable_thinking: false}; passed to GRPOConfig.",
    )


class LoraSection(_Section):
    """PEFT LoRA adapter."""

    r: int = Field(16, gt=0, description="LoRA rank.")
    alpha: int = Field(32, gt=0, description="LoRA alpha (scale = alpha / r).")
    dropout: float = Field(0.05, ge=0.0, lt=1.0, description="Dropout on the LoRA input.")
    target_modules: list[str] | Literal["all-linear"] = Field(
        "all-linear", description="Module names to adapt, or 'all-linear'."
    )
    trainable_dtype: Literal["float32", "bfloat16"] = Field(
        "float32",
        description="dtype of the trainable (LoRA) parameters during training. float32: restored after TRL 1.16 "
        "casts them to bf16 for a 4-bit base, so that lr-sized Adam steps are not rounded away (no fp32 master "
        "copy exists). bfloat16 reproduces TRL's QLoRA cast (and GRPO v2): at lr 3e-6 most LoRA-A updates are "
        "lost; the pre-flight refuses it.",
    )


class DataBuild(_Section):
    """Arguments of ``tucano_commerce.data.build_dataset`` for building the data when it is missing."""

    total: int = Field(60, ge=10, description="Examples in train + eval.")
    eval_size: int = Field(8, ge=1, description="Held-out examples for the eval reward.")
    seed: int = Field(0, description="Sampling seed of the generators.")


class DataSection(_Section):
    """Training data written by ``tucano data build``."""

    dir: str = Field(
        description="Folder with train.jsonl, eval.jsonl and the dataset card README.md "
        "('tiny://data' = $TUCANO_HOME/tiny/data)."
    )
    train: str | None = Field(None, description="Train JSONL (default: <dir>/train.jsonl).")
    eval: str | None = Field(None, description="Eval JSONL (default: <dir>/eval.jsonl).")
    min_examples: int = Field(
        1000, ge=1, description="The pre-flight refuses to start with fewer train + eval examples."
    )
    max_prompt_tokens: int = Field(
        1024,
        gt=0,
        description="Upper bound on a prompt's tokens (chat template applied), used for the context budget; "
        "the recipe measures the real maximum at start-up and refuses to start above it.",
    )
    build_if_missing: DataBuild | None = Field(
        None, description="Build the data into `dir` when train.jsonl is missing (tiny config only)."
    )
    eval_examples: int | None = Field(
        None,
        ge=1,
        description="Evaluate on this many eval prompts: a fixed, task-stratified subset of the eval file (the "
        "same prompts at every eval; see train/_evalset.py). None = all of them. Each eval generates "
        "eval_examples x grpo.num_generations_eval completions, so this sets eval's share of the run.",
    )

    def resolved_dir(self) -> Path:
        """``dir`` with ``tiny://`` resolved under ``$TUCANO_HOME/tiny``."""
        return resolve_path(self.dir)

    def train_path(self) -> Path:
        """The train JSONL."""
        return resolve_path(self.train) if self.train else self.resolved_dir() / "train.jsonl"

    def eval_path(self) -> Path:
        """The eval JSONL."""
        return resolve_path(self.eval) if self.eval else self.resolved_dir() / "eval.jsonl"


class WeightSchedule(_Section):
    """Linear schedule of the format reward's weight over training (the other weights stay as they are).

    It shapes the *training* reward only: the eval reward that early stopping, the best checkpoint and the
    decision read (``eval_reward_fixed``) uses the fixed ``rewards.weights``.
    """

    start: float = Field(ge=0.0, le=1.0, description="Format weight at step 0.")
    end: float = Field(ge=0.0, le=1.0, description="Format weight at max_steps.")


class RewardsSection(_Section):
    """Staged rewards: format, partial credit, full task score."""

    weights: dict[str, float] = Field(
        default_factory=lambda: dict(zip(REWARD_NAMES, DEFAULT_REWARD_WEIGHTS, strict=True)),
        description="Weight per reward function name; must sum to 1.",
    )
    format_weight_schedule: WeightSchedule | None = Field(
        None, description="Optional linear decay of the format weight, e.g. {start: 0.2, end: 0.05}."
    )


class MonitorSection(_Section):
    """Training-health monitor (``HealthMonitor``) thresholds on TRL's logged keys.

    Every threshold applies to a rolling mean over the last ``window`` train logs: with one group per step,
    ``frac_reward_zero_std`` is 0 or 1 and ``completions/clipped_ratio`` moves in quarters, so single logs
    would fire on the first unlucky step.
    """

    enabled: bool = Field(True, description="Attach the health monitor (the pre-flight wants it on).")
    window: int = Field(20, ge=1, description="Train logs in the rolling mean each threshold is applied to.")
    entropy_floor_frac: float = Field(
        0.3, gt=0.0, lt=1.0, description="Alarm when windowed entropy < this fraction of its early level."
    )
    warmup_logs: int = Field(
        10, ge=1, description="How many first entropy logs define the early level (their mean)."
    )
    clip_zero_after_step: int = Field(
        50,
        ge=0,
        description="Off-policy runs only: step after which a clip ratio that stays 0 means the policy barely "
        "moves. On-policy the clip ratio is 0 by construction and the alert is off.",
    )
    clip_zero_min_logs: int = Field(3, ge=1, description="Logs past that step before 'no_clipping' fires.")
    clipped_ceiling: float = Field(
        0.9, ge=0.0, le=1.0, description="completions/clipped_ratio that counts as 'all hit the length cap'."
    )
    zero_std_ceiling: float = Field(
        0.8, ge=0.0, le=1.0, description="frac_reward_zero_std that counts as 'no learning signal'."
    )
    action: Literal["warn", "stop", "adaptive_entropy"] = Field(
        "warn",
        description="'warn' logs; 'stop' ends training; 'adaptive_entropy' turns on TRL's adaptive entropy "
        "control on an entropy collapse.",
    )


class DynamicSamplingSection(_Section):
    """DAPO dynamic sampling: regenerate until a step has enough groups with reward variance (off by default).

    A group whose G rewards all tie has advantage 0 and teaches nothing; with one group per step, a tied step
    wastes its whole generation. Enabled, the trainer draws up to ``max_extra_batches`` more generation
    batches per optimizer step until ``min_informative_groups`` groups have reward std > 0 (logged). The
    planner charges the extra rounds (``tucano train plan``: expected and worst case).
    """

    enabled: bool = Field(
        False, description="DAPO dynamic sampling: regenerate until a step has k informative groups."
    )
    min_informative_groups: int = Field(
        1,
        ge=1,
        description="k: groups with reward variance (std > 0) a step needs; <= groups per generation batch.",
    )
    max_extra_batches: int = Field(
        2, ge=1, description="Cap: extra generation rounds per optimizer step (each = one generation batch)."
    )


GpuName = Literal["t4", "l4", "a100", "h100", "h200", "cpu"]


def world_size() -> int:
    """Processes of this run: ``WORLD_SIZE`` as set by torchrun / accelerate launch, else 1."""
    try:
        return max(int(os.environ.get("WORLD_SIZE", "1") or 1), 1)
    except ValueError:
        return 1


class PreflightSection(_Section):
    """What the pre-flight (ADR step 3.7) checks before training starts."""

    baseline_results: list[str] = Field(
        default_factory=list, description="Benchmark results file(s) of the base model (bench run output)."
    )
    benchmark_dir: str | None = Field(
        None, description="Benchmark folder (default: $TUCANO_BENCHMARK_DIR or the shipped one)."
    )
    expected_gpu: GpuName | None = Field(
        None, description="The GPU this config is meant for; a different `gpu` is a warning."
    )
    max_lost_update_share: float = Field(
        0.05,
        ge=0.0,
        le=1.0,
        description="Update representability: refuse to train when, in any trainable tensor, more than this "
        "share of entries would not change under an lr-sized step in its dtype.",
    )


class GrpoV3Config(_Section):
    """The whole recipe; see ``configs/grpo_v3.yaml``."""

    model: ModelSection = Field(description="Base model and loading.")
    lora: LoraSection = Field(default_factory=LoraSection, description="LoRA adapter.")
    data: DataSection = Field(description="Training data.")
    grpo: dict[str, Any] = Field(
        default_factory=dict, description="Passed through to trl.GRPOConfig (keys checked against it)."
    )
    rewards: RewardsSection = Field(default_factory=RewardsSection, description="Staged rewards.")
    zero_std_strategy: ZeroStdStrategy = Field(
        "filter",
        description="Groups whose rewards are all equal: 'filter' drops them from the loss, 'keep' leaves "
        "them (zero advantage), 'noise' adds reward noise (not recommended: random-sign advantages).",
    )
    advantage_baseline: AdvantageBaseline = Field(
        "mean", description="Group baseline subtracted from rewards: 'mean' (GRPO) or 'median' (MC-GRPO)."
    )
    monitor: MonitorSection = Field(default_factory=MonitorSection, description="Health monitor.")
    dynamic_sampling: DynamicSamplingSection = Field(
        default_factory=DynamicSamplingSection, description="DAPO dynamic sampling (off by default)."
    )
    early_stopping_patience: int = Field(
        15, ge=1, description="Evaluations without eval_reward improvement before stopping."
    )
    run_name: str = Field(
        "grpo-v3-{timestamp}", description="Run name; '{timestamp}' is filled in at start (YYYYmmdd-HHMMSS)."
    )
    output_dir: str = Field("runs/{run_name}", description="Where checkpoints go; '{run_name}' is filled in.")
    fresh: bool = Field(False, description="Delete old checkpoint-* folders in output_dir before starting.")
    tracker: Literal["wandb", "tensorboard", "none"] = Field("none", description="Experiment tracker.")
    wandb_offline: bool = Field(False, description="With tracker wandb: log offline (WANDB_MODE=offline).")
    oom_ladder: list[int] = Field(
        default_factory=lambda: [4096, 3072, 2560, 2048],
        description="max_completion_length steps tried in turn after a CUDA out-of-memory error.",
    )
    preflight: PreflightSection = Field(default_factory=PreflightSection, description="Pre-flight checks.")
    decision: DecisionThresholds = Field(
        default_factory=DecisionThresholds,
        description="Thresholds of the ADR decision table (`tucano train decide`); defaults are the table's. "
        "Its OOM ladder is oom_ladder.",
    )
    gpu: GpuName = Field("l4", description="The GPU this run uses (planner preset; 'cpu' = no GPU).")
    skip_preflight: bool = Field(
        False, description="Set by the recipe when --skip-preflight was given (recorded in saved configs)."
    )

    _warnings: list[str] = PrivateAttr(default_factory=list)
    _notes: list[str] = PrivateAttr(default_factory=list)

    @property
    def warnings(self) -> list[str]:
        """Soft issues found while validating (the recipe prints them)."""
        return self._warnings

    @property
    def notes(self) -> list[str]:
        """Facts about how this recipe will behave that a user reading its logs must know (printed too)."""
        return self._notes

    def grpo_value(self, key: str) -> Any:
        """A ``grpo`` value, or ``GRPOConfig``'s default."""
        return self.grpo[key] if key in self.grpo else grpo_defaults()[key]

    def resolved_grpo(self) -> dict[str, Any]:
        """Every ``GRPOConfig`` field: the ``grpo`` section over TRL's defaults."""
        return {**grpo_defaults(), **self.grpo}

    def generation_batch_global(self, processes: int | None = None) -> int:
        """TRL's ``generation_batch_size``: GLOBAL completions per generation, over ``processes`` (default:
        ``WORLD_SIZE``) = per_device_train_batch_size x processes x steps_per_generation (default GA)."""
        if self.grpo_value("generation_batch_size"):
            return int(self.grpo_value("generation_batch_size"))
        bs = int(self.grpo_value("per_device_train_batch_size"))
        spg = self.grpo_value("steps_per_generation") or self.grpo_value("gradient_accumulation_steps")
        return bs * (processes or world_size()) * int(spg)

    @model_validator(mode="after")
    def _cross_checks(self) -> GrpoV3Config:
        fields = grpo_defaults()
        unknown = sorted(set(self.grpo) - set(fields))
        if unknown:
            hint = (
                " (removed in TRL 0.28: truncate prompts during data prep; see data.max_prompt_tokens)"
                if "max_prompt_length" in unknown
                else ""
            )
            raise ValueError(
                f"grpo: unknown GRPOConfig key(s) {unknown}{hint}; valid keys are GRPOConfig's fields, e.g. "
                + ", ".join(sorted(k for k in INTENDED_GRPO))
            )
        owned = sorted(set(self.grpo) & set(RECIPE_OWNED))
        if owned:
            raise ValueError(
                "grpo: " + "; ".join(f"'{k}' is set by the recipe: use {RECIPE_OWNED[k]}" for k in owned)
            )
        if self.gpu == "cpu" and self.model.quantize == "4bit":
            raise ValueError("model.quantize '4bit' (bitsandbytes) needs a GPU: set model.quantize: none")
        if self.model.quantize == "4bit" and self.grpo_value("use_vllm"):
            raise ValueError(
                "model.quantize '4bit' cannot be combined with grpo.use_vllm: TRL 1.16 syncs the LoRA-merged "
                "weights into vLLM as packed bitsandbytes 4-bit tensors, which vLLM's loader rejects "
                "(huggingface/trl#4973, open), and merging LoRA into a 4-bit base re-quantizes it at every sync "
                "(#3466): set model.quantize: none (a bf16 base; check the fit with `tucano train plan`) or "
                "grpo.use_vllm: false"
            )
        completion = int(self.grpo_value("max_completion_length"))
        budget = self.model.context_length - self.data.max_prompt_tokens
        if completion > budget:
            name = Path(self.model.path).name or self.model.path
            raise ValueError(
                f"{name} has a {self.model.context_length:,}-token context: set grpo.max_completion_length "
                f"<= {self.model.context_length} - max prompt tokens (~{self.data.max_prompt_tokens}) = "
                f"{budget}, or use a longer-context base (got {completion})"
            )
        ladder = tuple(self.oom_ladder)
        if (
            "completion_ladder" in self.decision.model_fields_set
            and self.decision.completion_ladder != ladder
        ):
            raise ValueError(
                "decision.completion_ladder differs from oom_ladder: set oom_ladder only (the "
                "decision table uses it)"
            )
        self.decision = self.decision.model_copy(update={"completion_ladder": ladder})
        if bad := [n for n in self.oom_ladder if n > budget]:
            raise ValueError(
                f"oom_ladder has {bad} above the context budget {budget}: start the ladder at or below it"
            )
        if self.grpo_value("load_best_model_at_end"):
            eval_steps = self.grpo_value("eval_steps") or self.grpo_value("logging_steps")
            save_steps = self.grpo_value("save_steps")
            if save_steps % eval_steps:
                raise ValueError(
                    f"load_best_model_at_end needs grpo.save_steps ({save_steps}) to be a multiple of "
                    f"grpo.eval_steps ({eval_steps}): eval_steps must divide save_steps"
                )
        g = int(self.grpo_value("num_generations"))
        gen_batch = self.generation_batch_global()
        if gen_batch % g:
            raise ValueError(
                f"generation batch (GLOBAL in TRL: per_device_train_batch_size x processes x "
                f"steps_per_generation (default gradient_accumulation_steps), or generation_batch_size) = "
                f"{gen_batch} is not divisible by grpo.num_generations {g}: make it a multiple of num_generations"
            )
        g_eval = int(self.grpo_value("num_generations_eval") or g)
        eval_bs = int(self.grpo_value("per_device_eval_batch_size"))
        if eval_bs * world_size() % g_eval:
            raise ValueError(
                f"grpo.per_device_eval_batch_size {eval_bs} x {world_size()} process(es) is not divisible by "
                f"num_generations(_eval) {g_eval}: set it to a multiple"
            )
        if self.dynamic_sampling.enabled and self.dynamic_sampling.min_informative_groups > gen_batch // g:
            raise ValueError(
                f"dynamic_sampling.min_informative_groups {self.dynamic_sampling.min_informative_groups} exceeds "
                f"the {gen_batch // g} group(s) of a generation batch ({gen_batch} completions / G {g}): lower it "
                "or generate more prompts per batch"
            )
        if self.dynamic_sampling.enabled and world_size() > 1:
            raise ValueError(
                "dynamic_sampling is single-process only (a group's completions may sit on two processes); "
                "set dynamic_sampling.enabled: false or run one process"
            )
        total = sum(self.rewards.weights.values())
        if not math.isclose(total, 1.0, abs_tol=1e-6):
            raise ValueError(f"rewards.weights sum to {total:g}: scale them to sum to 1")
        if self.zero_std_strategy == "noise":
            self._warnings.append(
                "zero_std_strategy 'noise' gives zero-std groups random-sign advantages (as large as real "
                "signal) and hides frac_reward_zero_std; 'filter' is recommended"
            )
        if self.rewards.format_weight_schedule is not None and self.grpo_value("metric_for_best_model") in (
            "reward",
            "eval_reward",
        ):
            self._warnings.append(
                "grpo.metric_for_best_model is eval_reward, which follows rewards.format_weight_schedule (it "
                "drifts with the schedule alone): use eval_reward_fixed"
            )
        regime = training_regime(self.resolved_grpo())
        if not regime.off_policy and self.monitor.enabled:
            self._notes.append(
                "on-policy recipe: clip_ratio/* will be 0 at every step ("
                + regime.reasons[0]
                + "); the monitor "
                "and the decision table judge collapse on entropy and the reward-std / zero-std trend instead"
            )
        self._warnings += self.deviations()
        return self

    def deviations(self) -> list[str]:
        """Where the ``grpo`` values differ from the ADR v3 recipe (Dr. GRPO halves, beta 0, ...)."""
        out = []
        for key, want in INTENDED_GRPO.items():
            got = self.grpo_value(key)
            if got != want and not (isinstance(want, float) and isinstance(got, int | float) and got == want):
                out.append(f"grpo.{key} is {got!r}, the ADR recipe uses {want!r}")
        return out


@functools.cache
def grpo_defaults() -> dict[str, Any]:
    """``GRPOConfig``'s dataclass fields and their defaults (imports TRL once)."""
    try:
        from trl import GRPOConfig
    except ImportError as err:  # pragma: no cover - the [train] extra is missing
        raise ConfigError("the GRPO recipe needs TRL: pip install -e '.[hf,train]'") from err
    out: dict[str, Any] = {}
    for f in dataclasses.fields(GRPOConfig):
        if f.default is not dataclasses.MISSING:
            out[f.name] = f.default
        elif f.default_factory is not dataclasses.MISSING:
            out[f.name] = f.default_factory()
        else:
            out[f.name] = None
    return out


def resolve_path(raw: str) -> Path:
    """A config path: ``tiny://x`` = ``$TUCANO_HOME/tiny/x``; ``~`` is expanded; relative = from the CWD."""
    from tucano_commerce.paths import tucano_home

    if raw.startswith("tiny://"):
        return tucano_home() / "tiny" / raw.removeprefix("tiny://")
    return Path(raw).expanduser()


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    model: type[BaseModel] | None = GrpoV3Config
    for part in loc:
        if model is None or not isinstance(part, str) or part not in model.model_fields:
            return model
        ann = model.model_fields[part].annotation
        inner = [
            a for a in getattr(ann, "__args__", (ann,)) if isinstance(a, type) and issubclass(a, BaseModel)
        ]
        model = inner[0] if inner else None
    return model


def _format_error(source: str, err: ValidationError) -> str:
    lines = []
    for e in err.errors():
        loc = tuple(p for p in e["loc"] if p != "__root__")
        field = ".".join(str(p) for p in loc) or "(top level)"
        if e["type"] == "extra_forbidden":
            parent = _model_at(loc[:-1])
            valid = ", ".join(parent.model_fields) if parent else "?"
            lines.append(f"unknown key '{field}'; valid keys here: {valid}")
        else:
            msg = str(e["msg"]).removeprefix("Value error, ")
            lines.append(f"field '{field}': {msg}" if loc else msg)
    return f"{source}: " + "; ".join(lines)


def parse_config(data: dict[str, Any], source: str = "<config>") -> GrpoV3Config:
    """Validate a config mapping; ``ConfigError`` names ``source`` and the field."""
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a mapping at the top level, got {type(data).__name__}")
    try:
        return GrpoV3Config.model_validate(data)
    except ValidationError as err:
        raise ConfigError(_format_error(source, err)) from None


def find_config(path: str | Path) -> Path:
    """The recipe file ``path`` means: the file itself when it exists (a checkout's ``configs/grpo_v3.yaml``,
    edits included), else the shipped config of that name, so ``--config configs/grpo_v3.yaml`` also works
    where the package is installed and there is no ``configs/`` folder."""
    from tucano_commerce.paths import shipped_config

    given = Path(path).expanduser()
    if given.is_file():
        return given
    return shipped_config(given) or given


def load_config(path: str | Path) -> GrpoV3Config:
    """Read and validate a recipe YAML (``find_config``); errors name the file and the field."""
    from tucano_commerce.paths import shipped_configs

    path = find_config(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        names = ", ".join(n for n in shipped_configs() if n.startswith("grpo"))
        raise ConfigError(f"no config file at {path} (configs shipped with the package: {names})") from None
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}: not valid YAML: {err}") from None
    return parse_config(data or {}, str(path))

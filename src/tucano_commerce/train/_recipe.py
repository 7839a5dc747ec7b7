"""The GRPO v3 training recipe: pre-flight, model + LoRA, TRL 1.16 ``GRPOTrainer``, OOM ladder, resume.

Launch (one L4)::

    tucano train grpo --config configs/grpo_v3.yaml                 # refuses to start if the pre-flight fails
    tucano train grpo --config configs/grpo_v3.yaml --resume        # continue the newest run's last checkpoint
    tucano train grpo --config configs/grpo_tiny_cpu.yaml --skip-preflight   # the whole recipe on CPU, ~1 min

Deviations from textbook GRPO (DeepSeekMath), each a config value:

1. Dr. GRPO: ``scale_rewards: none`` (no std scaling) *and* ``loss_type: dr_grpo`` (no per-sequence
   length normalisation); TRL's defaults are "group" and "dapo".
2. No KL term (``beta: 0``): no reference model is loaded.
3. Staged rewards 0.2 format + 0.3 partial + 0.5 task (the plan's own split), the format weight
   optionally decaying (``rewards.format_weight_schedule``).
4. Zero-std groups are masked out of the loss (``zero_std_strategy: filter``; under ``dr_grpo`` with
   beta 0 the gradient is the same as ``keep``'s) and a step where every group tied skips its optimizer
   update (AdamW momentum would otherwise move the weights); optional DAPO dynamic sampling.
5. Optional median baseline (``advantage_baseline: median``, MC-GRPO without the G+1 pivot trick).
6. Early stopping on the fixed-weight ``eval_reward_fixed`` and the best checkpoint loaded at the end.
7. ``max_completion_length`` 3072, not the ADR's 4096, on Tucano2-qwen-3.7B (4,096-token context);
   on CUDA OOM it steps down the ``oom_ladder`` and resumes from the last checkpoint (single process;
   the ``dr_grpo`` loss keeps the first rung's scale).
8. LoRA parameters train in float32 even on a 4-bit base (TRL 1.16 casts them to bf16, where lr-sized
   steps round away), and are sampled without dropout.

Two or more processes (``torchrun --nproc_per_node N`` or ``accelerate launch``): the trainer's collectives
run on every rank, only the main process writes configs, logs and deletes old checkpoints, and caches built
on first use (the tiny model, the tiny data) are built under a file lock.

The resolved config (a valid recipe YAML: run name, output dir, the completion length actually used and
``skip_preflight``) is saved as ``recipe_config.yaml``/``.json`` in the output dir and every checkpoint.
"""

from __future__ import annotations

import json
import logging
import math
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tucano_commerce._memory import free_accelerator_memory, is_out_of_memory
from tucano_commerce.errors import ConfigError, DataError, TucanoError
from tucano_commerce.train._config import REWARD_NAMES, GrpoV3Config, load_config, resolve_path

logger = logging.getLogger(__name__)

SAVED_CONFIG = "recipe_config"
OOM_LOG = "oom_ladder.jsonl"
# The vLLM versions TRL 1.16 accepts (trl/import_utils.py is_vllm_available; the `vllm` extra in its METADATA).
VLLM_SUPPORTED = ("0.22.0", "0.31.0")
MAX_EVAL_SHARE = 0.30  # pre-flight warns when eval takes more of the planned wall time
DEFAULT_EVAL_SIZE = 50  # `tucano data build`'s eval_size


@dataclass
class TrainResult:
    """What a training run produced."""

    output_dir: Path
    run_name: str
    best_checkpoint: Path | None
    log_history: list[dict[str, Any]]
    metrics: dict[str, float]
    oom_steps: list[dict[str, Any]] = field(default_factory=list)
    global_step: int = 0


@dataclass
class PreflightReport:
    """Pre-flight outcome: ``missing`` blocks the start, ``warnings`` do not."""

    missing: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    checks: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Nothing is missing."""
        return not self.missing


# --------------------------------------------------------------------------------------------- pre-flight


def _check(report: PreflightReport, name: str, problems: list[str]) -> None:
    report.missing += [f"{name}: {p}" for p in problems]
    report.checks[name] = "ok" if not problems else f"{len(problems)} problem(s)"


def _data_problems(cfg: GrpoV3Config) -> list[str]:
    from tucano_commerce.data import read_examples

    train, eval_, card = cfg.data.train_path(), cfg.data.eval_path(), cfg.data.resolved_dir() / "README.md"
    problems = [f"{p} is missing: run `tucano data build`" for p in (train, eval_) if not p.is_file()]
    if problems:
        return problems
    try:
        n = len(read_examples(train)) + len(read_examples(eval_))
    except DataError as err:
        return [f"invalid training data: {err}"]
    if n < cfg.data.min_examples:
        problems.append(f"{n} examples, fewer than data.min_examples {cfg.data.min_examples}: build more")
    if not card.is_file():
        problems.append(f"no dataset card at {card}: rebuild with `tucano data build`")
    elif "**clean**" not in card.read_text(encoding="utf-8"):
        problems.append(f"the dataset card {card} does not say the contamination check is **clean**")
    return problems


def _planned_eval_examples(cfg: GrpoV3Config) -> int:
    """Eval prompts per evaluation: ``data.eval_examples`` capped by the eval file's rows when it exists;
    without the file, the data build's default eval size (50)."""
    path = cfg.data.eval_path()
    rows = None
    if path.is_file():
        with path.open(encoding="utf-8") as fh:
            rows = sum(1 for line in fh if line.strip())
    wanted = cfg.data.eval_examples
    if rows is None:
        return wanted or DEFAULT_EVAL_SIZE
    return min(wanted, rows) if wanted else rows


def plan_inputs(
    cfg: GrpoV3Config, *, num_processes: int | None = None, zero_std_share: float | None = None
) -> Any:
    """The planner's inputs for a recipe: the model shape from its config.json, else a bundled preset.

    Args:
        cfg: the recipe.
        num_processes: training processes (GPUs); default ``WORLD_SIZE`` (1 outside torchrun/accelerate).
        zero_std_share: assumed share of tied groups for dynamic sampling (default: the planner's).

    Raises:
        ConfigError: neither a config.json at the model path nor a preset matching its name, or batch
            settings TRL would refuse.
    """
    from tucano_commerce.train._config import world_size
    from tucano_commerce.train._planner import PlanInputs
    from tucano_commerce.train._shapes import PRESETS, get_shape, shape_from_config_json

    config_json = resolve_path(cfg.model.path) / "config.json"
    if config_json.is_file():
        shape: Any = shape_from_config_json(config_json)
    else:
        name = Path(cfg.model.path).name.lower()
        preset = next((p for p in sorted(PRESETS, key=len, reverse=True) if name.startswith(p)), None)
        if preset is None:
            raise ConfigError(
                f"no config.json at {config_json} and no bundled shape matches '{name}' "
                f"(presets: {', '.join(sorted(PRESETS))})"
            )
        shape = get_shape(preset)
    g = cfg.grpo_value
    extra: dict[str, Any] = {}
    if g("use_vllm"):
        extra = {
            "use_vllm": True,
            "vllm_mode": g("vllm_mode"),
            "vllm_enable_sleep_mode": bool(g("vllm_enable_sleep_mode")),
            "vllm_max_model_length": g("vllm_max_model_length"),
            "vllm_importance_sampling_correction": bool(g("vllm_importance_sampling_correction")),
        }
        if g("vllm_mode") == "colocate" or "vllm_gpu_memory_utilization" in cfg.grpo:
            extra["vllm_gpu_memory_utilization"] = g("vllm_gpu_memory_utilization")
    if zero_std_share is not None:
        extra["zero_std_share"] = zero_std_share
    ds, targets = cfg.dynamic_sampling, cfg.lora.target_modules
    try:
        return PlanInputs(
            model=shape,
            quantization=cfg.model.quantize,
            lora_r=cfg.lora.r,
            **({} if targets == "all-linear" else {"lora_target_modules": tuple(targets)}),
            max_prompt_length=cfg.data.max_prompt_tokens,
            max_completion_length=g("max_completion_length"),
            num_generations=g("num_generations"),
            per_device_train_batch_size=g("per_device_train_batch_size"),
            gradient_accumulation_steps=g("gradient_accumulation_steps"),
            num_processes=num_processes or world_size(),
            generation_batch_size=g("generation_batch_size"),
            steps_per_generation=g("steps_per_generation"),
            gradient_checkpointing=g("gradient_checkpointing"),
            max_steps=max(1, g("max_steps")),
            eval_steps=g("eval_steps") or g("logging_steps"),
            eval_examples=0 if g("eval_strategy") in ("no", None) else _planned_eval_examples(cfg),
            num_generations_eval=g("num_generations_eval"),
            per_device_eval_batch_size=g("per_device_eval_batch_size"),
            dynamic_sampling=ds.enabled,
            min_informative_groups=ds.min_informative_groups,
            max_extra_batches=ds.max_extra_batches,
            **extra,
        )
    except ValueError as err:  # pydantic's ValidationError: e.g. a generation batch TRL would refuse
        raise ConfigError(f"cannot plan this recipe: {err}") from None


def _plan_problems(cfg: GrpoV3Config, report: PreflightReport) -> list[str]:
    from tucano_commerce.train._planner import plan

    try:
        inputs = plan_inputs(cfg)
    except ConfigError as err:
        report.warnings.append(f"planner skipped: {err}")
        return []
    result = plan(inputs, cfg.gpu)
    report.checks["planner_peak_gib"] = f"{result.total_gib} of {result.gpu_memory_gib}"
    lo, hi = result.hours_range
    report.checks["planner_hours"] = (
        f"{lo:g}-{hi:g} h ({result.evals} evals, {result.eval_share:.0%} of it eval)"
    )
    report.warnings += result.context_warnings + result.notes
    if result.eval_share > MAX_EVAL_SHARE:
        report.warnings.append(
            f"eval takes {result.eval_share:.0%} of the planned wall time (more than {MAX_EVAL_SHARE:.0%}): "
            "evaluate less often (grpo.eval_steps), on fewer prompts (data.eval_examples), with fewer "
            "completions (grpo.num_generations_eval 1-2) or more per generate call "
            "(grpo.per_device_eval_batch_size); `tucano train plan --budget-hours H` proposes settings"
        )
    if result.fits:
        return []
    return [f"{p} (`tucano train plan --config ...` shows every term)" for p in result.problems] or [
        f"estimated peak {result.total_gib} GiB exceeds the {cfg.gpu}'s {result.gpu_memory_gib} GiB"
    ]


def _generation_problems(cfg: GrpoV3Config, report: PreflightReport) -> list[str]:
    """TRL's generation batch is GLOBAL (per_device_train_batch_size x processes x steps_per_generation):
    the checks TRL's GRPOConfig makes at start-up, made here with this run's process count."""
    from tucano_commerce.train._config import world_size

    n = world_size()
    g = int(cfg.grpo_value("num_generations"))
    bs = int(cfg.grpo_value("per_device_train_batch_size"))
    total = cfg.generation_batch_global(n)
    problems = []
    if cfg.grpo_value("generation_batch_size") and cfg.grpo_value("steps_per_generation"):
        problems.append(
            "grpo.generation_batch_size and grpo.steps_per_generation are both set: TRL refuses "
            "that; keep one"
        )
    if cfg.grpo_value("generation_batch_size") and total % (bs * n):
        problems.append(
            f"grpo.generation_batch_size {total} (global) is not a multiple of per_device_train_batch_size "
            f"{bs} x {n} process(es) = {bs * n}"
        )
    if total % g:
        problems.append(f"the global generation batch {total} is not a multiple of num_generations {g}")
    if not problems:
        per_process = total // n
        report.checks["generation_batch"] = (
            f"{total} completions per generation (global) = {total // g} prompt(s) x G {g}; "
            f"{per_process} per process per generate call ({n} process(es))"
        )
    return problems


def _vllm_problems(cfg: GrpoV3Config) -> list[str]:
    """With grpo.use_vllm: vllm must import and be a version TRL 1.16 supports."""
    if not cfg.grpo_value("use_vllm"):
        return []
    import importlib.metadata

    from packaging.version import Version

    lo, hi = VLLM_SUPPORTED
    try:
        version = importlib.metadata.version("vllm")
    except importlib.metadata.PackageNotFoundError:
        return [
            f"grpo.use_vllm needs vLLM {lo}-{hi} (what TRL 1.16 supports) and a CUDA GPU: "
            "pip install -e '.[vllm]', or set grpo.use_vllm: false"
        ]
    if not Version(lo) <= Version(Version(version).base_version) <= Version(hi):
        return [f"vllm {version} is installed; TRL 1.16 supports {lo} to {hi}: pip install -e '.[vllm]'"]
    try:
        import vllm  # noqa: F401
    except Exception as err:  # noqa: BLE001 - any import failure (no CUDA, ABI mismatch) blocks the run
        return [
            f"vllm {version} does not import ({type(err).__name__}: {err}); it needs CUDA and a torch "
            "build it was compiled against"
        ]
    return []


def preflight(cfg: GrpoV3Config, *, output_dir: Path, resume: bool = False) -> PreflightReport:
    """ADR step 3.7: every reason not to start, all listed at once (nothing is loaded on the GPU)."""
    from tucano_commerce.bench import load_results, validate_benchmark

    report = PreflightReport(warnings=list(cfg.warnings))
    report.checks.update({f"note_{i + 1}": note for i, note in enumerate(cfg.notes)})
    bench_dir = resolve_path(cfg.preflight.benchmark_dir) if cfg.preflight.benchmark_dir else None
    try:
        validation = validate_benchmark(directory=bench_dir)
        bench = [str(p) for p in validation.problems[:5]]
        if bench:
            bench.insert(0, f"`tucano bench validate` finds {len(validation.problems)} problem(s)")
    except (TucanoError, OSError) as err:
        bench = [f"`tucano bench validate` failed: {err}"]
    _check(report, "benchmark", bench)

    baseline: list[str] = []
    if not cfg.preflight.baseline_results:
        baseline.append(
            "no baseline recorded: run `tucano bench run` on the base model and list the file "
            "in preflight.baseline_results"
        )
    for raw in cfg.preflight.baseline_results:
        try:
            load_results(resolve_path(raw))
        except TucanoError as err:
            baseline.append(str(err))
    _check(report, "baseline", baseline)
    _check(report, "data", _data_problems(cfg))

    recipe: list[str] = []
    if not cfg.monitor.enabled:
        recipe.append("the health monitor is off: set monitor.enabled: true")
    if not cfg.run_name.strip():
        recipe.append("run_name is empty: set one (e.g. 'grpo-v3-l4-{timestamp}')")
    from tucano_commerce.train._rewards import build_reward_functions

    names = [f.__name__ for f in build_reward_functions()]
    if len(names) != 3 or set(names) != set(cfg.rewards.weights):
        recipe.append(
            f"staged rewards: the reward functions are {names} but rewards.weights has "
            f"{sorted(cfg.rewards.weights)}: give one weight per function"
        )
    checkpoints = sorted(output_dir.glob("checkpoint-*")) if output_dir.is_dir() else []
    if checkpoints and not cfg.fresh and not resume:
        recipe.append(
            f"{output_dir} already has {len(checkpoints)} checkpoint(s): set fresh: true to "
            "delete them, pass --resume to continue, or pick another --output-dir"
        )
    _check(report, "recipe", recipe)
    report.checks["zero_std"] = zero_std_note(cfg)
    _check(report, "packages", _package_problems(cfg))
    _check(report, "update_representability", _representability_problems(cfg, report))
    if cfg.preflight.expected_gpu and cfg.preflight.expected_gpu != cfg.gpu:
        report.warnings.append(f"gpu is {cfg.gpu} but the config is meant for {cfg.preflight.expected_gpu}")
    _check(report, "generation", _generation_problems(cfg, report))
    _check(report, "vllm", _vllm_problems(cfg))
    if cfg.gpu == "cpu":
        report.checks["planner"] = "skipped: cpu"
    else:
        try:
            _check(report, "planner", _plan_problems(cfg, report))
        except TucanoError as err:
            _check(report, "planner", [str(err)])
    return report


def zero_std_note(cfg: GrpoV3Config) -> str:
    """What ``zero_std_strategy`` does to the gradient under this recipe's loss (TRL 1.16)."""
    loss = cfg.grpo_value("loss_type")
    beta = float(cfg.grpo_value("beta"))
    strategy = cfg.zero_std_strategy
    if strategy == "noise":
        return "noise: tied groups get random-sign advantages (v2 reproduction only; harmful)"
    same = loss in ("dr_grpo", "grpo", "bnpo", "sapo", "luspo") and beta == 0.0
    if same:
        effect = (
            f"with loss_type {loss} and beta 0 a tied group's loss is already 0 and the normaliser does not "
            "count masked tokens: filter and keep give the same gradient"
        )
    elif beta != 0.0:
        effect = f"with beta {beta:g} filter also drops the KL-only update of tied groups; keep trains it"
    else:
        effect = (
            f"with loss_type {loss} filter removes tied groups' tokens from num_items_in_batch, so they "
            "no longer dilute the informative groups' gradient; keep leaves them in"
        )
    return f"{strategy}: {effect}; either way a step where every group tied skips its optimizer update"


def _package_problems(cfg: GrpoV3Config) -> list[str]:
    """Optional packages the recipe needs: bitsandbytes >= 0.50 for a 4-bit base."""
    if cfg.model.quantize != "4bit":
        return []
    from importlib.metadata import PackageNotFoundError, version

    try:
        found = version("bitsandbytes")
    except PackageNotFoundError:
        return ["model.quantize 4bit needs bitsandbytes >= 0.50: pip install -e '.[gpu]'"]
    if _version_tuple(found) < (0, 50):
        return [
            f"bitsandbytes {found} < 0.50: older versions dequantize every 4-bit weight for each decoded "
            "token at batch > 1 (no fused 4-bit inference kernels); pip install -U 'bitsandbytes>=0.50'"
        ]
    return []


def _version_tuple(text: str) -> tuple[int, ...]:
    parts = []
    for piece in text.split(".")[:3]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


def _representability_problems(cfg: GrpoV3Config, report: PreflightReport) -> list[str]:
    """Update representability before loading anything: LoRA-A's init range against the lr in its dtype."""
    from tucano_commerce.train._precision import uniform_init_lost_share

    lr = float(cfg.grpo_value("learning_rate"))
    try:
        shape = plan_inputs(cfg).model
        fan_ins = {"hidden": shape.hidden, "intermediate": shape.intermediate}
    except ConfigError:
        fan_ins = {"hidden": 2560}  # Qwen3-4B's hidden size, when the model is not at hand
    dtype = cfg.lora.trainable_dtype
    shares = {name: uniform_init_lost_share(1 / math.sqrt(n), lr, dtype) for name, n in fan_ins.items()}
    worst = max(shares.values())
    report.checks["update_representability"] = f"LoRA-A in {dtype} at lr {lr:g}: " + ", ".join(
        f"{share:.1%} of entries lost (fan_in {fan_ins[k]})" for k, share in shares.items()
    )
    if worst <= cfg.preflight.max_lost_update_share:
        return []
    return [
        f"LoRA-A in {dtype} at lr {lr:g}: an lr-sized Adam step is rounded away for {worst:.0%} of its "
        f"entries (threshold {cfg.preflight.max_lost_update_share:.0%}), so A would never train: set "
        "lora.trainable_dtype: float32 (the default) or raise grpo.learning_rate"
    ]


def check_trainable_precision(model: Any, lr: float, threshold: float) -> list[str]:
    """Update representability on the real trainable tensors (after TRL's casts and ours): problems."""
    from tucano_commerce.train._trainer import lost_update_shares

    bad = {n: v for n, v in lost_update_shares(model, lr).items() if v[1] > threshold}
    if not bad:
        return []
    worst = max(bad.items(), key=lambda kv: kv[1][1])
    return [
        f"{len(bad)} trainable tensor(s) lose lr-sized ({lr:g}) updates in their dtype above "
        f"{threshold:.0%}, e.g. {worst[0]} ({worst[1][0]}): {worst[1][1]:.0%} of entries would never change; set "
        "lora.trainable_dtype: float32 (the default) or raise grpo.learning_rate"
    ]


# ------------------------------------------------------------------------------------------------ helpers


def is_main_process() -> bool:
    """Rank 0 of a torchrun/accelerate launch, or a single process (before any process group exists)."""
    return int(os.environ.get("RANK", "0")) == 0


def world_size() -> int:
    """Processes in this launch (1 without torchrun/accelerate)."""
    return int(os.environ.get("WORLD_SIZE", "1"))


def is_oom(exc: BaseException) -> bool:
    """A CUDA out-of-memory error, the one the OOM ladder answers (``is_out_of_memory(device_only=True)``)."""
    return is_out_of_memory(exc, device_only=True)


def next_rung(current: int, ladder: list[int]) -> int | None:
    """The next ``max_completion_length`` below ``current`` on the ladder, or None at its end."""
    lower = [n for n in ladder if n < current]
    return max(lower) if lower else None


def _find_run_dir(cfg: GrpoV3Config) -> Path | None:
    """The newest existing output dir of this config's run-name pattern (for --resume)."""
    pattern = cfg.output_dir.format(run_name=cfg.run_name.format(timestamp="*"))
    found = [p for p in Path().glob(pattern) if p.is_dir() and any(p.glob("checkpoint-*"))]
    return max(found, key=lambda p: p.stat().st_mtime) if found else None


def save_config(cfg: GrpoV3Config, directory: Path) -> None:
    """Write the resolved config as ``recipe_config.yaml`` and ``.json`` into ``directory`` (main process)."""
    if not is_main_process():
        return
    directory.mkdir(parents=True, exist_ok=True)
    data = cfg.model_dump(mode="json")
    (directory / f"{SAVED_CONFIG}.json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    (directory / f"{SAVED_CONFIG}.yaml").write_text(
        yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8"
    )


def _save_config_callback(holder: dict[str, GrpoV3Config]) -> Any:
    from transformers import TrainerCallback

    class SaveRecipeConfig(TrainerCallback):
        """Copies the resolved recipe config into every checkpoint folder."""

        def on_save(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            ckpt = Path(args.output_dir) / f"checkpoint-{state.global_step}"
            if state.is_world_process_zero and ckpt.is_dir():
                save_config(holder["cfg"], ckpt)

    return SaveRecipeConfig()


def _ensure_data(cfg: GrpoV3Config) -> None:
    if cfg.data.build_if_missing is None:
        return
    from tucano_commerce._io import file_lock

    target = cfg.data.resolved_dir()
    with file_lock(target.parent / f".{target.name}.lock"):  # every process of a launch gets here
        if cfg.data.train_path().is_file():
            return
        from tucano_commerce.data import build_dataset

        b = cfg.data.build_if_missing
        logger.warning("building the training data into %s (data.build_if_missing)", target)
        build_dataset(target, total=b.total, eval_size=b.eval_size, seed=b.seed)


def model_path(cfg: GrpoV3Config) -> str:
    """The base model to load: ``model.path``, with ``tiny://`` built/resolved to its local folder."""
    from tucano_commerce.train._tiny import ensure_tiny_model, is_tiny

    return str(ensure_tiny_model(cfg.model.path)) if is_tiny(cfg.model.path) else cfg.model.path


def _max_prompt_tokens(tok: Any, datasets_: list[Any], kwargs: dict[str, Any]) -> int:
    longest = 0
    for ds in datasets_:
        for prompt in ds["prompt"]:
            text = tok.apply_chat_template(prompt, add_generation_prompt=True, tokenize=False, **kwargs)
            longest = max(longest, len(tok(text, add_special_tokens=False)["input_ids"]))
    return longest


def _tracker(cfg: GrpoV3Config, out: Path) -> str:
    """``report_to`` for the config's tracker; W&B files go under the run folder unless WANDB_DIR is set."""
    import importlib.util

    if cfg.tracker == "none":
        return "none"
    if importlib.util.find_spec(cfg.tracker) is None:
        raise ConfigError(
            f"tracker '{cfg.tracker}' is not installed: pip install {cfg.tracker}, or set tracker: none"
        )
    if cfg.tracker == "wandb":
        if cfg.wandb_offline:
            os.environ["WANDB_MODE"] = "offline"
        os.environ.setdefault("WANDB_DIR", str(out))
    return cfg.tracker


# ----------------------------------------------------------------------------------------------- the run


def train_grpo(
    config_path: str | Path | GrpoV3Config,
    *,
    output_dir: str | Path | None = None,
    resume: bool = False,
    skip_preflight: bool = False,
) -> TrainResult:
    """Run the GRPO v3 recipe (module docstring); returns what it produced.

    Args:
        config_path: a recipe YAML (``configs/grpo_v3.yaml``) or an already loaded config.
        output_dir: overrides the config's ``output_dir``.
        resume: continue from the last checkpoint in the output dir (default: the newest run of this
            config's run-name pattern).
        skip_preflight: start even if the pre-flight finds problems (recorded in the saved config).

    Raises:
        ConfigError: the pre-flight failed (every problem listed), or the config cannot run here.
        TucanoError: CUDA ran out of memory on the last rung of the OOM ladder.
    """
    cfg = config_path if isinstance(config_path, GrpoV3Config) else load_config(config_path)
    for w in cfg.warnings:
        logger.warning("config: %s", w)
    for note in cfg.notes:
        logger.warning("config note: %s", note)
    out: Path | None = Path(output_dir) if output_dir is not None else None
    if resume and out is None and "{timestamp}" in cfg.run_name:
        out = _find_run_dir(cfg)
        if out is None:
            raise ConfigError("--resume: no earlier run of this config with a checkpoint; pass --output-dir")
    run_name = cfg.run_name.format(timestamp=time.strftime("%Y%m%d-%H%M%S"))
    saved = out / f"{SAVED_CONFIG}.json" if out is not None else None
    if resume and saved is not None and saved.is_file():
        run_name = json.loads(saved.read_text(encoding="utf-8")).get("run_name", run_name)
    out = out or Path(cfg.output_dir.format(run_name=run_name))
    cfg = cfg.model_copy(
        update={"run_name": run_name, "output_dir": str(out), "skip_preflight": skip_preflight}
    )

    _ensure_data(cfg)
    if skip_preflight:
        logger.warning("pre-flight skipped (--skip-preflight); recorded in %s.yaml", SAVED_CONFIG)
    else:
        report = preflight(cfg, output_dir=out, resume=resume)
        for w in report.warnings:
            logger.warning("pre-flight: %s", w)
        if not report.ok:
            raise ConfigError(
                "pre-flight failed, not starting:\n- "
                + "\n- ".join(report.missing)
                + "\n(fix these, or pass --skip-preflight to start anyway)"
            )

    last_checkpoint = None
    if resume:
        from transformers.trainer_utils import get_last_checkpoint

        last_checkpoint = get_last_checkpoint(str(out)) if out.is_dir() else None
        if last_checkpoint is None:
            raise ConfigError(f"--resume: no checkpoint in {out}; run without --resume")
        logger.warning("resuming from %s", last_checkpoint)
    elif cfg.fresh and out.is_dir() and is_main_process():
        for old in out.glob("checkpoint-*"):
            shutil.rmtree(old)
        (out / OOM_LOG).unlink(missing_ok=True)
    save_config(cfg, out)
    return _run(cfg, out, last_checkpoint)


def _quantization_config(cfg: GrpoV3Config, dtype: str) -> Any:
    """bitsandbytes NF4 + double quant (QLoRA); packed in the compute dtype when ZeRO-3/FSDP shard it."""
    import torch
    from transformers import BitsAndBytesConfig

    sharded = os.environ.get("ACCELERATE_USE_FSDP", "").lower() == "true" or (
        os.environ.get("ACCELERATE_USE_DEEPSPEED", "").lower() == "true"
        and os.environ.get("ACCELERATE_DEEPSPEED_ZERO_STAGE") == "3"
    )
    # FSDP / ZeRO-3 flatten parameters into one dtype: the packed 4-bit weights must be stored in it
    storage = {"bnb_4bit_quant_storage": getattr(torch, dtype)} if sharded else {}
    return BitsAndBytesConfig(
        load_in_4bit=True,
        bnb_4bit_quant_type="nf4",
        bnb_4bit_use_double_quant=True,
        bnb_4bit_compute_dtype=getattr(torch, dtype),
        **storage,
    )


def _resume_state(checkpoint: str | None) -> dict[str, Any]:
    """The health monitor's state saved in a checkpoint (``{}`` without one)."""
    from tucano_commerce.train._callbacks import HealthMonitor

    path = Path(checkpoint) / HealthMonitor.STATE_FILE if checkpoint else None
    if path is None or not path.is_file():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def _build_trainer(cfg: GrpoV3Config, ctx: dict[str, Any], completion: int, checkpoint: str | None) -> Any:
    """One ``TucanoGRPOTrainer`` for a rung of the OOM ladder, with its callbacks attached."""
    from transformers import EarlyStoppingCallback
    from trl import GRPOConfig

    from tucano_commerce.train._callbacks import (
        AdapterChangeMonitor,
        HealthMonitor,
        RewardWeightSchedule,
        run_before_trackers,
    )
    from tucano_commerce.train._regime import training_regime
    from tucano_commerce.train._trainer import TucanoGRPOTrainer

    gpu, dtype, ds = cfg.gpu != "cpu", ctx["dtype"], cfg.dynamic_sampling
    grpo = dict(cfg.grpo)
    grpo["max_completion_length"] = completion
    grpo["model_init_kwargs"] = {"dtype": dtype, **(grpo.get("model_init_kwargs") or {})}
    monitor_state = _resume_state(checkpoint)
    target = monitor_state.get("adaptive_entropy_target")
    if (
        target is not None
    ):  # the monitor had switched on TRL's entropy control: TRL restores its state at init
        grpo.update(use_adaptive_entropy=True, entropy_target=target)
    args = GRPOConfig(
        **grpo,
        output_dir=str(ctx["out"]),
        run_name=cfg.run_name,
        report_to=ctx["report_to"],
        use_cpu=not gpu,
        bf16=gpu and dtype == "bfloat16",
        fp16=gpu and dtype == "float16",
        reward_weights=ctx["weights"],
        chat_template_kwargs=cfg.model.chat_template_kwargs or None,
    )
    callbacks: list[Any] = [_save_config_callback(ctx["holder"])]
    if args.eval_strategy != "no":  # transformers' early stopping asserts that evaluation runs
        callbacks.append(EarlyStoppingCallback(early_stopping_patience=cfg.early_stopping_patience))
    ours: list[Any] = [AdapterChangeMonitor()]
    if cfg.monitor.enabled:
        off_policy = training_regime(cfg.resolved_grpo()).off_policy
        monitor = HealthMonitor(**cfg.monitor.model_dump(exclude={"enabled"}), off_policy=off_policy)
        monitor.load_state_dict(monitor_state)
        ours.append(monitor)
    if cfg.rewards.format_weight_schedule is not None:
        s = cfg.rewards.format_weight_schedule
        ours.append(RewardWeightSchedule(s.start, s.end, index=ctx["names"].index(REWARD_NAMES[0])))
    trainer = TucanoGRPOTrainer(
        model=ctx["model"],
        reward_funcs=ctx["reward_funcs"],
        args=args,
        train_dataset=ctx["ds"]["train"],
        eval_dataset=ctx["ds"]["eval"],
        processing_class=ctx["tok"],
        callbacks=callbacks + ours,
        peft_config=ctx["peft_config"],
        quantization_config=ctx["quantization"],
        zero_std_strategy=cfg.zero_std_strategy,
        advantage_baseline=cfg.advantage_baseline,
        trainable_dtype=cfg.lora.trainable_dtype,
        loss_reference_length=ctx["reference_length"],
        dynamic_sampling=(ds.min_informative_groups, ds.max_extra_batches) if ds.enabled else None,
    )
    run_before_trackers(trainer, *(cb.attach(trainer) for cb in ours))  # trackers see health/*, adapter/* ...
    problems = check_trainable_precision(
        trainer.model, float(args.learning_rate), cfg.preflight.max_lost_update_share
    )
    for problem in problems:
        if not cfg.skip_preflight:
            raise ConfigError(f"pre-flight (update representability): {problem}")
        logger.warning("update representability (--skip-preflight): %s", problem)
    return trainer


def _release(trainer: Any) -> None:
    """Drop what a failed rung's trainer holds on to: its callbacks point back at it, and its model,
    optimizer and accelerator hold the GPU memory."""
    for cb in list(getattr(getattr(trainer, "callback_handler", None), "callbacks", [])):
        if hasattr(cb, "trainer"):
            cb.trainer = None
    for name in ("model", "model_wrapped", "optimizer", "lr_scheduler", "accelerator", "callback_handler"):
        if hasattr(trainer, name):
            setattr(trainer, name, None)


def _run(cfg: GrpoV3Config, out: Path, last_checkpoint: str | None) -> TrainResult:
    import datasets
    from transformers import AutoTokenizer
    from transformers.trainer_utils import get_last_checkpoint

    from tucano_commerce.train._evalset import eval_subset
    from tucano_commerce.train._rewards import build_reward_functions

    base = model_path(cfg)
    tok = AutoTokenizer.from_pretrained(base)
    ds = datasets.load_dataset(
        "json",
        data_files={"train": str(cfg.data.train_path()), "eval": str(cfg.data.eval_path())},
    )
    ds["eval"] = eval_subset(ds["eval"], cfg.data.eval_examples)  # data.eval_examples (train/_evalset.py)
    longest = _max_prompt_tokens(tok, [ds["train"], ds["eval"]], cfg.model.chat_template_kwargs)
    if longest > cfg.data.max_prompt_tokens:
        raise ConfigError(
            f"the longest prompt has {longest} tokens, above data.max_prompt_tokens "
            f"{cfg.data.max_prompt_tokens}: raise it (and lower grpo.max_completion_length to fit "
            f"{cfg.model.context_length}) or shorten the prompts"
        )
    reward_funcs = build_reward_functions()
    names = [f.__name__ for f in reward_funcs]
    try:
        weights = [cfg.rewards.weights[name] for name in names]
    except KeyError as err:
        raise ConfigError(f"rewards.weights has no weight for reward function {err}") from None

    from peft import LoraConfig

    gpu = cfg.gpu != "cpu"
    dtype = cfg.model.dtype if cfg.model.dtype != "auto" else ("bfloat16" if gpu else "float32")
    completion = int(cfg.grpo_value("max_completion_length"))
    ctx: dict[str, Any] = {
        "out": out,
        "dtype": dtype,
        "model": base,
        "tok": tok,
        "ds": ds,
        "reward_funcs": reward_funcs,
        "names": names,
        "weights": weights,
        "holder": {"cfg": cfg},
        "report_to": _tracker(cfg, out),
        "peft_config": LoraConfig(
            r=cfg.lora.r,
            lora_alpha=cfg.lora.alpha,
            lora_dropout=cfg.lora.dropout,
            target_modules=cfg.lora.target_modules,
            task_type="CAUSAL_LM",
        ),
        "quantization": _quantization_config(cfg, dtype) if cfg.model.quantize == "4bit" else None,
        # dr_grpo divides by max_completion_length: keep the first rung's scale when the ladder steps down
        "reference_length": completion,
    }
    oom_steps: list[dict[str, Any]] = []

    while True:
        trainer = _build_trainer(cfg, ctx, completion, last_checkpoint)
        failure: dict[str, Any] | None = None
        try:
            output = trainer.train(resume_from_checkpoint=last_checkpoint)
        except Exception as exc:
            if not is_oom(exc):
                raise
            failure = {
                "time": time.strftime("%Y-%m-%dT%H:%M:%S"),
                "global_step": trainer.state.global_step,
                "max_completion_length": completion,
                "next": next_rung(completion, cfg.oom_ladder),
                "error": str(exc)[:300],
            }
        if failure is None:
            break
        # Out of the except block the traceback (which pins train()'s frames: model, optimizer,
        # activations) is gone; drop the trainer and everything pointing at it before the next rung loads.
        _release(trainer)
        trainer = None
        free_accelerator_memory()
        oom_steps.append(failure)
        if is_main_process():
            with (out / OOM_LOG).open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(failure) + "\n")
        if failure["next"] is None or world_size() > 1:
            why = (
                f"the last rung of oom_ladder {cfg.oom_ladder}: lower per_device_train_batch_size, use quantize: "
                "4bit, or a bigger GPU"
                if failure["next"] is None
                else f"{world_size()} processes (the ladder is single-process: a rank that OOMs leaves the others "
                f"blocked); set grpo.max_completion_length: {failure['next']} and rerun with --resume"
            )
            raise TucanoError(
                f"CUDA out of memory at max_completion_length {completion}, {why} (log: {out / OOM_LOG})"
            )
        logger.warning(
            "CUDA OOM at max_completion_length %d: stepping down to %d and resuming",
            completion,
            failure["next"],
        )
        completion = failure["next"]
        cfg = cfg.model_copy(update={"grpo": {**cfg.grpo, "max_completion_length": completion}})
        ctx["holder"]["cfg"] = cfg
        save_config(cfg, out)
        last_checkpoint = get_last_checkpoint(str(out))

    best = trainer.state.best_model_checkpoint
    return TrainResult(
        output_dir=out,
        run_name=cfg.run_name,
        best_checkpoint=Path(best) if best else None,
        log_history=list(trainer.state.log_history),
        metrics=dict(output.metrics),
        oom_steps=oom_steps,
        global_step=trainer.state.global_step,
    )

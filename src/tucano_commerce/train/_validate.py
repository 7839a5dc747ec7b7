"""``tucano train validate`` / ``decide`` glue: benchmark the best checkpoint, report it, apply the table.

ADR 3.8: run the benchmark on the best checkpoint (base model + trained adapter, in process), write the
comparison report against the baselines given, then apply the decision table to the run's logs and the
benchmark's extraction score.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tucano_commerce.errors import ConfigError, DataError

if TYPE_CHECKING:  # the benchmark and the decision table load on first use (train.__init__'s rule)
    from tucano_commerce.backends import GenerationConfig
    from tucano_commerce.bench import RunResults
    from tucano_commerce.train._decide import Decision, RunSummary

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ValidationResult:
    """What ``validate_run`` wrote and decided (``tucano train validate`` prints it)."""

    results: Path
    """The trained model's benchmark results file (``grpo_v3.json`` in the output folder)."""
    report: list[Path]
    """The comparison report's files (``write_report``'s order: report.md first), all in ``report_dir``."""
    report_dir: Path
    """The folder the report was written into."""
    decision: Decision
    """The decision table's action and reasons (also in ``decision.json``)."""
    summary: RunSummary
    """The run summary the decision was taken on (also in ``decision.json``)."""
    warnings: list[str]
    """Generation settings that differ from a baseline's or from training (the comparison is not like for
    like); empty when none."""


def trainer_state(run_dir: Path) -> dict[str, Any]:
    """The newest ``trainer_state.json`` of a run (its last checkpoint's; the run dir's own if present)."""
    candidates = [run_dir / "trainer_state.json"] + sorted(
        run_dir.glob("checkpoint-*/trainer_state.json"), key=lambda p: int(p.parent.name.split("-")[1])
    )[::-1]
    for path in candidates:
        if path.is_file():
            return json.loads(path.read_text(encoding="utf-8"))
    raise DataError(f"{run_dir}: no trainer_state.json (is this a 'tucano train grpo' output dir?)")


def best_checkpoint(run_dir: Path) -> Path:
    """The best checkpoint by ``eval_reward`` as recorded by the trainer, else the last one."""
    state = trainer_state(run_dir)
    best = state.get("best_model_checkpoint")
    if best and Path(best).is_dir():
        return Path(best)
    checkpoints = sorted(run_dir.glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[1]))
    if not checkpoints:
        raise DataError(f"{run_dir}: no checkpoint-* folders")
    return checkpoints[-1]


def task_score(results_path: Path, task: str) -> float:
    """Mean score of one task in a benchmark results file (unscored items left out)."""
    from tucano_commerce.bench import load_results, mean_scored

    results = load_results(results_path)
    value = mean_scored([r.scores.mean for r in results.results if r.task == task])
    if value is None:
        why = results.run.tasks_not_run.get(task)
        raise DataError(f"{results_path}: no scored {task} items" + (f" ({task} was {why})" if why else ""))
    return float(value)


def decide_run(
    run_dir: Path,
    results_path: Path,
    *,
    v2_eval_reward: float | None = None,
    oom: bool = False,
    max_completion_length: int | None = None,
) -> tuple[Decision, RunSummary]:
    """Apply the decision table to a run directory and the benchmark results of its best checkpoint.

    Thresholds, the v2 baseline and the OOM ladder come from the run's saved recipe (``decision:``,
    ``oom_ladder``); ``v2_eval_reward`` and ``max_completion_length`` override it; the regime (which collapse
    rule applies) comes from its ``grpo:`` section. The eval reward judged is a window of evals around the
    best checkpoint's (what ships), with its SE; the trend the last evals'. An ``oom_ladder.jsonl`` with
    entries in the run dir counts as an OOM.

    Returns:
        ``(decision, summary)``.
    """
    from tucano_commerce.train._config import load_config
    from tucano_commerce.train._decide import DecisionThresholds, decide, summary_from_logs
    from tucano_commerce.train._regime import training_regime

    saved = run_dir / "recipe_config.yaml"
    cfg = load_config(saved) if saved.is_file() else None
    if max_completion_length is None:
        if cfg is None:
            raise ConfigError(f"{run_dir} has no recipe_config.yaml: pass --max-completion-length")
        max_completion_length = int(cfg.grpo_value("max_completion_length"))
    thresholds = cfg.decision if cfg is not None else DecisionThresholds()
    regime = training_regime(cfg.resolved_grpo()).policy if cfg is not None else None
    state = trainer_state(run_dir)
    best = state.get("best_model_checkpoint")
    oom_log = run_dir / "oom_ladder.jsonl"
    summary = summary_from_logs(
        state.get("log_history", []),
        v2_eval_reward=v2_eval_reward,
        extraction_score=task_score(results_path, "extraction"),
        max_completion_length=max_completion_length,
        oom=oom or (oom_log.is_file() and bool(oom_log.read_text(encoding="utf-8").strip())),
        thresholds=thresholds,
        eval_step=int(Path(best).name.split("-")[1]) if best else None,
        regime=regime,
    )
    return decide(summary, thresholds), summary


def write_decision(path: Path, decision: Decision, summary: RunSummary, results_path: Path) -> None:
    """``decision.json``: the action and reasons, plus the summary and results file they came from."""
    record = {
        **decision.model_dump(mode="json"),
        "summary": summary.model_dump(mode="json"),
        "results": str(results_path),
    }
    path.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def validation_generation(
    baselines: list[RunResults],
    chat_template_kwargs: dict[str, Any],
    overrides: dict[str, Any] | None = None,
) -> tuple[GenerationConfig, list[str]]:
    """The generation settings for benchmarking the trained model, and warnings about mismatches.

    A comparison is only fair under the same settings (ADR 2.2), so the first baseline's recorded
    settings are reused; with no baseline, the defaults with the thinking mode the model was trained in.
    ``overrides`` (GenerationConfig fields) change them; every baseline recorded with other settings is
    named in a warning.
    """
    from tucano_commerce.backends import GenerationConfig

    fields = set(GenerationConfig.model_fields)
    recorded = [(b.run.model, {k: v for k, v in b.run.generation.items() if k in fields}) for b in baselines]
    if recorded:
        generation = GenerationConfig(**recorded[0][1])
    else:
        generation = GenerationConfig(
            enable_thinking=bool(chat_template_kwargs.get("enable_thinking", False))
        )
    if overrides:
        unknown = sorted(set(overrides) - fields)
        if unknown:
            raise ConfigError(f"unknown generation settings {unknown}; valid: {', '.join(sorted(fields))}")
        generation = GenerationConfig(**{**generation.model_dump(), **overrides})
    ours = generation.model_dump(mode="json")
    warnings = []
    for name, settings in recorded:
        diff = {k: (settings.get(k), ours[k]) for k in ours if settings.get(k, ours[k]) != ours[k]}
        if diff:
            shown = ", ".join(f"{k} {a!r} vs {b!r}" for k, (a, b) in sorted(diff.items()))
            warnings.append(
                f"baseline {name} was run with other generation settings ({shown}): the "
                "comparison is not like for like"
            )
    trained = chat_template_kwargs.get("enable_thinking")
    if trained is not None and bool(trained) != generation.enable_thinking:
        warnings.append(
            f"the model was trained with enable_thinking={trained} but is benchmarked with "
            f"enable_thinking={generation.enable_thinking}"
        )
    return generation, warnings


def validate_run(
    run_dir: Path,
    *,
    baselines: list[Path],
    out_dir: Path | None = None,
    generation: dict[str, Any] | None = None,
    **run_kwargs: Any,
) -> ValidationResult:
    """Benchmark the best checkpoint (base model + its LoRA adapter, in process), report, decide.

    Args:
        run_dir: a ``tucano train grpo`` output folder.
        baselines: results files of the models to compare against (e.g. the base model, GPT-4o).
        out_dir: where results, report and ``decision.json`` go (default ``run_dir/validation``).
        generation: GenerationConfig fields to change from the first baseline's settings
            (``validation_generation``).
        **run_kwargs: other ``RunOptions`` fields (``limit``, ``tasks``, ``judge``, ``olist``, ``batch_size``);
            ``limit`` and ``tasks`` default to the first baseline's, so both runs answer the same items.

    Returns:
        The results file, the report's files, the decision with its summary, and the warnings.
    """
    from tucano_commerce.backends import get_backend
    from tucano_commerce.bench import (
        ModelEntry,
        RunOptions,
        build_report,
        load_results,
        run_benchmark,
        write_report,
    )
    from tucano_commerce.train._config import load_config
    from tucano_commerce.train._recipe import model_path

    saved = run_dir / "recipe_config.yaml"
    if not saved.is_file():
        raise DataError(f"{run_dir}: no recipe_config.yaml (is this a 'tucano train grpo' output dir?)")
    baseline_runs = [load_results(b) for b in baselines]
    if baseline_runs:  # same items as the first baseline unless told otherwise
        first = baseline_runs[0].run
        if run_kwargs.get("limit") is None:
            run_kwargs["limit"] = first.limit
        if not run_kwargs.get("tasks"):
            run_kwargs["tasks"] = list(first.tasks) or None
    tasks = run_kwargs.get("tasks")
    if tasks and "extraction" not in tasks:
        raise ConfigError(f"tasks {tasks} leave out extraction, whose score the decision table needs: add it")
    cfg = load_config(saved)
    checkpoint = best_checkpoint(run_dir)
    settings, warnings = validation_generation(baseline_runs, cfg.model.chat_template_kwargs, generation)
    for w in warnings:
        logger.warning("validate: %s", w)
    out_dir = out_dir or run_dir / "validation"
    name = f"grpo-v3:{cfg.run_name}:{checkpoint.name}"
    options: dict[str, Any] = {"adapter": str(checkpoint)}
    if cfg.model.quantize == "4bit":
        options["quantize"] = "4bit"
    entry = ModelEntry(name=name, spec=f"hf:{model_path(cfg)}", options=options, privacy="on-prem")
    backend = get_backend(entry.spec, **entry.options)
    try:
        results_path = out_dir / "grpo_v3.json"
        run_benchmark(entry, backend, results_path, RunOptions(generation=settings, **run_kwargs))
    finally:
        backend.close()
    report = build_report([load_results(results_path), *baseline_runs], reference=name)
    report_dir = out_dir / "report"
    written = write_report(report, report_dir)
    decision, summary = decide_run(run_dir, results_path)
    write_decision(out_dir / "decision.json", decision, summary, results_path)
    return ValidationResult(
        results=results_path,
        report=written,
        report_dir=report_dir,
        decision=decision,
        summary=summary,
        warnings=warnings,
    )

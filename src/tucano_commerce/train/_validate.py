"""``tucano train validate`` / ``decide`` glue: benchmark the best checkpoint, report it, apply the table.

ADR 3.8: run the benchmark on the best checkpoint (base model + trained adapter, in process), write the
comparison report against the baselines given, then apply the decision table to the run's logs and the
benchmark's extraction score.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tucano_commerce.errors import ConfigError, DataError


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
        raise DataError(f"{results_path}: no scored {task} items")
    return float(value)


def decide_run(
    run_dir: Path,
    results_path: Path,
    *,
    v2_eval_reward: float | None = None,
    oom: bool = False,
    max_completion_length: int | None = None,
) -> Any:
    """Apply the decision table to a run directory and its benchmark results."""
    from tucano_commerce.train._config import load_config
    from tucano_commerce.train._decide import decide, summary_from_logs

    saved = run_dir / "recipe_config.yaml"
    if max_completion_length is None:
        if not saved.is_file():
            raise ConfigError(f"{run_dir} has no recipe_config.yaml: pass --max-completion-length")
        max_completion_length = load_config(saved).grpo_value("max_completion_length")
    max_len = max_completion_length
    summary = summary_from_logs(
        trainer_state(run_dir).get("log_history", []),
        v2_eval_reward=v2_eval_reward,
        extraction_score=task_score(results_path, "extraction"),
        max_completion_length=max_len,
        oom=oom
        or (run_dir / "oom_ladder.jsonl").is_file()
        and bool((run_dir / "oom_ladder.jsonl").read_text().strip()),
    )
    return decide(summary)


def validate_run(
    run_dir: Path, *, baselines: list[Path], out_dir: Path | None = None, **run_kwargs: Any
) -> dict[str, Any]:
    """Benchmark the best checkpoint, report against the baselines, decide."""
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

    cfg = load_config(run_dir / "recipe_config.yaml")
    checkpoint = best_checkpoint(run_dir)
    out_dir = out_dir or run_dir / "validation"
    name = f"grpo-v3:{checkpoint.name}"
    options: dict[str, Any] = {"adapter": str(checkpoint)}
    if cfg.model.quantize == "4bit":
        options["quantize"] = "4bit"
    entry = ModelEntry(name=name, spec=f"hf:{cfg.model.path}", options=options, privacy="on-prem")
    backend = get_backend(entry.spec, **entry.options)
    try:
        results_path = out_dir / "grpo_v3.json"
        run_benchmark(entry, backend, results_path, RunOptions(**run_kwargs), show_progress=True)
    finally:
        backend.close()
    report = build_report([load_results(results_path)] + [load_results(b) for b in baselines], reference=name)
    written = write_report(report, out_dir / "report")
    decision = decide_run(run_dir, results_path)
    (out_dir / "decision.json").write_text(decision.model_dump_json(indent=2), encoding="utf-8")
    return {"results": results_path, "report": written, "decision": decision}

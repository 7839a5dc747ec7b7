"""``tucano bench run``: the whole benchmark on one model, resumable, ending in one results file.

Progress is appended to ``<out>.partial.jsonl`` as items finish (a header line names the run settings);
a run killed at any moment and started again with the same command redoes only unfinished items. The
final file is written atomically and the partial file removed, so there is exactly one record per item,
in benchmark order whatever order the items finished in.

Two schedules (recorded in the results file as ``run.scheduling``):

* **batched** (local backends: HF, GGUF, demo): ``batch_size`` conversations per ``generate_batch`` call,
  then each reply is scored and saved.
* **streaming** (remote backends, ``RemoteBackend``): the backend's window of requests stays full. As each
  reply arrives it goes to a scoring thread, which scores it (SQL, embeddings, or the remote insights
  judge) and appends it to the progress file, while the next request is already on its way. The event
  loop never scores, so neither a 5 ms SQL query nor a judge call delays a request. Up to
  ``MAX_SCORING_WORKERS`` replies are scored at once, so judge calls overlap too, without exceeding the
  backend's own concurrency.

Without Olist data (no ``--olist-dir``, ``$TUCANO_OLIST_DIR`` or ``$TUCANO_HOME/olist``) the tasks whose
prompts are real Olist reviews (extraction, sentiment) are not run: their items are recorded with status
``not_run`` and the reason, unscored, and ``run.tasks_not_run`` names them; everything else runs as usual.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from tucano_commerce._io import write_atomic
from tucano_commerce.backends import Backend, Completion, GenerationConfig, RemoteBackend, run_sync
from tucano_commerce.bench._environment import hardware, package_versions
from tucano_commerce.bench._models import ModelEntry
from tucano_commerce.bench._results import NOT_RUN, ItemRecord, RunInfo, RunResults, Scheduling
from tucano_commerce.errors import ConfigError, DataError
from tucano_commerce.paths import OLIST_HELP, olist_dir
from tucano_commerce.scoring import ItemScore, Judge, get_task, score_item, task_names, task_order
from tucano_commerce.tasks import (
    BenchmarkItem,
    benchmark_sql_suite,
    benchmark_warehouse,
    fill_reviews,
    load_manifest,
    read_items,
)

MAX_SCORING_WORKERS = 8  # replies scored at once in a streaming run (judge calls overlap this much)
NO_OLIST_REASON = (
    "not run: no Olist data folder is set, and this task's prompts are real Olist customer reviews, which "
    "the repository does not contain"
)
GET_OLIST = (
    "To run them: `tucano data fetch-olist` (pip install 'tucano-commerce[kaggle]'; network and Kaggle "
    "credentials), or download olistbr/brazilian-ecommerce from kaggle.com by hand and run `tucano data "
    "fetch-olist --from archive.zip`, or set TUCANO_OLIST_DIR to the unzipped folder; then run the same "
    "command again."
)


@dataclass
class RunOptions:
    """What a run varies besides the model (everything here is recorded in the results file)."""

    generation: GenerationConfig = field(default_factory=GenerationConfig)
    batch_size: int | None = None  # None: the backend's default (batched backends only)
    tasks: list[str] | None = None  # None: every task of the benchmark
    limit: int | None = None  # items per task (first N by id), for quick runs
    judge: Judge | None = None
    olist: str | Path | None = None
    fresh: bool = False  # ignore an existing partial cache


def select_items(
    items: list[BenchmarkItem], tasks: list[str] | None, limit: int | None
) -> list[BenchmarkItem]:
    """Items of the chosen tasks, at most ``limit`` per task, in file order.

    Raises:
        ConfigError: ``tasks`` names a task that is not registered.
        DataError: an item's task is not registered (its module was not imported).
    """
    unknown = set(tasks or []) - set(task_names())
    if unknown:
        raise ConfigError(f"unknown task(s) {sorted(unknown)}; valid: {', '.join(task_names())}")
    if stray := next((i for i in items if i.task not in task_names()), None):
        raise DataError(
            f"benchmark item {stray.id} has task {stray.task!r}, which is not registered; registered tasks: "
            f"{', '.join(task_names())} (a new task's module must call tucano_commerce.scoring.register_task)"
        )
    chosen, per_task = [], dict.fromkeys(task_names(), 0)
    for item in items:
        if tasks and item.task not in tasks:
            continue
        if limit is not None and per_task[item.task] >= limit:
            continue
        per_task[item.task] += 1
        chosen.append(item)
    return chosen


def needs_reviews(item: BenchmarkItem) -> bool:
    """Whether the item's prompt is filled from the Olist reviews (which are not in the repository)."""
    return item.source.get("dataset") == "olist" and "review_id" in item.source


def split_runnable(
    items: list[BenchmarkItem], data_dir: Path | None
) -> tuple[list[BenchmarkItem], list[BenchmarkItem], dict[str, str]]:
    """``(items to run, items not run, task -> reason)`` given the Olist data folder (None: none).

    Without the data, every task that has a review item is set aside whole, its few authored reviews
    included: a task score over those alone would not be the benchmark's measure of the task.
    """
    if data_dir is not None:
        return items, [], {}
    tasks = task_order(i.task for i in items if needs_reviews(i))
    return (
        [i for i in items if i.task not in tasks],
        [i for i in items if i.task in tasks],
        {t: NO_OLIST_REASON for t in tasks},
    )


def not_run_record(item: BenchmarkItem, reason: str) -> ItemRecord:
    """The record of an item that was never sent to the model: unscored (mean None), never 0."""
    return ItemRecord(
        id=item.id,
        task=item.task,
        difficulty=item.difficulty,
        response="",
        scores=ItemScore(mean=None, status="unscored", reason=reason),
        status=NOT_RUN,
    )


def not_run_banner(results: RunResults) -> str | None:
    """What a run without the Olist data tells its user (None when every item was run)."""
    skipped = [r for r in results.results if r.status == NOT_RUN]
    if not skipped:
        return None
    tasks = ", ".join(results.run.tasks_not_run) or ", ".join(dict.fromkeys(r.task for r in skipped))
    return (
        f"{len(skipped)} of {len(results.results)} items were not run ({tasks}): their prompts are real Olist "
        "customer reviews, which this repository does not contain. The other "
        f"{len(results.results) - len(skipped)} items were run and scored; the ones not run are in the results "
        f"file with status 'not_run' and count in no score. {GET_OLIST}"
    )


def conversation(item: BenchmarkItem) -> list[dict[str, str]]:
    """The chat messages sent for an item: its system prompt (the output contract) and its prompt."""
    return [{"role": "system", "content": item.system}, {"role": "user", "content": item.prompt}]


def prompt_hash(item: BenchmarkItem) -> str:
    """sha256 of exactly what the model sees for this item."""
    return hashlib.sha256(f"{item.system}\x00{item.prompt}".encode()).hexdigest()


def partial_path(out: Path) -> Path:
    """Where progress is appended while a run is going."""
    return out.with_name(out.name + ".partial.jsonl")


def _run_key(info: RunInfo) -> dict[str, Any]:
    """The settings a resumed run must share with the cached records."""
    return {
        "spec": info.spec,
        "backend_options": info.backend.get("options"),
        "generation": info.generation,
        "prompts": info.benchmark.get("prompts_sha256"),
        "judge": info.judge,
    }


def read_partial(path: Path, key: dict[str, Any]) -> dict[str, ItemRecord]:
    """Finished records from a previous attempt with the same settings (a torn last line is ignored)."""
    if not path.is_file():
        return {}
    lines = path.read_text(encoding="utf-8").splitlines()
    if not lines:
        return {}
    header = json.loads(lines[0])
    if header.get("key") != key:
        raise ConfigError(
            f"{path} holds progress of a run with other settings; delete it or pass --fresh to start over"
        )
    done: dict[str, ItemRecord] = {}
    for line in lines[1:]:
        try:
            record = ItemRecord.model_validate_json(line)
        except ValueError:
            continue  # the process was killed while writing this line
        done[record.id] = record
    return done


class PartialWriter:
    """Appends one JSON line per finished item and makes it durable before moving on."""

    def __init__(self, path: Path, key: dict[str, Any], *, fresh: bool) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        new = fresh or not path.is_file() or path.stat().st_size == 0
        self._file = path.open("w" if new else "a", encoding="utf-8")
        if new:
            self._write(json.dumps({"key": key}))
        elif not path.read_bytes().endswith(b"\n"):
            self._file.write("\n")  # close a torn line so the next record starts clean

    def _write(self, line: str) -> None:
        self._file.write(line + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())

    def add(self, record: ItemRecord) -> None:
        self._write(record.model_dump_json())

    def close(self) -> None:
        self._file.close()


def make_record(item: BenchmarkItem, completion: Completion, score: ItemScore) -> ItemRecord:
    """One results record (generation failures are recorded, scored 0 with the reason)."""
    batch = max(completion.batch_size, 1)
    return ItemRecord(
        id=item.id,
        task=item.task,
        difficulty=item.difficulty,
        response=completion.text,
        scores=score,
        tokens={"input": completion.input_tokens, "output": completion.output_tokens},
        latency_s=round(completion.latency_s, 4),
        amortized_s=round(completion.latency_s / batch, 4),
        status="error" if completion.error else "ok",
        error=completion.error,
    )


def score_completion(
    item: BenchmarkItem,
    completion: Completion,
    *,
    db_path: Path | None,
    judge: Judge | None,
    sql_suite: Sequence[Path] = (),
) -> ItemScore:
    """Score a reply; a failed generation scores 0 with its error as the reason."""
    if completion.error:
        return ItemScore(mean=0.0, status="error", reason=f"generation failed: {completion.error}")
    return score_item(item, completion.text, db_path=db_path, sql_suite=sql_suite, judge=judge)


def sql_suite_for(items: Sequence[BenchmarkItem], manifest: Any = None) -> list[Path]:
    """The benchmark's SQL test suite when a task of ``items`` scores on it (else nothing is built)."""
    return benchmark_sql_suite(manifest=manifest) if _needs(items, "sql_suite") else []


def warehouse_for(items: Sequence[BenchmarkItem], manifest: Any = None) -> Path | None:
    """The benchmark's warehouse when a task of ``items`` scores on it (else nothing is built)."""
    return benchmark_warehouse(manifest=manifest) if _needs(items, "warehouse") else None


def _needs(items: Sequence[BenchmarkItem], resource: Any) -> bool:
    return any(get_task(t).needs(resource) for t in {i.task for i in items})


def effective_generation(config: GenerationConfig, described: dict[str, Any]) -> dict[str, Any]:
    """The generation settings as recorded: the config, plus any cap the backend applied (the demo's).

    ``described`` is ``Backend.describe()``, computed once per run (it fingerprints weight files).
    """
    out = config.model_dump(mode="json")
    cap = described.get("max_new_tokens_cap")
    if cap is not None and cap < config.max_new_tokens:
        out["max_new_tokens_effective"] = cap
    return out


def summary_lines(results: RunResults) -> list[str]:
    """The ADR's summary lines: ``extraction: 0.812 (n=20)`` per task, unscored counts noted."""
    lines = []
    for task in task_order(r.task for r in results.results):
        every = [r for r in results.results if r.task == task]
        recs = [r for r in every if r.status != NOT_RUN]
        if not recs:
            lines.append(f"{task}: not run ({len(every)} items)")
            continue
        scored = [r.scores.mean for r in recs if r.scores.mean is not None]
        mean = sum(scored) / len(scored) if scored else float("nan")
        extra = f", {len(recs) - len(scored)} unscored" if len(scored) < len(recs) else ""
        extra += f", {len(every) - len(recs)} not run" if len(recs) < len(every) else ""
        lines.append(f"{task}: {mean:.3f} (n={len(recs)}{extra})")
    return lines


def run_benchmark(
    model: ModelEntry,
    backend: Backend,
    out: str | Path,
    options: RunOptions,
    *,
    show_progress: bool = True,
    on_record: Callable[[ItemRecord], None] | None = None,
) -> RunResults:
    """Generate and score every selected item; write ``out`` (JSON) atomically at the end.

    A remote backend streams (see the module docstring); ``options.batch_size`` applies to local ones.
    ``on_record`` is called once per finished record, one call at a time (from a scoring thread when
    streaming).
    """
    out = Path(out)
    manifest = load_manifest()
    # Select first, then fill review texts: a run without review tasks needs no Olist data.
    selected = select_items(read_items(), options.tasks, options.limit)
    if not selected:
        raise DataError("no benchmark items selected (check --tasks/--limit)")
    data_dir = olist_dir(options.olist)
    runnable, skipped, tasks_not_run = split_runnable(selected, data_dir)
    if not runnable:
        raise DataError(
            f"every selected task ({', '.join(tasks_not_run)}) needs the Olist reviews. {OLIST_HELP}"
        )
    items = fill_reviews(runnable, data_dir)
    db_path = warehouse_for(items, manifest)
    sql_suite = sql_suite_for(items, manifest)
    remote = backend if isinstance(backend, RemoteBackend) else None
    batch_size = 1 if remote else options.batch_size or backend.default_batch_size
    described = backend.describe()
    info = RunInfo(
        model=model.name or model.spec,
        spec=model.spec,
        backend={**described, "options": model.options},
        privacy=model.privacy or backend.privacy,
        price=model.price,
        generation=effective_generation(options.generation, described),
        batch_size=batch_size,
        judge=options.judge.describe() if options.judge else None,
        benchmark={
            "name": manifest.name,
            "version": manifest.version,
            "prompts_sha256": manifest.prompts_sha256,
            "warehouse_content_hash": manifest.warehouse.content_hash,
            "sql_suite": {w.name: w.content_hash for w in manifest.sql_suite.warehouses}
            if manifest.sql_suite
            else None,
        },
        prompt_hashes={i.id: prompt_hash(i) for i in items},
        seed=options.generation.seed,
        packages=package_versions(),
        started_at=datetime.now(UTC).isoformat(timespec="seconds"),
        tasks=task_order(i.task for i in selected),
        tasks_not_run=tasks_not_run,
        limit=options.limit,
    )
    key = _run_key(info)
    cache = partial_path(out)
    done = {} if options.fresh else read_partial(cache, key)
    done = {k: v for k, v in done.items() if k in info.prompt_hashes}
    resumed = len(done)
    writer = PartialWriter(cache, key, fresh=options.fresh or not done)
    pending = [i for i in items if i.id not in done]
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    )
    lock = threading.Lock()  # one record at a time: the progress file, ``done`` and the bar
    started = time.perf_counter()
    try:
        with Progress(*columns, disable=not show_progress, transient=False) as progress:
            bar = progress.add_task(info.model, total=len(items), completed=resumed, rate="")

            def finish(item: BenchmarkItem, completion: Completion, window: int | None = None) -> None:
                """Score a reply and save its record (thread-safe; scoring runs outside the lock)."""
                score = score_completion(
                    item, completion, db_path=db_path, judge=options.judge, sql_suite=sql_suite
                )
                record = make_record(item, completion, score)
                with lock:
                    writer.add(record)
                    done[item.id] = record
                    if on_record:
                        on_record(record)
                    rate = (len(done) - resumed) / max(time.perf_counter() - started, 1e-9)
                    note = f" · window {window}/{remote.concurrency}" if remote and window else ""
                    progress.update(bar, advance=1, rate=f"{rate * 60:.1f} items/min{note}")

            if remote:
                workers = min(remote.concurrency, MAX_SCORING_WORKERS)
                report = run_sync(_stream(remote, pending, options.generation, finish, workers))
                scheduling = Scheduling(mode="streaming", scoring_workers=workers, **report)
            else:
                for start in range(0, len(pending), batch_size):
                    batch = pending[start : start + batch_size]
                    completions = backend.generate_batch([conversation(i) for i in batch], options.generation)
                    for item, completion in zip(batch, completions, strict=True):
                        finish(item, completion)
                scheduling = Scheduling(mode="batched", batch_size=batch_size)
    finally:
        writer.close()
    scheduling.items_generated, scheduling.items_resumed = len(pending), resumed
    scheduling.wall_s = round(time.perf_counter() - started, 3)
    info.scheduling = scheduling
    info.hardware = hardware()
    info.finished_at = datetime.now(UTC).isoformat(timespec="seconds")
    done.update({i.id: not_run_record(i, tasks_not_run[i.task]) for i in skipped})
    results = RunResults(run=info, results=[done[i.id] for i in selected])
    out.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(out, results.model_dump_json(indent=1))
    cache.unlink(missing_ok=True)
    return results


async def _stream(
    backend: RemoteBackend,
    items: list[BenchmarkItem],
    config: GenerationConfig,
    finish: Callable[[BenchmarkItem, Completion, int], None],
    workers: int,
) -> dict[str, Any]:
    """Keep the backend's window full over ``items`` (started in order); ``finish`` each reply in a thread.

    A request's slot is free again before its reply is scored. If a request or a scorer raises (or the
    run is interrupted), the requests still in flight are cancelled, but every reply already received is
    still scored and saved: scoring is shielded from the cancellation, and leaving the thread pool waits
    for it.

    Returns:
        The session's report: window changes and request counts.
    """
    loop = asyncio.get_running_loop()
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="tucano-score") as scoring:
        async with backend.session(config) as session:

            async def one(index: int, item: BenchmarkItem) -> None:
                completion = await session.complete(conversation(item), index)
                await asyncio.shield(loop.run_in_executor(scoring, finish, item, completion, session.limit))

            async with asyncio.TaskGroup() as group:
                for index, item in enumerate(items):
                    group.create_task(one(index, item))
        return session.report()


def rescore(
    path: str | Path,
    *,
    judge: Judge | None = None,
    olist: str | Path | None = None,
    out: str | Path | None = None,
) -> RunResults:
    """Recompute every score from the stored responses (no generation), e.g. after adding a judge."""
    from tucano_commerce.bench._results import load_results

    path = Path(path)
    results = load_results(path)
    stored = {r.id for r in results.results if r.status != NOT_RUN}  # not run: nothing to score
    by_id = {i.id: i for i in fill_reviews([i for i in read_items() if i.id in stored], olist_dir(olist))}
    db_path = warehouse_for(list(by_id.values()))
    sql_suite = sql_suite_for(list(by_id.values()))
    records = []
    for rec in results.results:
        if rec.status == NOT_RUN:
            records.append(rec)
            continue
        item = by_id.get(rec.id)
        if item is None:
            raise DataError(f"{path}: item {rec.id} is not in the benchmark any more")
        if prompt_hash(item) != results.run.prompt_hashes.get(rec.id, prompt_hash(item)):
            raise DataError(f"{path}: the prompt of {rec.id} changed since this run; re-run it instead")
        completion = Completion(text=rec.response, error=rec.error)
        records.append(
            rec.model_copy(
                update={
                    "scores": score_completion(
                        item, completion, db_path=db_path, judge=judge, sql_suite=sql_suite
                    )
                }
            )
        )
    judge_info = judge.describe() if judge else None
    run = results.run.model_copy(update={"judge": judge_info})
    new = RunResults(run=run, results=records)
    write_atomic(Path(out) if out else path, new.model_dump_json(indent=1))
    return new

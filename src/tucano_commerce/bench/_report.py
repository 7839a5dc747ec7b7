"""The comparison report: every number in one pydantic ``Report``, rendered to Markdown, HTML and SVG.

``build_report(runs)`` computes; ``write_report(report, out_dir)`` renders. Nothing is computed while
rendering, so ``report.json`` holds every number the Markdown, HTML and charts show.

Statistics (see ``_metrics``): per-task scores are means over scored items (None = unscored, left out)
with a 95% percentile bootstrap over items; MEAN is the mean of the task means, its interval from a
bootstrap stratified by task (items redrawn within their task). Comparisons with the reference model
are paired bootstraps over the items both models scored; the paired MEAN uses the same stratification,
so it can differ slightly from the difference of the two MEANs when the models left different items
unscored.

Story sentences come from those paired tests only (``alpha`` = 0.05 by default). For each model M
other than the reference R (the caller picks R; default the first run):

* the ADR's claim "R matches M on extraction, sentiment and SQL" is printed ("Supported: ...") only
  when, on each of the three tasks, M is not significantly better than R (p ≥ alpha, or Δ favours R),
  with the largest minimum detectable difference as a caveat; otherwise "Not supported: ..." names the
  tasks where M is significantly better, with Δ, CI and p ("Not assessable" when a task has no item
  scored by both);
* then one sentence per task and for MEAN: "X is significantly better than Y on T (Δ, CI, p, n)" when
  p < alpha, else "No significant difference ... (Δ, CI, p); with n=... the test can only detect
  differences larger than about MDD", where MDD = (z_{1-alpha/2} + z_0.8) × CI width / (2 z_{1-alpha/2}).

Records with status ``not_run`` (a run without the Olist data sets the review tasks aside) are in no
mean, n, interval, test or count: the report shows those tasks as "not run", with how many items.

Tasks with fewer than ``MIN_TEST_N`` paired items are not interpreted (and make the claim "Not
assessable"). The p-values in sentences are per task and unadjusted; the comparison table adds
Holm-adjusted ones.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any, TypedDict

from pydantic import BaseModel, Field

from tucano_commerce.bench._metrics import (
    DEFAULT_RESAMPLES,
    auc,
    bootstrap_ci,
    brier,
    cost_per_query,
    holm,
    mean_scored,
    min_detectable_difference,
    paired_bootstrap,
    percentile,
    stratified_bootstrap_ci,
    throughput,
)
from tucano_commerce.bench._results import NOT_RUN, ItemRecord, PriceModel, RunResults
from tucano_commerce.errors import ConfigError, DataError, TucanoError
from tucano_commerce.scoring import find_task, task_names, task_order
from tucano_commerce.tasks import BenchmarkItem

CLAIM_TASKS = ("extraction", "sentiment", "sql")
"""The ADR's claim: the domain-tuned model matches the 10x model on these tasks."""
MEAN = "MEAN"
MIN_TEST_N = 6
"""Fewest paired items for a significance sentence. Below 6, even items that all differ the same way
give an exact sign test p ≥ 0.0625, while the bootstrap (which cannot see the sample is tiny) reports
p near 0; such rows stay in the table but the story does not interpret them."""
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#000000", "#F0E442")
"""Okabe–Ito colours (colour-blind safe), one per model in run order."""
SCORE_STATUSES = ("parse_error", "truncated", "empty", "invalid", "unscored", "error")


class ScoreCI(BaseModel):
    """A mean score with its bootstrap interval."""

    mean: float | None = Field(description="Mean over scored items; None when none was scored.")
    lo: float | None = Field(description="Lower bound of the interval.")
    hi: float | None = Field(description="Upper bound of the interval.")
    n: int = Field(description="Scored items.")
    n_items: int = Field(description="Items in the run (scored or not).")
    not_run: int = Field(0, description="Items not run (status 'not_run'), not in n_items.")


class Cell(BaseModel):
    """A mean and its n (difficulty breakdown)."""

    mean: float | None
    n: int


class ChurnSummary(BaseModel):
    """Task-level churn metrics from (predicted probability, realised outcome) pairs."""

    auc: float | None = Field(description="ROC-AUC (Mann–Whitney, ties 0.5); None with one class.")
    brier: float | None = Field(description="Mean (p - churned)^2 over items with a valid p and an outcome.")
    calibration: float | None = Field(
        description="Mean of the scorer's 1 - |p - q| (invalid replies count 0)."
    )
    accuracy: float | None = Field(description="Mean of the scorer's accuracy against the true probability.")
    outcome_accuracy: float | None = Field(description="Mean accuracy against the realised outcome.")
    n_items: int = 0
    n_probability: int = Field(0, description="Items with a valid churn_probability.")
    n_pairs: int = Field(0, description="Items with a valid probability and a known outcome (AUC/Brier n).")
    n_churned: int = Field(0, description="Of those, customers who churned.")


class SqlSummary(BaseModel):
    """SQL execution accuracy two ways: on the test suite (the task score) and on the benchmark warehouse alone."""

    ex_suite: float | None = Field(
        description="Mean ex_suite: right on every warehouse of the suite (task score)."
    )
    ex: float | None = Field(description="Mean ex on the benchmark warehouse alone (the ADR's metric).")
    ex_lenient: float | None = Field(
        description="Mean ex_lenient (extra columns tolerated), benchmark warehouse."
    )
    partial: float | None = Field(description="Mean partial credit, benchmark warehouse.")
    n_items: int = 0
    n_caught: int = Field(
        0,
        description="Items right on the benchmark warehouse but wrong on another suite warehouse (ex 1, ex_suite 0).",
    )


class InsightItem(BaseModel):
    """One insights item: both scores side by side and which one the item's score used."""

    id: str
    source: str | None = Field(description="'judge' or 'key_fact_coverage' (details.score_source).")
    judge: float | None
    coverage: float | None
    score: float | None


class InsightsSummary(BaseModel):
    """Judge score vs key-fact coverage on the insights task."""

    judge_mean: float | None
    coverage_mean: float | None
    n_judge: int = Field(description="Items whose score came from the judge.")
    n_coverage: int = Field(description="Items whose score came from key-fact coverage.")
    items: list[InsightItem] = Field(default_factory=list)


class TaskHealth(BaseModel):
    """What went wrong on one task: generation errors, scorer statuses, unscored items."""

    n_items: int
    n_unscored: int = Field(description="Items with score None (left out of the means).")
    generation_errors: int = Field(description="Records whose generation status is 'error'.")
    statuses: dict[str, int] = Field(description="Counts of scores.status values other than 'ok'.")
    not_run: int = Field(0, description="Items not run (status 'not_run'), not in n_items.")


class ModelReport(BaseModel):
    """Every number the report shows for one model."""

    model: str
    privacy: str = Field(description="'on-prem' or 'API' as shown.")
    scores: dict[str, ScoreCI] = Field(description="Task -> mean and CI.")
    mean: ScoreCI = Field(description="Mean of the task means; n = scored items over those tasks.")
    mean_tasks: list[str] = Field(description="Tasks that entered MEAN (those with a scored item).")
    price: PriceModel | None
    cost_per_query_usd: float | None = Field(description="Mean USD per item over items with a known cost.")
    cost_n: int
    cost_total_usd: float | None
    latency_p50_s: float | None = Field(description="Median request latency of generated ('ok') items.")
    latency_p95_s: float | None
    latency_n: int
    throughput_tok_s: float | None = Field(description="Output tokens per second of amortized wall time.")
    difficulty: dict[str, dict[str, Cell]]
    sql: SqlSummary
    churn: ChurnSummary
    insights: InsightsSummary
    health: dict[str, TaskHealth]
    meta: dict[str, Any] = Field(description="Run metadata: spec, backend, generation, judge, hashes ...")


class PairedDiff(BaseModel):
    """Paired bootstrap of model − reference on one task (or MEAN)."""

    task: str
    n: int
    diff: float | None
    lo: float | None
    hi: float | None
    p_value: float | None
    p_holm: float | None = Field(None, description="Holm-adjusted over the report's tasks (None for MEAN).")
    mdd: float | None = Field(None, description="Approximate minimum detectable difference (80% power).")


class Comparison(BaseModel):
    """One model against the reference."""

    model: str
    reference: str
    rows: list[PairedDiff]


class ReportSettings(BaseModel):
    """How the intervals and tests were computed."""

    n_resamples: int
    alpha: float
    seed: int


class Report(BaseModel):
    """The whole report: input to every renderer."""

    task_labels: dict[str, str] = Field(
        description="The report's tasks, in display order, with their labels: every registered task, then "
        "any other task found in a results file."
    )
    reference: str
    models: list[ModelReport]
    comparisons: list[Comparison]
    story: list[str]
    settings: ReportSettings


# --- building ----------------------------------------------------------------------------------------


class _BootstrapArgs(TypedDict):
    """The keyword arguments every bootstrap of the report takes (typed, so ``**`` is checked)."""

    n_resamples: int
    alpha: float
    seed: int


def _bootstrap_settings(settings: ReportSettings) -> _BootstrapArgs:
    return {"n_resamples": settings.n_resamples, "alpha": settings.alpha, "seed": settings.seed}


def report_tasks(runs: Iterable[RunResults]) -> list[str]:
    """Every registered task (in registry order), then tasks found only in the results files."""
    return task_order([*task_names(), *(r.task for run in runs for r in run.results)])


def task_label(task: str) -> str:
    """A task's display label (its spec's; the name itself for a task that is not registered)."""
    spec = find_task(task)
    return spec.label if spec else task


def _outcome_truth(items: Iterable[BenchmarkItem | Mapping[str, Any]]) -> dict[str, bool]:
    truth: dict[str, bool] = {}
    for it in items:
        data = it.model_dump() if isinstance(it, BaseModel) else it
        churned = (data.get("ground_truth") or {}).get("churned")
        if data.get("task") == "churn" and isinstance(churned, bool | int) and churned in (0, 1):
            truth[data["id"]] = bool(churned)
    return truth


def _detail_outcome(rec: ItemRecord) -> bool | None:
    gold = rec.scores.details.get("gold")
    churned = gold.get("churned") if isinstance(gold, dict) else None
    return bool(churned) if isinstance(churned, bool | int) and churned in (0, 1) else None


def _probability(rec: ItemRecord) -> float | None:
    parsed = rec.scores.parsed
    p = parsed.get("churn_probability") if isinstance(parsed, dict) else None
    return float(p) if isinstance(p, int | float) and not isinstance(p, bool) else None


def _churn(records: list[ItemRecord], truth: Mapping[str, bool]) -> ChurnSummary:
    ps: list[float] = []
    ys: list[bool] = []
    n_probability = 0
    for rec in records:
        p = _probability(rec)
        if p is None:
            continue
        n_probability += 1
        outcome = _detail_outcome(rec)
        outcome = truth.get(rec.id) if outcome is None else outcome
        if outcome is not None:
            ps.append(p)
            ys.append(outcome)

    def metric(name: str) -> float | None:
        return mean_scored(r.scores.metrics.get(name) for r in records)

    return ChurnSummary(
        auc=auc(ps, ys),
        brier=brier(ps, ys),
        calibration=metric("calibration"),
        accuracy=metric("accuracy"),
        outcome_accuracy=metric("outcome_accuracy"),
        n_items=len(records),
        n_probability=n_probability,
        n_pairs=len(ps),
        n_churned=sum(ys),
    )


def _sql(records: list[ItemRecord]) -> SqlSummary:
    def metric(name: str) -> float | None:
        return mean_scored(r.scores.metrics.get(name) for r in records)

    return SqlSummary(
        ex_suite=metric("ex_suite"),  # None for results scored before the suite existed
        ex=metric("ex"),
        ex_lenient=metric("ex_lenient"),
        partial=metric("partial"),
        n_items=len(records),
        n_caught=sum(
            r.scores.metrics.get("ex") == 1.0 and r.scores.metrics.get("ex_suite") == 0.0 for r in records
        ),
    )


def _insights(records: list[ItemRecord]) -> InsightsSummary:
    items = [
        InsightItem(
            id=r.id,
            source=r.scores.details.get("score_source"),
            judge=r.scores.metrics.get("judge"),
            coverage=r.scores.metrics.get("key_fact_coverage"),
            score=r.scores.mean,
        )
        for r in records
    ]
    return InsightsSummary(
        judge_mean=mean_scored(i.judge for i in items),
        coverage_mean=mean_scored(i.coverage for i in items),
        n_judge=sum(i.source == "judge" for i in items),
        n_coverage=sum(i.source == "key_fact_coverage" for i in items),
        items=items,
    )


def _health(records: list[ItemRecord], not_run: int) -> TaskHealth:
    statuses = Counter(r.scores.status for r in records if r.scores.status != "ok")
    return TaskHealth(
        n_items=len(records),
        n_unscored=sum(r.scores.mean is None for r in records),
        generation_errors=sum(r.status == "error" for r in records),
        statuses=dict(sorted(statuses.items())),
        not_run=not_run,
    )


def _model_report(
    run: RunResults, truth: Mapping[str, bool], settings: ReportSettings, tasks: list[str]
) -> ModelReport:
    boot = _bootstrap_settings(settings)
    by_task = {t: [r for r in run.results if r.task == t and r.status != NOT_RUN] for t in tasks}
    not_run = Counter(r.task for r in run.results if r.status == NOT_RUN)
    scores = {}
    for task, recs in by_task.items():
        mean, lo, hi = bootstrap_ci([r.scores.mean for r in recs], **boot)
        scores[task] = ScoreCI(
            mean=mean,
            lo=lo,
            hi=hi,
            n=sum(r.scores.mean is not None for r in recs),
            n_items=len(recs),
            not_run=not_run[task],
        )
    mean_tasks = [t for t in tasks if scores[t].n]
    m, lo, hi = stratified_bootstrap_ci([[r.scores.mean for r in by_task[t]] for t in mean_tasks], **boot)
    ran = [r for recs in by_task.values() for r in recs]
    costs = [c for c in (cost_per_query(r, run.run.price) for r in ran) if c is not None]
    ok = [r for r in ran if r.status == "ok"]
    latencies = [r.latency_s for r in ok if r.latency_s > 0]
    difficulty = {
        t: {
            d: Cell(
                mean=mean_scored(r.scores.mean for r in cell), n=sum(r.scores.mean is not None for r in cell)
            )
            for d in dict.fromkeys([*_difficulties(t), *(r.difficulty for r in recs)])
            if (cell := [r for r in recs if r.difficulty == d])
        }
        for t, recs in by_task.items()
    }
    info = run.run
    return ModelReport(
        model=info.model,
        privacy="API" if info.privacy.lower() == "api" else info.privacy,
        scores=scores,
        mean=ScoreCI(
            mean=m,
            lo=lo,
            hi=hi,
            n=sum(scores[t].n for t in mean_tasks),
            n_items=sum(map(len, by_task.values())),
            not_run=sum(not_run.values()),
        ),
        mean_tasks=mean_tasks,
        price=info.price,
        cost_per_query_usd=mean_scored(costs),
        cost_n=len(costs),
        cost_total_usd=sum(costs) if costs else None,
        latency_p50_s=percentile(latencies, 50),
        latency_p95_s=percentile(latencies, 95),
        latency_n=len(latencies),
        throughput_tok_s=throughput([r.tokens.get("output") for r in ok], [r.amortized_s for r in ok]),
        difficulty=difficulty,
        sql=_sql(by_task.get("sql", [])),
        churn=_churn(by_task.get("churn", []), truth),
        insights=_insights(by_task.get("insights", [])),
        health={t: _health(recs, not_run[t]) for t, recs in by_task.items()},
        meta=info.model_dump(
            include={
                "spec",
                "backend",
                "generation",
                "batch_size",
                "judge",
                "benchmark",
                "seed",
                "packages",
                "hardware",
                "started_at",
                "finished_at",
                "tasks",
                "tasks_not_run",
                "limit",
            }
        ),
    )


def _difficulties(task: str) -> tuple[str, ...]:
    spec = find_task(task)
    return spec.difficulties if spec else ()


def _compare(run: RunResults, ref: RunResults, settings: ReportSettings, tasks: list[str]) -> Comparison:
    boot = _bootstrap_settings(settings)
    a = {r.id: r.scores.mean for r in run.results if r.task in tasks and r.status != NOT_RUN}
    b = {r.id: r.scores.mean for r in ref.results if r.task in tasks and r.status != NOT_RUN}
    task_of = {r.id: r.task for r in [*run.results, *ref.results]}
    rows = []
    for task in [*tasks, MEAN]:
        if task == MEAN:
            test = paired_bootstrap(a, b, strata=task_of, **boot)
        else:
            pick = lambda scores: {i: s for i, s in scores.items() if task_of[i] == task}  # noqa: E731, B023
            test = paired_bootstrap(pick(a), pick(b), **boot)
        if test is None:
            rows.append(PairedDiff(task=task, n=0, diff=None, lo=None, hi=None, p_value=None))
            continue
        spread = test.hi > test.lo
        mdd = min_detectable_difference(test.lo, test.hi, alpha=settings.alpha) if spread else None
        rows.append(
            PairedDiff(
                task=task, n=test.n, diff=test.diff, lo=test.lo, hi=test.hi, p_value=test.p_value, mdd=mdd
            )
        )
    for row, p in zip(rows[: len(tasks)], holm([r.p_value for r in rows[: len(tasks)]]), strict=True):
        row.p_holm = p
    return Comparison(model=run.run.model, reference=ref.run.model, rows=rows)


def format_p(p: float) -> str:
    return "p<0.001" if p < 0.001 else f"p={p:.3f}"


def _known(x: PairedDiff) -> tuple[float, float, float, float]:
    """(diff, lo, hi, p) of a row with paired items."""
    assert x.diff is not None and x.lo is not None and x.hi is not None and x.p_value is not None, x
    return x.diff, x.lo, x.hi, x.p_value


def _story(comp: Comparison, alpha: float, tasks: list[str]) -> list[str]:
    """Sentences the paired tests support, for one model against the reference (rule in module doc)."""
    m, r = comp.model, comp.reference
    level = f"{round(100 * (1 - alpha))}% CI"
    rows = {row.task: row for row in comp.rows}
    claim = f"{r} matches {m} on extraction, sentiment and SQL"
    thin = [f"{task_label(t)} (n={rows[t].n})" for t in CLAIM_TASKS if rows[t].n < MIN_TEST_N]
    tested = {t: _known(rows[t]) for t in CLAIM_TASKS if rows[t].n >= MIN_TEST_N}
    against = [t for t, (d, _, _, p) in tested.items() if p < alpha and d > 0]
    if thin:
        sentences = [
            f"Not assessable: '{claim}' — too few items scored by both (fewer than {MIN_TEST_N}) on "
            f"{', '.join(thin)}."
        ]
    elif against:
        why = "; ".join(
            f"{task_label(t)} (Δ={tested[t][0]:.2f}, {level} [{tested[t][1]:.2f}, {tested[t][2]:.2f}], "
            f"{format_p(tested[t][3])})"
            for t in against
        )
        sentences = [f"Not supported: '{claim}' — {m} is significantly better on {why}."]
    else:
        mdds = [mdd for t in CLAIM_TASKS if (mdd := rows[t].mdd) is not None]
        caveat = (
            f" Not significant is not equal: differences smaller than about {max(mdds):.2f} cannot be ruled "
            "out with these n."
            if mdds
            else ""
        )
        sentences = [
            f"Supported: {claim} — on none of the three is {m} significantly better (each paired difference "
            f"has p ≥ {alpha:g} or favours {r}).{caveat}"
        ]
    for task in [*tasks, MEAN]:
        label, n, mdd = (MEAN if task == MEAN else task_label(task)), rows[task].n, rows[task].mdd
        if n == 0:
            sentences.append(f"{label}: no item scored by both {m} and {r}.")
            continue
        if n < MIN_TEST_N:
            sentences.append(
                f"{label}: only {n} item(s) scored by both {m} and {r}, too few for a paired test; "
                "the difference is not interpreted."
            )
            continue
        d, lo, hi, p = _known(rows[task])
        if p < alpha and d != 0:
            win, lose, d, lo, hi = (m, r, d, lo, hi) if d > 0 else (r, m, -d, -hi, -lo)
            sentences.append(
                f"{win} is significantly better than {lose} on {label} (Δ={d:.2f}, {level} [{lo:.2f}, {hi:.2f}], "
                f"{format_p(p)}, n={n})."
            )
            continue
        power = (
            f"with n={n} the test can only detect differences larger than about {mdd:.2f}"
            if mdd is not None
            else f"all {n} items differ by the same amount, so the bootstrap shows no spread"
        )
        sentences.append(
            f"No significant difference between {m} and {r} on {label} (Δ={d:+.2f}, {level} [{lo:.2f}, "
            f"{hi:.2f}], {format_p(p)}); {power}."
        )
    return sentences


def build_report(
    runs: list[RunResults],
    *,
    reference: str | None = None,
    items: Iterable[BenchmarkItem | Mapping[str, Any]] | None = None,
    n_resamples: int = DEFAULT_RESAMPLES,
    alpha: float = 0.05,
    seed: int = 0,
) -> Report:
    """Compute every number of the comparison report.

    Args:
        runs: One results file per model, in display order.
        reference: Model (``run.model``) the others are compared with; default the first run.
        items: Benchmark items, used only for churn outcomes a results file lacks (scorers normally
            store them in ``scores.details["gold"]``); when needed and not given, read from the
            repository's benchmark.
        n_resamples: Bootstrap resamples for every interval and test.
        alpha: 1 − confidence level; also the significance level of the story sentences.
        seed: Seed of every bootstrap.

    Raises:
        ConfigError: no runs, two runs with the same model name, or an unknown ``reference``.
        DataError: a run holds the same item id twice.
    """
    if not runs:
        raise ConfigError("no results to report; pass at least one results file")
    names = [r.run.model for r in runs]
    if dupes := sorted({n for n in names if names.count(n) > 1}):
        raise ConfigError(f"two results files share the model name {dupes}; give each run a distinct --name")
    for run in runs:
        ids = [r.id for r in run.results]
        if len(ids) != len(set(ids)):
            raise DataError(
                f"results of {run.run.model} hold item ids twice: {sorted({i for i in ids if ids.count(i) > 1})}"
            )
    reference = reference or names[0]
    if reference not in names:
        raise ConfigError(f"unknown reference model {reference!r}; choose one of {names}")
    settings = ReportSettings(n_resamples=n_resamples, alpha=alpha, seed=seed)
    needs_truth = any(r.task == "churn" and _detail_outcome(r) is None for run in runs for r in run.results)
    if needs_truth and items is None:
        from tucano_commerce.tasks._benchmark import read_items

        try:
            items = read_items()
        except (TucanoError, OSError):
            items = []
    truth = _outcome_truth(items or [])
    ref = runs[names.index(reference)]
    tasks = report_tasks(runs)
    comparisons = [_compare(run, ref, settings, tasks) for run in runs if run is not ref]
    return Report(
        task_labels={t: task_label(t) for t in tasks},
        reference=reference,
        models=[_model_report(run, truth, settings, tasks) for run in runs],
        comparisons=comparisons,
        story=[s for c in comparisons for s in _story(c, alpha, tasks)],
        settings=settings,
    )

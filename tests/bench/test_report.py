"""The comparison report: numbers recomputed by hand, the story rule, and well-formed MD/HTML/SVG/JSON.

Run: .venv/bin/python -m pytest tests/bench/test_report.py
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from tucano_commerce.bench import (
    Report,
    build_report,
    cost_vs_score_svg,
    render_html,
    render_markdown,
    scores_svg,
    write_report,
)
from tucano_commerce.bench._results import ItemRecord, PriceModel, RunInfo, RunResults, load_results
from tucano_commerce.errors import ConfigError, DataError
from tucano_commerce.scoring._types import ItemScore

B = 2_000
SVG = "{http://www.w3.org/2000/svg}"


def item(
    id: str, task: str, difficulty: str, mean: float | None, *, latency_s: float, batch: int = 1,
    tokens: tuple[int | None, int | None] = (500, 100), status: str = "ok", score_status: str = "ok",
    metrics: dict[str, float | None] | None = None, parsed: Any = None, details: dict[str, Any] | None = None,
) -> ItemRecord:  # fmt: skip
    """One record; amortized time = latency / batch."""
    return ItemRecord(
        id=id, task=task, difficulty=difficulty, response="...", status=status,
        scores=ItemScore(mean=mean, metrics=metrics or {}, status=score_status, parsed=parsed, details=details or {}),
        tokens={"input": tokens[0], "output": tokens[1]}, latency_s=latency_s, amortized_s=latency_s / batch,
    )  # fmt: skip


def churn(id: str, p: float, churned: bool, mean: float, latency_s: float, **kw: Any) -> ItemRecord:
    return item(
        id, "churn", "low" if id.endswith("1") else "high", mean, latency_s=latency_s,
        metrics={"calibration": mean, "accuracy": 1.0, "brier": (p - churned) ** 2},
        parsed={"churn_probability": p, "risk_level": "alto", "justificativa": "..."},
        details={"gold": {"churn_probability": 0.5, "risk_level": "medio", "churned": churned}}, **kw,
    )  # fmt: skip


def run_info(model: str, privacy: str, price: PriceModel | None, batch: int) -> RunInfo:
    return RunInfo(
        model=model, spec=f"hf:/models/{model}", privacy=privacy, price=price, batch_size=batch,
        generation={"temperature": 0.0, "max_new_tokens": 512}, benchmark={"prompts_sha256": "abc123"},
        packages={"transformers": "5.24.0"}, hardware={"gpu": "L4"}, started_at="2026-01-01T00:00:00Z",
        finished_at="2026-01-01T00:10:00Z",
    )  # fmt: skip


@pytest.fixture
def tucano() -> RunResults:
    """On-prem, $0.80/GPU-hour, batch 4; one generation error (sql-002) and one unscored insight."""
    kw = {"batch": 4}
    results = [
        item("ext-001", "extraction", "easy", 1.0, latency_s=1.0, **kw),
        item("ext-002", "extraction", "hard", 0.6, latency_s=2.0, **kw),
        item("sen-001", "sentiment", "positivo", 1.0, latency_s=3.0, **kw),
        item("sen-002", "sentiment", "negativo", 0.0, latency_s=4.0, score_status="parse_error", **kw),
        item("sql-001", "sql", "simple", 1.0, latency_s=5.0, **kw),
        item("sql-002", "sql", "join", 0.0, latency_s=0.0, tokens=(None, None), status="error", score_status="error"),
        churn("chu-001", 0.2, False, 0.9, 6.0, **kw),
        churn("chu-002", 0.7, True, 0.85, 7.0, **kw),
        item("ins-001", "insights", "comparison", 0.8, latency_s=8.0,
             metrics={"key_fact_coverage": 0.5, "judge": 0.8}, details={"score_source": "judge"}, **kw),
        item("ins-002", "insights", "trend", None, latency_s=9.0, score_status="unscored",
             metrics={"key_fact_coverage": 1.0, "judge": None}, details={"score_source": "judge"}, **kw),
    ]  # fmt: skip
    return RunResults(run=run_info("tucano", "on-prem", PriceModel(kind="gpu_hour", usd_per_hour=0.8), 4), results=results)  # fmt: skip


@pytest.fixture
def gpt() -> RunResults:
    """API at $2.50 / $10 per 1M tokens; perfect except churn, where its ranking is inverted."""
    price = PriceModel(kind="api", input_per_1m=2.5, output_per_1m=10.0, note="list price May 2026")
    cov = {"score_source": "key_fact_coverage"}
    results = [
        item("ext-001", "extraction", "easy", 1.0, latency_s=1.0, tokens=(700, 250)),
        item("ext-002", "extraction", "hard", 1.0, latency_s=2.0, tokens=(700, 250)),
        item("sen-001", "sentiment", "positivo", 1.0, latency_s=3.0, tokens=(700, 250)),
        item("sen-002", "sentiment", "negativo", 1.0, latency_s=4.0, tokens=(700, 250)),
        item("sql-001", "sql", "simple", 1.0, latency_s=5.0, tokens=(700, 250)),
        item("sql-002", "sql", "join", 1.0, latency_s=6.0, tokens=(700, 250)),
        churn("chu-001", 0.6, False, 0.55, 7.0, tokens=(700, 250)),
        churn("chu-002", 0.4, True, 0.45, 8.0, tokens=(700, 250)),
        item("ins-001", "insights", "comparison", 0.5, latency_s=9.0, tokens=(700, 250),
             metrics={"key_fact_coverage": 0.5}, details=cov),
        item("ins-002", "insights", "trend", 1.0, latency_s=10.0, tokens=(700, 250),
             metrics={"key_fact_coverage": 1.0}, details=cov),
    ]  # fmt: skip
    return RunResults(run=run_info("gpt-4o", "api", price, 1), results=results)


@pytest.fixture
def report(tucano: RunResults, gpt: RunResults) -> Report:
    return build_report([tucano, gpt], n_resamples=B)


# --- numbers ------------------------------------------------------------------------------------------


def test_task_means_and_mean_of_means(report: Report) -> None:
    tu, gp = report.models
    assert [
        tu.scores[t].mean for t in ("extraction", "sentiment", "sql", "churn", "insights")
    ] == pytest.approx([0.8, 0.5, 0.5, 0.875, 0.8])
    assert (tu.scores["insights"].n, tu.scores["insights"].n_items) == (1, 2)  # unscored left out, not 0
    assert tu.mean.mean == pytest.approx((0.8 + 0.5 + 0.5 + 0.875 + 0.8) / 5)
    assert tu.mean.n == 9 and tu.mean.n_items == 10
    assert gp.mean.mean == pytest.approx((1 + 1 + 1 + 0.5 + 0.75) / 5)
    for m in report.models:
        for ci in [*m.scores.values(), m.mean]:
            assert ci.lo is not None and ci.hi is not None and ci.mean is not None
            assert ci.lo - 1e-12 <= ci.mean <= ci.hi + 1e-12
    assert tu.scores["insights"].lo == tu.scores["insights"].hi == 0.8  # one scored item: degenerate
    assert gp.scores["sql"].lo == gp.scores["sql"].hi == 1.0  # all equal: degenerate


def test_cost_latency_throughput_privacy(report: Report) -> None:
    tu, gp = report.models
    # gpu_hour: amortized = latency / 4 over the 9 timed items (the errored one has no time)
    assert tu.cost_n == 9
    assert tu.cost_per_query_usd == pytest.approx((45 / 9) / 4 * 0.8 / 3600)
    assert gp.cost_per_query_usd == pytest.approx(700 * 2.5e-6 + 250 * 10e-6)
    assert gp.cost_total_usd == pytest.approx(10 * 0.00425)
    # latency over generated ('ok') items: tucano 1..9, gpt 1..10
    assert (tu.latency_p50_s, tu.latency_p95_s, tu.latency_n) == pytest.approx((5.0, 1 + 0.95 * 8, 9))
    assert (gp.latency_p50_s, gp.latency_p95_s) == pytest.approx((5.5, 1 + 0.95 * 9))
    assert tu.throughput_tok_s == pytest.approx(9 * 100 / (45 / 4))
    assert gp.throughput_tok_s == pytest.approx(10 * 250 / 55)
    assert (tu.privacy, gp.privacy) == ("on-prem", "API")


def test_churn_auc_brier_and_insights_sources(report: Report) -> None:
    tu, gp = report.models
    assert (tu.churn.auc, gp.churn.auc) == (1.0, 0.0)
    assert tu.churn.brier == pytest.approx((0.2**2 + 0.3**2) / 2)
    assert gp.churn.brier == pytest.approx(0.6**2)
    assert tu.churn.calibration == pytest.approx(0.875)
    assert (tu.churn.n_pairs, tu.churn.n_churned, tu.churn.n_probability) == (2, 1, 2)
    assert (tu.insights.judge_mean, tu.insights.coverage_mean) == pytest.approx((0.8, 0.75))
    assert (tu.insights.n_judge, tu.insights.n_coverage) == (2, 0)
    assert (gp.insights.judge_mean, gp.insights.n_coverage) == (None, 2)
    assert [(i.id, i.source, i.judge, i.coverage) for i in tu.insights.items] == [
        ("ins-001", "judge", 0.8, 0.5),
        ("ins-002", "judge", None, 1.0),
    ]


def test_health_and_difficulty(report: Report) -> None:
    tu = report.models[0]
    assert tu.health["sql"].generation_errors == 1 and tu.health["sql"].statuses == {"error": 1}
    assert tu.health["sentiment"].statuses == {"parse_error": 1}
    assert tu.health["insights"].n_unscored == 1 and tu.health["insights"].statuses == {"unscored": 1}
    assert tu.health["extraction"].statuses == {} and tu.health["extraction"].n_unscored == 0
    assert tu.difficulty["extraction"]["easy"].mean == 1.0
    assert tu.difficulty["extraction"]["hard"].model_dump() == {"mean": 0.6, "n": 1}
    assert tu.difficulty["insights"]["trend"].model_dump() == {"mean": None, "n": 0}
    assert "recommendation" not in tu.difficulty["insights"]  # no item, no row


def test_paired_comparison_against_default_reference(report: Report) -> None:
    assert report.reference == "tucano"
    (comp,) = report.comparisons
    assert (comp.model, comp.reference) == ("gpt-4o", "tucano")
    rows = {r.task: r for r in comp.rows}
    assert rows["extraction"].diff == pytest.approx(0.2) and rows["extraction"].n == 2
    assert rows["sql"].n == 2 and rows["sql"].diff == pytest.approx(0.5)
    assert rows["insights"].n == 1  # ins-002 unscored for tucano
    # MEAN: mean over tasks of the per-task paired differences
    per_task = [0.2, 0.5, 0.5, (-0.35 - 0.40) / 2, -0.3]
    assert rows["MEAN"].diff == pytest.approx(sum(per_task) / 5) and rows["MEAN"].n == 9
    assert rows["MEAN"].p_holm is None and rows["sql"].p_holm is not None


def test_reference_from_caller_flips_the_sign(tucano: RunResults, gpt: RunResults) -> None:
    rep = build_report([tucano, gpt], reference="gpt-4o", n_resamples=B)
    (comp,) = rep.comparisons
    assert (comp.model, comp.reference) == ("tucano", "gpt-4o")
    assert {r.task: r.diff for r in comp.rows}["extraction"] == pytest.approx(-0.2)


def test_input_errors(tucano: RunResults, gpt: RunResults) -> None:
    with pytest.raises(ConfigError, match="gpt-4o"):
        build_report([tucano, gpt], reference="gpt-5")
    with pytest.raises(ConfigError, match="at least one"):
        build_report([])
    with pytest.raises(ConfigError, match="distinct"):
        build_report([tucano, tucano])
    tucano.results.append(tucano.results[0])
    with pytest.raises(DataError, match="ext-001"):
        build_report([tucano])


def test_churn_outcome_from_items_when_details_lack_it(tucano: RunResults) -> None:
    for rec in tucano.results:
        rec.scores.details.pop("gold", None)
    items = [
        {"id": "chu-001", "task": "churn", "ground_truth": {"churned": False}},
        {"id": "chu-002", "task": "churn", "ground_truth": {"churned": True}},
    ]
    rep = build_report([tucano], items=items, n_resamples=B)
    assert rep.models[0].churn.auc == 1.0 and rep.models[0].churn.n_pairs == 2
    assert build_report([tucano], items=[], n_resamples=B).models[0].churn.auc is None


# --- the story rule -----------------------------------------------------------------------------------

COUNTS = {"extraction": 20, "sentiment": 15, "sql": 15, "churn": 15, "insights": 15}


def pattern(n: int, shift: int = 0) -> list[float]:
    """1, 0.5, 0, 1, ... started ``shift`` places in: same mean, different items."""
    return [(1.0, 0.5, 0.0)[(k + shift) % 3] for k in range(n)]


def synthetic(model: str, overrides: dict[str, list[float]]) -> RunResults:
    """80 items; each task's scores follow ``pattern`` unless overridden."""
    results = []
    for task, n in COUNTS.items():
        scores = overrides.get(task, pattern(n))
        results += [item(f"{task[:3]}-{k:03d}", task, "x", scores[k], latency_s=1.0) for k in range(n)]
    return RunResults(run=run_info(model, "on-prem", None, 1), results=results)


def test_claim_printed_when_no_core_task_favours_the_other_model() -> None:
    tuned = synthetic("tuned", {"sql": [1.0] * 15})  # better on SQL
    big = synthetic("big", {"extraction": pattern(20, 1), "sentiment": pattern(15, 2)})  # noisy, no better
    story = build_report([tuned, big], n_resamples=B).story
    assert story[0].startswith("Supported: tuned matches big on extraction, sentiment and SQL")
    assert "cannot be ruled out" in story[0]
    assert any(s.startswith("tuned is significantly better than big on SQL (Δ=0.50") for s in story)
    extraction = next(s for s in story if "on Extraction" in s)
    assert extraction.startswith("No significant difference between big and tuned on Extraction (Δ=")
    assert re.search(
        r"with n=20 the test can only detect differences larger than about 0\.\d\d\.$", extraction
    )
    churn = next(s for s in story if "on Churn" in s)  # identical scores: p = 1, no spread
    assert "(Δ=+0.00, 95% CI [0.00, 0.00], p=1.000)" in churn and "no spread" in churn


def test_claim_withheld_when_the_other_model_wins_a_core_task() -> None:
    tuned = synthetic("tuned", {})
    big = synthetic("big", {"sql": [1.0] * 15, "sentiment": pattern(15, 1)})
    story = build_report([tuned, big], n_resamples=B).story
    assert not any(s.startswith("Supported") for s in story)
    assert story[0].startswith("Not supported: 'tuned matches big on extraction, sentiment and SQL' — big is")
    assert "SQL (Δ=0.50" in story[0]
    sql = next(s for s in story if "on SQL" in s and "significantly better" in s and "Not" not in s)
    assert (
        sql.startswith("big is significantly better than tuned on SQL (Δ=0.50, 95% CI [") and "p<0.001" in sql
    )
    assert any(s.startswith("No significant difference between big and tuned on Sentiment") for s in story)


def test_claim_not_assessable_with_few_items(report: Report) -> None:
    # the 2-items-per-task fixture: churn differs the same way on both items (bootstrap p ~ 0),
    # yet nothing is claimed from n=2
    assert report.story[0].startswith("Not assessable: 'tucano matches gpt-4o")
    assert "too few items" in report.story[0] and "SQL (n=2)" in report.story[0]
    assert not any("significantly better" in s for s in report.story)
    assert (
        "Churn: only 2 item(s) scored by both gpt-4o and tucano, too few for a paired test" in report.story[4]
    )


def test_claim_not_assessable_without_common_items() -> None:
    tuned = synthetic("tuned", {})
    tuned.results = [r for r in tuned.results if r.task != "sql"]
    story = build_report([tuned, synthetic("big", {})], n_resamples=B).story
    assert story[0].startswith("Not assessable") and "SQL" in story[0]
    assert "SQL: no item scored by both big and tuned." in story


def test_sql_shows_suite_and_benchmark_warehouse_accuracy() -> None:
    def sql(id: str, ex: float, ex_suite: float) -> ItemRecord:
        metrics = {"ex_suite": ex_suite, "ex": ex, "ex_lenient": ex, "partial": 0.5 if ex < 1 else 1.0}
        return item(id, "sql", "join", ex_suite, latency_s=1.0, metrics=metrics)

    results = [sql("sql-001", 1.0, 1.0), sql("sql-002", 1.0, 0.0), sql("sql-003", 0.0, 0.0)]
    run = RunResults(run=run_info("m", "on-prem", None, 1), results=results)
    old = RunResults(  # scored before the suite existed: no ex_suite metric
        run=run_info("old", "on-prem", None, 1),
        results=[item("sql-001", "sql", "join", 1.0, latency_s=1.0, metrics={"ex": 1.0})],
    )
    report = build_report([run, old], n_resamples=200)
    new, before = report.models
    assert new.scores["sql"].mean == pytest.approx(1 / 3)  # the task score is ex_suite
    assert (new.sql.ex_suite, new.sql.ex) == pytest.approx((1 / 3, 2 / 3))
    assert (new.sql.n_caught, new.sql.n_items) == (1, 3)
    assert before.sql.ex_suite is None and before.sql.ex == 1.0
    md = render_markdown(report)
    assert "| EX on the test suite (the SQL score) | 0.333 | — |" in md
    assert "| EX on the benchmark warehouse alone (ADR) | 0.667 | 1.000 |" in md
    assert "| Right on the benchmark warehouse only / items | 1 / 3 | 0 / 1 |" in md


# --- rendering ----------------------------------------------------------------------------------------


def test_markdown_headline_table(report: Report) -> None:
    md = render_markdown(report)
    assert "|  | tucano | gpt-4o |" in md
    assert re.search(r"\| Extraction \| 0\.800 \[0\.\d\d, 1\.00\] \| 1\.000 \[1\.00, 1\.00\] \|", md)
    assert "| Insights | 0.800 [0.80, 0.80] (1/2) |" in md
    assert re.search(r"\| MEAN \| 0\.695 \[", md)
    assert "| Cost/query (USD) | $0.000278¹ | $0.00425² |" in md
    assert "| Latency (s) p50 / p95 | 5.00 / 8.60 | 5.50 / 9.55 |" in md
    assert "| Throughput (output tok/s) | 80.0 | 45.5 |" in md
    assert "| Privacy | on-prem | API |" in md
    assert "² gpt-4o: API price $2.50 / $10.00 per 1M input / output tokens (list price May 2026)" in md
    assert "¹ tucano: GPU time at $0.800/h" in md
    assert "## Paired comparison with tucano" in md and "| SQL | 2 | +0.500 |" in md
    assert "| AUC | 1.000 | 0.000 |" in md
    assert "| ins-001 | 0.80 / 0.50 (judge) | — / 0.50 (key_fact_coverage) |" in md


def test_svgs_are_well_formed(report: Report) -> None:
    for svg in (scores_svg(report), cost_vs_score_svg(report)):
        root = ET.fromstring(svg)
        assert root.tag == f"{SVG}svg"
    scores = ET.fromstring(scores_svg(report))
    colours = {c.get("fill") for c in scores.iter(f"{SVG}circle")}
    assert len(colours) == 2  # one colour per model
    assert len(list(scores.iter(f"{SVG}circle"))) == 12  # 2 models x (5 tasks + MEAN)
    cost = cost_vs_score_svg(report)
    assert "log scale" in cost  # $0.000278 vs $0.00425 spans > 10x


def test_cost_chart_linear_and_missing_cost(tucano: RunResults, gpt: RunResults) -> None:
    gpt.run.price = None
    rep = build_report([tucano, gpt], n_resamples=B)
    svg = cost_vs_score_svg(rep)
    ET.fromstring(svg)
    assert "log scale" not in svg and "no cost or score: gpt-4o" in svg


def test_write_report_files(report: Report, tmp_path: Path) -> None:
    paths = write_report(report, tmp_path / "out")
    assert [p.name for p in paths] == [
        "report.md",
        "report.html",
        "scores.svg",
        "cost_vs_score.svg",
        "report.json",
    ]
    html_text = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert html_text == render_html(report)
    assert html_text.startswith("<!DOCTYPE html>")
    root = ET.fromstring(html_text.removeprefix("<!DOCTYPE html>"))  # the page is well-formed XHTML
    assert len(list(root.iter(f"{SVG}svg"))) == 2  # both charts inline
    assert "<style>" in html_text and "<link" not in html_text and "src=" not in html_text
    assert "0.800 [" in html_text and "gpt-4o" in html_text and "Run metadata" in html_text
    assert "hf:/models/tucano" in html_text and "abc123" in html_text
    for name in ("scores.svg", "cost_vs_score.svg"):
        ET.parse(tmp_path / "out" / name)
    again = Report.model_validate_json((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    assert again == report


def test_results_file_round_trip(tucano: RunResults, gpt: RunResults, report: Report, tmp_path: Path) -> None:
    paths = []
    for run in (tucano, gpt):
        path = tmp_path / f"{run.run.model}.json"
        path.write_text(run.model_dump_json(indent=2), encoding="utf-8")
        paths.append(path)
    loaded = [load_results(p) for p in paths]
    assert loaded == [tucano, gpt]
    assert build_report(loaded, n_resamples=B) == report

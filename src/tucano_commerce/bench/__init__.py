"""The benchmark runner layer: validate the benchmark, run it on a model, re-score, and report.

- ``validate_benchmark``: every check on ``benchmark/`` (``tucano bench validate``)
- ``run_benchmark`` / ``rescore``: one model, one resumable results file (``tucano bench run|rescore``)
- ``build_report`` / ``write_report``: the comparison report (``tucano bench report``)
- ``_metrics``: pure statistics (bootstrap CIs, paired bootstrap, AUC, Brier, cost, latency)
"""

from tucano_commerce.bench._metrics import (
    PairedTest,
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
from tucano_commerce.bench._models import ModelEntry, load_models, resolve_model
from tucano_commerce.bench._render import (
    cost_vs_score_svg,
    render_html,
    render_markdown,
    scores_svg,
    write_report,
)
from tucano_commerce.bench._report import Comparison, ModelReport, PairedDiff, Report, ScoreCI, build_report
from tucano_commerce.bench._results import ItemRecord, PriceModel, RunInfo, RunResults, load_results
from tucano_commerce.bench._runner import RunOptions, rescore, run_benchmark, select_items, summary_lines
from tucano_commerce.bench._validate import EXPECTED_COUNTS, Problem, ValidationReport, validate_benchmark

__all__ = [
    "EXPECTED_COUNTS",
    "Comparison",
    "ItemRecord",
    "ModelEntry",
    "ModelReport",
    "PairedDiff",
    "PairedTest",
    "PriceModel",
    "Problem",
    "Report",
    "RunInfo",
    "RunOptions",
    "RunResults",
    "ScoreCI",
    "ValidationReport",
    "auc",
    "bootstrap_ci",
    "brier",
    "build_report",
    "cost_per_query",
    "cost_vs_score_svg",
    "holm",
    "load_models",
    "load_results",
    "mean_scored",
    "min_detectable_difference",
    "paired_bootstrap",
    "percentile",
    "render_html",
    "render_markdown",
    "rescore",
    "resolve_model",
    "run_benchmark",
    "scores_svg",
    "select_items",
    "stratified_bootstrap_ci",
    "summary_lines",
    "throughput",
    "validate_benchmark",
    "write_report",
]

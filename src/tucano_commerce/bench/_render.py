"""Rendering the comparison ``Report`` to Markdown, HTML (inline CSS + SVG) and SVG charts.

Nothing is computed here: every number comes from the ``Report`` built by ``_report.build_report``.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tucano_commerce.bench._report import (
    MEAN,
    MIN_TEST_N,
    PALETTE,
    SCORE_STATUSES,
    Comparison,
    InsightItem,
    ModelReport,
    Report,
    ScoreCI,
    format_p,
)

# --- rendering: one block list, two writers -------------------------------------------------------


@dataclass
class _Table:
    header: list[str]
    rows: list[list[str]]
    notes: list[str] = field(default_factory=list)


@dataclass
class _Figure:
    filename: str
    svg: str
    alt: str


@dataclass
class _Heading:
    text: str


_Block = str | list[str] | _Table | _Figure | _Heading  # paragraph, bullets, table, figure, sub-heading
_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def _num(v: float | None, fmt: str = ".3f") -> str:
    return "—" if v is None else format(v, fmt)


def _score(ci: ScoreCI) -> str:
    if ci.n_items == 0 and ci.not_run:
        return f"not run ({ci.not_run} items)"
    if ci.mean is None or ci.lo is None or ci.hi is None:
        return "—"
    text = f"{ci.mean:.3f} [{ci.lo:.2f}, {ci.hi:.2f}]"
    return text if ci.n == ci.n_items else f"{text} ({ci.n}/{ci.n_items})"


def _usd(v: float | None) -> str:
    """Dollars with three significant digits, never in exponent notation."""
    if v is None:
        return "—"
    if v == 0:
        return "$0"
    digits = max(2, 2 - math.floor(math.log10(abs(v))))
    return f"${v:.{digits}f}"


def _price_note(m: ModelReport, n: int) -> str:
    price = m.price
    if price is None:
        return f"{m.model}: no price model, so no cost."
    note = f" ({price.note})" if price.note else ""
    if price.kind == "api":
        how = f"API price {_usd(price.input_per_1m)} / {_usd(price.output_per_1m)} per 1M input / output tokens{note}"
    elif price.kind == "gpu_hour":
        how = f"GPU time at {_usd(price.usd_per_hour)}/h × each item's amortized time (latency / batch size){note}"
    else:
        how = f"unknown price kind {price.kind!r}{note}"
    return f"{str(n).translate(_SUPERSCRIPT)} {m.model}: {how}; mean over the {m.cost_n} items with a known cost (total {_usd(m.cost_total_usd)})."


def _headline(report: Report) -> _Table:
    models = report.models
    level = f"{round(100 * (1 - report.settings.alpha))}%"
    labels = report.task_labels
    rows = [[label, *(_score(m.scores[t]) for m in models)] for t, label in labels.items()]
    rows.append([MEAN, *(_score(m.mean) for m in models)])
    rows.append(
        [
            "Cost/query (USD)",
            *(
                _usd(m.cost_per_query_usd) + (str(k).translate(_SUPERSCRIPT) if m.price else "")
                for k, m in enumerate(models, 1)
            ),
        ]
    )
    rows.append(
        [
            "Latency (s) p50 / p95",
            *(f"{_num(m.latency_p50_s, '.2f')} / {_num(m.latency_p95_s, '.2f')}" for m in models),
        ]
    )
    rows.append(["Throughput (output tok/s)", *(_num(m.throughput_tok_s, ".1f") for m in models)])
    rows.append(["Privacy", *(m.privacy for m in models)])
    s = report.settings
    notes = [
        f"Scores: mean over scored items [{level} percentile bootstrap CI over items, {s.n_resamples} resamples, "
        f"seed {s.seed}]; (k/n) = only k of n items scored (unscored items are left out, not counted as 0).",
        "MEAN: mean of the task means; its CI resamples items within each task (stratified bootstrap).",
        "Latency: request wall time of generated items. Throughput: output tokens / amortized wall time "
        "(latency ÷ batch size), summed over generated items.",
        *(_price_note(m, k) for k, m in enumerate(models, 1)),
        *(
            f"MEAN of {m.model} covers only {', '.join(m.mean_tasks) or 'no task'}."
            for m in models
            if len(m.mean_tasks) < len(labels)
        ),
        *(
            f"{m.model}: {m.mean.not_run} items not run ("
            + ", ".join(
                f"{report.task_labels.get(t, t)} {c.not_run}" for t, c in m.scores.items() if c.not_run
            )
            + "): the run had no Olist data for the review tasks (tucano data fetch-olist); they count in no "
            "score, n or test."
            for m in models
            if m.mean.not_run
        ),
    ]
    return _Table(["", *(m.model for m in models)], rows, notes)


def _comparison_table(comp: Comparison, alpha: float, labels: dict[str, str]) -> _Table:
    level = f"{round(100 * (1 - alpha))}% CI"
    rows = [
        [
            labels.get(x.task, MEAN),
            str(x.n),
            _num(x.diff, "+.3f"),
            "—" if x.lo is None else f"[{x.lo:.2f}, {x.hi:.2f}]",
            "—" if x.p_value is None else format_p(x.p_value).removeprefix("p=").removeprefix("p"),
            "—" if x.p_holm is None else format_p(x.p_holm).removeprefix("p=").removeprefix("p"),
            _num(x.mdd, ".2f"),
        ]
        for x in comp.rows
    ]
    notes = [
        f"Δ = {comp.model} − {comp.reference} over items both scored; paired bootstrap, two-sided p = twice the "
        "share of resampled Δ on the far side of 0, with +1 correction. Holm adjusts for the tasks. "
        "MDD: difference the test would detect with 80% power, read off the CI width. "
        f"Rows with n < {MIN_TEST_N} are shown but not interpreted."
    ]
    return _Table(["Task", "n", "Δ", level, "p", "p (Holm)", "MDD"], rows, notes)


def _difficulty_table(report: Report) -> _Table:
    rows = []
    for t, label in report.task_labels.items():
        diffs = dict.fromkeys(d for m in report.models for d in m.difficulty[t])
        if not diffs and any(m.scores[t].not_run for m in report.models):
            rows.append([label, "—", *("not run" if m.scores[t].not_run else "—" for m in report.models)])
        for d in diffs:
            cells = [m.difficulty[t].get(d) for m in report.models]
            rows.append([label, d, *("—" if c is None else f"{_num(c.mean)} (n={c.n})" for c in cells)])
    return _Table(["Task", "Difficulty", *(m.model for m in report.models)], rows)


def _task_blocks(report: Report) -> list[_Block]:
    models = report.models
    names = [m.model for m in models]
    sql = _Table(
        ["SQL", *names],
        [
            ["EX on the test suite (the SQL score)", *(_num(m.sql.ex_suite) for m in models)],
            ["EX on the benchmark warehouse alone (ADR)", *(_num(m.sql.ex) for m in models)],
            ["Lenient EX (extra columns), benchmark warehouse", *(_num(m.sql.ex_lenient) for m in models)],
            ["Partial credit, benchmark warehouse", *(_num(m.sql.partial) for m in models)],
            [
                "Right on the benchmark warehouse only / items",
                *(f"{m.sql.n_caught} / {m.sql.n_items}" for m in models),
            ],
        ],
        [
            "The SQL score counts a query right only if it matches the gold on every warehouse of the test suite "
            "(the benchmark warehouse, one of another seed, perturbed copies of both); EX on the benchmark warehouse "
            "alone is comparable with earlier runs and the ADR."
        ],
    )
    churn = _Table(
        ["Churn", *names],
        [
            ["AUC", *(_num(m.churn.auc) for m in models)],
            ["Brier (lower is better)", *(_num(m.churn.brier) for m in models)],
            ["Calibration 1 − |p − q|", *(_num(m.churn.calibration) for m in models)],
            ["Accuracy vs true probability", *(_num(m.churn.accuracy) for m in models)],
            ["Accuracy vs outcome", *(_num(m.churn.outcome_accuracy) for m in models)],
            ["Valid probability / items", *(f"{m.churn.n_probability} / {m.churn.n_items}" for m in models)],
            ["AUC/Brier pairs (churned)", *(f"{m.churn.n_pairs} ({m.churn.n_churned})" for m in models)],
        ],
        ["AUC and Brier use items with a valid churn_probability and a known outcome."],
    )
    insights = _Table(
        ["Insights", *names],
        [
            ["Judge score (mean)", *(_num(m.insights.judge_mean) for m in models)],
            ["Key-fact coverage (mean)", *(_num(m.insights.coverage_mean) for m in models)],
            [
                "Score source: judge / coverage",
                *(f"{m.insights.n_judge} / {m.insights.n_coverage}" for m in models),
            ],
        ],
    )
    ids = list(dict.fromkeys(i.id for m in models for i in m.insights.items))
    per_item = {m.model: {i.id: i for i in m.insights.items} for m in models}

    def cell(i: InsightItem | None) -> str:
        return "—" if i is None else f"{_num(i.judge, '.2f')} / {_num(i.coverage, '.2f')} ({i.source or '?'})"

    items = _Table(
        ["Item", *names],
        [[i, *(cell(per_item[n].get(i)) for n in names)] for i in ids],
        ["Cells: judge / key-fact coverage (which one the item's score used)."],
    )
    blocks: list[_Block] = [
        _Heading("SQL"),
        sql,
        _Heading("Churn"),
        churn,
        _Heading("Insights"),
        insights,
        items,
        _Heading("Health"),
    ]
    for m in models:
        rows = [
            [
                report.task_labels.get(t, t),
                str(h.n_items),
                str(h.n_unscored),
                str(h.generation_errors),
                *(str(h.statuses.get(s, 0)) for s in SCORE_STATUSES),
                str(h.not_run),
            ]
            for t, h in m.health.items()
        ]
        header = [m.model, "items", "score None", "generation errors", *SCORE_STATUSES, "not run"]
        blocks.append(_Table(header, rows))
    blocks.append(
        "score None: items left out of the means. The status columns count scores.status; parse failures "
        "are parse_error, truncated and empty. not run: items the run never sent to the model (no Olist "
        "data for the review tasks), not counted in items."
    )
    return blocks


def _meta_value(v: Any) -> str:
    if v in (None, "", {}, []):
        return "—"
    return json.dumps(v, sort_keys=True, ensure_ascii=False) if isinstance(v, dict | list) else str(v)


def _document(report: Report) -> list[tuple[str, list[_Block]]]:
    alpha = report.settings.alpha
    compare: list[_Block] = []
    for comp in report.comparisons:
        compare += [
            _Heading(f"{comp.model} vs {comp.reference}"),
            _comparison_table(comp, alpha, report.task_labels),
        ]
    meta: list[_Block] = []
    for m in report.models:
        meta += [
            _Heading(m.model),
            _Table(["field", "value"], [[k, _meta_value(v)] for k, v in m.meta.items()]),
        ]
    return [
        (
            "Scores",
            [
                _headline(report),
                _Figure(
                    "scores.svg", scores_svg(report), "Score per task with bootstrap CI, one colour per model"
                ),
                _Figure("cost_vs_score.svg", cost_vs_score_svg(report), "Cost per query vs MEAN score"),
            ],
        ),
        (f"Paired comparison with {report.reference}", compare or ["Only one model: nothing to compare."]),
        ("What the data support", [report.story] if report.story else ["Only one model: no comparison."]),
        ("Scores by difficulty", [_difficulty_table(report)]),
        ("Task details", _task_blocks(report)),
        ("Run metadata", meta),
    ]


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(report: Report) -> str:
    """The report as Markdown (charts linked as the SVG files written next to it)."""
    out = ["# Benchmark report", "", f"Reference model: **{report.reference}**.", ""]
    for title, blocks in _document(report):
        out += [f"## {title}", ""]
        for b in blocks:
            if isinstance(b, _Heading):
                out += [f"### {b.text}", ""]
            elif isinstance(b, _Table):
                out.append("| " + " | ".join(_md_cell(h) for h in b.header) + " |")
                out.append("|" + "---|" * len(b.header))
                out += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in b.rows]
                out += [""] + [f"{n}  " for n in b.notes] + ([""] if b.notes else [])
            elif isinstance(b, _Figure):
                out += [f"![{b.alt}]({b.filename})", ""]
            elif isinstance(b, list):
                out += [f"- {s}" for s in b] + [""]
            else:
                out += [b, ""]
    return "\n".join(out).rstrip() + "\n"


_CSS = """body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;
font-variant-numeric:tabular-nums;vertical-align:top}th{background:#f3f3f3}.note{font-size:.85em;color:#555;
margin:.2em 0}figure{margin:1em 0}li{margin:.3em 0}"""


def render_html(report: Report) -> str:
    """The report as one self-contained (X)HTML page: inline CSS and inline SVG, no external files."""
    e = html.escape
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8"/><title>Benchmark report</title>',
        f"<style>{_CSS}</style></head><body>",
        "<h1>Benchmark report</h1>",
        f"<p>Reference model: <strong>{e(report.reference)}</strong>.</p>",
    ]
    for title, blocks in _document(report):
        out.append(f"<h2>{e(title)}</h2>")
        for b in blocks:
            if isinstance(b, _Heading):
                out.append(f"<h3>{e(b.text)}</h3>")
            elif isinstance(b, _Table):
                out.append(
                    "<table><thead><tr>"
                    + "".join(f"<th>{e(h)}</th>" for h in b.header)
                    + "</tr></thead><tbody>"
                )
                out += ["<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>" for row in b.rows]
                out.append("</tbody></table>")
                out += [f'<p class="note">{e(n)}</p>' for n in b.notes]
            elif isinstance(b, _Figure):
                out.append(f"<figure>{b.svg}<figcaption>{e(b.alt)}</figcaption></figure>")
            elif isinstance(b, list):
                out.append("<ul>" + "".join(f"<li>{e(s)}</li>" for s in b) + "</ul>")
            else:
                out.append(f"<p>{e(b)}</p>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


# --- charts: hand-made SVG ---------------------------------------------------------------------------


def _svg(width: int, height: int, title: str, body: list[str]) -> str:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'font-family="sans-serif" font-size="12" role="img"><title>{html.escape(title)}</title>'
        f'<rect width="{width}" height="{height}" fill="white"/>'
        f'<text x="{width / 2}" y="18" text-anchor="middle" font-size="14" font-weight="bold">{html.escape(title)}</text>'
    )
    return head + "".join(body) + "</svg>"


def _legend(names: Sequence[str], x: float, y: float) -> list[str]:
    out = []
    for k, name in enumerate(names):
        out.append(
            f'<rect x="{x:.1f}" y="{y - 9}" width="10" height="10" fill="{PALETTE[k % len(PALETTE)]}"/>'
        )
        out.append(f'<text x="{x + 14:.1f}" y="{y}">{html.escape(name)}</text>')
        x += 7 * len(name) + 34
    return out


def _y_axis(left: float, right: float, top: float, height: float) -> list[str]:
    out = []
    for k in range(6):
        v = k / 5
        y = top + (1 - v) * height
        out.append(f'<line x1="{left}" x2="{right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{v:.1f}</text>')
    return out


def _error_bar(x: float, y: float, y_lo: float, y_hi: float, colour: str, tip: str) -> str:
    return (
        f"<g><title>{html.escape(tip)}</title>"
        f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y_lo:.1f}" y2="{y_hi:.1f}" stroke="{colour}" stroke-width="1.5"/>'
        f'<line x1="{x - 4:.1f}" x2="{x + 4:.1f}" y1="{y_lo:.1f}" y2="{y_lo:.1f}" stroke="{colour}"/>'
        f'<line x1="{x - 4:.1f}" x2="{x + 4:.1f}" y1="{y_hi:.1f}" y2="{y_hi:.1f}" stroke="{colour}"/>'
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}"/></g>'
    )


def scores_svg(report: Report) -> str:
    """Per-task mean scores with CI error bars, one colour per model (tasks and MEAN on the x axis)."""
    width, height, left, right, top, bottom = 760, 380, 50, 20, 60, 36
    pw, ph = width - left - right, height - top - bottom
    labels = {**report.task_labels, MEAN: MEAN}
    groups = list(labels)
    gw = pw / len(groups)
    nm = max(1, len(report.models))
    body = _y_axis(left, width - right, top, ph) + _legend([m.model for m in report.models], left, 42)
    for g, task in enumerate(groups):
        body.append(
            f'<text x="{left + (g + 0.5) * gw:.1f}" y="{height - 14}" text-anchor="middle">{labels[task]}</text>'
        )
        for k, m in enumerate(report.models):
            ci = m.mean if task == MEAN else m.scores[task]
            if ci.mean is None or ci.lo is None or ci.hi is None:
                continue
            x = left + g * gw + 0.15 * gw + (k + 0.5) * 0.7 * gw / nm
            y_of = lambda v: top + (1 - v) * ph  # noqa: E731
            tip = f"{m.model} · {labels[task]}: {_score(ci)}, n={ci.n}"
            body.append(
                _error_bar(x, y_of(ci.mean), y_of(ci.lo), y_of(ci.hi), PALETTE[k % len(PALETTE)], tip)
            )
    level = round(100 * (1 - report.settings.alpha))
    return _svg(width, height, f"Score per task ({level}% bootstrap CI)", body)


def _tick_usd(v: float) -> str:
    """Axis label: the shortest exact decimal (``$0.0001``, ``$0.25``)."""
    return "$" + (f"{v:.12f}".rstrip("0").rstrip(".") or "0")


def _nice_ticks(hi: float) -> list[float]:
    if hi <= 0:
        return [0.0, 1.0]
    raw = hi / 5
    mag = 10 ** math.floor(math.log10(raw))
    step = next(f * mag for f in (1, 2, 5, 10) if f * mag >= raw)
    return [k * step for k in range(math.ceil(hi / step - 1e-9) + 1)]


def cost_vs_score_svg(report: Report) -> str:
    """MEAN score (with CI) against cost per query; the x axis is logarithmic when costs span ≥ 10×."""
    width, height, left, right, top, bottom = 640, 380, 60, 30, 48, 56
    pw, ph = width - left - right, height - top - bottom
    points = [
        (k, m)
        for k, m in enumerate(report.models)
        if m.cost_per_query_usd is not None and m.mean.mean is not None
    ]
    body = _y_axis(left, width - right, top, ph)
    costs = [m.cost_per_query_usd or 0.0 for _, m in points]
    log = len(costs) > 1 and min(costs) > 0 and max(costs) / min(costs) >= 10
    if log:
        d0, d1 = math.floor(math.log10(min(costs))), math.ceil(math.log10(max(costs)))
        d1 += d0 == d1
        ticks = [10.0**d for d in range(d0, d1 + 1)]
        x_of = lambda v: left + (math.log10(v) - d0) / (d1 - d0) * pw  # noqa: E731
    else:
        ticks = _nice_ticks(1.15 * max(costs, default=0.0))
        x_of = lambda v: left + v / ticks[-1] * pw  # noqa: E731
    for t in ticks:
        body.append(f'<line x1="{x_of(t):.1f}" x2="{x_of(t):.1f}" y1="{top}" y2="{top + ph}" stroke="#eee"/>')
        body.append(f'<text x="{x_of(t):.1f}" y="{top + ph + 16}" text-anchor="middle">{_tick_usd(t)}</text>')
    axis = "Cost per query (USD" + (", log scale)" if log else ")")
    body.append(f'<text x="{left + pw / 2}" y="{height - 20}" text-anchor="middle">{axis}</text>')
    body.append(
        f'<text x="14" y="{top + ph / 2}" text-anchor="middle" transform="rotate(-90 14 {top + ph / 2})">MEAN score</text>'
    )
    y_of = lambda v: top + (1 - v) * ph  # noqa: E731
    for k, m in points:
        assert (
            m.cost_per_query_usd is not None
            and m.mean.mean is not None
            and m.mean.lo is not None
            and m.mean.hi is not None
        )
        x, colour = x_of(m.cost_per_query_usd), PALETTE[k % len(PALETTE)]
        tip = f"{m.model}: {_usd(m.cost_per_query_usd)}/query, MEAN {_score(m.mean)}"
        body.append(_error_bar(x, y_of(m.mean.mean), y_of(m.mean.lo), y_of(m.mean.hi), colour, tip))
        anchor, dx = ("end", -7) if x > left + 0.7 * pw else ("start", 7)
        body.append(
            f'<text x="{x + dx:.1f}" y="{y_of(m.mean.mean) - 6:.1f}" text-anchor="{anchor}" fill="{colour}">'
            f"{html.escape(m.model)}</text>"
        )
    missing = [m.model for m in report.models if m.cost_per_query_usd is None or m.mean.mean is None]
    if missing:
        body.append(
            f'<text x="{left}" y="{height - 4}" font-size="11" fill="#555">no cost or score: {html.escape(", ".join(missing))}</text>'
        )
    return _svg(width, height, "Cost per query vs MEAN score", body)


def write_report(report: Report, out_dir: str | Path) -> list[Path]:
    """Write report.md, report.html, scores.svg, cost_vs_score.svg and report.json into ``out_dir``.

    Returns:
        The written paths, in that order.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    contents = {
        "report.md": render_markdown(report),
        "report.html": render_html(report),
        "scores.svg": scores_svg(report),
        "cost_vs_score.svg": cost_vs_score_svg(report),
        "report.json": report.model_dump_json(indent=2) + "\n",
    }
    paths = []
    for name, text in contents.items():
        path = out / name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths

"""The dataset card (``README.md`` next to train/eval.jsonl): counts, lengths, provenance, contamination."""

from __future__ import annotations

import statistics
from collections import Counter
from typing import Any

from tucano_commerce.data._contamination import (
    NEAR_DUP_CONTAINMENT,
    NGRAM,
    NGRAM8,
    NGRAM8_HITS,
    NGRAM8_MAX_SHARE,
    TEMPLATE_SQL_CONTAINMENT,
    TEMPLATE_SQL_JACCARD,
    TEMPLATE_WORDING,
    ContaminationReport,
    template_catalogue,
)
from tucano_commerce.data._heldout import HELD_OUT
from tucano_commerce.data._records import TrainingExample


def _table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def _lengths(examples: list[TrainingExample]) -> list[list[Any]]:
    rows = []
    for task in sorted({e.task for e in examples}):
        chars = [sum(len(m["content"]) for m in e.prompt) for e in examples if e.task == task]
        q = statistics.quantiles(chars, n=20) if len(chars) > 1 else [chars[0]] * 19
        rows.append([task, len(chars), min(chars), round(statistics.median(chars)), round(q[18]), max(chars)])
    return rows


def _template_section(report: ContaminationReport) -> list[str]:
    catalogue = template_catalogue()
    used = [f"{task}/{name}" for task, name, _, _ in catalogue if f"{task}/{name}" not in HELD_OUT]
    return [
        "",
        "### Template level",
        "",
        f"Template-level overlap: **{report.template_overlap}** training prompts come from a question wording or SQL "
        f"skeleton that produced a benchmark item. The benchmark's {len(HELD_OUT)} templates are held out "
        "(`data/_heldout.py`, below) and never drawn; the other "
        f"{len(used)} templates were each compared with every benchmark SQL and insights item of their task, and "
        "none resembles one (a template resembles an item when its SQL skeleton holds at least "
        f"{TEMPLATE_SQL_CONTAINMENT:.0%} of the item's skeleton features with a Jaccard overlap of at least "
        f"{TEMPLATE_SQL_JACCARD:.0%}, or its question wording holds at least {TEMPLATE_WORDING:.0%} of the item "
        "question's word 3-grams; the build fails otherwise).",
        "",
        _table(
            ["held-out template", "benchmark items"], [[k, ", ".join(v)] for k, v in sorted(HELD_OUT.items())]
        ),
    ]


def _ngram_section(report: ContaminationReport, dropped: list[tuple[str, int, list[str]]]) -> list[str]:
    listed = [[t, n, ", ".join(b)] for t, n, b in report.ngram8]
    parts = [
        "",
        f"### {NGRAM8}-gram check",
        "",
        f"A distinctive {NGRAM8}-gram is a word {NGRAM8}-gram of a benchmark item's specific content (review text, SQL "
        "question, insight table and question, churn profile) that occurs in exactly one benchmark item. Training "
        f"prompts sharing {NGRAM8_HITS} or more: **{len(report.ngram8)} of {report.n_train} "
        f"({report.ngram8_share:.1%}; the build allows at most {NGRAM8_MAX_SHARE:.0%})**.",
    ]
    if listed:
        parts += [
            "",
            _table(["training example", f"distinctive {NGRAM8}-grams shared", "benchmark items"], listed),
        ]
    if dropped:
        parts += [
            "",
            f"Before selection, {len(dropped)} generated candidate(s) sharing {NGRAM8_HITS} or more were dropped: "
            + ", ".join(f"{t} ({n}, {', '.join(b)})" for t, n, b in dropped)
            + ".",
        ]
    return parts


def render_card(
    *,
    train: list[TrainingExample],
    eval_: list[TrainingExample],
    params: dict[str, Any],
    counts: dict[str, int],
    contamination: ContaminationReport,
    notes: list[str],
    ngram8_dropped: list[tuple[str, int, list[str]]] | None = None,
) -> str:
    """The card as Markdown (``ngram8_dropped``: candidates the 8-gram pre-filter removed before selection)."""
    every = train + eval_
    by_task: Counter[str] = Counter(e.task for e in every)
    split_rows = [
        [t, by_task[t], sum(e.task == t for e in train), sum(e.task == t for e in eval_)] for t in counts
    ]
    diff = Counter((e.task, e.difficulty or "-") for e in every)
    labels = Counter((e.task, e.label_source) for e in every)
    verdict = "**clean**" if contamination.clean else f"**{len(contamination.hits)} overlaps found**"
    parts = [
        "# Tucano2-Commerce GRPO v3 training data",
        "",
        "Built by `tucano data build` "
        + " ".join(f"`--{k.replace('_', '-')} {v}`" for k, v in params.items())
        + ".",
        "Files: `train.jsonl`, `eval.jsonl` (held-out split for GRPO's eval reward). Columns: `prompt` "
        "(conversational: system + user), `task`, `ground_truth` and `source` (JSON strings: their keys differ "
        "by task), `label_source`, `difficulty`, `id`. Load with `datasets.load_dataset('json', data_files=...)`.",
        "",
        "## Counts",
        "",
        _table(
            ["task", "total", "train", "eval"], split_rows + [["**all**", len(every), len(train), len(eval_)]]
        ),
        "",
        "The ADR's per-task table (300/200/250/100/150) adds up to 1,000 domain prompts while its mix says 700 "
        "domain + 300 general; by default the total is 1,000 with 30 % general reasoning and the domain part "
        "split in the table's proportions. `--domain-total 1000` builds the table's absolute targets instead.",
        "",
        "### By difficulty",
        "",
        _table(["task", "difficulty", "n"], [[t, d, n] for (t, d), n in sorted(diff.items())]),
        "",
        "### By label source",
        "",
        "`gold` = corrected by hand in the review queue; `llm` = LLM labeller (validated against the output "
        "contract); `silver` = rule-based labeller; `synthetic` = known by construction (generated text, "
        "template SQL, warehouse truth, computed math answers).",
        "",
        _table(["task", "label source", "n"], [[t, s, n] for (t, s), n in sorted(labels.items())]),
        "",
        "## Prompt lengths (characters, system + user)",
        "",
        _table(["task", "n", "min", "median", "p95", "max"], _lengths(every)),
        "",
        "## Contamination check",
        "",
        f"Result: {verdict}. {contamination.n_train} training examples compared with {contamination.n_benchmark} "
        f"benchmark items: same review id, same churn customer, identical item content, and near duplicates "
        f"(word {NGRAM}-gram containment ≥ {NEAR_DUP_CONTAINMENT} of the item-specific content, after removing "
        "the shared instructions, schema and output contract).",
        "",
        _table(["check", "training examples flagged"], [[k, v] for k, v in contamination.checks.items()]),
        *_template_section(contamination),
        *_ngram_section(contamination, ngram8_dropped or []),
    ]
    if not contamination.texts_compared:
        parts += [
            "",
            "Benchmark review texts were not available (no Olist data directory): review ids were compared, texts not.",
        ]
    if notes:
        parts += ["", "## Notes", ""] + [f"- {n}" for n in notes]
    parts += [
        "",
        "## Licences",
        "",
        "Olist reviews: CC BY-NC-SA 4.0 (Olist, *Brazilian E-Commerce Public Dataset*, Kaggle); this dataset "
        "contains review texts and inherits those terms (non-commercial, share-alike). Do not commit it to the "
        "repository. Everything else (synthetic reviews, SQL, churn, insights, math) is generated by this project.",
    ]
    return "\n".join(parts) + "\n"

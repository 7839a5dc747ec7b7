"""``tucano data``: build the GRPO training data; export the review queue; fetch the Olist dataset."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tucano_commerce.cli._common import console, friendly_errors

data_app = typer.Typer(help="GRPO v3 training data.", no_args_is_help=True)


@data_app.command("build")
@friendly_errors
def build(
    out: Annotated[Path, typer.Option("--out", help="Folder for train.jsonl, eval.jsonl and README.md.")],
    total: Annotated[int, typer.Option(help="Examples in all (domain + general).")] = 1000,
    general_ratio: Annotated[float, typer.Option(help="Share of general-reasoning (math) examples.")] = 0.3,
    seed: Annotated[int, typer.Option(help="Seed of every generator.")] = 0,
    eval_size: Annotated[int, typer.Option(help="Held-out examples for GRPO's eval reward.")] = 50,
    domain_total: Annotated[
        int | None, typer.Option(help="Build the ADR table's absolute domain targets (e.g. 1000).")
    ] = None,
    olist: Annotated[
        str | None,
        typer.Option(
            "--olist-dir", help="Olist data folder (default: $TUCANO_OLIST_DIR, else $TUCANO_HOME/olist)."
        ),
    ] = None,
    warehouse_seed: Annotated[
        int, typer.Option(help="Seed of the training warehouse (not the benchmark's).")
    ] = 2026,
    labeller_url: Annotated[
        str | None, typer.Option(help="OpenAI-compatible URL of an LLM labeller for real reviews.")
    ] = None,
    labeller_model: Annotated[str, typer.Option(help="Model name for the LLM labeller.")] = "gpt-4o",
    queue: Annotated[
        Path | None, typer.Option(help="Corrected review-queue CSV (tucano data export-queue).")
    ] = None,
    local: Annotated[
        Path | None, typer.Option(help="Local JSONL/parquet of general problems (e.g. GSM8K-pt).")
    ] = None,
    local_question: Annotated[str, typer.Option(help="Question field of --local.")] = "question",
    local_answer: Annotated[str, typer.Option(help="Answer field of --local.")] = "answer",
) -> None:
    """Build the training set (fails if anything overlaps the benchmark)."""
    from tucano_commerce.data import LLMLabeller, build_dataset

    labeller = LLMLabeller(labeller_url, labeller_model) if labeller_url else None
    spec = {"path": local, "question_field": local_question, "answer_field": local_answer} if local else None
    summary = build_dataset(
        out,
        total=total,
        general_ratio=general_ratio,
        seed=seed,
        eval_size=eval_size,
        domain_total=domain_total,
        olist=olist,
        warehouse_seed=warehouse_seed,
        llm_labeller=labeller,
        queue=queue,
        local=spec,
    )
    console.print(
        f"built {summary.train} train + {summary.eval} eval examples in {summary.elapsed_s:.1f} s -> {out}"
    )
    console.print(f"per task: {summary.counts}; label sources: {summary.by_label_source}")
    report = summary.contamination
    console.print(f"contamination check: {'clean' if report.clean else 'FAILED'} {report.checks}")
    console.print(
        f"template-level overlap: {report.template_overlap}; prompts sharing 3+ distinctive 8-grams with the "
        f"benchmark: {len(report.ngram8)} of {report.n_train} ({len(summary.ngram8_dropped)} candidates dropped)"
    )


@data_app.command("export-queue")
@friendly_errors
def export_queue_cmd(
    data_dir: Annotated[Path, typer.Argument(help="A folder written by 'tucano data build'.")],
    out: Annotated[Path, typer.Option("--out", help="CSV to write (UTF-8 with BOM, ';'-separated).")],
) -> None:
    """Write the review examples to a CSV for correction by hand; rebuild with --queue to use it."""
    from tucano_commerce.data import export_queue, read_examples

    examples = read_examples(data_dir / "train.jsonl") + read_examples(data_dir / "eval.jsonl")
    path = export_queue(examples, out)
    console.print(f"wrote {path}")


@data_app.command("fetch-olist")
@friendly_errors
def fetch_olist_cmd(
    source: Annotated[
        Path | None,
        typer.Option("--from", help="A zip or folder downloaded by hand from Kaggle (default: download it)."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Where to store the CSVs (default: $TUCANO_HOME/olist).")
    ] = None,
    force: Annotated[bool, typer.Option(help="Store again even if the folder already holds them.")] = False,
) -> None:
    """Get the Olist dataset from Kaggle (the `kaggle` extra) or a manual download; check and store it."""
    import os

    from tucano_commerce.paths import OLIST_DIR_ENV, default_olist_dir
    from tucano_commerce.warehouse._olist_fetch import KAGGLE_DATASET, fetch_olist

    report = fetch_olist(out, source=source, force=force)
    what = "already held" if report.already_there else "stored"
    console.print(
        f"{report.folder} {what} the {len(report.files)} files of {KAGGLE_DATASET}:", highlight=False
    )
    for name, blob in report.files.items():
        console.print(f"  {name}  git-blob {blob[:12]} = the Kaggle original", highlight=False)
    if report.folder.resolve() != default_olist_dir().resolve():
        console.print(
            f"use it with --olist-dir {report.folder} or {OLIST_DIR_ENV}={report.folder}", highlight=False
        )
    elif os.environ.get(OLIST_DIR_ENV):
        console.print(
            f"note: {OLIST_DIR_ENV} is set ({os.environ[OLIST_DIR_ENV]}) and wins over this folder; unset it to "
            "use the data stored here",
            highlight=False,
        )
    else:
        console.print("this is the default data folder: bench, data and db commands use it", highlight=False)

"""``tucano bench``: validate the benchmark, run it on a model, re-score, report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table as RichTable

from tucano_commerce.cli._common import console, err_console, friendly_errors

bench_app = typer.Typer(help="The 80-prompt domain benchmark.", no_args_is_help=True)


@bench_app.command("validate")
@friendly_errors
def validate(
    directory: Annotated[
        Path | None,
        typer.Option("--dir", help="Benchmark folder (default: $TUCANO_BENCHMARK_DIR or the shipped one)."),
    ] = None,
    olist: Annotated[
        str | None,
        typer.Option(
            "--olist-dir", help="Olist data folder (default: $TUCANO_OLIST_DIR, else $TUCANO_HOME/olist)."
        ),
    ] = None,
) -> None:
    """Check the benchmark file: schema, counts, ids, reviews, gold SQL, churn truth, insight facts."""
    from tucano_commerce.bench import validate_benchmark

    report = validate_benchmark(directory=directory, olist=olist)
    table = RichTable(title=f"Benchmark {report.path}")
    table.add_column("check")
    table.add_column("result")
    for name, result in report.checks.items():
        style = "green" if result == "ok" else ("yellow" if result.startswith("skipped") else "red")
        table.add_row(name, f"[{style}]{result}[/]")
    console.print(table)
    for p in report.problems:
        err_console.print(f"[red]{report.path}: {p}[/]", highlight=False, soft_wrap=True)
    if not report.ok:
        raise typer.Exit(1)
    console.print("[green]benchmark valid[/]")


def judge_option(spec: str | None):  # noqa: ANN201
    """The judge for a ``--judge SPEC`` option (``openai:MODEL[@URL]``, ``hf:PATH`` ...), or None."""
    if not spec:
        return None
    from tucano_commerce.scoring import judge_from_spec

    return judge_from_spec(spec)


@bench_app.command("run")
@friendly_errors
def run(
    model: Annotated[
        str,
        typer.Option(
            "--model",
            help="Registry name (configs/models.yaml) or spec: hf:PATH, gguf:FILE, openai:MODEL, demo.",
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="Results file (JSON) to write.")],
    adapter: Annotated[
        str | None, typer.Option(help="PEFT LoRA adapter directory (hf/gguf; not merged).")
    ] = None,
    quantize: Annotated[str | None, typer.Option(help="'4bit' (bitsandbytes; needs a CUDA GPU).")] = None,
    base_url: Annotated[
        str | None, typer.Option("--base-url", help="OpenAI-compatible server URL (openai:).")
    ] = None,
    concurrency: Annotated[
        int | None,
        typer.Option(help="Requests in flight (openai:); cut on HTTP 429 and restored, never above this."),
    ] = None,
    batch_size: Annotated[
        int | None,
        typer.Option(
            help="Items per generate call, local backends (default: the backend's); remote ones stream."
        ),
    ] = None,
    temperature: Annotated[float, typer.Option(help="Same for every model (ADR 2.2).")] = 0.1,
    max_new_tokens: Annotated[int, typer.Option(help="Cap on generated tokens per reply.")] = 2048,
    seed: Annotated[int, typer.Option(help="Sampling seed.")] = 0,
    enable_thinking: Annotated[
        bool, typer.Option("--enable-thinking/--no-thinking", help="Qwen3-style thinking.")
    ] = False,
    tasks: Annotated[str | None, typer.Option(help="Comma-separated subset, e.g. sql,churn.")] = None,
    limit: Annotated[int | None, typer.Option(help="At most N items per task (quick runs).")] = None,
    judge: Annotated[
        str | None,
        typer.Option(help="LLM judge for insights: a model spec, e.g. openai:MODEL[@URL] or hf:PATH."),
    ] = None,
    olist: Annotated[
        str | None,
        typer.Option(
            "--olist-dir", help="Olist data folder (default: $TUCANO_OLIST_DIR, else $TUCANO_HOME/olist)."
        ),
    ] = None,
    fresh: Annotated[bool, typer.Option(help="Ignore progress saved by an interrupted run.")] = False,
) -> None:
    """Run the benchmark on one model and write the results file (resumable)."""
    from tucano_commerce.backends import GenerationConfig, get_backend
    from tucano_commerce.bench import RunOptions, resolve_model, run_benchmark, summary_lines
    from tucano_commerce.bench._runner import not_run_banner

    entry = resolve_model(model)
    overrides = {"adapter": adapter, "quantize": quantize, "base_url": base_url, "concurrency": concurrency}
    entry = entry.model_copy(
        update={"options": {**entry.options, **{k: v for k, v in overrides.items() if v is not None}}}
    )
    options = RunOptions(
        generation=GenerationConfig(
            temperature=temperature, max_new_tokens=max_new_tokens, seed=seed, enable_thinking=enable_thinking
        ),
        batch_size=batch_size,
        tasks=[t.strip() for t in tasks.split(",")] if tasks else None,
        limit=limit,
        judge=judge_option(judge),
        olist=olist,
        fresh=fresh,
    )
    backend = get_backend(entry.spec, **entry.options)
    try:
        results = run_benchmark(entry, backend, out, options)
    finally:
        backend.close()
    for line in summary_lines(results):
        console.print(line, highlight=False)
    console.print(f"wrote {out}")
    banner = not_run_banner(results)
    if banner:  # exit code 0: a run without the Olist data is a complete run of what can run
        from rich.panel import Panel
        from rich.text import Text

        console.print(Panel(Text(banner), title="not run: no Olist data", border_style="yellow"))


@bench_app.command("rescore")
@friendly_errors
def rescore_cmd(
    path: Annotated[Path, typer.Argument(help="Results file from 'tucano bench run'.")],
    judge: Annotated[
        str | None,
        typer.Option(help="LLM judge for insights: a model spec, e.g. openai:MODEL[@URL] or hf:PATH."),
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Write here instead of replacing the file.")] = None,
    olist: Annotated[
        str | None,
        typer.Option(
            "--olist-dir", help="Olist data folder (default: $TUCANO_OLIST_DIR, else $TUCANO_HOME/olist)."
        ),
    ] = None,
) -> None:
    """Recompute scores from the stored responses, without generating."""
    from tucano_commerce.bench import rescore, summary_lines

    results = rescore(path, judge=judge_option(judge), olist=olist, out=out)
    for line in summary_lines(results):
        console.print(line, highlight=False)


@bench_app.command("report")
@friendly_errors
def report_cmd(
    files: Annotated[list[Path], typer.Argument(help="Results files, one per model.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for report.md, report.html, charts.")],
    reference: Annotated[
        str | None, typer.Option(help="Model name to compare the others against (default: the first).")
    ] = None,
) -> None:
    """The comparison report: scores with 95% CIs, paired tests, cost, latency, privacy."""
    from tucano_commerce.bench import build_report, load_results, write_report

    report = build_report([load_results(f) for f in files], reference=reference)
    for path in write_report(report, out):
        console.print(f"wrote {path}")

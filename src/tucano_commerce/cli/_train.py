"""``tucano train``: GRPO v3 — run, plan memory/time, decide, validate."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Annotated

import typer

from tucano_commerce.cli._common import console, err_console, friendly_errors

train_app = typer.Typer(help="GRPO v3 training on TRL.", no_args_is_help=True)


def recipe_file(config: Path) -> Path:
    """The recipe ``--config`` names (``train._config.find_config``); says so when it is the shipped copy."""
    from tucano_commerce.train._config import find_config

    found = find_config(config)
    if found != config.expanduser():
        err_console.print(f"config: {found} (shipped with the package)", highlight=False, soft_wrap=True)
    return found


@train_app.command("configs")
def configs_cmd() -> None:
    """List the configs shipped with the package and where they are (copy one to edit it)."""
    from tucano_commerce.paths import shipped_configs

    for name, path in shipped_configs().items():
        console.print(f"configs/{name}  {path}", highlight=False, soft_wrap=True)


@train_app.command("grpo")
@friendly_errors
def grpo(
    config: Annotated[Path, typer.Option("--config", help="Recipe YAML (configs/grpo_v3.yaml).")],
    output_dir: Annotated[
        Path | None, typer.Option(help="Run folder (default: from the config's run name).")
    ] = None,
    resume: Annotated[bool, typer.Option(help="Continue from the last checkpoint.")] = False,
    skip_preflight: Annotated[
        bool, typer.Option(help="Start even if pre-flight checks fail (recorded).")
    ] = False,
) -> None:
    """Train with the GRPO v3 recipe (pre-flight first)."""
    from tucano_commerce.train import train_grpo

    result = train_grpo(
        recipe_file(config), output_dir=output_dir, resume=resume, skip_preflight=skip_preflight
    )
    console.print(
        f"done: {result.global_step} steps in {result.output_dir}; best checkpoint {result.best_checkpoint}"
    )
    if result.oom_steps:
        console.print(f"OOM ladder steps: {result.oom_steps}")


@train_app.command("preflight")
@friendly_errors
def preflight_cmd(
    config: Annotated[Path, typer.Option("--config", help="Recipe YAML.")],
    output_dir: Annotated[Path, typer.Option(help="Run folder to check.")] = Path("runs/preflight"),
) -> None:
    """List what would stop 'tucano train grpo' from starting."""
    from tucano_commerce.train import load_config, preflight

    report = preflight(load_config(recipe_file(config)), output_dir=output_dir)
    for name, value in report.checks.items():
        console.print(f"{name}: {value}", highlight=False)
    for w in report.warnings:
        console.print(f"[yellow]warning:[/] {w}", highlight=False)
    for m in report.missing:
        err_console.print(f"[red]missing:[/] {m}", highlight=False)
    if not report.ok:
        raise typer.Exit(1)


@train_app.command("plan")
@friendly_errors
def plan_cmd(
    config: Annotated[Path, typer.Option("--config", help="Recipe YAML.")],
    gpu: Annotated[str, typer.Option(help="t4, l4, a100, h100 or h200.")] = "l4",
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Print JSON (total_gib, terms, seconds_per_step_range, hours_range, eval_share; "
            "with --budget-hours also proposal).",
        ),
    ] = False,
    budget_hours: Annotated[
        float | None,
        typer.Option(
            "--budget-hours",
            min=0.01,
            help="Propose the settings (eval, completion cap, G, steps, backend) that fit H hours on --gpu.",
        ),
    ] = None,
    num_processes: Annotated[
        int | None,
        typer.Option(min=1, help="Training processes (GPUs); default WORLD_SIZE, else 1."),
    ] = None,
    zero_std_share: Annotated[
        float | None,
        typer.Option(min=0.0, max=1.0, help="Assumed share of tied groups (dynamic sampling); default 0.5."),
    ] = None,
) -> None:
    """Peak GPU memory and run time (ranges) for a recipe, term by term (ADR step 3.6); optionally a budget."""
    from tucano_commerce.train import load_config, plan, plan_inputs, plan_to_table

    cfg = load_config(recipe_file(config))
    inputs = plan_inputs(cfg, num_processes=num_processes, zero_std_share=zero_std_share)
    result = plan(inputs, gpu)
    proposal = proposed_plan = None
    if budget_hours is not None:
        from tucano_commerce.train._budget import propose

        proposal, proposed_plan = propose(cfg, inputs, gpu, budget_hours)
    if as_json:
        data = result.model_dump(mode="json")
        if proposal is not None:
            data["proposal"] = proposal.model_dump(mode="json")
        print(json.dumps(data, indent=2))
        return
    # markdown tables, printed as they are
    plain = functools.partial(console.print, highlight=False, markup=False, soft_wrap=True)
    plain(plan_to_table(result))
    if proposal is not None and proposed_plan is not None:
        from tucano_commerce.train._budget import proposal_to_text

        plain("\n" + proposal_to_text(proposal))
        if proposal.changes:
            plain("\nThe proposed recipe's plan (`--json` gives the recipe as proposal.config):\n")
            plain(plan_to_table(proposed_plan))


@train_app.command("decide")
@friendly_errors
def decide_cmd(
    run: Annotated[Path, typer.Option("--run", help="A 'tucano train grpo' output folder.")],
    results: Annotated[Path, typer.Option("--results", help="Benchmark results of the trained model.")],
    v2_eval_reward: Annotated[
        float | None,
        typer.Option(help="GRPO v2's eval reward (default: the recipe's decision.v2_eval_reward)."),
    ] = None,
    oom: Annotated[bool, typer.Option(help="The run hit CUDA OOM.")] = False,
    max_completion_length: Annotated[
        int | None, typer.Option(help="Default: from the run's saved recipe.")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Also write the decision and its inputs here (JSON).")
    ] = None,
) -> None:
    """Apply the ADR decision table: ship, extend, stop, entropy bonus, shorter completions, continue."""
    from tucano_commerce.train import decide_run, write_decision

    decision, summary = decide_run(
        run, results, v2_eval_reward=v2_eval_reward, oom=oom, max_completion_length=max_completion_length
    )
    if out is not None:
        write_decision(out, decision, summary, results)
    console.print(f"[bold]{decision.action}[/]")
    for reason in decision.reasons:
        console.print(f"- {reason}", highlight=False)


@train_app.command("validate")
@friendly_errors
def validate_cmd(
    run: Annotated[Path, typer.Option("--run", help="A 'tucano train grpo' output folder.")],
    baseline: Annotated[list[Path] | None, typer.Option(help="Baseline results files (repeat).")] = None,
    out: Annotated[Path | None, typer.Option(help="Output folder (default: RUN/validation).")] = None,
    limit: Annotated[int | None, typer.Option(help="At most N items per task.")] = None,
    tasks: Annotated[str | None, typer.Option(help="Comma-separated subset, e.g. sql,churn.")] = None,
    batch_size: Annotated[int | None, typer.Option(help="Items per generate call.")] = None,
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
    temperature: Annotated[float | None, typer.Option(help="Default: the first baseline's.")] = None,
    max_new_tokens: Annotated[int | None, typer.Option(help="Default: the first baseline's.")] = None,
    seed: Annotated[int | None, typer.Option(help="Default: the first baseline's.")] = None,
    enable_thinking: Annotated[
        bool | None,
        typer.Option("--enable-thinking/--no-thinking", help="Default: the first baseline's."),
    ] = None,
) -> None:
    """Benchmark the best checkpoint, report against the baselines, then decide (ADR 3.8).

    The generation settings default to the first baseline's, so the comparison is like for like.
    """
    from tucano_commerce.cli._bench import judge_option
    from tucano_commerce.train import validate_run

    given = {
        "temperature": temperature,
        "max_new_tokens": max_new_tokens,
        "seed": seed,
        "enable_thinking": enable_thinking,
    }
    result = validate_run(
        run,
        baselines=baseline or [],
        out_dir=out,
        generation={k: v for k, v in given.items() if v is not None},
        limit=limit,
        tasks=[t.strip() for t in tasks.split(",")] if tasks else None,
        batch_size=batch_size,
        judge=judge_option(judge),
        olist=olist,
    )
    for w in result.warnings:
        err_console.print(f"[yellow]warning:[/] {w}", highlight=False)
    console.print(f"results {result.results}; report {result.report_dir}")
    console.print(f"decision: [bold]{result.decision.action}[/]")
    for reason in result.decision.reasons:
        console.print(f"- {reason}", highlight=False)


@train_app.command("doctor")
@friendly_errors
def doctor_cmd(
    run: Annotated[Path, typer.Argument(help="A TRL GRPO run folder (checkpoint-*/trainer_state.json).")],
    as_json: Annotated[
        bool, typer.Option("--json", help='Print {"findings": [{"check", "status", "detail", ...}]}.')
    ] = False,
    args: Annotated[
        Path | None,
        typer.Option(
            "--args", help="JSON/YAML of the run's GRPOConfig args (or a recipe); wins over the folder."
        ),
    ] = None,
    pickle: Annotated[
        bool,
        typer.Option(
            "--pickle/--no-pickle",
            help="Fall back to unpickling checkpoint training_args.bin (runs code from the file).",
        ),
    ] = True,
) -> None:
    """What went wrong in a GRPO run, with numbers: entropy, length cap, tied groups, eval cost, adapters.

    Exit code 0 whenever the run could be read (findings are data); 1 when RUN is not a run folder.
    """
    from tucano_commerce.train import diagnose, report_table

    report = diagnose(run, args_file=args, allow_pickle=pickle)
    if as_json:
        print(json.dumps(report.model_dump(mode="json"), indent=2, ensure_ascii=False))
    else:
        console.print(report_table(report), highlight=False)

"""``tucano train doctor``: what went wrong in a TRL GRPO run, with numbers, before the next 40 GPU-hours.

Reads any run folder a TRL ``GRPOTrainer`` wrote (``trainer_state.json``'s ``log_history``, the saved
LoRA adapters, and the settings: this project's ``recipe_config.yaml``, a mapping of GRPOConfig args
given with ``--args``, or, as a fallback, the pickled ``training_args.bin``) and runs one check per
failure mode. Each check returns a ``Finding``: ``check``, ``status`` (ok / info / warn / fail),
``detail`` (a sentence with the numbers), ``value``, ``threshold``, ``steps`` (logged steps used) and
check-specific numbers. Findings are data: the command exits 0 whenever it could read the run.

The keys read are TRL 1.16's (``grpo_trainer.py``): ``entropy``, ``clip_ratio/region_mean``,
``completions/clipped_ratio``, ``completions/mean_length`` / ``max_length``, ``frac_reward_zero_std``,
``reward``, ``num_tokens``, ``step_time``, the ``eval_``-prefixed copies of them, transformers'
``grad_norm``, ``learning_rate``, ``eval_runtime`` and ``eval_samples_per_second``; this project's
``reward_weights/*``, ``zero_std/*``, ``health/*``; and, when the trainer logs them,
``adapter/lora_{A,B}_{changed_frac,update_ratio}``, ``zero_std/skipped_steps``, ``rewards/unscorable``
and ``eval_reward_fixed``.

Thresholds are judged on windowed means (the last/first ``window`` logs, ``window = n // 4`` capped at
20), not on single logs: with one group per step most keys move in quarters.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from tucano_commerce.errors import TucanoError
from tucano_commerce.train._doctor_adapter import check_adapter_precision
from tucano_commerce.train._doctor_checks import (
    check_clip_ratio,
    check_entropy,
    check_eval_share,
    check_grad_norm,
    check_length,
    check_monitor_alerts,
    check_oom,
    check_reward_trend,
    check_reward_weights,
    check_unscorable,
    check_zero_std,
    eval_prompts,
)
from tucano_commerce.train._findings import STATUSES, TRL_DEFAULTS, Finding, Logs
from tucano_commerce.train._regime import Regime, training_regime
from tucano_commerce.train._run_files import load_run

__all__ = ["STATUSES", "TRL_DEFAULTS", "DoctorReport", "Finding", "diagnose", "eval_prompts", "report_table"]


class DoctorReport(BaseModel):
    """The doctor's answer for one run."""

    run: str
    trainer_state: str
    global_step: int | None
    config_source: str | None = Field(
        description="Where the settings came from; None = TRL defaults assumed."
    )
    regime: Regime | None = Field(description="On/off-policy from the settings (None: settings unknown).")
    notes: list[str] = Field(default_factory=list)
    findings: list[Finding]

    def finding(self, check: str) -> Finding:
        """The finding of ``check`` (KeyError when that check did not run)."""
        for f in self.findings:
            if f.check == check:
                return f
        raise KeyError(check)


CHECKS: tuple[Callable[..., Finding | None], ...] = (
    check_entropy,
    check_length,
    check_zero_std,
    check_eval_share,
    check_reward_weights,
    check_adapter_precision,
    check_reward_trend,
    check_grad_norm,
    check_unscorable,
    check_monitor_alerts,
    check_oom,
)


def diagnose(
    run: str | Path, *, args_file: str | Path | None = None, allow_pickle: bool = True
) -> DoctorReport:
    """Read a TRL GRPO run folder and run every check.

    Args:
        run: the run folder (or its ``trainer_state.json``).
        args_file: a JSON/YAML mapping of the run's GRPOConfig args (or a recipe); wins over what the
            folder holds.
        allow_pickle: fall back to unpickling ``training_args.bin`` when no recipe or args file is found
            (``torch.load(weights_only=False)`` runs code from the file).

    Returns:
        The report; its findings are data (a run that went wrong still returns normally).

    Raises:
        DataError: the folder is not a run (no trainer_state.json), or a file in it is malformed.
    """
    folder = load_run(
        Path(run), args_file=None if args_file is None else Path(args_file), allow_pickle=allow_pickle
    )
    logs = Logs(folder.log_history)
    notes = list(folder.notes)
    regime = None
    if folder.config.known:
        try:
            regime = training_regime(folder.config.grpo)
        except (TucanoError, TypeError, ValueError) as err:  # a malformed setting is reported, not fatal
            notes.append(f"regime unknown: {err}")
    findings = [check_clip_ratio(folder, logs, regime)]
    for check in CHECKS:
        found = check(folder, logs)
        if found is not None:
            findings.append(found)
    step = folder.state.get("global_step")
    return DoctorReport(
        run=str(folder.run_dir),
        trainer_state=str(folder.state_path),
        global_step=int(step) if isinstance(step, int | float) else None,
        config_source=folder.config.source,
        regime=regime,
        notes=notes,
        findings=findings,
    )


_STYLE = {"ok": "green", "info": "cyan", "warn": "yellow", "fail": "bold red"}


def format_value(f: Finding) -> str:
    """A finding's value for the table: shares as %, counts as integers."""
    if f.value is None:
        return "-"
    if f.unit == "share":
        return f"{100 * f.value:.1f}%"
    if f.unit == "ratio":
        return f"{f.value:.3g}x"
    if f.unit == "count":
        return f"{f.value:,.0f}"
    if f.unit == "reward":
        return f"{f.value:+.4f}"
    return f"{f.value:.4g}"


def report_table(report: DoctorReport) -> Any:
    """The report as a ``rich`` renderable: a header line, one table row per finding, the notes."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    regime = report.regime.policy if report.regime else "unknown (no settings)"
    head = Text(
        f"{report.run}: step {report.global_step}, settings {report.config_source or 'none found'}, {regime}"
    )
    table = Table(show_lines=True, expand=True)
    table.add_column("check", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("value", justify="right", no_wrap=True)
    table.add_column("detail", ratio=1)
    for f in report.findings:
        table.add_row(f.check, Text(f.status, style=_STYLE[f.status]), format_value(f), f.detail)
    notes = [Text(f"note: {n}", style="dim") for n in report.notes]
    return Group(head, table, *notes)

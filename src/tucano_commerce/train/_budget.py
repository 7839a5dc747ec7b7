"""``tucano train plan --budget-hours H``: the smallest departure from a recipe that fits H hours on a GPU.

The search space has one knob per thing a user paying for GPU hours can trade, each with its options
ordered from "keep" to "gives up most": eval size and cadence, completion cap, G, steps and generation
backend. Every combination is planned (the planner is arithmetic, ~1 ms a plan); a combination qualifies
when it fits the GPU's memory and the upper end of its ``hours_range`` is <= H. Of those, the proposal is
the one that gives up least: the lowest sum of the options' ``cost`` (a judgment of what each costs against
the ADR, stated in ``gives_up``), then the fewest hours. When none qualifies the answer says so and shows the
fastest combination that fits in memory.

The chosen options are then applied one knob at a time, in that order, to report each change's effect
on hours; the resulting recipe is validated by the config validator and planned again from the recipe itself.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field

from tucano_commerce.train._config import GrpoV3Config, parse_config
from tucano_commerce.train._planner import Plan, PlanInputs, plan, vllm_sizing

ADR_PATIENCE_STEPS = 150  # the ADR's early stopping: 15 evals x 10 steps


@dataclass(frozen=True)
class Option:
    """One setting of a knob: how it changes the planner's inputs and the recipe, and what it gives up."""

    label: str
    cost: float
    gives_up: str
    inputs: Callable[[PlanInputs], dict[str, Any]]
    recipe: Callable[[dict[str, Any]], None]


class Change(BaseModel):
    """One applied change and its effect on the plan."""

    knob: str = Field(description="eval, backend, completion, generations or steps.")
    change: str = Field(description="What is set.")
    hours_before: tuple[float, float] = Field(description="hours_range before this change.")
    hours_after: tuple[float, float] = Field(description="hours_range after it.")
    effect_hours: float = Field(description="Change of the upper end of hours_range (negative = saves).")
    gives_up: str = Field(description="What this costs against the ADR recipe.")


class Proposal(BaseModel):
    """The answer of ``plan --budget-hours``. ``model_dump()`` is the JSON form (``proposal`` key)."""

    budget_hours: float = Field(description="H.")
    gpu: str = Field(description="GPU planned for.")
    fits_budget: bool = Field(description="Whether the proposal's upper hours <= H.")
    message: str = Field(description="One sentence: what was found.")
    hours_range: tuple[float, float] = Field(description="[typical, cap] hours of the proposed recipe.")
    peak_gib: float = Field(description="Planned peak memory of the proposed recipe.")
    changes: list[Change] = Field(description="Applied changes, in order, with their effect on hours.")
    config: dict[str, Any] = Field(description="The proposed recipe (a valid recipe YAML as a mapping).")


# ------------------------------------------------------------------------------------------------- knobs


def _keep() -> Option:
    return Option("keep", 0.0, "", lambda i: {}, lambda d: None)


def _set_inputs(**update: Any) -> Callable[[PlanInputs], dict[str, Any]]:
    """An ``Option.inputs`` that sets these PlanInputs fields, whatever the inputs were."""

    def inputs(_: PlanInputs) -> dict[str, Any]:
        return dict(update)

    return inputs


def _set_grpo(**update: Any) -> Callable[[dict[str, Any]], None]:
    """An ``Option.recipe`` that sets these ``grpo:`` keys of the recipe."""

    def recipe(d: dict[str, Any]) -> None:
        d["grpo"].update(update)

    return recipe


def _set_eval(prompts: int, g_eval: int, batch: int, every: int | None) -> Callable[[dict], None]:
    def apply(d: dict[str, Any]) -> None:
        d["grpo"].update(per_device_eval_batch_size=batch, num_generations_eval=g_eval)
        d["data"]["eval_examples"] = prompts
        if every is not None:
            d["grpo"].update(eval_steps=every, save_steps=every)
            d["early_stopping_patience"] = max(2, round(ADR_PATIENCE_STEPS / every))

    return apply


def _eval_options(base: PlanInputs) -> list[Option]:
    out = [_keep()]
    was = f"{base.eval_examples} prompts × {base.g_eval} every {base.eval_steps} steps"
    for cost, prompts, g_eval, every in ((1, None, 2, None), (2, 32, 2, 25), (4, 32, 2, 50), (6, 16, 2, 50)):
        n = min(prompts or base.eval_examples, base.eval_examples)
        steps = every or base.eval_steps
        batch = max(16, base.per_device_eval_batch_size)
        now = (base.eval_examples, base.g_eval, base.eval_steps, base.per_device_eval_batch_size)
        if not base.eval_examples or (n, g_eval, steps, batch) == now or steps < base.eval_steps:
            continue
        label = f"eval {n} prompts × {g_eval} every {steps} steps, {batch} completions per generate call"
        gives = f"was {was}: "
        gives += {
            1: "fewer completions per eval prompt (noisier per-prompt reward; same prompts and cadence)",
            2: "a fixed 32-prompt subset every 25 steps: 20 evals instead of 50, early stopping in 25-step units "
            "(patience kept at ~150 steps)",
            4: "10 evals: early stopping and the trend react in 50-step units (patience kept at ~150 steps)",
            6: "16 prompts: the eval reward's standard error grows ~1.4× vs 32 prompts; 10 evals",
        }[cost]
        out.append(
            Option(
                label,
                cost,
                gives,
                _set_inputs(
                    eval_examples=n,
                    num_generations_eval=g_eval,
                    eval_steps=steps,
                    per_device_eval_batch_size=batch,
                ),
                _set_eval(n, g_eval, batch, every),
            )
        )
    return out


def _with_vllm(inputs: PlanInputs, gpu: str) -> dict[str, Any]:
    """PlanInputs updates for colocated vLLM + sleep mode, its pool sized by the planner."""
    update: dict[str, Any] = {
        "quantization": "none",
        "use_vllm": True,
        "vllm_mode": "colocate",
        "vllm_enable_sleep_mode": True,
        "vllm_max_model_length": inputs.max_prompt_length + inputs.max_completion_length,
    }
    sizing = vllm_sizing(inputs.model_copy(update=update), gpu)
    return update | {"vllm_gpu_memory_utilization": sizing["recommended_gpu_memory_utilization"]}


def _backend_options(base: PlanInputs, gpu: str) -> list[Option]:
    out = [_keep()]
    if base.use_vllm:
        return out
    if base.quantization == "4bit":
        out.append(
            Option(
                "bf16 base (model.quantize: none), HF generate",
                3,
                "not the ADR's QLoRA: the base takes ~2 B/param instead of ~0.5 (the planned peak includes it); "
                "4-bit HF decoding through bitsandbytes is the slow path this avoids",
                lambda i: {"quantization": "none"},
                lambda d: d["model"].update(quantize="none"),
            )
        )

    def recipe(d: dict[str, Any], gpu: str = gpu) -> None:
        d["model"]["quantize"] = "none"
        d["grpo"].update(use_vllm=True, vllm_mode="colocate", vllm_enable_sleep_mode=True)

    out.append(
        Option(
            "bf16 base + vLLM (colocate, sleep mode; vllm_gpu_memory_utilization sized by the planner)",
            5,
            "not the ADR's QLoRA; needs `pip install -e '.[vllm]'` and CUDA (vLLM cannot run in this repo's CI); "
            "samples come from vLLM's kernels, which TRL corrects with importance sampling",
            lambda i: _with_vllm(i, gpu),
            recipe,
        )
    )
    return out


def _completion_options(base: PlanInputs) -> list[Option]:
    out = [_keep()]
    for cost, cap in ((6, 2560), (10, 2048), (15, 1536), (20, 1024)):
        if cap >= base.max_completion_length:
            continue

        def recipe(d: dict[str, Any], cap: int = cap) -> None:
            d["grpo"]["max_completion_length"] = cap
            d["oom_ladder"] = [n for n in d["oom_ladder"] if n <= cap] or [cap]
            d.get("decision", {}).pop("completion_ladder", None)

        out.append(
            Option(
                f"max_completion_length {cap}",
                cost,
                f"completions truncated at {cap} tokens (was {base.max_completion_length}; the ADR asked for "
                "4096): less room to reason, more completions at the cap (watch completions/clipped_ratio)",
                _set_inputs(max_completion_length=cap),
                recipe,
            )
        )
    return out


def _generation_options(base: PlanInputs) -> list[Option]:
    out = [_keep()]
    if base.num_generations <= 2:
        return out
    ratio = base.per_device_train_batch_size // base.num_generations or 1

    def recipe(d: dict[str, Any]) -> None:
        d["grpo"].update(num_generations=2, per_device_train_batch_size=2 * ratio)

    out.append(
        Option(
            "num_generations 2",
            25,
            f"G {base.num_generations} → 2: a group of two ties whenever both completions score the same, so "
            "more steps carry no signal, and the baseline is far noisier",
            lambda i: {"num_generations": 2, "per_device_train_batch_size": 2 * ratio},
            recipe,
        )
    )
    return out


def _step_options(base: PlanInputs) -> list[Option]:
    out = [_keep()]
    for cost, steps in ((12, 400), (18, 300), (25, 200)):
        if steps >= base.max_steps:
            continue
        out.append(
            Option(
                f"max_steps {steps}",
                cost,
                f"{steps} optimizer steps instead of {base.max_steps}: fewer updates before the decision "
                "(the ADR's extend/ship rows assume the full run)",
                _set_inputs(max_steps=steps),
                _set_grpo(max_steps=steps),
            )
        )
    return out


# ------------------------------------------------------------------------------------------------ search


def _apply(inputs: PlanInputs, options: list[Option]) -> PlanInputs:
    for option in options:
        inputs = inputs.model_copy(update=option.inputs(inputs))
    return PlanInputs.model_validate(inputs.model_dump(exclude_unset=True))  # re-run the validators


def propose(cfg: GrpoV3Config, base: PlanInputs, gpu: str, budget_hours: float) -> tuple[Proposal, Plan]:
    """The least-cost settings whose planned upper hours fit ``budget_hours`` on ``gpu``.

    Args:
        cfg: the recipe (the proposal's ``config`` is this recipe with the changes applied).
        base: its planner inputs (``plan_inputs(cfg)``).
        gpu: a planner GPU preset.
        budget_hours: H.

    Returns:
        The proposal and the plan of the proposed recipe.
    """
    from tucano_commerce.train._recipe import plan_inputs

    knobs = {  # applied in this order; the backend last, so vLLM's pool is sized for the final shape
        "eval": _eval_options(base),
        "completion": _completion_options(base),
        "generations": _generation_options(base),
        "steps": _step_options(base),
        "backend": _backend_options(base, gpu),
    }
    candidates = []
    for combo in itertools.product(*knobs.values()):
        result = plan(_apply(base, list(combo)), gpu)
        if result.fits:
            candidates.append((sum(o.cost for o in combo), result.hours_range[1], combo))
    within = [c for c in candidates if c[1] <= budget_hours]
    if within:
        _, _, chosen = min(within, key=lambda c: (c[0], c[1]))
    elif candidates:
        _, _, chosen = min(candidates, key=lambda c: (c[1], c[0]))
    else:
        chosen = tuple(_keep() for _ in knobs)

    data = copy.deepcopy(cfg.model_dump(mode="json"))
    data.get("decision", {}).pop("completion_ladder", None)
    changes: list[Change] = []
    inputs = base
    before = plan(base, gpu).hours_range
    for knob, option in zip(knobs, chosen, strict=True):
        if option.cost == 0:
            continue
        inputs = _apply(inputs, [option])
        option.recipe(data)
        after = plan(inputs, gpu).hours_range
        changes.append(
            Change(
                knob=knob,
                change=option.label,
                hours_before=before,
                hours_after=after,
                effect_hours=round(after[1] - before[1], 2),
                gives_up=option.gives_up,
            )
        )
        before = after
    if any(o.label.startswith("bf16 base + vLLM") for o in chosen):
        data["grpo"]["vllm_gpu_memory_utilization"] = inputs.vllm_gpu_memory_utilization
        data["grpo"]["vllm_max_model_length"] = inputs.vllm_max_model_length
    proposed = parse_config(data, "proposal")
    result = plan(
        plan_inputs(proposed, num_processes=base.num_processes, zero_std_share=base.zero_std_share), gpu
    )
    lo, hi = result.hours_range
    fits = result.fits and hi <= budget_hours
    if not changes and fits:
        message = f"The recipe already fits {budget_hours:g} h on the {gpu}: {lo:g}-{hi:g} h planned."
    elif fits:
        message = (
            f"{len(changes)} change(s) bring the plan to {lo:g}-{hi:g} h on the {gpu}, within "
            f"{budget_hours:g} h."
        )
    elif candidates:
        message = (
            f"No setting in the search space fits {budget_hours:g} h on the {gpu}: the fastest that fits "
            f"in memory plans {lo:g}-{hi:g} h (shown)."
        )
    else:
        message = f"No setting in the search space fits the {gpu}'s memory; the recipe is shown unchanged."
    return (
        Proposal(
            budget_hours=budget_hours,
            gpu=result.gpu,
            fits_budget=fits,
            message=message,
            hours_range=result.hours_range,
            peak_gib=result.total_gib,
            changes=changes,
            config=proposed.model_dump(mode="json"),
        ),
        result,
    )


def proposal_to_text(proposal: Proposal) -> str:
    """The proposal as markdown: the verdict, then each change with its effect and what it gives up."""
    lines = [f"Budget {proposal.budget_hours:g} h on {proposal.gpu}: {proposal.message}"]
    if proposal.changes:
        lines += ["", "| Change | Hours before → after | Effect | Gives up |", "|---|---|---:|---|"]
        for c in proposal.changes:
            lines.append(
                f"| {c.knob}: {c.change} | {c.hours_before[0]:g}–{c.hours_before[1]:g} → "
                f"{c.hours_after[0]:g}–{c.hours_after[1]:g} h | {c.effect_hours:+.1f} h | {c.gives_up} |"
            )
    return "\n".join(lines)

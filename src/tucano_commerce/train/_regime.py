"""On-policy or off-policy: whether TRL 1.16's clip ratio can carry any information for a GRPO config.

TRL computes ``old_per_token_logps`` with an extra forward pass only when the samples of a generation can
come from an earlier policy than the one being trained (``grpo_trainer.py``, ``_generate_and_score_completions``)::

    generate_every = steps_per_generation * num_iterations
    if gradient_accumulation_steps % generate_every != 0 or (use_vllm and vllm_importance_sampling_correction):
        old_per_token_logps = <forward pass>
    else:
        old_per_token_logps = None          # and _compute_loss uses per_token_logps.detach()

With ``old = new.detach()`` the ratio is exactly 1, so ``clip_ratio/*`` is 0 at every step *by
construction*: the ADR's "clip ratio stuck at 0 after step 50 = entropy collapse" would fire on every
on-policy run (the ADR's own settings: ``num_iterations`` 1, ``steps_per_generation`` = GA). Such runs must
be judged on the logged ``entropy`` and the reward-std / zero-std trends instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Policy = Literal["on-policy", "off-policy"]


@dataclass(frozen=True)
class Regime:
    """Whether a GRPO run is on- or off-policy, and why."""

    policy: Policy
    reasons: list[str] = field(default_factory=list)

    @property
    def off_policy(self) -> bool:
        """The clip ratio can be non-zero (old log-probs come from a separate forward pass)."""
        return self.policy == "off-policy"


def _int(value: Any, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except (TypeError, ValueError):
        return default


def training_regime(grpo: Mapping[str, Any]) -> Regime:
    """The regime of a GRPOConfig-like mapping (a recipe's ``grpo:`` section or TRL's saved args).

    Missing keys take GRPOConfig 1.16's defaults: ``num_iterations`` 1, ``steps_per_generation`` =
    ``gradient_accumulation_steps`` (or ``generation_batch_size`` / (per-device batch x processes) when that
    is given), ``use_vllm`` False, ``vllm_importance_sampling_correction`` True.
    """
    ga = max(1, _int(grpo.get("gradient_accumulation_steps"), 1))
    iterations = max(1, _int(grpo.get("num_iterations"), 1))
    spg = grpo.get("steps_per_generation")
    if spg is None and grpo.get("generation_batch_size"):
        per_step = _int(grpo.get("per_device_train_batch_size"), 8) * max(
            1, _int(grpo.get("num_processes"), 1)
        )
        spg = max(1, _int(grpo.get("generation_batch_size"), per_step) // max(1, per_step))
    spg = max(1, _int(spg, ga))
    vllm_is = bool(grpo.get("use_vllm")) and bool(grpo.get("vllm_importance_sampling_correction", True))
    generate_every = spg * iterations
    reasons = []
    if ga % generate_every:
        reasons.append(
            f"gradient_accumulation_steps {ga} is not a multiple of steps_per_generation {spg} x num_iterations "
            f"{iterations}: samples outlive an optimizer step, TRL computes old log-probs"
        )
    if vllm_is:
        reasons.append("vLLM generation with importance-sampling correction: TRL computes old log-probs")
    if reasons:
        return Regime("off-policy", reasons)
    return Regime(
        "on-policy",
        [
            f"num_iterations {iterations}, steps_per_generation {spg}, gradient_accumulation_steps {ga}"
            + (", no vLLM" if not grpo.get("use_vllm") else ", vLLM without importance sampling")
            + ": TRL uses old log-probs = new log-probs (detached), so the clip ratio is 0 at every step by "
            "construction and says nothing about collapse"
        ],
    )

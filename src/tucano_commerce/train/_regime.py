"""On-policy or off-policy: whether TRL 1.16's clip ratio can be anything but 0 for a GRPO config.

The rule is TRL's own (``trl/trainer/grpo_trainer.py``, 1.16.0). In ``_generate_and_score_completions``::

    generate_every = self.args.steps_per_generation * self.num_iterations  # generation frequency
    if self.args.gradient_accumulation_steps % generate_every != 0 or (
        self.use_vllm and self.vllm_importance_sampling_correction
    ):
        old_per_token_logps, _, _ = self._get_per_token_logps_and_entropies(...)
    else:
        old_per_token_logps = None

and in ``_compute_loss``::

    # When num_iterations == 1 and steps_per_generation <= gradient_accumulation_steps,
    # old_per_token_logps == per_token_logps. In this case we can skip its computation ...
    old_per_token_logps = per_token_logps.detach() if old_per_token_logps is None else old_per_token_logps
    log_ratio = per_token_logps - old_per_token_logps

So when ``gradient_accumulation_steps % (steps_per_generation * num_iterations) == 0`` and the vLLM
importance-sampling correction is off, the ratio ``exp(log_ratio)`` is exactly 1, nothing is ever
clipped and ``clip_ratio/*`` is 0 at every step by construction: the run is on-policy (every completion
is scored and trained on by the weights that generated it, within one optimizer step). Otherwise TRL
computes ``old_per_token_logps`` in a separate forward and the ratio (hence the clip ratio) is real:
off-policy, the ADR's "clip ratio stuck at 0" signal can mean something.

Note the exact condition: ``num_iterations > 1`` is off-policy only when the reuse crosses an optimizer
step, e.g. ``num_iterations: 2`` with ``gradient_accumulation_steps: 1`` is off-policy, but with
``gradient_accumulation_steps: 2`` (and ``steps_per_generation: 1``) both passes fall inside the same
optimizer step, TRL skips the old-logprob pass and the ratio is 1 again. ``steps_per_generation >
gradient_accumulation_steps`` always leaves a remainder, so it is always off-policy.

``generation_batch_size`` is global in TRL: ``steps_per_generation = generation_batch_size //
(per_device_train_batch_size * num_processes)`` (``GRPOConfig.__post_init__``).

Defaults are GRPOConfig 1.16's (``GRPO_DEFAULTS``); ``tests/train/test_regime.py`` checks them against
the installed TRL so this module needs neither TRL nor torch.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from tucano_commerce.errors import ConfigError

# GRPOConfig 1.16 defaults of the keys the rule reads (``steps_per_generation`` None = GA).
GRPO_DEFAULTS: dict[str, Any] = {
    "num_iterations": 1,
    "steps_per_generation": None,
    "generation_batch_size": None,
    "gradient_accumulation_steps": 1,
    "per_device_train_batch_size": 8,
    "use_vllm": False,
    "vllm_importance_sampling_correction": True,
}


class Regime(BaseModel):
    """Whether TRL trains on-policy (clip ratio 0 by construction) or off-policy, and why."""

    model_config = ConfigDict(frozen=True)

    policy: Literal["on-policy", "off-policy"]
    reasons: list[str]

    @property
    def off_policy(self) -> bool:
        """Whether ``clip_ratio/*`` can be non-zero (it is exactly 0 on-policy)."""
        return self.policy == "off-policy"


def _value(grpo: Mapping[str, Any], key: str) -> Any:
    value = grpo.get(key)
    return GRPO_DEFAULTS[key] if value is None else value


def _positive_int(grpo: Mapping[str, Any], key: str) -> int:
    value = _value(grpo, key)
    if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value or value < 1:
        raise ConfigError(f"grpo.{key} must be a positive integer, got {value!r}")
    return int(value)


def steps_per_generation(grpo: Mapping[str, Any], *, num_processes: int = 1) -> tuple[int, str]:
    """TRL's resolved ``steps_per_generation`` and where it came from (a phrase for messages)."""
    ga = _positive_int(grpo, "gradient_accumulation_steps")
    if grpo.get("steps_per_generation") is not None:  # a pickled, post-init GRPOConfig has both set
        return _positive_int(grpo, "steps_per_generation"), "steps_per_generation"
    if grpo.get("generation_batch_size") is not None:
        gen = _positive_int(grpo, "generation_batch_size")
        bs = _positive_int(grpo, "per_device_train_batch_size")
        per_step = bs * num_processes
        if gen % per_step:
            raise ConfigError(
                f"grpo.generation_batch_size {gen} is not divisible by per_device_train_batch_size {bs} x "
                f"{num_processes} process(es) = {per_step} (TRL requires it; it is global, not per device)"
            )
        return gen // per_step, (
            f"generation_batch_size {gen} / (per_device_train_batch_size {bs} x {num_processes} process(es))"
        )
    return ga, "default: = gradient_accumulation_steps"


def training_regime(grpo: Mapping[str, Any], *, num_processes: int | None = None) -> Regime:
    """On-policy or off-policy under TRL 1.16 for a GRPOConfig-like mapping.

    Args:
        grpo: the recipe's ``grpo:`` section, or TRL's args as a mapping (``GRPOConfig.to_dict()``);
            missing or None keys take GRPOConfig's defaults.
        num_processes: training processes (only used to turn a global ``generation_batch_size`` into
            ``steps_per_generation``); default: the mapping's ``num_processes`` key, else 1.

    Returns:
        ``Regime(policy, reasons)``: off-policy when ``gradient_accumulation_steps`` is not a multiple of
        ``steps_per_generation * num_iterations`` or vLLM's importance-sampling correction is on.

    Raises:
        ConfigError: a non-integer or inconsistent batch setting.
    """
    if num_processes is None:
        num_processes = int(grpo.get("num_processes") or 1)
    ga = _positive_int(grpo, "gradient_accumulation_steps")
    mu = _positive_int(grpo, "num_iterations")
    spg, spg_source = steps_per_generation(grpo, num_processes=num_processes)
    use_vllm = bool(_value(grpo, "use_vllm"))
    vllm_is = use_vllm and bool(_value(grpo, "vllm_importance_sampling_correction"))
    generate_every = spg * mu
    settings = (
        f"gradient_accumulation_steps {ga}, steps_per_generation {spg} ({spg_source}), num_iterations {mu}"
    )
    reasons: list[str] = []
    if ga % generate_every:
        why = []
        if spg > ga:
            why.append("one generation feeds several optimizer steps (steps_per_generation > GA)")
        if mu > 1:
            why.append(f"each generation is trained on {mu} times across optimizer steps")
        reasons.append(
            f"{settings}: GA is not a multiple of steps_per_generation x num_iterations = {generate_every}, "
            "so TRL computes old_per_token_logps in a separate forward and the importance ratio is real"
            + (f" ({'; '.join(why)})" if why else "")
        )
    if vllm_is:
        reasons.append(
            "use_vllm with vllm_importance_sampling_correction: TRL always computes old_per_token_logps "
            "(the ratio is 1 only up to numerical noise when the weights have not moved)"
        )
    if reasons:
        return Regime(policy="off-policy", reasons=reasons)
    reasons.append(
        f"{settings}: GA is a multiple of steps_per_generation x num_iterations = {generate_every}, so TRL "
        "uses old_per_token_logps = per_token_logps.detach(): the ratio is exactly 1 and clip_ratio/* is 0 "
        "at every step by construction"
    )
    if use_vllm:
        reasons.append("use_vllm without vllm_importance_sampling_correction: no old-logprob pass either")
    return Regime(policy="on-policy", reasons=reasons)

"""``TucanoGRPOTrainer``: TRL 1.16's ``GRPOTrainer`` plus zero-std group filtering and a median baseline.

How it hooks into TRL 1.16 (two small overrides plus one guard, nothing copied from TRL):

1. ``_calculate_rewards`` is wrapped to keep the (B*G, n_funcs) reward matrix, gathered over processes,
   that TRL computes; TRL's output dict has only the advantages, not the rewards.
2. ``_generate_and_score_completions`` calls TRL's, then post-processes its dict with
   ``postprocess_advantages`` (a pure function, unit-tested) on the weighted rewards
   (``nansum(rewards_per_func * reward_weights)``, exactly TRL's "sum_then_normalize" aggregation):

   * ``zero_std_strategy="filter"`` (default): completions of groups whose rewards are all equal get a
     0 row in a loss mask. The mask goes into the ``tool_mask`` key, which TRL's ``_compute_loss``
     multiplies into the *loss* mask only (``mask = completion_mask * tool_mask``), so the attention
     mask and every tensor shape stay as they are; an existing tool mask is multiplied, not replaced.
     ``num_items_in_batch`` is recomputed from the new mask, so with ``loss_type="dapo"`` (the default)
     the filtered groups leave the token-count normaliser and stop diluting the informative groups'
     gradient (``bnpo`` normalises by the masked micro-batch by itself; with ``grpo``/``dr_grpo`` the
     masked rows still count in the batch dimension). Their advantages were already exactly 0 in TRL,
     so with ``beta=0`` the gradient direction is unchanged: filtering changes the scale and removes
     the KL-only updates that zero-std groups would cause with ``beta>0``.
     Logged: ``zero_std/filtered_groups`` (count) and ``zero_std/filtered_frac`` (share of completions);
     TRL still logs ``frac_reward_zero_std``.
   * ``"keep"``: TRL's behaviour (the keys are logged as 0).
   * ``"noise"``: the ADR v2 workaround, kept only to reproduce v2 runs (warns): N(0, noise_std) is added
     to the rewards of zero-std groups and the advantages are recomputed with TRL's formula.
   * ``advantage_baseline="median"`` (MC-GRPO): advantages = reward - group median
     (``nanquantile(0.5)``, so an even group gets the midpoint, not ``torch.median``'s lower value),
     scaled like TRL (``scale_rewards``: group std + 1e-4, batch std + 1e-4, or none). With an odd group
     size one rollout equal to the median (the pivot, advantage exactly 0) is dropped from the loss.
     Deviations from the paper: the authors scale by MAD + 1e-3 (we use TRL's ``scale_rewards``, since
     MAD is often 0 with staged rewards and then multiplies advantages by 1000) and rescale advantages
     by G / nonzero-count (not done); the paper samples G+1 rollouts, here ``num_generations`` is the
     group size itself (use an odd one, e.g. 5, to get the pivot drop).

3. ``_compute_loss`` guard: TRL logs ``entropy`` and the clip ratios as masked means, so a micro-batch
   whose completions were *all* filtered would log entropy 0 (a fake collapse for ``HealthMonitor``);
   those entries are dropped for such micro-batches (single-process runs; in multi-process runs TRL
   reduces over processes first and the value is kept).

Only ``multi_objective_aggregation="sum_then_normalize"`` is supported with the median baseline and
noise; filtering works with both (zero-std is detected on the weighted reward sum).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Literal

import torch
from trl import GRPOTrainer

ZeroStdStrategy = Literal["filter", "keep", "noise"]
AdvantageBaseline = Literal["mean", "median"]
ZERO_STD_STRATEGIES: tuple[str, ...] = ("filter", "keep", "noise")
ADVANTAGE_BASELINES: tuple[str, ...] = ("mean", "median")

NOISE_WARNING = (
    "zero_std_strategy='noise' adds N(0, sigma) to the rewards of zero-std groups. Kept only to reproduce v2 runs: "
    "it is harmful. A tied group has no information about which completion is better, and under std scaling "
    "(scale_rewards='group') the noise is divided by its own tiny std, so it becomes a random +-1-ish advantage "
    "as large as a real signal: a pure-noise gradient that reinforces or suppresses arbitrary completions. It "
    "also hides frac_reward_zero_std (groups never tie again). Use zero_std_strategy='filter' (or 'keep')."
)

_LOSS_METRICS_PREFIXES = ("entropy", "kl", "clip_ratio/", "cispo_clip_ratio", "vespo/")


def _nanstd(x: torch.Tensor, dim: int | None = None) -> torch.Tensor:
    """Bessel-corrected std ignoring NaNs (NaN when fewer than two values), as TRL's ``nanstd``."""
    if dim is None:
        x, dim = x.reshape(-1), 0
    mean = torch.nanmean(x, dim=dim, keepdim=True)
    count = (~torch.isnan(x)).sum(dim=dim)
    var = torch.nansum((x - mean) ** 2, dim=dim) / (count - 1).clamp(min=1)
    return torch.where(count > 1, var.sqrt(), torch.full_like(var, float("nan")))


@dataclass
class AdvantageResult:
    """What ``postprocess_advantages`` returns (all tensors are per completion, shape (B*G,))."""

    advantages: torch.Tensor | None
    """New advantages, or None when TRL's are already right (mean baseline, no noise)."""
    keep: torch.Tensor
    """Bool: the completion stays in the loss."""
    zero_std_groups: torch.Tensor
    """Bool per group (shape (B,)): every reward in the group is equal (or fewer than two are scored)."""
    filtered_groups: int
    filtered_frac: float
    dropped_pivots: int


def postprocess_advantages(
    rewards: torch.Tensor,
    num_generations: int,
    *,
    zero_std_strategy: ZeroStdStrategy = "filter",
    advantage_baseline: AdvantageBaseline = "mean",
    scale_rewards: str = "group",
    noise_std: float = 0.01,
    generator: torch.Generator | None = None,
) -> AdvantageResult:
    """Zero-std handling and the baseline on one generation batch of weighted rewards.

    Args:
        rewards: (B*G,) weighted reward per completion, groups contiguous; NaN = unscorable (every
            reward function returned None), which TRL excludes from the group stats and gives advantage 0.
        num_generations: group size G.
        zero_std_strategy: "filter", "keep" or "noise" (module docstring).
        advantage_baseline: "mean" (TRL) or "median" (MC-GRPO).
        scale_rewards: TRL's "group", "batch" or "none" (booleans accepted).
        noise_std: sigma of the "noise" strategy.
        generator: RNG for the noise (tests).

    Returns:
        ``AdvantageResult``; ``keep`` is False for filtered completions and dropped median pivots.
    """
    if zero_std_strategy not in ZERO_STD_STRATEGIES:
        raise ValueError(f"zero_std_strategy must be one of {ZERO_STD_STRATEGIES}, got {zero_std_strategy!r}")
    if advantage_baseline not in ADVANTAGE_BASELINES:
        raise ValueError(
            f"advantage_baseline must be one of {ADVANTAGE_BASELINES}, got {advantage_baseline!r}"
        )
    scale = {True: "group", False: "none"}.get(scale_rewards, scale_rewards)  # type: ignore[call-overload]
    rewards = rewards.detach().float()
    g = num_generations
    grouped = rewards.view(-1, g)  # (B, G)
    std = _nanstd(grouped, dim=1)  # (B,)
    zero_std = torch.isnan(std) | torch.isclose(std, torch.zeros_like(std))
    keep = torch.ones_like(grouped, dtype=torch.bool)

    recompute = advantage_baseline == "median" or zero_std_strategy == "noise"
    if zero_std_strategy == "noise":
        noise = torch.randn(grouped.shape, generator=generator, device="cpu").to(grouped) * noise_std
        grouped = torch.where(zero_std.unsqueeze(1) & ~torch.isnan(grouped), grouped + noise, grouped)

    advantages = None
    dropped = 0
    if recompute:
        if advantage_baseline == "median":
            baseline = torch.nanquantile(grouped, 0.5, dim=1, keepdim=True)
        else:
            baseline = torch.nanmean(grouped, dim=1, keepdim=True)
        adv = grouped - baseline
        if scale == "group":
            adv = adv / (torch.nan_to_num(_nanstd(grouped, dim=1), nan=0.0).unsqueeze(1) + 1e-4)
        elif scale == "batch":
            adv = adv / (torch.nan_to_num(_nanstd(grouped), nan=0.0) + 1e-4)
        elif scale != "none":
            raise ValueError(f"scale_rewards must be 'group', 'batch' or 'none', got {scale_rewards!r}")
        adv = torch.nan_to_num(adv, nan=0.0)
        if advantage_baseline == "median" and g % 2 == 1:
            # drop one pivot per informative group: the first rollout whose reward equals the median
            is_pivot = (grouped == baseline) & ~zero_std.unsqueeze(1)
            has_pivot = is_pivot.any(dim=1)
            first = is_pivot.float().argmax(dim=1)
            rows = torch.nonzero(has_pivot).squeeze(1)
            keep[rows, first[rows]] = False
            dropped = int(has_pivot.sum())
        advantages = adv.reshape(-1)

    n_filtered = 0
    if zero_std_strategy == "filter":
        keep &= ~zero_std.unsqueeze(1)
        n_filtered = int(zero_std.sum())
    return AdvantageResult(
        advantages=advantages,
        keep=keep.reshape(-1),
        zero_std_groups=zero_std,
        filtered_groups=n_filtered,
        filtered_frac=n_filtered * g / rewards.numel() if rewards.numel() else 0.0,
        dropped_pivots=dropped,
    )


class TucanoGRPOTrainer(GRPOTrainer):
    """``GRPOTrainer`` with zero-std group handling and an optional median baseline (module docstring).

    Args:
        *args: as ``GRPOTrainer``.
        zero_std_strategy: "filter" (default), "keep" (TRL) or "noise" (ADR v2 reproduction; warns).
        advantage_baseline: "mean" (TRL, default) or "median" (MC-GRPO).
        noise_std: sigma of the "noise" strategy.
        **kwargs: as ``GRPOTrainer``.

    Example:
        >>> trainer = TucanoGRPOTrainer(model=path, args=GRPOConfig(...), reward_funcs=build_reward_functions(),
        ...                             train_dataset=ds, zero_std_strategy="filter")
    """

    def __init__(
        self,
        *args: Any,
        zero_std_strategy: ZeroStdStrategy = "filter",
        advantage_baseline: AdvantageBaseline = "mean",
        noise_std: float = 0.01,
        **kwargs: Any,
    ) -> None:
        if zero_std_strategy not in ZERO_STD_STRATEGIES:
            raise ValueError(
                f"zero_std_strategy must be one of {ZERO_STD_STRATEGIES}, got {zero_std_strategy!r}"
            )
        if advantage_baseline not in ADVANTAGE_BASELINES:
            raise ValueError(
                f"advantage_baseline must be one of {ADVANTAGE_BASELINES}, got {advantage_baseline!r}"
            )
        if zero_std_strategy == "noise":
            warnings.warn(NOISE_WARNING, UserWarning, stacklevel=2)
        super().__init__(*args, **kwargs)
        if (advantage_baseline == "median" or zero_std_strategy == "noise") and (
            self.multi_objective_aggregation != "sum_then_normalize"
        ):
            raise ValueError(
                "advantage_baseline='median' and zero_std_strategy='noise' need "
                "multi_objective_aggregation='sum_then_normalize'; set it or use the mean baseline"
            )
        self.zero_std_strategy = zero_std_strategy
        self.advantage_baseline = advantage_baseline
        self.noise_std = noise_std
        self._last_rewards_per_func: torch.Tensor | None = None

    def _calculate_rewards(self, inputs, prompts, completions, completion_ids_list):  # noqa: ANN001, ANN202
        """TRL's, keeping the gathered (B*G, n_funcs) reward matrix for the post-processing."""
        rewards_per_func = super()._calculate_rewards(inputs, prompts, completions, completion_ids_list)
        self._last_rewards_per_func = rewards_per_func.detach()
        return rewards_per_func

    def _generate_and_score_completions(self, inputs):  # noqa: ANN001, ANN202
        """TRL's, then ``postprocess_advantages`` on its output (loss mask, advantages, metrics)."""
        out = super()._generate_and_score_completions(inputs)
        rpf = self._last_rewards_per_func
        if rpf is None:
            return out
        mode = "train" if self.model.training else "eval"
        g = self.num_generations if mode == "train" else self.num_generations_eval
        weights = self.reward_weights.to(rpf.device).unsqueeze(0)
        rewards = (rpf * weights).nansum(dim=1)
        rewards[torch.isnan(rpf).all(dim=1)] = torch.nan
        result = postprocess_advantages(
            rewards,
            g,
            zero_std_strategy=self.zero_std_strategy,
            advantage_baseline=self.advantage_baseline,
            scale_rewards=self.scale_rewards,
            noise_std=self.noise_std,
        )
        n_local = out["advantages"].shape[0]
        start = self.accelerator.process_index * n_local
        local = slice(start, start + n_local)
        if result.advantages is not None:
            out["advantages"] = result.advantages[local].to(out["advantages"])
            # TRL logged its own advantages for the completions table; replace them with ours
            logged = self._logs["advantages"]
            for _ in range(min(result.advantages.numel(), len(logged))):
                logged.pop()
            logged.extend(result.advantages.tolist())
        keep = result.keep[local].to(out["completion_mask"].device)
        if not bool(keep.all()):
            base = out.get("tool_mask")
            base = torch.ones_like(out["completion_mask"]) if base is None else base
            out["tool_mask"] = base * keep.unsqueeze(1).to(base.dtype)
            loss_mask = out["completion_mask"] * out["tool_mask"]
            out["num_items_in_batch"] = self.accelerator.gather(loss_mask.sum()).sum()
        metrics = self._metrics[mode]
        metrics["zero_std/filtered_groups"].append(float(result.filtered_groups))
        metrics["zero_std/filtered_frac"].append(result.filtered_frac)
        if self.advantage_baseline == "median":
            metrics["median/dropped_pivots"].append(float(result.dropped_pivots))
        return out

    def _compute_loss(self, model, inputs):  # noqa: ANN001, ANN202
        """TRL's; drops the masked-mean metrics of a micro-batch whose completions were all filtered."""
        mode = "train" if self.model.training else "eval"
        mask = inputs.get("tool_mask")
        all_masked = (
            mask is not None
            and self.accelerator.num_processes == 1
            and not bool((inputs["completion_mask"] * mask).any())
        )
        before = {k: len(v) for k, v in self._metrics[mode].items()} if all_masked else {}
        loss = super()._compute_loss(model, inputs)
        if all_masked:
            for key, values in self._metrics[mode].items():
                if key.startswith(_LOSS_METRICS_PREFIXES) and key != "entropy_coef":
                    del values[before.get(key, 0) :]
        return loss

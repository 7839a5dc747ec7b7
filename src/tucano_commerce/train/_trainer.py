"""``TucanoGRPOTrainer``: TRL 1.16's ``GRPOTrainer`` plus what a real L4 run needs (module map below).

How it hooks into TRL 1.16 (small overrides, nothing copied from TRL; every hook is tested on CPU):

1. ``_calculate_rewards`` is wrapped to keep the (B*G, n_funcs) reward matrix, gathered over processes,
   that TRL computes; TRL's output dict has only the advantages, not the rewards.
2. ``_generate_and_score_completions`` calls TRL's, then post-processes its dict with
   ``postprocess_advantages`` (a pure function, unit-tested) on the weighted rewards
   (``nansum(rewards_per_func * reward_weights)``, exactly TRL's "sum_then_normalize" aggregation):

   * ``zero_std_strategy="filter"`` (default): completions of groups whose rewards are all equal get a
     0 row in a loss mask (the ``tool_mask`` key, which TRL's ``_compute_loss`` multiplies into the *loss*
     mask only); ``num_items_in_batch`` is recomputed from it on every process (a collective that every
     rank must call, filtered or not). What it changes depends on the loss: a tied group's advantage is
     already exactly 0 in TRL, so with ``beta=0`` its per-token loss is 0 either way. Under ``dr_grpo``
     (the ADR's loss: normaliser = rows x ``max_completion_length``) and ``grpo``/``bnpo`` the gradient
     is *identical* to ``keep``; under ``dapo``/``cispo``/``vespo`` (normaliser = ``num_items_in_batch``)
     the tied groups leave the token count, so the informative groups' gradient is not diluted; with
     ``beta>0`` it also drops the KL-only update of tied groups. Logged: ``zero_std/filtered_groups``,
     ``zero_std/filtered_frac``; TRL still logs ``frac_reward_zero_std``.
   * ``"keep"``: TRL's behaviour. ``"noise"``: the ADR v2 workaround, kept only to reproduce v2 (warns).
   * ``advantage_baseline="median"`` (MC-GRPO): advantages = reward - group median, scaled like TRL; an
     odd group drops its pivot rollout (see ``postprocess_advantages``).

3. Steps where every group tied (``skip_tied_steps``, default on): such a step carries no gradient (with
   ``beta=0``), but AdamW would still move the weights with its momentum (update = lr m/sqrt(v) != 0).
   The optimizer update is skipped instead (weights and optimizer state unchanged; the lr schedule and
   ``global_step`` advance), decided over all processes; ``zero_std/skipped_steps`` counts them.
4. Dynamic sampling (DAPO, optional: ``dynamic_sampling=(k, max_extra_batches)``, single process): when a
   generation batch has fewer than ``k`` informative groups, prompts are drawn again from the train set
   (seeded) and generated, up to ``max_extra_batches`` extra rounds; informative groups of the extra
   rounds replace tied ones. Logged: ``dynamic_sampling/extra_batches``, ``dynamic_sampling/informative_groups``.
5. A fixed-weight reward: TRL's ``reward``/``eval_reward`` use the live ``reward_weights``, which the
   format-weight schedule changes, so they drift by the schedule alone. ``reward_fixed`` (train) and
   ``eval_reward_fixed`` plus its standard error ``eval_reward_fixed_se`` (over eval prompts) use the
   weights given at construction; early stopping, the best checkpoint and the decision read them.
6. Trainable parameters stay float32 (``trainable_dtype``): with a 4-bit base TRL 1.16 casts every
   trainable LoRA parameter to bf16 and no fp32 master copy exists, so at lr 3e-6 ~95 % of LoRA-A's
   updates round away. They are cast back after TRL's ``__init__``, before the optimizer exists.
7. Sampling without dropout: TRL generates with the model in train mode, so LoRA dropout would perturb
   the policy being sampled; dropout modules are switched off for the generate call only.
8. A constant ``dr_grpo`` loss scale across OOM rungs (``loss_reference_length``): TRL's ``dr_grpo``
   divides by ``max_completion_length``, so stepping down 3072 -> 2560 would scale the loss by 1.2; the
   loss is multiplied by current / reference length (``loss_scale`` logged).
9. ``_compute_loss`` guard: a micro-batch whose completions were *all* filtered would log entropy 0 (a
   fake collapse); its masked-mean metrics are dropped (single-process runs).

Only ``multi_objective_aggregation="sum_then_normalize"`` is supported with the median baseline and
noise; filtering works with both (zero-std is detected on the weighted reward sum).
"""

from __future__ import annotations

import math
import types
import warnings
from collections import deque
from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable

import torch
from transformers import PreTrainedModel
from trl import GRPOTrainer

from tucano_commerce.train._zero_std import AdvantageBaseline, ZeroStdStrategy, check_advantage_settings

NOISE_WARNING = (
    "zero_std_strategy='noise' adds N(0, sigma) to the rewards of zero-std groups. Kept only to reproduce v2 runs: "
    "it is harmful. A tied group has no information about which completion is better, and under std scaling "
    "(scale_rewards='group') the noise is divided by its own tiny std, so it becomes a random +-1-ish advantage "
    "as large as a real signal: a pure-noise gradient that reinforces or suppresses arbitrary completions. It "
    "also hides frac_reward_zero_std (groups never tie again). Use zero_std_strategy='filter' (or 'keep')."
)

_LOSS_METRICS_PREFIXES = ("entropy", "kl", "clip_ratio/", "cispo_clip_ratio", "vespo/")


@runtime_checkable
class _MapDataset(Protocol):
    """A train set dynamic sampling can draw from at random (a ``datasets.Dataset``, a list of rows)."""

    def __len__(self) -> int: ...

    def __getitem__(self, index: int) -> dict[str, Any]: ...


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
    scale_rewards: str | bool = "group",
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
    check_advantage_settings(zero_std_strategy, advantage_baseline)
    scale = scale_rewards
    if isinstance(scale_rewards, bool):  # TRL's older spelling: True is "group", False "none"
        scale = "group" if scale_rewards else "none"
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
    """``GRPOTrainer`` with zero-std handling, tied-step skipping, dynamic sampling and the fixes above.

    Args:
        *args: as ``GRPOTrainer``.
        zero_std_strategy: "filter" (default), "keep" (TRL) or "noise" (ADR v2 reproduction; warns).
        advantage_baseline: "mean" (TRL, default) or "median" (MC-GRPO).
        noise_std: sigma of the "noise" strategy.
        trainable_dtype: "float32" (default) or "bfloat16" (TRL's QLoRA cast, to reproduce v2); None
            leaves the parameters as TRL made them.
        skip_tied_steps: skip the optimizer update of steps without an informative group.
        dynamic_sampling: ``(min_informative_groups, max_extra_batches)`` or None (off).
        loss_reference_length: keep ``dr_grpo``'s loss scale as if ``max_completion_length`` were this.
        **kwargs: as ``GRPOTrainer``.

    Example:
        >>> trainer = TucanoGRPOTrainer(model=path, args=GRPOConfig(...), reward_funcs=build_reward_functions(),
        ...                             train_dataset=ds, zero_std_strategy="filter")
    """

    # What TRL's __init__ sets, as it is once set: GRPOTrainer always gets a model (a path or a module), and
    # GRPOConfig.__post_init__ refuses num_generations < 2, so both group sizes are ints (eval's falls back
    # to train's).
    model: PreTrainedModel | torch.nn.Module
    num_generations: int
    num_generations_eval: int

    def __init__(
        self,
        *args: Any,
        zero_std_strategy: ZeroStdStrategy = "filter",
        advantage_baseline: AdvantageBaseline = "mean",
        noise_std: float = 0.01,
        trainable_dtype: Literal["float32", "bfloat16"] | None = "float32",
        skip_tied_steps: bool = True,
        dynamic_sampling: tuple[int, int] | None = None,
        loss_reference_length: int | None = None,
        **kwargs: Any,
    ) -> None:
        check_advantage_settings(zero_std_strategy, advantage_baseline)
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
        if dynamic_sampling is not None:
            k, extra = dynamic_sampling
            if k < 1 or extra < 0:
                raise ValueError(
                    f"dynamic_sampling needs k >= 1 and max_extra_batches >= 0, got {dynamic_sampling}"
                )
            if self.accelerator.num_processes > 1:
                raise ValueError("dynamic_sampling is single-process only (groups may span processes)")
        self.zero_std_strategy = zero_std_strategy
        self.advantage_baseline = advantage_baseline
        self.noise_std = noise_std
        self.skip_tied_steps = skip_tied_steps
        self.dynamic_sampling = dynamic_sampling
        self.loss_reference_length = loss_reference_length
        self.fixed_reward_weights = self.reward_weights.detach().clone()
        # the loss mask can change (and num_items_in_batch must be recomputed on every rank) only when
        # filtering or dropping median pivots; decided once, so every process calls the same collectives
        self._may_mask = zero_std_strategy == "filter" or (
            advantage_baseline == "median" and self.num_generations % 2 == 1
        )
        self._last_rewards_per_func: torch.Tensor | None = None
        self._step_has_signal = False
        self._skip_optimizer_step = False
        self.skipped_steps = 0
        self._eval_fixed: list[torch.Tensor] = []  # per-prompt mean fixed-weight reward of this evaluation
        self._extra_rng = torch.Generator().manual_seed(int(self.args.seed))
        self.trainable_dtype = trainable_dtype
        if trainable_dtype is not None:
            cast_trainable(self.model, getattr(torch, trainable_dtype))

    # --------------------------------------------------------------------------------- rewards, advantages

    def _calculate_rewards(self, inputs, prompts, completions, completion_ids_list):  # noqa: ANN001, ANN202
        """TRL's, keeping the gathered (B*G, n_funcs) reward matrix for the post-processing."""
        rewards_per_func = super()._calculate_rewards(inputs, prompts, completions, completion_ids_list)
        self._last_rewards_per_func = rewards_per_func.detach()
        return rewards_per_func

    def _score_round(self, inputs: list[dict[str, Any]]) -> tuple[dict[str, Any], torch.Tensor | None]:
        """One TRL generation + scoring, post-processed; returns (output, zero-std flag per local group)."""
        out = super()._generate_and_score_completions(inputs)
        rpf = self._last_rewards_per_func
        if rpf is None:
            return out, None
        mode = "train" if self.model.training else "eval"
        g = self.num_generations if mode == "train" else self.num_generations_eval
        unscorable = torch.isnan(rpf).all(dim=1)
        rewards = (rpf * self.reward_weights.to(rpf.device).unsqueeze(0)).nansum(dim=1)
        rewards[unscorable] = torch.nan
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
            assert isinstance(logged, deque)  # TRL's buffer, sized to the generation batch
            for _ in range(min(result.advantages.numel(), len(logged))):
                logged.pop()
            logged.extend(result.advantages.tolist())
        if self._may_mask:
            keep = result.keep[local].to(out["completion_mask"].device)
            base = out.get("tool_mask")
            base = torch.ones_like(out["completion_mask"]) if base is None else base
            out["tool_mask"] = base * keep.unsqueeze(1).to(base.dtype)
            out["num_items_in_batch"] = self._count_loss_tokens(out)
        metrics = self._metrics[mode]
        metrics["zero_std/filtered_groups"].append(float(result.filtered_groups))
        metrics["zero_std/filtered_frac"].append(result.filtered_frac)
        if self.advantage_baseline == "median":
            metrics["median/dropped_pivots"].append(float(result.dropped_pivots))
        # the fixed-weight reward (TRL counts an all-None row as 0: so does this one, for comparability)
        fixed = (rpf * self.fixed_reward_weights.to(rpf.device).unsqueeze(0)).nansum(dim=1)
        metrics["reward_fixed"].append(float(fixed.mean()))
        if mode == "eval":
            self._eval_fixed.append(fixed.view(-1, g).mean(dim=1).cpu())
        group_slice = slice(start // g, (start + n_local) // g) if n_local % g == 0 else None
        zero_std = result.zero_std_groups[group_slice] if group_slice is not None else None
        return out, zero_std

    def _count_loss_tokens(self, out: dict[str, Any]) -> torch.Tensor:
        """Tokens in the loss over all processes (TRL's ``num_items_in_batch`` under the new mask)."""
        mask = out["completion_mask"] * out.get("tool_mask", torch.ones_like(out["completion_mask"]))
        return self.accelerator.gather(mask.sum()).sum()

    def _generate_and_score_completions(self, inputs):  # noqa: ANN001, ANN202
        """TRL's, post-processed (``_score_round``), plus dynamic sampling in training when asked."""
        out, zero_std = self._score_round(inputs)
        if not self.model.training or self.dynamic_sampling is None or zero_std is None:
            return out
        k, max_extra = self.dynamic_sampling
        g = self.num_generations
        rounds = 0
        while int((~zero_std).sum()) < k and rounds < max_extra and bool(zero_std.any()):
            rounds += 1
            extra, extra_zero = self._score_round(self._draw_prompts(len(inputs) // g, g))
            if extra_zero is None:
                break
            out, zero_std = replace_tied_groups(
                out, zero_std, extra, extra_zero, g, self._tokenizer.pad_token_id
            )
        if rounds and self._may_mask:
            out["num_items_in_batch"] = self._count_loss_tokens(out)
        metrics = self._metrics["train"]
        metrics["dynamic_sampling/extra_batches"].append(float(rounds))
        metrics["dynamic_sampling/informative_groups"].append(float((~zero_std).sum()))
        return out

    def _draw_prompts(self, n_prompts: int, g: int) -> list[dict[str, Any]]:
        """``n_prompts`` train rows drawn at random (seeded), each repeated ``g`` times like TRL's sampler."""
        dataset = self.train_dataset
        if not isinstance(dataset, _MapDataset):
            raise TypeError(
                f"dynamic_sampling draws prompts at random: it needs a train_dataset with a length and "
                f"indexing, got {type(dataset).__name__}"
            )
        idx = torch.randint(len(dataset), (n_prompts,), generator=self._extra_rng).tolist()
        return [dataset[i] for i in idx for _ in range(g)]

    # ------------------------------------------------------------------------------- generation, loss, step

    def _generate_single_turn(self, *args: Any, **kwargs: Any) -> Any:
        """TRL's, with dropout modules off (TRL samples with the model in train mode)."""
        dropouts = [m for m in self.model.modules() if isinstance(m, torch.nn.Dropout) and m.training]
        for m in dropouts:
            m.eval()
        try:
            return super()._generate_single_turn(*args, **kwargs)
        finally:
            for m in dropouts:
                m.train()

    def _compute_loss(self, model, inputs):  # noqa: ANN001, ANN202
        """TRL's; tracks whether the step has signal, keeps dr_grpo's scale, drops all-filtered metrics."""
        mode = "train" if self.model.training else "eval"
        mask = inputs["completion_mask"]
        if inputs.get("tool_mask") is not None:
            mask = mask * inputs["tool_mask"]
        rows = mask.any(dim=1)
        if mode == "train":
            advantages = inputs["advantages"]
            moving = advantages != 0 if advantages.dim() == 1 else (advantages != 0).any(dim=1)
            signal = bool((moving & rows).any())
            if self.beta != 0.0:  # the KL term trains every row left in the loss
                signal = signal or bool(rows.any())
            self._step_has_signal |= signal
        all_masked = (
            inputs.get("tool_mask") is not None
            and self.accelerator.num_processes == 1
            and not bool(rows.any())
        )
        before = {k: len(v) for k, v in self._metrics[mode].items()} if all_masked else {}
        loss = super()._compute_loss(model, inputs)
        if all_masked:
            for key, values in self._metrics[mode].items():
                if key.startswith(_LOSS_METRICS_PREFIXES) and key != "entropy_coef":
                    del values[before.get(key, 0) :]
        if self.loss_type == "dr_grpo" and self.loss_reference_length:
            scale = self.max_completion_length / self.loss_reference_length
            loss = loss * scale
            if mode == "train":
                self._metrics[mode]["loss_scale"].append(scale)
        return loss

    def training_step(self, model, inputs, num_items_in_batch):  # noqa: ANN001, ANN201
        """TRL's; at the last micro-batch of an optimizer step, decide (over all processes) whether to skip it."""
        loss = super().training_step(model, inputs, num_items_in_batch)
        if self.accelerator.sync_gradients:
            flag = torch.tensor(float(self._step_has_signal), device=self.accelerator.device)
            signal = bool(self.accelerator.gather(flag).max() > 0)
            self._skip_optimizer_step = self.skip_tied_steps and not signal
            self._step_has_signal = False
        return loss

    def create_optimizer(self, model=None):  # noqa: ANN001, ANN201
        """The Trainer's optimizer, whose ``step`` does nothing on a step without signal (see class docs)."""
        optimizer = super().create_optimizer(model) if model is not None else super().create_optimizer()
        if not getattr(optimizer, "_tucano_guarded", False):
            step = optimizer.step
            trainer = self

            def guarded_step(opt: Any, *args: Any, **kwargs: Any) -> Any:
                if trainer._skip_optimizer_step:
                    trainer._skip_optimizer_step = False
                    trainer.skipped_steps += 1
                    return None
                return step(*args, **kwargs)

            # a bound method, as torch's LR scheduler re-wraps ``optimizer.step.__func__``
            optimizer.step = types.MethodType(guarded_step, optimizer)
            optimizer._tucano_guarded = True
        return optimizer

    def log(self, logs: dict[str, float], start_time: float | None = None) -> None:
        """TRL's, plus the skipped-step count (train) and the fixed-weight eval reward's mean and SE (eval)."""
        if self.model.training:
            self._metrics["train"]["zero_std/skipped_steps"] = [float(self.skipped_steps)]
        elif self._eval_fixed:
            per_prompt = torch.cat(self._eval_fixed)
            self._eval_fixed = []
            n = per_prompt.numel()
            self._metrics["eval"]["reward_fixed"] = [float(per_prompt.mean())]
            se = float(per_prompt.std(unbiased=True) / math.sqrt(n)) if n > 1 else float("nan")
            self._metrics["eval"]["reward_fixed_se"] = [se]
        super().log(logs, start_time)


def cast_trainable(model: torch.nn.Module, dtype: torch.dtype) -> int:
    """Cast every trainable parameter of ``model`` to ``dtype`` in place; returns how many were cast.

    Must run before the optimizer exists (it holds references to the parameter objects, not their data,
    so replacing ``.data`` keeps them valid; AdamW's state is created lazily at its first step).
    """
    n = 0
    for param in model.parameters():
        if param.requires_grad and param.dtype != dtype:
            param.data = param.data.to(dtype)
            n += 1
    return n


def lost_update_shares(model: torch.nn.Module, lr: float) -> dict[str, tuple[str, float]]:
    """Per trainable tensor: (dtype, share of entries x for which x + lr and x - lr both round back to x).

    Computed in the tensor's own dtype, so it is exact for what the optimizer will write: in bf16 a step
    smaller than half an ulp (|x| > ~2^8 lr) is lost. Zero entries are never lost (LoRA-B starts at 0).
    """
    out = {}
    with torch.no_grad():
        for name, param in model.named_parameters():
            if not param.requires_grad or param.numel() == 0:
                continue
            x = param.detach()
            lost = ((x + lr) == x) & ((x - lr) == x)
            out[name] = (str(x.dtype).removeprefix("torch."), float(lost.float().mean()))
    return out


def replace_tied_groups(
    out: dict[str, Any],
    zero_std: torch.Tensor,
    extra: dict[str, Any],
    extra_zero: torch.Tensor,
    g: int,
    pad_token_id: int | None,
) -> tuple[dict[str, Any], torch.Tensor]:
    """Put ``extra``'s informative groups in place of ``out``'s tied ones (as many as both have).

    Rows are groups of ``g`` consecutive completions. Sequence tensors are padded to a common length:
    prompt keys on the left (TRL left-pads prompts), the others on the right. Scalars (``num_items_in_batch``)
    are left to the caller.
    """
    tied = torch.nonzero(zero_std).squeeze(1).tolist()
    fresh = torch.nonzero(~extra_zero).squeeze(1).tolist()
    pairs = list(zip(tied, fresh, strict=False))
    if not pairs:
        return out, zero_std
    rows_out = torch.cat([torch.arange(t * g, (t + 1) * g) for t, _ in pairs])
    rows_new = torch.cat([torch.arange(f * g, (f + 1) * g) for _, f in pairs])
    merged = dict(out)
    n = zero_std.numel() * g
    keys = set(out) | set(extra)
    for key in keys:
        a, b = out.get(key), extra.get(key)
        if key == "tool_mask" and (a is None) != (b is None):
            a = torch.ones_like(out["completion_mask"]) if a is None else a
            b = torch.ones_like(extra["completion_mask"]) if b is None else b
        if (
            not (isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor))
            or a.dim() == 0
            or a.shape[0] != n
        ):
            continue
        if a.dim() >= 2 and a.shape[1] != b.shape[1]:
            width = max(a.shape[1], b.shape[1])
            left = key.startswith("prompt")
            value = pad_token_id if key.endswith("_ids") and pad_token_id is not None else 0
            a, b = (_pad(t, width, left=left, value=value) for t in (a, b))
        a = a.clone()
        a[rows_out.to(a.device)] = b[rows_new.to(b.device)].to(a)
        merged[key] = a
    new_zero = zero_std.clone()
    for t, _ in pairs:
        new_zero[t] = False
    return merged, new_zero


def _pad(t: torch.Tensor, width: int, *, left: bool, value: float) -> torch.Tensor:
    extra = width - t.shape[1]
    if extra <= 0:
        return t
    pad = torch.full((t.shape[0], extra, *t.shape[2:]), value, dtype=t.dtype, device=t.device)
    return torch.cat([pad, t] if left else [t, pad], dim=1)

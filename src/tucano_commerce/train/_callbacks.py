"""Training callbacks: the format-weight schedule and the GRPO health monitor.

Both read/write what TRL 1.16 really has: the trainer's ``reward_weights`` tensor (one float per reward
function, moved to the device at every use, so writing it in place takes effect at the next generation)
and the raw ``on_log`` keys (``entropy``, ``completions/mean_length``, ``completions/clipped_ratio``,
``clip_ratio/region_mean``, ``frac_reward_zero_std``, ``reward_std``; no ``train/`` prefix, that is
the W&B integration's rewrite).

Callbacks get no trainer reference from ``transformers``; pass it to the constructor or ``attach`` it.

Where the keys they add go: ``Trainer.log`` appends a *copy* of the logs to ``state.log_history`` before
calling ``on_log``, and it registers the tracker integrations (W&B, TensorBoard) and the console printer
before any user callback. So each added key is also written into the newest ``log_history`` entry
(``log_value``), and ``run_before_trackers`` moves these callbacks to the front of the trainer's list, so
the console and the tracker see ``health/*`` and ``reward_weights/*`` too.
"""

from __future__ import annotations

import logging
import math
from typing import Any, Literal

from transformers import TrainerCallback, TrainerControl, TrainerState, TrainingArguments

logger = logging.getLogger(__name__)

HealthAction = Literal["warn", "stop", "adaptive_entropy"]
HEALTH_ACTIONS: tuple[str, ...] = ("warn", "stop", "adaptive_entropy")


def log_value(logs: dict[str, Any], state: TrainerState, key: str, value: float) -> None:
    """Add ``key`` to an ``on_log`` dict and to the history entry ``Trainer.log`` already copied from it."""
    logs[key] = value
    if state.log_history and state.log_history[-1].get("step") == state.global_step:
        state.log_history[-1][key] = value


def run_before_trackers(trainer: Any, *callbacks: TrainerCallback) -> None:
    """Move ``callbacks`` (already added to ``trainer``) to the front of its callback list.

    ``on_log`` handlers run in list order and the tracker integrations come first by default, so keys
    that a later callback adds to the logs never reach W&B, TensorBoard or the console.
    """
    handler = trainer.callback_handler
    for cb in callbacks:
        if cb not in handler.callbacks:
            raise ValueError(f"{type(cb).__name__} is not one of the trainer's callbacks: add it first")
        handler.callbacks.remove(cb)
    handler.callbacks[0:0] = list(callbacks)


class RewardWeightSchedule(TrainerCallback):
    """Linearly lowers one reward's weight (the format reward by default) over training.

    ADR intent: the format reward teaches the contract early, then should give way to the task rewards.
    At each step the weight is ``start + (end - start) * min(1, step / max_steps)``, written in place into
    ``trainer.reward_weights[index]``; the current weights are logged as ``reward_weights/<func name>``.

    Args:
        start: weight at step 0 (default 0.2, ``DEFAULT_REWARD_WEIGHTS[0]``).
        end: weight at the last step.
        index: which reward function (0 = ``format_reward``).
        trainer: the ``GRPOTrainer``; or call ``attach(trainer)`` later.

    Example:
        >>> trainer.add_callback(RewardWeightSchedule(0.2, 0.05).attach(trainer))
    """

    def __init__(self, start: float = 0.2, end: float = 0.05, *, index: int = 0, trainer: Any = None) -> None:
        if start < 0 or end < 0:
            raise ValueError(f"reward weights must be >= 0, got start={start}, end={end}")
        self.start = float(start)
        self.end = float(end)
        self.index = index
        self.trainer = trainer

    def attach(self, trainer: Any) -> RewardWeightSchedule:
        """Bind the trainer whose ``reward_weights`` this schedule writes; returns self."""
        self.trainer = trainer
        return self

    def weight_at(self, step: int, max_steps: int) -> float:
        """The scheduled weight at ``step`` of ``max_steps``."""
        frac = min(1.0, step / max_steps) if max_steps > 0 else 0.0
        return self.start + (self.end - self.start) * frac

    def _apply(self, state: TrainerState) -> None:
        weights = getattr(self.trainer, "reward_weights", None)
        if weights is None:
            raise RuntimeError(
                "RewardWeightSchedule needs the trainer: RewardWeightSchedule(...).attach(trainer)"
            )
        weights[self.index] = self.weight_at(state.global_step, state.max_steps)

    def on_train_begin(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any
    ):
        """Set the start weight before the first generation."""
        self._apply(state)

    def on_step_begin(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any
    ):
        """Update the weight for this step."""
        self._apply(state)

    def on_log(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, logs=None, **kwargs
    ):  # noqa: ANN001
        """Add the current weights to the logs."""
        if logs is None or self.trainer is None:
            return
        names = list(getattr(self.trainer, "reward_func_names", []))
        for i, w in enumerate(self.trainer.reward_weights.tolist()):
            log_value(logs, state, f"reward_weights/{names[i] if i < len(names) else i}", float(w))


class HealthMonitor(TrainerCallback):
    """Watches GRPO's own metrics for the usual failure modes and warns, stops or turns on entropy control.

    Alerts (each fires at most once per run; key ``health/<alert>`` = 1 in the logs that fired it):

    * ``entropy_collapse``: ``entropy`` < ``entropy_floor_frac`` x its early level (mean of the first
      ``warmup_logs`` values);
    * ``no_clipping``: ``clip_ratio/region_mean`` was 0 in every log after step ``clip_zero_after_step``
      (fires once ``clip_zero_min_logs`` such logs were seen; the policy barely moves: lr too low);
    * ``length_ceiling``: ``completions/clipped_ratio`` >= ``clipped_ceiling`` (nearly every completion
      hits ``max_completion_length``);
    * ``zero_std``: ``frac_reward_zero_std`` >= ``zero_std_ceiling`` (most groups carry no signal:
      prompts too easy or too hard for the current policy).

    ``reward_std`` is recorded with the alerts for context. Missing or None values are skipped (eval
    logs use ``eval_``-prefixed keys and are ignored).

    Actions: ``warn`` logs only; ``stop`` also sets ``control.should_training_stop``; ``adaptive_entropy``
    on an entropy collapse turns on TRL's adaptive entropy control (``use_adaptive_entropy``, with
    ``entropy_target`` set to the early entropy level) on the attached trainer and its args, when this
    TRL has it (>= 1.8), and says so; other alerts only warn.

    Args:
        entropy_floor_frac: fraction of the early entropy below which entropy has collapsed.
        warmup_logs: how many first ``entropy`` values define the early level.
        clip_zero_after_step: the step after which a clip ratio that is always 0 is suspicious.
        clip_zero_min_logs: logs past that step needed before ``no_clipping`` can fire.
        clipped_ceiling: ``completions/clipped_ratio`` that counts as "all hit the ceiling".
        zero_std_ceiling: ``frac_reward_zero_std`` that counts as "no signal".
        action: "warn", "stop" or "adaptive_entropy".
        trainer: needed for ``adaptive_entropy`` (or ``attach`` it).
    """

    def __init__(
        self,
        *,
        entropy_floor_frac: float = 0.3,
        warmup_logs: int = 3,
        clip_zero_after_step: int = 50,
        clip_zero_min_logs: int = 3,
        clipped_ceiling: float = 0.9,
        zero_std_ceiling: float = 0.8,
        action: HealthAction = "warn",
        trainer: Any = None,
    ) -> None:
        if action not in HEALTH_ACTIONS:
            raise ValueError(f"action must be one of {HEALTH_ACTIONS}, got {action!r}")
        if warmup_logs < 1:
            raise ValueError(f"warmup_logs must be >= 1, got {warmup_logs}")
        self.entropy_floor_frac = entropy_floor_frac
        self.warmup_logs = warmup_logs
        self.clip_zero_after_step = clip_zero_after_step
        self.clip_zero_min_logs = clip_zero_min_logs
        self.clipped_ceiling = clipped_ceiling
        self.zero_std_ceiling = zero_std_ceiling
        self.action = action
        self.trainer = trainer
        self.alerts: list[dict[str, Any]] = []
        self._early_entropy: list[float] = []
        self._clip_values_after: list[float] = []

    def attach(self, trainer: Any) -> HealthMonitor:
        """Bind the trainer (for ``adaptive_entropy``); returns self."""
        self.trainer = trainer
        return self

    @property
    def early_entropy(self) -> float | None:
        """Mean of the first ``warmup_logs`` entropy values (None until there are that many)."""
        if len(self._early_entropy) < self.warmup_logs:
            return None
        return sum(self._early_entropy) / len(self._early_entropy)

    def _fired(self, name: str) -> bool:
        return any(a["alert"] == name for a in self.alerts)

    def _alert(self, name: str, step: int, message: str, logs: dict[str, Any], state: TrainerState) -> None:
        if self._fired(name):
            return
        record = {"alert": name, "step": step, "message": message, "reward_std": _num(logs.get("reward_std"))}
        self.alerts.append(record)
        logger.warning("GRPO health [step %d] %s: %s", step, name, message)
        log_value(logs, state, f"health/{name}", 1)

    def on_log(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, logs=None, **kwargs
    ):  # noqa: ANN001
        """Check one log dict."""
        if not logs:
            return
        step = state.global_step
        fired: list[str] = []

        entropy = _num(logs.get("entropy"))
        if entropy is not None:
            early = self.early_entropy
            if early is None:
                self._early_entropy.append(entropy)
            elif (
                early > 0
                and entropy < self.entropy_floor_frac * early
                and not self._fired("entropy_collapse")
            ):
                self._alert("entropy_collapse", step, f"entropy {entropy:.4g} < {self.entropy_floor_frac:g} x "
                            f"early level {early:.4g}: the policy is collapsing", logs, state)  # fmt: skip
                fired.append("entropy_collapse")

        clip = _num(logs.get("clip_ratio/region_mean"))
        if clip is not None and step > self.clip_zero_after_step:
            self._clip_values_after.append(clip)
            enough = len(self._clip_values_after) >= self.clip_zero_min_logs
            if enough and all(v == 0 for v in self._clip_values_after) and not self._fired("no_clipping"):
                self._alert("no_clipping", step, f"clip_ratio/region_mean has been 0 in every log after step "
                            f"{self.clip_zero_after_step}: the policy barely moves (lr too low?)", logs, state)  # fmt: skip
                fired.append("no_clipping")

        clipped = _num(logs.get("completions/clipped_ratio"))
        if clipped is not None and clipped >= self.clipped_ceiling and not self._fired("length_ceiling"):
            self._alert("length_ceiling", step, f"completions/clipped_ratio {clipped:.2f} >= {self.clipped_ceiling:g}"
                        ": nearly every completion hits max_completion_length", logs, state)  # fmt: skip
            fired.append("length_ceiling")

        zero_std = _num(logs.get("frac_reward_zero_std"))
        if zero_std is not None and zero_std >= self.zero_std_ceiling and not self._fired("zero_std"):
            self._alert("zero_std", step, f"frac_reward_zero_std {zero_std:.2f} >= {self.zero_std_ceiling:g}: "
                        "most groups carry no learning signal (prompts too easy/hard)", logs, state)  # fmt: skip
            fired.append("zero_std")

        if not fired:
            return
        if self.action == "stop":
            control.should_training_stop = True
            logger.warning("GRPO health: stopping training (action='stop') after %s", ", ".join(fired))
        elif self.action == "adaptive_entropy" and "entropy_collapse" in fired:
            self._enable_adaptive_entropy(args)

    def _enable_adaptive_entropy(self, args: TrainingArguments) -> None:
        trainer = self.trainer
        if (
            trainer is None
            or not hasattr(trainer, "use_adaptive_entropy")
            or not hasattr(args, "entropy_target")
        ):
            logger.warning("GRPO health: adaptive entropy control is unavailable (needs TRL >= 1.8 and an "
                           "attached trainer: HealthMonitor(...).attach(trainer)); only warning")  # fmt: skip
            return
        target = self.early_entropy
        args.use_adaptive_entropy = True
        if target is not None:
            args.entropy_target = target
        trainer.use_adaptive_entropy = True
        trainer._entropy_bonus_enabled = True  # TRL fixes this flag at init; adaptive control needs it on
        trainer._last_world_entropy = math.inf  # first window measures before applying the bonus
        for record in self.alerts:
            if record["alert"] == "entropy_collapse":
                record["action"] = "adaptive_entropy"
        logger.warning("GRPO health: turned on TRL adaptive entropy control (use_adaptive_entropy=True, "
                       "entropy_target=%s, entropy_coef=%s)", args.entropy_target, trainer.entropy_coef)  # fmt: skip


def _num(value: Any) -> float | None:
    """A finite float, or None."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None

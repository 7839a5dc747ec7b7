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

import json
import logging
import math
from collections import deque
from pathlib import Path
from typing import Any, Literal

from transformers import TrainerCallback, TrainerControl, TrainerState, TrainingArguments

from tucano_commerce.train._decide import finite as _num

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

    Every threshold is applied to a rolling mean over the last ``window`` train logs (with one group per
    step, ``frac_reward_zero_std`` is 0 or 1 and ``completions/clipped_ratio`` moves in quarters, so single
    values would fire on the first unlucky step); an alert needs a full window and names it and its values.
    Alerts (each fires at most once per run; key ``health/<alert>`` = 1 in the logs that fired it):

    * ``entropy_collapse``: windowed ``entropy`` < ``entropy_floor_frac`` x its early level (mean of the
      first ``warmup_logs`` values);
    * ``no_clipping`` (off-policy runs only): ``clip_ratio/region_mean`` was 0 in every log after step
      ``clip_zero_after_step`` (at least ``clip_zero_min_logs`` of them). On-policy (``off_policy=False``,
      the ADR's settings) TRL's clip ratio is 0 by construction (``_regime.py``), so the alert is off;
    * ``length_ceiling``: windowed ``completions/clipped_ratio`` >= ``clipped_ceiling``;
    * ``zero_std``: windowed ``frac_reward_zero_std`` >= ``zero_std_ceiling`` (most groups carry no signal).

    ``reward_std`` (windowed) is recorded with the alerts for context. Missing or None values are skipped
    (eval logs use ``eval_``-prefixed keys and are ignored).

    Actions: ``warn`` logs only; ``stop`` also sets ``control.should_training_stop``; ``adaptive_entropy``
    on an entropy collapse turns on TRL's adaptive entropy control (``use_adaptive_entropy``, with
    ``entropy_target`` set to the early entropy level) on the attached trainer and its args.

    State (early entropy, windows, alerts, whether adaptive entropy is on) is written to every checkpoint
    as ``health_monitor.json`` and read back with ``load_state_dict`` on ``--resume`` and OOM rungs, so a
    resumed run keeps its pre-collapse reference level.

    Args:
        entropy_floor_frac: fraction of the early entropy below which entropy has collapsed.
        warmup_logs: how many first ``entropy`` values define the early level.
        window: train logs in each rolling mean.
        clip_zero_after_step: the step after which a clip ratio that is always 0 is suspicious.
        clip_zero_min_logs: logs past that step needed before ``no_clipping`` can fire.
        clipped_ceiling: windowed ``completions/clipped_ratio`` that counts as "all hit the ceiling".
        zero_std_ceiling: windowed ``frac_reward_zero_std`` that counts as "no signal".
        off_policy: whether the run is off-policy (``training_regime``); the clip rule needs it.
        action: "warn", "stop" or "adaptive_entropy".
        trainer: needed for ``adaptive_entropy`` (or ``attach`` it).
    """

    STATE_FILE = "health_monitor.json"

    def __init__(
        self,
        *,
        entropy_floor_frac: float = 0.3,
        warmup_logs: int = 10,
        window: int = 20,
        clip_zero_after_step: int = 50,
        clip_zero_min_logs: int = 3,
        clipped_ceiling: float = 0.9,
        zero_std_ceiling: float = 0.8,
        off_policy: bool = False,
        action: HealthAction = "warn",
        trainer: Any = None,
    ) -> None:
        if action not in HEALTH_ACTIONS:
            raise ValueError(f"action must be one of {HEALTH_ACTIONS}, got {action!r}")
        if warmup_logs < 1 or window < 1:
            raise ValueError(f"warmup_logs and window must be >= 1, got {warmup_logs}, {window}")
        self.entropy_floor_frac = entropy_floor_frac
        self.warmup_logs = warmup_logs
        self.window = window
        self.clip_zero_after_step = clip_zero_after_step
        self.clip_zero_min_logs = clip_zero_min_logs
        self.clipped_ceiling = clipped_ceiling
        self.zero_std_ceiling = zero_std_ceiling
        self.off_policy = off_policy
        self.action = action
        self.trainer = trainer
        self.alerts: list[dict[str, Any]] = []
        self.adaptive_entropy_target: float | None = None
        self._early_entropy: list[float] = []
        self._clip_values_after: list[float] = []
        self._windows: dict[str, deque[float]] = {k: deque(maxlen=window) for k in _WINDOWED}

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

    def windowed(self, key: str) -> float | None:
        """Mean of the last ``window`` values of ``key`` (None until the window is full)."""
        values = self._windows[key]
        return sum(values) / len(values) if len(values) >= self.window else None

    # ------------------------------------------------------------------------------------------- state

    def state_dict(self) -> dict[str, Any]:
        """What a resumed run needs to go on judging the same way."""
        return {
            "early_entropy": list(self._early_entropy),
            "clip_values_after": list(self._clip_values_after),
            "windows": {k: list(v) for k, v in self._windows.items()},
            "alerts": list(self.alerts),
            "adaptive_entropy_target": self.adaptive_entropy_target,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore ``state_dict()`` (e.g. from a checkpoint's ``health_monitor.json``)."""
        self._early_entropy = [float(x) for x in state.get("early_entropy", [])]
        self._clip_values_after = [float(x) for x in state.get("clip_values_after", [])]
        for key, values in (state.get("windows") or {}).items():
            if key in self._windows:
                self._windows[key].extend(float(x) for x in values)
        self.alerts = list(state.get("alerts", []))
        target = state.get("adaptive_entropy_target")
        self.adaptive_entropy_target = float(target) if target is not None else None

    def on_save(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any):
        """Write the monitor's state into the checkpoint just saved (main process only)."""
        assert args.output_dir is not None  # TrainingArguments.__post_init__ sets "trainer_output" for None
        ckpt = Path(args.output_dir) / f"checkpoint-{state.global_step}"
        if state.is_world_process_zero and ckpt.is_dir():
            (ckpt / self.STATE_FILE).write_text(json.dumps(self.state_dict()) + "\n", encoding="utf-8")

    # -------------------------------------------------------------------------------------------- checks

    def _fired(self, name: str) -> bool:
        return any(a["alert"] == name for a in self.alerts)

    def _alert(self, name: str, step: int, message: str, logs: dict[str, Any], state: TrainerState) -> None:
        if self._fired(name):
            return
        record = {
            "alert": name,
            "step": step,
            "message": message,
            "reward_std": self.windowed("reward_std"),
            "window": self.window,
        }
        self.alerts.append(record)
        logger.warning("GRPO health [step %d] %s: %s", step, name, message)
        log_value(logs, state, f"health/{name}", 1)

    def on_log(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, logs=None, **kwargs
    ):  # noqa: ANN001
        """Check one (train) log dict."""
        if not logs:
            return
        step = state.global_step
        for key in _WINDOWED:
            value = _num(logs.get(key))
            if value is not None:
                self._windows[key].append(value)
        fired: list[str] = []
        w = self.window

        entropy = _num(logs.get("entropy"))
        early, ent = self.early_entropy, self.windowed("entropy")  # the warm-up logs are not judged
        if entropy is not None and early is None:
            self._early_entropy.append(entropy)
        if early is not None and ent is not None and early > 0 and ent < self.entropy_floor_frac * early:
            self._alert(
                "entropy_collapse",
                step,
                f"mean entropy of the last {w} logs {ent:.4g} < "
                f"{self.entropy_floor_frac:g} x early level {early:.4g} (first {self.warmup_logs} logs): "
                "the policy is collapsing",
                logs,
                state,
            )
            fired.append("entropy_collapse")

        clip = _num(logs.get("clip_ratio/region_mean"))
        if self.off_policy and clip is not None and step > self.clip_zero_after_step:
            self._clip_values_after.append(clip)
            n = len(self._clip_values_after)
            if n >= self.clip_zero_min_logs and all(v == 0 for v in self._clip_values_after):
                self._alert(
                    "no_clipping",
                    step,
                    f"clip_ratio/region_mean has been 0 in all {n} logs after step "
                    f"{self.clip_zero_after_step} of an off-policy run: the policy barely moves (lr too "
                    "low?)",
                    logs,
                    state,
                )
                fired.append("no_clipping")

        clipped = self.windowed("completions/clipped_ratio")
        if clipped is not None and clipped >= self.clipped_ceiling:
            self._alert(
                "length_ceiling",
                step,
                f"completions/clipped_ratio averaged {clipped:.2f} over the last "
                f"{w} logs (>= {self.clipped_ceiling:g}): nearly every completion hits "
                "max_completion_length",
                logs,
                state,
            )
            fired.append("length_ceiling")

        zero_std = self.windowed("frac_reward_zero_std")
        if zero_std is not None and zero_std >= self.zero_std_ceiling:
            self._alert(
                "zero_std",
                step,
                f"frac_reward_zero_std averaged {zero_std:.2f} over the last {w} logs "
                f"(>= {self.zero_std_ceiling:g}): most groups carry no learning signal (prompts too "
                "easy/hard)",
                logs,
                state,
            )
            fired.append("zero_std")

        fired = [f for f in fired if f in {a["alert"] for a in self.alerts if a["step"] == step}]
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
            or not hasattr(args, "use_adaptive_entropy")
            or not hasattr(args, "entropy_target")
        ):
            logger.warning(
                "GRPO health: adaptive entropy control is unavailable (needs TRL >= 1.8 and an "
                "attached trainer: HealthMonitor(...).attach(trainer)); only warning"
            )
            return
        target = self.early_entropy
        args.use_adaptive_entropy = True
        if target is not None:
            args.entropy_target = target
        self.adaptive_entropy_target = float(args.entropy_target)
        trainer.use_adaptive_entropy = True
        trainer._entropy_bonus_enabled = True  # TRL fixes this flag at init; adaptive control needs it on
        trainer._last_world_entropy = math.inf  # first window measures before applying the bonus
        for record in self.alerts:
            if record["alert"] == "entropy_collapse":
                record["action"] = "adaptive_entropy"
        logger.warning(
            "GRPO health: turned on TRL adaptive entropy control (use_adaptive_entropy=True, "
            "entropy_target=%s, entropy_coef=%s)",
            args.entropy_target,
            trainer.entropy_coef,
        )


_WINDOWED = ("entropy", "reward_std", "completions/clipped_ratio", "frac_reward_zero_std")


class AdapterChangeMonitor(TrainerCallback):
    """Logs how much of the LoRA adapters actually moved since the previous train log.

    A frozen adapter is otherwise invisible: with bf16 adapters at lr 3e-6 the optimizer's updates to
    LoRA-A round away (``lost_update_shares``) while the loss, the rewards and B still move. Per logging step
    (train logs only) it adds, for the ``lora_A`` and ``lora_B`` parameters:

    * ``adapter/lora_A_changed_frac``, ``adapter/lora_B_changed_frac``: share of entries whose value
      changed since the previous log;
    * ``adapter/lora_A_update_ratio``, ``adapter/lora_B_update_ratio``: ||change|| / ||weights before||
      (0 when the weights were all 0, e.g. LoRA-B before its first step).

    The snapshot is one copy of the adapter (r16 all-linear on a 4B model: ~33 M values) on its device.
    """

    KINDS = ("lora_A", "lora_B")

    def __init__(self, trainer: Any = None) -> None:
        self.trainer = trainer
        self._snapshot: dict[str, Any] = {}

    def attach(self, trainer: Any) -> AdapterChangeMonitor:
        """Bind the trainer whose model is watched; returns self."""
        self.trainer = trainer
        return self

    def _params(self) -> list[tuple[str, str, Any]]:
        out = []
        for name, param in self.trainer.model.named_parameters():
            if param.requires_grad:
                kind = next((k for k in self.KINDS if f".{k}." in name or name.startswith(f"{k}.")), None)
                if kind is not None:
                    out.append((name, kind, param))
        return out

    def snapshot(self) -> None:
        """Remember the adapter's current values."""
        self._snapshot = {name: p.detach().clone() for name, _, p in self._params()}

    def measure(self) -> dict[str, float]:
        """Changed share and update ratio per kind since the last snapshot (then re-snapshot)."""
        import torch

        changed = {k: 0 for k in self.KINDS}
        total = {k: 0 for k in self.KINDS}
        delta_sq = {k: 0.0 for k in self.KINDS}
        weight_sq = {k: 0.0 for k in self.KINDS}
        with torch.no_grad():
            for name, kind, p in self._params():
                old = self._snapshot.get(name)
                if old is None or old.shape != p.shape:
                    continue
                diff = p.detach().float() - old.float()
                changed[kind] += int((p.detach() != old).sum())
                total[kind] += p.numel()
                delta_sq[kind] += float((diff * diff).sum())
                weight_sq[kind] += float((old.float() ** 2).sum())
        self.snapshot()
        out = {}
        for kind in self.KINDS:
            if total[kind]:
                out[f"adapter/{kind}_changed_frac"] = changed[kind] / total[kind]
                ratio = math.sqrt(delta_sq[kind] / weight_sq[kind]) if weight_sq[kind] > 0 else 0.0
                out[f"adapter/{kind}_update_ratio"] = ratio
        return out

    def on_train_begin(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any
    ):
        """First snapshot, after the optimizer exists (and a resumed checkpoint is loaded)."""
        if self.trainer is not None:
            self.snapshot()

    def on_log(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, logs=None, **kwargs
    ):  # noqa: ANN001
        """Add the adapter-change keys to a train log."""
        if not logs or self.trainer is None or "loss" not in logs:
            return
        for key, value in self.measure().items():
            log_value(logs, state, key, value)

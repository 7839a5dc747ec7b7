"""The zero-std strategies and advantage baselines, written once for the config, the trainer and its checks.

No torch here: the config validates against these without loading the trainer.
"""

from __future__ import annotations

import typing
from typing import Literal

ZeroStdStrategy = Literal["filter", "keep", "noise"]
"""Groups whose rewards are all equal: drop them from the loss, keep them (zero advantage), or add noise."""
AdvantageBaseline = Literal["mean", "median"]
"""Group baseline subtracted from the rewards: the mean (GRPO) or the median (MC-GRPO)."""
ZERO_STD_STRATEGIES: tuple[str, ...] = typing.get_args(ZeroStdStrategy)
ADVANTAGE_BASELINES: tuple[str, ...] = typing.get_args(AdvantageBaseline)


def check_advantage_settings(zero_std_strategy: str, advantage_baseline: str) -> None:
    """Reject an unknown strategy or baseline (the trainer may be built without the validated config).

    Raises:
        ValueError: naming the valid values.
    """
    if zero_std_strategy not in ZERO_STD_STRATEGIES:
        raise ValueError(f"zero_std_strategy must be one of {ZERO_STD_STRATEGIES}, got {zero_std_strategy!r}")
    if advantage_baseline not in ADVANTAGE_BASELINES:
        raise ValueError(
            f"advantage_baseline must be one of {ADVANTAGE_BASELINES}, got {advantage_baseline!r}"
        )

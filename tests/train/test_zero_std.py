"""The zero-std strategies and advantage baselines are written once and checked in one place."""

from __future__ import annotations

import typing

import pytest

from tucano_commerce.train._config import GrpoV3Config
from tucano_commerce.train._zero_std import ADVANTAGE_BASELINES, ZERO_STD_STRATEGIES, check_advantage_settings


def test_the_config_accepts_exactly_the_strategies() -> None:
    fields = GrpoV3Config.model_fields
    assert (
        typing.get_args(fields["zero_std_strategy"].annotation)
        == ZERO_STD_STRATEGIES
        == ("filter", "keep", "noise")
    )
    assert (
        typing.get_args(fields["advantage_baseline"].annotation) == ADVANTAGE_BASELINES == ("mean", "median")
    )


def test_unknown_values_name_the_valid_ones() -> None:
    check_advantage_settings("filter", "median")
    with pytest.raises(ValueError, match=r"zero_std_strategy must be one of \('filter', 'keep', 'noise'\)"):
        check_advantage_settings("drop", "mean")
    with pytest.raises(ValueError, match="advantage_baseline must be one of"):
        check_advantage_settings("keep", "mode")

"""On-policy vs off-policy: TRL 1.16's rule (old-logprob pass or ``per_token_logps.detach()``).

The surprising case, ``num_iterations: 2`` with ``gradient_accumulation_steps: 2`` and
``steps_per_generation: 1`` (both passes inside one optimizer step: ratio 1 again), is checked on a real
tiny TRL run; the lead's recipe tests check that ``num_iterations: 2`` with GA 1 logs non-zero clip ratios.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tucano_commerce.errors import ConfigError
from tucano_commerce.train._regime import GRPO_DEFAULTS, Regime, steps_per_generation, training_regime

REPO = Path(__file__).resolve().parents[2]


def test_defaults_are_grpoconfig_1_16s():
    pytest.importorskip("trl")
    from tucano_commerce.train._config import grpo_defaults

    trl = grpo_defaults()
    assert {k: trl[k] for k in GRPO_DEFAULTS} == GRPO_DEFAULTS


def test_the_adr_recipe_is_on_policy():
    grpo = yaml.safe_load((REPO / "configs" / "grpo_v3.yaml").read_text(encoding="utf-8"))["grpo"]
    regime = training_regime(grpo)
    assert regime == Regime(policy="on-policy", reasons=regime.reasons)
    assert not regime.off_policy
    assert "per_token_logps.detach()" in regime.reasons[0]
    assert training_regime({}).policy == "on-policy"  # GRPOConfig's defaults


@pytest.mark.parametrize(
    ("grpo", "policy"),
    [
        ({"num_iterations": 2}, "off-policy"),  # GA 1: the second pass is after an optimizer step
        ({"num_iterations": 2, "gradient_accumulation_steps": 2}, "off-policy"),  # spg = GA = 2: 2 % 4
        ({"num_iterations": 2, "gradient_accumulation_steps": 2, "steps_per_generation": 1}, "on-policy"),
        ({"steps_per_generation": 4, "gradient_accumulation_steps": 2}, "off-policy"),
        ({"steps_per_generation": 2, "gradient_accumulation_steps": 4}, "on-policy"),
        ({"steps_per_generation": 3, "gradient_accumulation_steps": 4}, "off-policy"),  # 4 % 3: misaligned
        ({"generation_batch_size": 16, "per_device_train_batch_size": 4}, "off-policy"),  # spg 4 > GA 1
        ({"generation_batch_size": 4, "per_device_train_batch_size": 4}, "on-policy"),
        ({"use_vllm": True}, "off-policy"),  # importance-sampling correction is on by default
        ({"use_vllm": True, "vllm_importance_sampling_correction": False}, "on-policy"),
        ({"num_iterations": None, "steps_per_generation": None}, "on-policy"),  # None = the default
    ],
)
def test_the_rule(grpo, policy):
    regime = training_regime(grpo)
    assert regime.policy == policy, regime.reasons
    assert regime.off_policy == (policy == "off-policy")


def test_generation_batch_size_is_global():
    grpo = {"generation_batch_size": 16, "per_device_train_batch_size": 4, "gradient_accumulation_steps": 2}
    assert steps_per_generation(grpo)[0] == 4
    assert training_regime(grpo).policy == "off-policy"
    assert training_regime(grpo, num_processes=2).policy == "on-policy"  # 16 / (4 x 2) = 2 = GA
    assert training_regime({**grpo, "num_processes": 2}).policy == "on-policy"
    with pytest.raises(ConfigError, match="not divisible.*global"):
        training_regime({"generation_batch_size": 10, "per_device_train_batch_size": 4})


def test_a_post_init_grpoconfig_with_both_keys_uses_steps_per_generation():
    """GRPOConfig.__post_init__ fills both keys; TRL then reads steps_per_generation."""
    trl = pytest.importorskip("trl")
    args = trl.GRPOConfig(
        output_dir="unused",
        per_device_train_batch_size=4,
        num_generations=4,
        steps_per_generation=4,
        report_to="none",
        use_cpu=True,
    )
    data = args.to_dict()
    assert data["generation_batch_size"] == 16 and data["steps_per_generation"] == 4
    assert training_regime(data).policy == "off-policy"


def test_bad_values_are_clear_errors():
    with pytest.raises(ConfigError, match="grpo.num_iterations must be a positive integer"):
        training_regime({"num_iterations": 0})
    with pytest.raises(ConfigError, match="gradient_accumulation_steps"):
        training_regime({"gradient_accumulation_steps": "two"})


@pytest.mark.slow
def test_num_iterations_2_inside_one_optimizer_step_logs_clip_ratio_0(
    tiny_data, tiny_home, tiny_config, tmp_path
):
    """Real TRL: mu 2, GA 2, spg 1 at a large lr: the weights move, yet the ratio stays exactly 1."""
    pytest.importorskip("trl")
    from tucano_commerce.train._recipe import train_grpo

    changes = {
        "data.dir": str(tiny_data),
        "grpo.num_iterations": 2,
        "grpo.gradient_accumulation_steps": 2,
        "grpo.steps_per_generation": 1,
        "grpo.max_steps": 2,
        "grpo.learning_rate": 1e-2,
        "zero_std_strategy": "keep",
    }
    cfg = tiny_config(**changes)
    assert training_regime(cfg.grpo).policy == "on-policy"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TUCANO_HOME", str(tiny_home))
        result = train_grpo(cfg, output_dir=tmp_path / "run", skip_preflight=True)
    clips = [h["clip_ratio/region_mean"] for h in result.log_history if "clip_ratio/region_mean" in h]
    grads = [h["grad_norm"] for h in result.log_history if h.get("grad_norm")]
    assert clips and all(c == 0.0 for c in clips), clips
    assert grads and max(grads) > 0  # it did train

"""Lost lr-sized updates in bf16/fp16/fp32: the numpy emulation against torch's own arithmetic on CPU."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tucano_commerce.train._precision import (
    bfloat16_bits_to_float32,
    canonical_dtype,
    lost_update_mask,
    lost_update_share,
    round_to,
    uniform_init_lost_share,
)

torch = pytest.importorskip("torch")
TORCH_DTYPES = {"bfloat16": torch.bfloat16, "float16": torch.float16, "float32": torch.float32}
# Values over many binades, both signs, zeros, and exact powers of two (ulp boundaries).
_rng = np.random.default_rng(0)
VALUES = np.concatenate(
    [
        (_rng.standard_normal(50_000) * np.exp(_rng.uniform(-14, 3, 50_000))).astype(np.float32),
        np.array([0.0, -0.0, 2.0**-10, -(2.0**-10), 2.0**-11, 1.0, 2.0**-18], dtype=np.float32),
    ]
)


def torch_lost(values: np.ndarray, lr: float, dtype: str) -> np.ndarray:
    t = torch.from_numpy(values).to(TORCH_DTYPES[dtype])
    return (((t + lr) == t) & ((t - lr) == t)).numpy()


@pytest.mark.parametrize("dtype", ["bfloat16", "float16", "float32"])
@pytest.mark.parametrize("lr", [2e-6, 3e-6, 1e-5, 1e-4, 1e-3, 2.0**-19, 2.0**-18])
def test_lost_mask_matches_torch_entry_by_entry(dtype, lr):
    ours = lost_update_mask(VALUES, lr, dtype)
    theirs = torch_lost(VALUES, lr, dtype)
    assert (ours == theirs).all(), f"{int((ours != theirs).sum())} entries differ"
    assert lost_update_share(VALUES, lr, dtype) == pytest.approx(float(theirs.mean()), abs=0)


def test_round_to_bfloat16_matches_torch_and_keeps_bits():
    t = torch.from_numpy(VALUES).to(torch.bfloat16)
    assert (round_to(VALUES, "bfloat16") == t.float().numpy()).all()
    bits = t.view(torch.int16).numpy().view(np.uint16)
    assert (bfloat16_bits_to_float32(bits) == t.float().numpy()).all()


@pytest.mark.parametrize("dtype", ["bfloat16", "float16", "float32"])
@pytest.mark.parametrize("fan_in", [2560, 4096, 9728])
@pytest.mark.parametrize("lr", [2e-6, 3e-6, 1e-5])
def test_uniform_init_share_matches_a_torch_kaiming_init(dtype, fan_in, lr):
    """PEFT's LoRA-A init (kaiming_uniform_, a=sqrt(5)) is U(+-1/sqrt(fan_in)); 1M draws, cast like TRL does."""
    gen = torch.Generator().manual_seed(0)
    weight = torch.empty(1_000_000 // fan_in, fan_in)
    torch.nn.init.kaiming_uniform_(weight, a=math.sqrt(5), generator=gen)
    bound = 1 / math.sqrt(fan_in)
    assert weight.abs().max() <= bound
    sampled = float(torch_lost(weight.numpy().ravel(), lr, dtype).mean())
    exact = uniform_init_lost_share(bound, lr, dtype)
    assert exact == pytest.approx(sampled, abs=3e-3)


def test_the_issue_numbers_for_bf16_lora_a():
    """At lr 3e-6 an Adam step is lost for |w| >= 2^-10 in bf16: ~95 % of a fan-in-2560 LoRA-A; none in fp32."""
    bound = 1 / math.sqrt(2560)
    share = uniform_init_lost_share(bound, 3e-6, "bfloat16")
    assert share == pytest.approx(1 - 2.0**-10 / bound, abs=5e-4)
    assert uniform_init_lost_share(bound, 3e-6, "float32") == 0.0
    assert uniform_init_lost_share(bound, 1e-4, "bfloat16") == 0.0
    # float32 loses it only for |w| >= 64 (half-ulp 2^(6-24) > 3e-6): 36 % of U(-100, 100)
    assert uniform_init_lost_share(100.0, 3e-6, "float32") == pytest.approx(0.36)


def test_bad_arguments_are_clear_errors():
    assert canonical_dtype("torch.bfloat16") == "bfloat16" and canonical_dtype("fp16") == "float16"
    with pytest.raises(ValueError, match="unsupported dtype"):
        lost_update_share([1.0], 1e-3, "int8")
    with pytest.raises(ValueError, match="lr must be > 0"):
        lost_update_share([1.0], 0.0, "bfloat16")
    with pytest.raises(ValueError, match="no finite values"):
        lost_update_share([math.nan], 1e-3, "bfloat16")
    with pytest.raises(ValueError, match="bound must be > 0"):
        uniform_init_lost_share(0.0, 1e-3, "bfloat16")

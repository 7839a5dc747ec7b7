"""The out-of-memory helpers shared by the HF backend, the GRPO recipe and the GPU check."""

from __future__ import annotations

import pytest

from tucano_commerce._memory import free_accelerator_memory, is_out_of_memory


@pytest.mark.parametrize(
    ("exc", "any_memory", "device_only"),
    [
        (MemoryError(), True, False),
        (RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB"), True, True),
        (RuntimeError("DefaultCPUAllocator: can't allocate memory: out of memory"), True, False),
        (RuntimeError("shape mismatch"), False, False),
        (ValueError("CUDA out of memory"), False, False),
    ],
)
def test_what_counts_as_out_of_memory(exc: BaseException, any_memory: bool, device_only: bool) -> None:
    assert is_out_of_memory(exc) is any_memory
    assert is_out_of_memory(exc, device_only=True) is device_only


def test_torchs_own_error_is_out_of_memory() -> None:
    torch = pytest.importorskip("torch")
    assert is_out_of_memory(torch.OutOfMemoryError("whatever the message"), device_only=True)
    free_accelerator_memory()  # no CUDA here: collects garbage and returns

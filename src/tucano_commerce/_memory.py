"""Out-of-memory helpers, written once for the HF backend, the GRPO recipe and the GPU check script.

Nothing here imports torch: an exception can only be a torch OOM error when torch is already loaded, and
there is accelerator memory to free only then.
"""

from __future__ import annotations

import gc
import sys


def is_out_of_memory(exc: BaseException, *, device_only: bool = False) -> bool:
    """Whether ``exc`` means memory ran out.

    ``torch.OutOfMemoryError`` (``torch.cuda.OutOfMemoryError`` is the same class), or a ``RuntimeError``
    whose message says "out of memory" (the form older kernels raise), and, unless ``device_only``, a host
    ``MemoryError``. ``device_only`` also asks the message of a plain ``RuntimeError`` to name CUDA: the
    recipe's OOM ladder shortens completions for accelerator memory, which a full host cannot fix.
    """
    if isinstance(exc, MemoryError):
        return not device_only
    torch = sys.modules.get("torch")
    oom_type = getattr(torch, "OutOfMemoryError", None) if torch is not None else None
    if oom_type is not None and isinstance(exc, oom_type):
        return True
    message = str(exc).lower()
    return (
        isinstance(exc, RuntimeError)
        and "out of memory" in message
        and (not device_only or "cuda" in message)
    )


def free_accelerator_memory() -> None:
    """Collect garbage, then hand CUDA's cached blocks back (after dropping a model or an OOM)."""
    gc.collect()
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available():
        torch.cuda.empty_cache()

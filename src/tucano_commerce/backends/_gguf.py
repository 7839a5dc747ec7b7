"""GGUF files (``gguf:PATH``) through transformers, with a dequantized safetensors cache.

transformers reads a ``.gguf`` with ``from_pretrained(folder, gguf_file=name)`` and dequantizes every
tensor to float32, which takes ~13 s even for a 135M model (``docs/sources.md#gguf-loading``).
So the first load saves a plain safetensors copy (model + tokenizer, chat template included) under
``tucano_home()/models/<sha256 of the gguf>/``; later loads read that copy in ~0.5 s. The copy is
written to a temporary folder and renamed into place, so an interrupted first load leaves no half
cache. The GGUF's fingerprint (full sha256 below 200 MB, else size + first/last 4 MiB, labelled) is the
cache key and is recorded in ``describe()`` next to the copy's own fingerprint.

After that it *is* the HF backend (same batching, template, adapter and 4-bit options): the weights are
the dequantized GGUF weights, run in float32 (CPU) or bfloat16 (CUDA), not the quantized kernels.

Not offered: an ``engine="llama_cpp"`` path. llama-cpp-python is about 10x faster on CPU but has no
wheel on PyPI (an 8-minute source build), so it could not be installed or tested here. A llama.cpp
``llama-server`` is OpenAI-compatible: use ``openai:MODEL`` with ``base_url="http://127.0.0.1:8080/v1"``.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import Field

from tucano_commerce.backends._base import Backend, BackendError
from tucano_commerce.backends._fingerprint import file_sha256
from tucano_commerce.backends._hf import HFBackend, HFOptions, require_hf
from tucano_commerce.backends._registry import backend
from tucano_commerce.paths import tucano_home

CACHE_MARKER = "tucano-gguf.json"
CACHE_FORMAT = 1


class GGUFOptions(HFOptions):
    """Options of the ``gguf:`` backend: the HF options plus where the dequantized copy is cached."""

    cache_dir: str | None = Field(
        None, description="Folder for dequantized copies; default: $TUCANO_HOME/models (./.tucano/models)."
    )


class GGUFBackend(HFBackend):
    """The HF backend over a GGUF's dequantized copy."""

    name = "gguf"


def gguf_cache_root(options: GGUFOptions) -> Path:
    """Where dequantized copies live."""
    return Path(options.cache_dir).expanduser() if options.cache_dir else tucano_home() / "models"


def dequantized_copy(gguf_path: Path, cache_root: Path) -> tuple[Path, dict[str, Any]]:
    """The cached safetensors copy of ``gguf_path``, created on first use.

    Returns:
        ``(folder, gguf_fingerprint)`` where the fingerprint is ``{"sha256", "bytes", "method"}``.

    Raises:
        BackendError: transformers cannot read this GGUF (unsupported architecture or quantization).
    """
    fingerprint = file_sha256(gguf_path)
    target = cache_root / fingerprint["sha256"]
    if (target / CACHE_MARKER).is_file():
        return target, fingerprint
    torch, transformers = require_hf()
    try:
        tokenizer = transformers.AutoTokenizer.from_pretrained(gguf_path.parent, gguf_file=gguf_path.name)
        model = transformers.AutoModelForCausalLM.from_pretrained(
            gguf_path.parent, gguf_file=gguf_path.name, dtype=torch.float32
        )
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        raise BackendError(f"transformers cannot load {gguf_path}: {type(exc).__name__}: {exc}") from exc
    # A GGUF-loaded model refuses save_pretrained ("quantized with gguf"); its tensors are already plain.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    cache_root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=cache_root, prefix=f".{fingerprint['sha256'][:12]}-"))
    try:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        marker = {
            "format": CACHE_FORMAT,
            "source": str(gguf_path),
            "gguf": fingerprint,
            "transformers": transformers.__version__,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        (tmp / CACHE_MARKER).write_text(json.dumps(marker, indent=2), encoding="utf-8")
        try:
            os.replace(tmp, target)
        except OSError:  # another process finished first (target exists and is not empty): use theirs
            if not (target / CACHE_MARKER).is_file():
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target, fingerprint


def load_gguf(
    gguf_path: Path,
    options: GGUFOptions,
    *,
    spec: str,
    extra: dict[str, Any] | None = None,
    cls: type[GGUFBackend] | None = None,
) -> GGUFBackend:
    """A ``GGUFBackend`` (or subclass ``cls``) over the dequantized copy of ``gguf_path``."""
    if not gguf_path.is_file():
        raise BackendError(f"No GGUF file at {gguf_path}.")
    folder, fingerprint = dequantized_copy(gguf_path, gguf_cache_root(options))
    info = {
        "gguf_path": str(gguf_path),
        "gguf_sha256": fingerprint["sha256"],
        "gguf_sha256_method": fingerprint["method"],
        "gguf_cache": str(folder),
        **(extra or {}),
    }
    hf_options = HFOptions(**options.model_dump(exclude={"cache_dir"}))
    return (cls or GGUFBackend)(folder, hf_options, spec=spec, extra=info)


@backend(
    "gguf", options=GGUFOptions, target="PATH", summary="A .gguf file, dequantized through transformers."
)
def _make_gguf(target: str | None, options: GGUFOptions) -> Backend:
    path = Path(target or "").expanduser()
    if path.suffix != ".gguf":
        raise BackendError(f"gguf: expects a .gguf file, got {target!r}. For a model folder use hf:{target}.")
    return load_gguf(path.resolve(), options, spec=f"gguf:{target}")

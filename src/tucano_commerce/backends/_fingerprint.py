"""Fingerprints of weight files, so a results file says exactly which weights produced it.

* A file under 200 MB is hashed in full (sha256 of its bytes), method ``"full"``.
* A larger file is hashed as sha256 of ``size (8 bytes, big-endian) + first 4 MiB + last 4 MiB``, method
  ``"size+first+last 4MiB"``: seconds instead of minutes for a multi-GB checkpoint, and it still changes
  with any re-save, re-quantization or fine-tune (those rewrite headers and the last tensors). It is
  labelled as such wherever it appears; it is not a content hash.
* A set of files (a model folder) is summarised by one sha256 over the sorted lines
  ``relative-path<TAB>method<TAB>bytes<TAB>sha256``; its method is ``"full"`` only when every file's is.

Adapters are always hashed in full (``full=True``): they are small, and they are what changes between
training runs.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

FULL_HASH_MAX_BYTES = 200 * 1024 * 1024
EDGE_BYTES = 4 * 1024 * 1024
PARTIAL_METHOD = "size+first+last 4MiB"
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".gguf", ".h5", ".msgpack", ".ckpt")
_CHUNK = 1024 * 1024


def file_sha256(path: Path, *, full: bool = False) -> dict[str, Any]:
    """``{"sha256", "bytes", "method"}`` of one file (partial above 200 MB unless ``full``)."""
    size = path.stat().st_size
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        if full or size < FULL_HASH_MAX_BYTES:
            while chunk := fh.read(_CHUNK):
                digest.update(chunk)
            return {"sha256": digest.hexdigest(), "bytes": size, "method": "full"}
        digest.update(size.to_bytes(8, "big"))
        digest.update(fh.read(EDGE_BYTES))
        fh.seek(size - EDGE_BYTES)
        digest.update(fh.read(EDGE_BYTES))
    return {"sha256": digest.hexdigest(), "bytes": size, "method": PARTIAL_METHOD}


def fingerprint_files(files: list[Path], root: Path, *, full: bool = False) -> dict[str, Any]:
    """One fingerprint over ``files`` (paths shown relative to ``root``).

    Returns:
        ``{"sha256", "method", "files": {relpath: {"sha256", "bytes", "method"}}}``.
    """
    entries = {str(f.relative_to(root)): file_sha256(f.resolve(), full=full) for f in sorted(files)}
    lines = "".join(f"{rel}\t{e['method']}\t{e['bytes']}\t{e['sha256']}\n" for rel, e in entries.items())
    methods = {e["method"] for e in entries.values()}
    return {
        "sha256": hashlib.sha256(lines.encode()).hexdigest(),
        "method": "full" if methods <= {"full"} else f"per file: full below 200 MB, else {PARTIAL_METHOD}",
        "files": entries,
    }


def weight_files(folder: Path) -> list[Path]:
    """The weight files of a model folder (safetensors, bin, gguf ...), top level only."""
    return sorted(p for p in folder.iterdir() if p.is_file() and p.name.endswith(WEIGHT_SUFFIXES))


def adapter_files(folder: Path) -> list[Path]:
    """What defines a PEFT adapter: ``adapter_config.json`` and the ``adapter_model.*`` weights."""
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and (p.name == "adapter_config.json" or p.name.startswith("adapter_model."))
    )


def text_sha256(text: str | None) -> str | None:
    """sha256 of a string (a chat template), None for None."""
    return None if text is None else hashlib.sha256(text.encode("utf-8")).hexdigest()

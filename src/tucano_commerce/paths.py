"""Where the toolkit finds its inputs and keeps its caches.

The real Olist CSVs are never part of the repository: a user points ``TUCANO_OLIST_DIR`` (or a
``--olist-dir`` flag) at a folder holding their Kaggle download, or lets ``tucano data fetch-olist`` store
it under ``$TUCANO_HOME/olist``, the default when neither is given. Built artefacts (warehouses, run
caches) go under ``TUCANO_HOME``, by default ``.tucano/`` in the current directory.

The benchmark files and the configs ship inside the package (``tucano_commerce/_bundled``) and are found
with ``importlib.resources``, so an installed wheel works from any directory. In a checkout,
``_bundled/configs`` and the files of ``_bundled/benchmark`` are symbolic links to the repository's
``configs/`` and ``benchmark/``, which stay the source of truth: an edit there is what the code reads, and
the wheel gets copies of them (``[tool.setuptools.package-data]`` in ``pyproject.toml``).
"""

from __future__ import annotations

import importlib.resources
import os
from pathlib import Path

from tucano_commerce.errors import ConfigError

OLIST_DIR_ENV = "TUCANO_OLIST_DIR"
HOME_ENV = "TUCANO_HOME"

OLIST_HELP = (
    "Get the Kaggle dataset 'olistbr/brazilian-ecommerce' with `tucano data fetch-olist` (needs "
    "`pip install 'tucano-commerce[kaggle]'`, network and Kaggle credentials; it stores the checked files "
    "under $TUCANO_HOME/olist, the default data folder), or download it by hand from "
    "https://www.kaggle.com/datasets/olistbr/brazilian-ecommerce and run `tucano data fetch-olist --from "
    f"archive.zip`, or unzip it into a folder and point {OLIST_DIR_ENV} at it (or pass --olist-dir DIR)."
)
BUNDLED = "_bundled"
"""Folder inside the package with the shipped benchmark files and configs."""


def tucano_home() -> Path:
    """Folder for built artefacts and caches (``$TUCANO_HOME`` or ``./.tucano``)."""
    return Path(os.environ.get(HOME_ENV) or ".tucano").expanduser()


def default_olist_dir() -> Path:
    """Where ``tucano data fetch-olist`` stores the data: ``$TUCANO_HOME/olist``."""
    return tucano_home() / "olist"


def bundled(*parts: str) -> Path:
    """A file or folder shipped with the package, e.g. ``bundled("configs", "models.yaml")``.

    Raises:
        ConfigError: the package is installed in a form whose files are not on disk (a zip).
    """
    found = importlib.resources.files("tucano_commerce").joinpath(BUNDLED, *parts)
    if not isinstance(found, Path):
        raise ConfigError(
            f"tucano_commerce is installed as {type(found).__name__}, not as files on disk; "
            "install it with pip (unpacked) to use the shipped benchmark and configs"
        )
    return found


def olist_dir(explicit: str | Path | None = None, *, required: bool = False) -> Path | None:
    """Resolve the Olist data directory from an explicit path or ``$TUCANO_OLIST_DIR``.

    Args:
        explicit: a path given on the command line; wins over the environment.
        required: raise ``ConfigError`` (with download instructions) when no directory is set.

    Returns:
        The directory, or ``None`` when none is configured and ``required`` is false. With neither an
        explicit path nor ``$TUCANO_OLIST_DIR`` (unset or empty), ``$TUCANO_HOME/olist`` is used when it
        exists (``tucano data fetch-olist`` puts the data there).
    """
    raw = explicit if explicit is not None else os.environ.get(OLIST_DIR_ENV)
    if not raw and default_olist_dir().is_dir():
        return default_olist_dir()
    if not raw:
        if required:
            raise ConfigError(f"No Olist data directory is set. {OLIST_HELP}")
        return None
    path = Path(raw).expanduser()
    if not path.is_dir():
        source = "--olist-dir" if explicit is not None else OLIST_DIR_ENV
        raise ConfigError(f"{source} points at '{path}', which is not a directory. {OLIST_HELP}")
    return path


def shipped_configs() -> dict[str, Path]:
    """Every config shipped with the package by its name under ``configs/`` (``accelerate/ddp.yaml`` ...)."""
    root = bundled("configs")
    return {p.relative_to(root).as_posix(): p for p in sorted(root.rglob("*.yaml"))}


def shipped_config(name: str | Path) -> Path | None:
    """The shipped config a relative name means (``configs/grpo_v3.yaml``, ``grpo_v3.yaml``, ``grpo_v3``).

    Returns:
        Its path, or None when ``name`` is absolute or names no shipped config.
    """
    path = Path(name)
    if path.is_absolute():
        return None
    parts = path.parts[1:] if path.parts[:1] == ("configs",) else path.parts
    key = Path(*parts).as_posix() if parts else ""
    configs = shipped_configs()
    return configs.get(key) or configs.get(f"{key}.yaml")

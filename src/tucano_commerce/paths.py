"""Where the toolkit finds its inputs and keeps its caches.

The real Olist CSVs are never part of the repository: a user points ``TUCANO_OLIST_DIR`` (or a
``--olist-dir`` flag) at a folder holding their Kaggle download. Built artefacts (warehouses, run
caches) go under ``TUCANO_HOME``, by default ``.tucano/`` in the current directory.
"""

from __future__ import annotations

import os
from pathlib import Path

from tucano_commerce.errors import ConfigError

OLIST_DIR_ENV = "TUCANO_OLIST_DIR"
HOME_ENV = "TUCANO_HOME"

OLIST_HELP = (
    "Download the Kaggle dataset 'olistbr/brazilian-ecommerce', unzip it into a folder and point "
    f"{OLIST_DIR_ENV} at that folder (or pass --olist-dir DIR)."
)


def tucano_home() -> Path:
    """Folder for built artefacts and caches (``$TUCANO_HOME`` or ``./.tucano``)."""
    return Path(os.environ.get(HOME_ENV) or ".tucano").expanduser()


def olist_dir(explicit: str | Path | None = None, *, required: bool = False) -> Path | None:
    """Resolve the Olist data directory from an explicit path or ``$TUCANO_OLIST_DIR``.

    Args:
        explicit: a path given on the command line; wins over the environment.
        required: raise ``ConfigError`` (with download instructions) when no directory is set.

    Returns:
        The directory, or ``None`` when none is configured and ``required`` is false.
    """
    raw = explicit if explicit is not None else os.environ.get(OLIST_DIR_ENV)
    if not raw:
        if required:
            raise ConfigError(f"No Olist data directory is set. {OLIST_HELP}")
        return None
    path = Path(raw).expanduser()
    if not path.is_dir():
        source = "--olist-dir" if explicit is not None else OLIST_DIR_ENV
        raise ConfigError(f"{source} points at '{path}', which is not a directory. {OLIST_HELP}")
    return path

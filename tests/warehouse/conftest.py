"""Warehouses built once per test session (real DuckDB files, default scale)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tucano_commerce.warehouse import build_warehouse


@pytest.fixture(scope="session")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Seed-0 synthetic warehouse at the default scale (~10k orders)."""
    path = tmp_path_factory.mktemp("wh") / "seed0.duckdb"
    build_warehouse(path, seed=0)
    return path


@pytest.fixture(scope="session")
def big_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Seed-7 warehouse at 0.4x Olist, for distribution checks with less sampling noise."""
    path = tmp_path_factory.mktemp("wh") / "seed7.duckdb"
    build_warehouse(path, seed=7, scale=0.4)
    return path


@pytest.fixture(scope="session")
def olist_dir() -> Path:
    """The real Olist data directory ($TUCANO_OLIST_DIR); tests that need it skip without it."""
    raw = os.environ.get("TUCANO_OLIST_DIR")
    if not raw or not Path(raw).is_dir():
        pytest.skip(
            "TUCANO_OLIST_DIR is not set to the Olist data directory (make test sets it when ../shared exists)"
        )
    return Path(raw)

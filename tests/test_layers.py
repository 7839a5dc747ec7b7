"""Layers only point down: every ``tucano_commerce`` import in ``src/`` (lazy ones inside functions included)
goes to the same layer or one below it.

    PYTHONPATH=src .venv/bin/python -m pytest tests/test_layers.py
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "tucano_commerce"

# Lowest first. The foundation modules import nothing above them; each layer may import any layer before it.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("errors", "paths", "_io", "_http", "_memory", "_ptbr", "__init__"),
    ("sql",),
    ("warehouse",),
    ("tasks",),
    ("backends",),
    ("scoring",),
    ("bench",),
    ("data",),
    ("train",),
    ("cli",),
)
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}


def _layer(module: str) -> str:
    """The layer of a dotted module name under ``tucano_commerce`` (``tucano_commerce.sql._gate`` -> ``sql``)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("tucano_commerce"):
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.startswith("tucano_commerce")]
    return found


def test_every_source_file_belongs_to_a_layer() -> None:
    unknown = {p.relative_to(SRC).parts[0].removesuffix(".py") for p in SRC.rglob("*.py")} - set(RANK)
    assert not unknown, f"add {sorted(unknown)} to LAYERS"


@pytest.mark.parametrize("path", sorted(SRC.rglob("*.py")), ids=lambda p: str(p.relative_to(SRC)))
def test_imports_point_down(path: Path) -> None:
    rel = path.relative_to(SRC)
    own = rel.parts[0].removesuffix(".py") if len(rel.parts) > 1 else rel.stem
    upward = [
        f"line {line}: {module} ({_layer(module)} is above {own})"
        for line, module in _imports(path)
        if RANK[_layer(module)] > RANK[own]
    ]
    assert not upward, f"{rel} imports upward: {upward}"


def _loaded_after(code: str) -> set[str]:
    """Top-level modules loaded by a fresh interpreter after running ``code``."""
    probe = f"{code}\nimport sys; print(' '.join(sorted({{m.split('.')[0] for m in sys.modules}} | {{m for m in sys.modules if m.startswith('tucano_commerce.')}})))"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC.parent), os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True)
    return set(out.stdout.split())


def test_the_train_package_loads_lazily() -> None:
    """The GPU check imports the trainer modules plainly: they must not pull in the scorers' duckdb/sqlglot."""
    pytest.importorskip("trl")
    loaded = _loaded_after(
        "import tucano_commerce.train._trainer, tucano_commerce.train._callbacks, "
        "tucano_commerce.train._planner, tucano_commerce.train._shapes, tucano_commerce._memory"
    )
    assert not loaded & {"duckdb", "sqlglot", "json_repair", "tucano_commerce.scoring", "tucano_commerce.sql"}


def test_the_train_packages_public_names_resolve() -> None:
    import tucano_commerce.train as train

    assert set(train.__all__) == set(train._EXPORTS)
    for name in train.__all__:
        assert getattr(train, name) is not None
    with pytest.raises(AttributeError, match="no_such_name"):
        train.no_such_name  # noqa: B018


def test_the_cli_imports_in_one_pass() -> None:
    """No import-order trick: the helpers the sub-commands share live in cli._common."""
    assert "tucano_commerce.cli._common" in _loaded_after("from tucano_commerce.cli import app")

"""Installed, not only checked out: the benchmark files and configs ship as package data.

A wheel is built from a copy of the repository's files (symlinks kept, as in a clone) with the venv's own
setuptools (no network, no build isolation), installed with ``--no-deps`` into a folder of its own, and run
from an unrelated directory with the venv's dependencies.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tucano_commerce.paths import bundled, shipped_config, shipped_configs
from tucano_commerce.tasks._benchmark import BENCHMARK_DIR_ENV, benchmark_dir
from tucano_commerce.train._config import find_config, load_config

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src" / "tucano_commerce"
SOURCES = ["pyproject.toml", "README.md", "src", "benchmark", "configs"]


def _copy_repo(dest: Path) -> Path:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build")
    dest.mkdir(parents=True)
    for name in SOURCES:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, dest / name, symlinks=True, ignore=ignore)
        else:
            shutil.copy2(source, dest / name)
    return dest


def _setuptools_major() -> int:
    from importlib.metadata import version

    return int(version("setuptools").split(".")[0])


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``pip wheel`` of the repository, installed with ``pip install --no-deps --target``; the target."""
    if _setuptools_major() < 77:  # offline, the build uses this venv's setuptools (`make` installs >= 77)
        pytest.skip(
            "this venv's setuptools is older than 77 (pyproject's build-system): pip install -U setuptools"
        )
    root = tmp_path_factory.mktemp("install")
    tree = _copy_repo(root / "tree")
    wheels, target = root / "wheels", root / "site"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    env = {**os.environ, "PIP_NO_INDEX": "1"}
    built = subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(wheels), str(tree)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    (wheel,) = wheels.glob("tucano_commerce-*.whl")
    done = subprocess.run(
        [*pip, "install", "--no-deps", "--target", str(target), str(wheel)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return target


def _run_installed(target: Path, args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """The installed ``tucano`` script with the installed package first on the path, run from ``cwd``."""
    clean = {k: v for k, v in os.environ.items() if k not in (BENCHMARK_DIR_ENV, "TUCANO_OLIST_DIR")}
    full = {**clean, "PYTHONPATH": str(target), **env}
    return subprocess.run(
        [sys.executable, str(target / "bin" / "tucano"), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=full,
        timeout=600,
    )


def test_the_wheel_ships_the_benchmark_and_configs(installed: Path) -> None:
    data = installed / "tucano_commerce" / "_bundled"
    for name in ("prompts.jsonl", "manifest.json", "README.md"):
        shipped = data / "benchmark" / name
        assert shipped.is_file() and not shipped.is_symlink()
        assert shipped.read_bytes() == (REPO / "benchmark" / name).read_bytes()
    for path in (REPO / "configs").rglob("*.yaml"):
        shipped = data / "configs" / path.relative_to(REPO / "configs")
        assert shipped.is_file() and shipped.read_bytes() == path.read_bytes(), path


def test_the_installed_package_validates_the_benchmark_from_another_directory(
    installed: Path, tmp_path: Path, tucano_home: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = _run_installed(installed, ["bench", "validate"], elsewhere, TUCANO_HOME=str(tucano_home))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "benchmark valid" in done.stdout and "reference_scores │ ok" in done.stdout


def test_the_installed_package_honours_overrides_and_finds_shipped_configs(
    installed: Path, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    probe = (
        "from tucano_commerce.tasks._benchmark import benchmark_dir; from tucano_commerce.bench._models import "
        "default_models_path; from tucano_commerce.train._config import find_config; "
        "print(benchmark_dir()); print(default_models_path()); print(find_config('configs/grpo_v3.yaml'))"
    )
    clean = {k: v for k, v in os.environ.items() if k != BENCHMARK_DIR_ENV}
    env = {**clean, "PYTHONPATH": str(installed)}
    shown = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=elsewhere, env=env
    )
    assert shown.returncode == 0, shown.stderr
    bench, models, recipe = shown.stdout.split()
    assert Path(bench) == installed / "tucano_commerce" / "_bundled" / "benchmark"
    assert Path(models) == installed / "tucano_commerce" / "_bundled" / "configs" / "models.yaml"
    assert Path(recipe) == installed / "tucano_commerce" / "_bundled" / "configs" / "grpo_v3.yaml"
    other = shutil.copytree(REPO / "benchmark", tmp_path / "mine", ignore=shutil.ignore_patterns("*.py"))
    env[BENCHMARK_DIR_ENV] = str(other)
    shown = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=elsewhere, env=env
    )
    assert shown.returncode == 0 and Path(shown.stdout.split()[0]) == other
    listed = _run_installed(installed, ["train", "configs"], elsewhere)
    assert listed.returncode == 0 and "configs/accelerate/zero3.yaml" in listed.stdout
    assert str(installed) in listed.stdout


def test_a_checkout_reads_the_repository_files_so_edits_apply(tmp_path: Path, monkeypatch) -> None:
    # In a checkout the shipped files are links to benchmark/ and configs/: one copy, the one users edit.
    assert bundled("configs").resolve() == (REPO / "configs").resolve()
    assert (benchmark_dir() / "prompts.jsonl").resolve() == (REPO / "benchmark" / "prompts.jsonl").resolve()
    assert set(shipped_configs()) >= {
        "grpo_v3.yaml",
        "grpo_tiny_cpu.yaml",
        "models.yaml",
        "accelerate/ddp.yaml",
    }
    # --config configs/grpo_v3.yaml: the file itself where it exists (the repo root), the shipped one elsewhere
    monkeypatch.chdir(REPO)
    assert find_config("configs/grpo_v3.yaml") == Path("configs/grpo_v3.yaml")
    monkeypatch.chdir(tmp_path)
    assert (
        find_config("configs/grpo_v3.yaml") == shipped_config("grpo_v3") == bundled("configs", "grpo_v3.yaml")
    )
    edited = tmp_path / "configs" / "grpo_v3.yaml"
    edited.parent.mkdir()
    text = (REPO / "configs" / "grpo_v3.yaml").read_text(encoding="utf-8")
    edited.write_text(text.replace('run_name: "', 'run_name: "edited-', 1), encoding="utf-8")
    assert load_config("configs/grpo_v3.yaml").run_name.startswith("edited-")
    assert not load_config(bundled("configs", "grpo_v3.yaml")).run_name.startswith("edited-")


def test_no_repository_root_lookups_in_src() -> None:
    hits = [
        f"{path.relative_to(REPO)}:{n}"
        for path in SRC.rglob("*.py")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"\.parents\[\d+\]", line)
    ]
    assert hits == []

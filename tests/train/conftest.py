"""Fixtures shared by the training tests: the tiny dataset and one tiny GRPO run, built once per session.

``tiny_run`` trains ``configs/grpo_tiny_cpu.yaml`` (4 steps, ~1 min on CPU) with TensorBoard on; the recipe
tests and the doctor tests read the same run. Tests must not depend on what other tests add to it (the
resume test continues it to step 6): read expectations from the run's own files.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
TINY = REPO / "configs" / "grpo_tiny_cpu.yaml"


def _tiny_config(**changes):
    """``configs/grpo_tiny_cpu.yaml`` with dotted-key changes, validated."""
    from tucano_commerce.train._config import parse_config

    data = yaml.safe_load(TINY.read_text(encoding="utf-8"))
    for dotted, value in changes.items():
        node = data
        *parents, last = dotted.split(".")
        for p in parents:
            node = node[p]
        node[last] = value
    return parse_config(data, "grpo_tiny_cpu.yaml")


@pytest.fixture(scope="session")
def tiny_config():
    """``tiny_config(**{"grpo.max_steps": 2})``: the tiny recipe with dotted-key changes."""
    return _tiny_config


@pytest.fixture(scope="session")
def tiny_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session's ``$TUCANO_HOME`` (the same folder the ``tucano_home`` fixture sets)."""
    return tmp_path_factory.getbasetemp() / "tucano-home"


@pytest.fixture(scope="session")
def tiny_data(tiny_home, tmp_path_factory, synthetic_olist):
    """The tiny training data (60 examples, 8 held out), built from the synthetic Olist reviews (so it runs
    with or without the real data, and the same everywhere); the build checks it against the synthetic
    world's benchmark copy, whose review hashes match those invented texts (``tests/synthetic_olist.py``)."""
    from tucano_commerce.data import build_dataset

    out = tmp_path_factory.mktemp("data") / "tiny"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TUCANO_HOME", str(tiny_home))
        mp.setenv("TUCANO_BENCHMARK_DIR", str(synthetic_olist.benchmark_dir))
        build_dataset(out, total=60, eval_size=8, seed=0, olist=synthetic_olist.olist_dir)
    return out


@pytest.fixture(scope="session")
def tiny_run(tiny_data, tiny_home, tmp_path_factory):
    """``(TrainResult, run folder)`` of one tiny GRPO run (TensorBoard tracker on)."""
    pytest.importorskip("trl")
    pytest.importorskip("peft")
    from tucano_commerce.train._recipe import train_grpo

    out = tmp_path_factory.mktemp("runs") / "tiny"
    cfg = _tiny_config(**{"data.dir": str(tiny_data), "tracker": "tensorboard"})
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TUCANO_HOME", str(tiny_home))
        mp.setenv("HF_HUB_OFFLINE", "1")
        mp.setenv("HF_DATASETS_OFFLINE", "1")
        result = train_grpo(cfg, output_dir=out, skip_preflight=True)
    return result, out

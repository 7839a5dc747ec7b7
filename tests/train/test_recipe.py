"""The GRPO v3 recipe: the pre-flight lists everything missing, the OOM ladder, and one tiny CPU run
end to end (staged rewards + schedule, filter, median baseline, monitor, early stopping, checkpoint, resume).

    TUCANO_OLIST_DIR=../shared/data/olist .venv/bin/python -m pytest tests/train/test_recipe.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml

from tucano_commerce.errors import ConfigError, TucanoError
from tucano_commerce.train._config import load_config, parse_config
from tucano_commerce.train._recipe import is_oom, next_rung, preflight, train_grpo

pytest.importorskip("trl")
pytest.importorskip("peft")

REPO = Path(__file__).resolve().parents[2]
TINY = REPO / "configs" / "grpo_tiny_cpu.yaml"
ADR = REPO / "configs" / "grpo_v3.yaml"
HAS_OLIST = bool(os.environ.get("TUCANO_OLIST_DIR"))
needs_olist = pytest.mark.skipif(not HAS_OLIST, reason="needs TUCANO_OLIST_DIR (training data build)")
LOGGED = [
    "reward",
    "rewards/format_reward/mean",
    "rewards/partial_reward/mean",
    "rewards/task_reward/mean",
    "entropy",
    "frac_reward_zero_std",
    "completions/mean_length",
    "eval_reward",
]


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    path = tmp_path_factory.mktemp("tucano-home")
    old = os.environ.get("TUCANO_HOME")
    os.environ["TUCANO_HOME"] = str(path)
    yield path
    if old is None:
        os.environ.pop("TUCANO_HOME", None)
    else:
        os.environ["TUCANO_HOME"] = old


def _tiny(**changes):
    data = yaml.safe_load(TINY.read_text(encoding="utf-8"))
    for dotted, value in changes.items():
        node = data
        *parents, last = dotted.split(".")
        for p in parents:
            node = node[p]
        node[last] = value
    return parse_config(data, "grpo_tiny_cpu.yaml")


def test_oom_helpers():
    assert is_oom(RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB"))
    assert not is_oom(RuntimeError("shape mismatch"))
    assert not is_oom(ValueError("CUDA out of memory"))
    assert next_rung(3072, [3072, 2560, 2048]) == 2560
    assert next_rung(2048, [3072, 2560, 2048]) is None


def test_preflight_lists_everything_missing(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    out = tmp_path / "run"
    (out / "checkpoint-3").mkdir(parents=True)
    data = yaml.safe_load(ADR.read_text(encoding="utf-8"))
    data["data"]["dir"] = str(empty)
    data["preflight"]["benchmark_dir"] = str(empty)
    data["preflight"]["baseline_results"] = [str(empty / "baseline.json")]
    data["monitor"]["enabled"] = False
    data["zero_std_strategy"] = "keep"
    data["model"]["quantize"] = "none"
    data["grpo"]["per_device_train_batch_size"] = 64  # bf16 weights + 64 x 4k-token sequences: no fit
    cfg = parse_config(data, "grpo_v3.yaml")
    report = preflight(cfg, output_dir=out)
    text = "\n".join(report.missing)
    assert not report.ok
    for expected in [
        "benchmark: ",
        "baseline: no results file at",
        "data: " + str(empty / "train.jsonl") + " is missing",
        "health monitor is off",
        "zero-std groups are kept",
        "already has 1 checkpoint(s): set fresh: true",
        "planner: estimated peak",
    ]:
        assert expected in text, f"{expected!r} not in:\n{text}"
    with pytest.raises(ConfigError, match="pre-flight failed") as err:
        train_grpo(cfg, output_dir=out)
    assert "--skip-preflight" in str(err.value) and "baseline" in str(err.value)


def test_preflight_passes_on_the_shipped_config_shape(tmp_path):
    """The ADR config itself: only environment-dependent items (data, baseline) may be missing."""
    report = preflight(load_config(ADR), output_dir=tmp_path / "run")
    assert report.checks["recipe"] == "ok"
    assert report.checks["planner"] == "ok", report.missing


def test_unsloth_without_cuda_is_a_clear_error(tmp_path, home):
    data = yaml.safe_load(ADR.read_text(encoding="utf-8"))
    data["model"]["loader"] = "unsloth"
    with pytest.raises(
        ConfigError, match=r"Unsloth.*CUDA GPU and `pip install unsloth`|unsloth' needs a CUDA"
    ):
        train_grpo(parse_config(data), output_dir=tmp_path / "run", skip_preflight=True)


@pytest.fixture(scope="module")
def tiny_data(home, tmp_path_factory):
    if not HAS_OLIST:
        pytest.skip("needs TUCANO_OLIST_DIR (training data build)")
    from tucano_commerce.data import build_dataset

    out = tmp_path_factory.mktemp("data") / "tiny"
    build_dataset(out, total=60, eval_size=8, seed=0)
    return out


@pytest.fixture(scope="module")
def tiny_run(tiny_data, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "tiny"
    result = train_grpo(_tiny(**{"data.dir": str(tiny_data)}), output_dir=out, skip_preflight=True)
    return result, out


@needs_olist
def test_tiny_run_end_to_end(tiny_run):
    result, out = tiny_run
    assert result.global_step == 4
    keys = set().union(*(set(h) for h in result.log_history))
    assert set(LOGGED) <= keys, sorted(set(LOGGED) - keys)
    assert any(k.startswith("zero_std/") for k in keys)  # the filter ran
    for step in (2, 4):
        ckpt = out / f"checkpoint-{step}"
        assert (ckpt / "adapter_model.safetensors").is_file()
        saved = json.loads((ckpt / "recipe_config.json").read_text(encoding="utf-8"))
        assert saved["skip_preflight"] is True and saved["output_dir"] == str(out)
        assert load_config(ckpt / "recipe_config.yaml").grpo["max_completion_length"] == 16
    assert result.best_checkpoint is not None and result.best_checkpoint.parent == out
    assert result.oom_steps == []


@needs_olist
def test_tiny_resume_continues_from_the_checkpoint(tiny_run, tiny_data):
    _, out = tiny_run
    cfg = _tiny(**{"data.dir": str(tiny_data), "grpo.max_steps": 6})
    result = train_grpo(cfg, output_dir=out, resume=True, skip_preflight=True)
    assert result.global_step == 6
    steps = [h["step"] for h in result.log_history if "loss" in h]
    assert steps == [1, 2, 3, 4, 5, 6]  # 1-4 restored from checkpoint-4's state, 5-6 trained now
    assert (out / "checkpoint-6" / "recipe_config.json").is_file()


@needs_olist
def test_oom_ladder_steps_down_then_stops(tiny_data, tmp_path, monkeypatch):
    from tucano_commerce.train import _trainer

    seen = []

    def oom(self, *args, **kwargs):
        seen.append(self.args.max_completion_length)
        raise RuntimeError("CUDA out of memory. Tried to allocate 1.00 GiB")

    monkeypatch.setattr(_trainer.TucanoGRPOTrainer, "train", oom)
    out = tmp_path / "run"
    with pytest.raises(TucanoError, match="last rung of oom_ladder"):
        train_grpo(_tiny(**{"data.dir": str(tiny_data)}), output_dir=out, skip_preflight=True)
    assert seen == [16, 12, 8]
    lines = [json.loads(x) for x in (out / "oom_ladder.jsonl").read_text().splitlines()]
    assert [(x["max_completion_length"], x["next"]) for x in lines] == [(16, 12), (12, 8), (8, None)]

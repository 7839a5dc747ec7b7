"""The pre-flight's planner-side checks: eval share, the vLLM install, the global generation batch, and what
``plan_inputs`` reads from a recipe (eval set size, processes, vLLM settings).

.venv/bin/python -m pytest tests/train/test_preflight_plan.py
"""

from __future__ import annotations

import importlib.metadata
import json
import sys
from pathlib import Path

import pytest
import yaml

from tucano_commerce.train import parse_config, plan_inputs, preflight
from tucano_commerce.train._recipe import VLLM_SUPPORTED, _vllm_problems

pytest.importorskip("trl")

REPO = Path(__file__).resolve().parents[2]
ADR = REPO / "configs" / "grpo_v3.yaml"
VLLM = REPO / "configs" / "grpo_v3_vllm.yaml"


def _recipe(path: Path = ADR) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _fake_vllm(root: Path, version: str, body: str = "") -> Path:
    """A real importable ``vllm`` distribution on disk (package + dist-info), ``version`` as its metadata."""
    (root / "vllm").mkdir(parents=True)
    (root / "vllm" / "__init__.py").write_text(body, encoding="utf-8")
    info = root / f"vllm-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: vllm\nVersion: {version}\n", encoding="utf-8"
    )
    return root


def test_supported_vllm_range_is_trls():
    reqs = [r for r in importlib.metadata.requires("trl") or [] if r.startswith("vllm") and "extra ==" in r]
    assert reqs, "TRL's metadata has no vllm extra"
    spec = reqs[0].split(";")[0]
    assert f">={VLLM_SUPPORTED[0]}" in spec and f"<={VLLM_SUPPORTED[1]}" in spec


def test_vllm_recipe_without_vllm_installed_does_not_start(tmp_path):
    if importlib.util.find_spec("vllm") is not None:  # pragma: no cover - a CUDA machine with vLLM
        pytest.skip("vllm is installed here")
    report = preflight(parse_config(_recipe(VLLM), "grpo_v3_vllm.yaml"), output_dir=tmp_path / "run")
    text = "\n".join(report.missing)
    assert "vllm: grpo.use_vllm needs vLLM 0.22.0-0.31.0" in text and "pip install -e '.[vllm]'" in text
    assert report.checks["planner"] == "ok"  # the vLLM recipe itself plans within the L4


@pytest.mark.parametrize(
    ("version", "body", "expected"),
    [
        ("0.40.0", "", "vllm 0.40.0 is installed; TRL 1.16 supports 0.22.0 to 0.31.0"),
        ("0.25.0", "raise ImportError('libcudart.so.12: cannot open shared object file')", "does not import"),
        ("0.25.0", "", None),
    ],
)
def test_vllm_version_and_import_are_checked(tmp_path, monkeypatch, version, body, expected):
    monkeypatch.syspath_prepend(str(_fake_vllm(tmp_path / "site", version, body)))
    monkeypatch.delitem(sys.modules, "vllm", raising=False)
    problems = _vllm_problems(parse_config(_recipe(VLLM)))
    if expected is None:
        assert problems == []
    else:
        assert len(problems) == 1 and expected in problems[0]
    assert _vllm_problems(parse_config(_recipe(ADR))) == []  # not asked for, not checked


def test_eval_share_above_30_percent_warns(tmp_path):
    data = _recipe()
    data["grpo"].update(eval_steps=10, save_steps=10, per_device_eval_batch_size=4, num_generations_eval=None)
    data["data"]["eval_examples"] = 50  # the ADR's eval: 50 prompts x 4, one prompt per call, every 10 steps
    report = preflight(parse_config(data), output_dir=tmp_path / "run")
    assert any("eval takes 83% of the planned wall time" in w for w in report.warnings), report.warnings
    assert "83% of it eval" in report.checks["planner_hours"]
    shipped = preflight(parse_config(_recipe()), output_dir=tmp_path / "run2")
    assert not any("eval takes" in w for w in shipped.warnings)


def test_generation_batch_check_counts_every_process(tmp_path, monkeypatch):
    data = _recipe()
    data["grpo"].update(per_device_train_batch_size=2, per_device_eval_batch_size=2, num_generations_eval=2)
    monkeypatch.setenv("WORLD_SIZE", "2")
    report = preflight(parse_config(data), output_dir=tmp_path / "run")
    assert report.checks["generation"] == "ok"
    assert report.checks["generation_batch"].startswith("4 completions per generation (global) = 1 prompt(s)")
    assert "2 per process per generate call (2 process(es))" in report.checks["generation_batch"]
    data["grpo"]["generation_batch_size"] = 6  # global: not a multiple of bs 2 x 2 processes
    data["grpo"]["num_generations"] = 2
    report = preflight(parse_config(data), output_dir=tmp_path / "run")
    assert any("generation_batch_size 6 (global) is not a multiple of" in m for m in report.missing)


def test_plan_inputs_reads_the_eval_set_processes_and_vllm_settings(tmp_path, monkeypatch):
    data = _recipe()
    data["data"]["dir"] = str(tmp_path)
    (tmp_path / "eval.jsonl").write_text(
        "".join(json.dumps({"i": i}) + "\n" for i in range(20)), encoding="utf-8"
    )
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    inputs = plan_inputs(parse_config(data))
    assert inputs.eval_examples == 20  # data.eval_examples 32, but the file has 20
    assert (
        inputs.num_processes == 1
        and inputs.num_generations_eval == 2
        and inputs.per_device_eval_batch_size == 16
    )
    del data["data"]["eval_examples"]
    (tmp_path / "eval.jsonl").unlink()
    assert plan_inputs(parse_config(data)).eval_examples == 50  # no file: the data build's default
    data["grpo"]["eval_strategy"] = "no"
    data["grpo"]["load_best_model_at_end"] = False
    assert plan_inputs(parse_config(data)).eval_examples == 0
    monkeypatch.setenv("WORLD_SIZE", "4")
    assert plan_inputs(parse_config(data)).num_processes == 4
    vllm = plan_inputs(parse_config(_recipe(VLLM)), num_processes=1, zero_std_share=0.2)
    assert vllm.use_vllm and vllm.vllm_enable_sleep_mode and vllm.vllm_gpu_memory_utilization == 0.58
    assert vllm.vllm_max_model_length == 4096 and vllm.zero_std_share == 0.2
    server = _recipe(VLLM)
    server["grpo"] = {k: v for k, v in server["grpo"].items() if k not in ("vllm_gpu_memory_utilization",
                                                                          "vllm_enable_sleep_mode")}  # fmt: skip
    server["grpo"]["vllm_mode"] = "server"
    inputs = plan_inputs(parse_config(server), num_processes=1)
    assert inputs.vllm_mode == "server" and "vllm_gpu_memory_utilization" not in inputs.model_fields_set

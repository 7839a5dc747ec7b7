"""The GRPO v3 recipe: the pre-flight lists everything missing, the OOM ladder, and one tiny CPU run
end to end (staged rewards + schedule, filter, median baseline, monitor, early stopping, checkpoint, resume).

The tiny data is built from synthetic Olist reviews (``tests/synthetic_olist.py``), so these tests run
with or without the real data:

    .venv/bin/python -m pytest tests/train/test_recipe.py
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
pytestmark = pytest.mark.usefixtures("tucano_home")  # every tiny:// path resolves in the session's home
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
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
    data["lora"]["trainable_dtype"] = "bfloat16"  # TRL's QLoRA cast, kept: A would never train at lr 3e-6
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
        "already has 1 checkpoint(s): set fresh: true",
        "planner: estimated peak",
        "update_representability: LoRA-A in bfloat16 at lr 3e-06: an lr-sized Adam step is rounded away for 95%",
    ]:
        assert expected in text, f"{expected!r} not in:\n{text}"
    assert "kept" not in text  # keep is not refused: under dr_grpo + beta 0 it is the same gradient as filter
    assert "filter and keep give the same gradient" in report.checks["zero_std"]
    with pytest.raises(ConfigError, match="pre-flight failed") as err:
        train_grpo(cfg, output_dir=out)
    assert "--skip-preflight" in str(err.value) and "baseline" in str(err.value)


def test_preflight_passes_on_the_shipped_config_shape(tmp_path):
    """The ADR config itself: only environment-dependent items (data, baseline) may be missing."""
    report = preflight(load_config(ADR), output_dir=tmp_path / "run")
    assert report.checks["recipe"] == "ok"
    assert report.checks["planner"] == "ok", report.missing


def test_unsloth_is_refused_with_the_reason():
    data = yaml.safe_load(ADR.read_text(encoding="utf-8"))
    data["model"]["loader"] = "unsloth"
    with pytest.raises(ConfigError, match=r"model.loader.*Unsloth 2026.10.9 requires trl<=1.15"):
        parse_config(data)


def test_preflight_checks_bitsandbytes_for_4bit(monkeypatch):
    import importlib.metadata as md

    from tucano_commerce.train import _recipe

    real = md.version

    def fake(name):
        if name == "bitsandbytes":
            return fake.bnb
        return real(name)

    monkeypatch.setattr(md, "version", fake)
    cfg = load_config(ADR)
    fake.bnb = "0.49.1"
    (problem,) = _recipe._package_problems(cfg)
    assert "bitsandbytes 0.49.1 < 0.50" in problem
    fake.bnb = "0.50.2"
    assert _recipe._package_problems(cfg) == []


# tiny_data and tiny_run (one tiny run per session, shared with the doctor tests): tests/train/conftest.py


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
        assert load_config(ckpt / "recipe_config.yaml").grpo["max_completion_length"] == 48
    assert result.best_checkpoint is not None and result.best_checkpoint.parent == out
    assert result.oom_steps == []


def test_tiny_run_learns_and_filters(tiny_run):
    """The warm-started tiny model gives groups with reward variance: those train, tied ones are filtered."""
    result, _ = tiny_run
    train_logs = [h for h in result.log_history if "zero_std/filtered_groups" in h]
    assert len(train_logs) == 4
    trained = [h for h in train_logs if h["zero_std/filtered_groups"] < 2]  # 2 prompts (groups) per step
    assert trained, "every group was tied: the tiny model gave no learning signal"
    for h in trained:
        assert h["entropy"] is not None and h["entropy"] > 0 and h["grad_norm"] > 0
    for h in train_logs:
        if h["zero_std/filtered_groups"] == 2:  # all filtered: no gradient, and no fake entropy of 0
            assert h["grad_norm"] == 0 and h.get("entropy") is None
    assert all(0 < h["completions/mean_length"] <= 48 for h in train_logs)


def test_monitor_and_schedule_keys_reach_history_and_tensorboard(tiny_run):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    result, out = tiny_run
    history = set().union(*(set(h) for h in result.log_history))
    weights = {"reward_weights/format_reward", "reward_weights/partial_reward", "reward_weights/task_reward"}
    assert weights <= history
    health = {k for k in history if k.startswith("health/")}  # fires only when 2 logs in a row tie
    adapter = {"adapter/lora_A_changed_frac", "adapter/lora_B_changed_frac", "adapter/lora_A_update_ratio"}
    assert adapter <= history
    firsts = [h["reward_weights/format_reward"] for h in result.log_history if "loss" in h]
    assert firsts[0] == pytest.approx(0.2) and firsts[-1] < firsts[0]  # the schedule lowers the format weight
    (events,) = out.glob("runs/*")
    acc = EventAccumulator(str(events))
    acc.Reload()
    tags = set(acc.Tags()["scalars"])
    assert {f"train/{k}" for k in weights | health | adapter} <= tags, sorted(tags)
    assert "train/entropy" in tags and "eval/reward" in tags


def test_validate_benchmarks_the_best_checkpoint_like_the_baseline(
    tiny_run, tucano_home, tmp_path, synthetic_olist, monkeypatch
):
    """`tucano train validate`: base + best adapter in process, the baseline's generation settings, the
    report, and the decision with the summary it came from. In the synthetic Olist world, so the review
    tasks run (the decision needs the extraction score)."""
    from typer.testing import CliRunner

    from tucano_commerce.bench import load_results
    from tucano_commerce.cli import app

    _, out = tiny_run
    monkeypatch.setenv("TUCANO_BENCHMARK_DIR", str(synthetic_olist.benchmark_dir))
    monkeypatch.setenv("TUCANO_OLIST_DIR", str(synthetic_olist.olist_dir))
    runner = CliRunner()
    base = tucano_home / "tiny" / "qwen3"
    baseline = tmp_path / "base.json"
    made = runner.invoke(app, ["bench", "run", "--model", f"hf:{base}", "--out", str(baseline), "--limit", "1",
                               "--temperature", "0", "--max-new-tokens", "16"])  # fmt: skip
    assert made.exit_code == 0, made.output
    done = runner.invoke(app, ["train", "validate", "--run", str(out), "--baseline", str(baseline),
                               "--out", str(tmp_path / "val")])  # fmt: skip
    assert done.exit_code == 0, done.output
    trained = load_results(tmp_path / "val" / "grpo_v3.json")
    state = json.loads((out / "checkpoint-4" / "trainer_state.json").read_text(encoding="utf-8"))
    best = Path(state["best_model_checkpoint"])
    assert trained.run.backend["adapter"] == str(best) and trained.run.backend["adapter_sha256"]
    assert trained.run.generation["temperature"] == 0 and trained.run.generation["max_new_tokens"] == 16
    assert len(trained.results) == 5  # no --limit: the baseline's (1 per task), so both answer the same items
    report = (tmp_path / "val" / "report" / "report.md").read_text(encoding="utf-8")
    assert trained.run.model in report and load_results(baseline).run.model in report
    decision = json.loads((tmp_path / "val" / "decision.json").read_text(encoding="utf-8"))
    assert decision["action"] in {"ship", "extend_epoch2", "stop_diagnose", "add_entropy_bonus", "continue"}
    assert decision["reasons"]
    best_eval = [h["eval_reward_fixed"] for h in state["log_history"]
                 if "eval_reward_fixed" in h and h["step"] == int(best.name.split("-")[1])]  # fmt: skip
    evals = [h["eval_reward_fixed"] for h in state["log_history"] if "eval_reward_fixed" in h]
    assert best_eval and len(evals) == 2  # a window of 3 evals around the best covers both: their mean
    assert decision["summary"]["eval_reward"] == pytest.approx(sum(evals) / 2)
    assert f"best checkpoint (step {best.name.split('-')[1]})" in decision["summary"]["eval_reward_method"]
    assert decision["summary"]["eval_reward_se"] is not None
    # the tiny run is on-policy and its recipe has decision.collapse_after_step 0: the clip ratio is 0 at
    # every trained step by construction, and neither validate nor decide may read that as a collapse
    assert decision["summary"]["regime"] == "on-policy"
    assert decision["summary"]["clip_ratio_zero_after_step_50"] is None
    assert not any("clip ratio" in r for r in decision["reasons"])
    clips = [
        h["clip_ratio/region_mean"]
        for h in state["log_history"]
        if h.get("clip_ratio/region_mean") is not None
    ]
    assert clips and all(c == 0 for c in clips)
    decided = runner.invoke(app, ["train", "decide", "--run", str(out), "--results",
                                  str(tmp_path / "val" / "grpo_v3.json")])  # fmt: skip
    assert decided.exit_code == 0, decided.output
    assert "add_entropy_bonus" not in decided.output and "clip ratio" not in decided.output
    assert decision["summary"]["v2_eval_reward"] == 0.125  # the recipe's decision.v2_eval_reward
    assert "decision:" in done.output


def test_validate_run_returns_what_it_wrote(tiny_run, tucano_home, tmp_path, synthetic_olist, monkeypatch):
    """``validate_run``'s typed result names the files it wrote and the decision saved in decision.json."""
    from typer.testing import CliRunner

    from tucano_commerce.bench import load_results
    from tucano_commerce.cli import app
    from tucano_commerce.train import ValidationResult, validate_run

    _, out = tiny_run
    monkeypatch.setenv("TUCANO_BENCHMARK_DIR", str(synthetic_olist.benchmark_dir))
    monkeypatch.setenv("TUCANO_OLIST_DIR", str(synthetic_olist.olist_dir))
    baseline = tmp_path / "base.json"
    base = tucano_home / "tiny" / "qwen3"
    args = f"bench run --model hf:{base} --out {baseline} --limit 1 --tasks extraction --temperature 0.7"
    made = CliRunner().invoke(app, [*args.split(), "--max-new-tokens", "8"])
    assert made.exit_code == 0, made.output
    val = tmp_path / "val"
    result = validate_run(out, baselines=[baseline], out_dir=val, generation={"temperature": 0.0})
    assert isinstance(result, ValidationResult)
    assert result.results == val / "grpo_v3.json"
    trained = load_results(result.results)
    assert [r.task for r in trained.results] == ["extraction"]  # the baseline's tasks and limit
    assert result.report_dir == val / "report"
    assert [p.name for p in result.report][:2] == ["report.md", "report.html"]
    assert all(p.parent == result.report_dir and p.is_file() for p in result.report)
    saved = json.loads((val / "decision.json").read_text(encoding="utf-8"))
    assert saved["action"] == result.decision.action and saved["reasons"] == result.decision.reasons
    assert saved["summary"] == result.summary.model_dump(mode="json")
    # the override makes the comparison unfair: the warning names the baseline and the setting
    assert len(result.warnings) == 1
    assert (
        load_results(baseline).run.model in result.warnings[0]
        and "temperature 0.7 vs 0.0" in result.warnings[0]
    )


@pytest.mark.slow
def test_tiny_resume_continues_from_the_checkpoint(tiny_run, tiny_data, tiny_config):
    _, out = tiny_run
    cfg = tiny_config(**{"data.dir": str(tiny_data), "grpo.max_steps": 6})
    result = train_grpo(cfg, output_dir=out, resume=True, skip_preflight=True)
    assert result.global_step == 6
    steps = [h["step"] for h in result.log_history if "loss" in h]
    assert steps == [1, 2, 3, 4, 5, 6]  # 1-4 restored from checkpoint-4's state, 5-6 trained now
    assert (out / "checkpoint-6" / "recipe_config.json").is_file()


@pytest.mark.slow
def test_oom_ladder_steps_down_then_stops(tiny_data, tmp_path, monkeypatch, tiny_config):
    from tucano_commerce.train import _trainer

    seen = []

    def oom(self, *args, **kwargs):
        seen.append(self.args.max_completion_length)
        raise RuntimeError("CUDA out of memory. Tried to allocate 1.00 GiB")

    monkeypatch.setattr(_trainer.TucanoGRPOTrainer, "train", oom)
    out = tmp_path / "run"
    with pytest.raises(TucanoError, match="last rung of oom_ladder"):
        train_grpo(tiny_config(**{"data.dir": str(tiny_data)}), output_dir=out, skip_preflight=True)
    assert seen == [48, 32, 16]
    lines = [json.loads(x) for x in (out / "oom_ladder.jsonl").read_text().splitlines()]
    assert [(x["max_completion_length"], x["next"]) for x in lines] == [(48, 32), (32, 16), (16, None)]


@pytest.mark.slow
def test_oom_ladder_frees_the_failed_trainer_before_building_the_next(
    tiny_data, tmp_path, monkeypatch, tiny_config
):
    """The next rung is built only after the first trainer and its model are gone (weakrefs dead)."""
    import weakref

    from tucano_commerce.train import _recipe, _trainer

    refs: list[tuple[weakref.ref, weakref.ref]] = []
    alive_at_build: list[list[bool]] = []
    real_build = _recipe._build_trainer

    def build(*args, **kwargs):
        alive_at_build.append([r() is not None for pair in refs for r in pair])
        trainer = real_build(*args, **kwargs)
        refs.append((weakref.ref(trainer), weakref.ref(trainer.model)))
        return trainer

    def oom(self, *args, **kwargs):
        if self.args.max_completion_length == 48:
            raise RuntimeError("CUDA out of memory. Tried to allocate 1.00 GiB")
        return real_train(self, *args, **kwargs)

    real_train = _trainer.TucanoGRPOTrainer.train
    monkeypatch.setattr(_recipe, "_build_trainer", build)
    monkeypatch.setattr(_trainer.TucanoGRPOTrainer, "train", oom)
    cfg = tiny_config(**{"data.dir": str(tiny_data), "grpo.max_steps": 1, "grpo.eval_strategy": "no",
                   "grpo.load_best_model_at_end": False})  # fmt: skip
    result = train_grpo(cfg, output_dir=tmp_path / "run", skip_preflight=True)
    assert alive_at_build == [[], [False, False]]  # trainer and model of rung 1 freed before rung 2
    assert [s["max_completion_length"] for s in result.oom_steps] == [48] and result.global_step == 1


@pytest.mark.slow
def test_oom_mid_run_resumes_from_the_last_checkpoint_with_shorter_completions(
    tiny_data, tmp_path, monkeypatch, tiny_config
):
    """CUDA OOM in step 3 (after checkpoint-2): the run resumes from checkpoint-2 at the next rung."""
    from tucano_commerce.train import _trainer

    real = _trainer.TucanoGRPOTrainer._generate_and_score_completions

    def oom_at_step_3(self, inputs):
        if self.model.training and self.state.global_step == 2 and self.args.max_completion_length == 48:
            raise RuntimeError("CUDA out of memory. Tried to allocate 1.00 GiB")
        return real(self, inputs)

    monkeypatch.setattr(_trainer.TucanoGRPOTrainer, "_generate_and_score_completions", oom_at_step_3)
    out = tmp_path / "run"
    result = train_grpo(tiny_config(**{"data.dir": str(tiny_data)}), output_dir=out, skip_preflight=True)
    assert [(s["global_step"], s["max_completion_length"], s["next"]) for s in result.oom_steps] == [
        (2, 48, 32)
    ]
    assert result.global_step == 4
    steps = [h["step"] for h in result.log_history if "loss" in h]
    assert steps == [1, 2, 3, 4]  # 1-2 restored from checkpoint-2, 3-4 trained at the shorter length
    late = [h for h in result.log_history if "loss" in h and h["step"] > 2]
    assert all(h["completions/max_length"] <= 32 for h in late)
    assert load_config(out / "checkpoint-4" / "recipe_config.yaml").grpo["max_completion_length"] == 32
    assert load_config(out / "recipe_config.yaml").grpo["max_completion_length"] == 32
    (line,) = (out / "oom_ladder.jsonl").read_text().splitlines()
    assert json.loads(line)["next"] == 32
    # dr_grpo divides by max_completion_length: the loss keeps the first rung's scale (32 / 48), logged
    assert all(h["loss_scale"] == pytest.approx(32 / 48) for h in late)
    # the monitor's state came back from checkpoint-2 (its early entropy level was set before the OOM)
    saved = json.loads((out / "checkpoint-2" / "health_monitor.json").read_text(encoding="utf-8"))
    assert (
        saved["early_entropy"]
        and json.loads((out / "checkpoint-4" / "health_monitor.json").read_text(encoding="utf-8"))[
            "early_entropy"
        ][: len(saved["early_entropy"])]
        == saved["early_entropy"]
    )


@pytest.mark.slow
def test_wandb_offline_run_lands_in_the_run_folder(tiny_data, tmp_path, monkeypatch, tiny_config):
    """tracker: wandb + wandb_offline: no network, the run's files under RUN/wandb with the monitor's keys."""
    pytest.importorskip("wandb")  # not installed by `make test`; `pip install wandb` to run this
    monkeypatch.delenv("WANDB_DIR", raising=False)
    monkeypatch.setenv("WANDB_MODE", "offline")  # restored after the test (the recipe sets it too)
    out = tmp_path / "run"
    cfg = tiny_config(
        **{"data.dir": str(tiny_data), "tracker": "wandb", "wandb_offline": True, "grpo.max_steps": 2}
    )
    try:
        train_grpo(cfg, output_dir=out, skip_preflight=True)
    finally:
        os.environ.pop("WANDB_DIR", None)  # the recipe's default for this run
    (run_file,) = out.glob("wandb/offline-run-*/run-*.wandb")
    data = run_file.read_bytes()
    assert b"reward_weights/format_reward" in data and b"rewards/task_reward/mean" in data


def _free_port() -> int:
    """A TCP port nobody listens on now (a fixed one clashes when two suites run on one machine)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_two_processes_finish_and_write_once(tiny_data, tmp_path, tucano_home):
    """torchrun --nproc_per_node 2 (gloo on CPU, use_cpu -> MULTI_CPU): the collectives match on every
    rank, so the run finishes; configs and checkpoints are written once."""
    import shutil
    import subprocess
    import sys

    torchrun = Path(sys.executable).parent / "torchrun"
    tucano = shutil.which("tucano", path=str(Path(sys.executable).parent))
    if not torchrun.exists() or tucano is None:
        pytest.skip("needs the venv's torchrun and tucano entry points")
    cfg = yaml.safe_load(TINY.read_text(encoding="utf-8"))
    cfg["data"]["dir"] = str(tiny_data)
    cfg["grpo"]["per_device_train_batch_size"] = 4  # 2 processes x 4 = the single-process run's 8 completions
    cfg["grpo"]["per_device_eval_batch_size"] = 4
    path = tmp_path / "two.yaml"
    path.write_text(yaml.safe_dump(cfg), encoding="utf-8")
    out = tmp_path / "run"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO / "src")}
    done = subprocess.run(
        [str(torchrun), "--nproc_per_node", "2", "--master_port", str(_free_port()), tucano, "train", "grpo", "--config",
         str(path), "--skip-preflight", "--output-dir", str(out)],
        capture_output=True, text=True, timeout=600, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert sorted(p.name for p in out.glob("checkpoint-*")) == ["checkpoint-2", "checkpoint-4"]
    state = json.loads((out / "checkpoint-4" / "trainer_state.json").read_text(encoding="utf-8"))
    assert [h["step"] for h in state["log_history"] if "loss" in h] == [1, 2, 3, 4]
    assert (out / "recipe_config.yaml").is_file() and (out / "checkpoint-4" / "recipe_config.yaml").is_file()
    assert done.stdout.count("done: 4 steps") == 2  # both ranks finished


@pytest.mark.parametrize(
    ("name", "kind", "env", "storage"),
    [
        ("ddp", "MULTI_GPU", {}, None),
        (
            "zero2",
            "DEEPSPEED",
            {"ACCELERATE_USE_DEEPSPEED": "true", "ACCELERATE_DEEPSPEED_ZERO_STAGE": "2"},
            None,
        ),
        (
            "zero3",
            "DEEPSPEED",
            {"ACCELERATE_USE_DEEPSPEED": "true", "ACCELERATE_DEEPSPEED_ZERO_STAGE": "3"},
            "bf16",
        ),
        ("fsdp", "FSDP", {"ACCELERATE_USE_FSDP": "true"}, "bf16"),
    ],
)
def test_accelerate_configs_and_4bit_storage_when_sharded(monkeypatch, name, kind, env, storage):
    """The shipped accelerate configs load; ZeRO-3/FSDP (what accelerate launch exports) store 4-bit in bf16."""
    import torch
    from accelerate.commands.config.config_args import load_config_from_file

    from tucano_commerce.train._recipe import _quantization_config

    launch = load_config_from_file(str(REPO / "configs" / "accelerate" / f"{name}.yaml"))
    assert launch.distributed_type.name == kind and launch.num_processes == 2
    for key in ("ACCELERATE_USE_FSDP", "ACCELERATE_USE_DEEPSPEED", "ACCELERATE_DEEPSPEED_ZERO_STAGE"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    quant = _quantization_config(load_config(ADR), "bfloat16")
    assert quant.load_in_4bit and quant.bnb_4bit_quant_type == "nf4"
    assert (quant.bnb_4bit_quant_storage == torch.bfloat16) == (storage == "bf16")

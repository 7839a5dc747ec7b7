"""``tucano train doctor``: the tiny CPU run, a synthetic GRPO-v2-like run, the trainer's new keys, real
bf16/fp32 adapters trained by torch's AdamW, TRL's pickled args, and the CLI.

Expected numbers are recomputed here from the logs the doctor reads (or from an independent formula),
never copied from its output.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from tucano_commerce.cli import app
from tucano_commerce.errors import DataError
from tucano_commerce.train import diagnose
from tucano_commerce.train._doctor import TRL_DEFAULTS, eval_prompts

runner = CliRunner()
REQUIRED = {
    "clip_ratio_informative",
    "entropy_trend",
    "length_ceiling",
    "zero_std_share",
    "eval_share",
    "reward_weight_drift",
    "adapter_precision",
}
STEPS, EVAL_EVERY, EVAL_PROMPTS, G, CAP = 200, 10, 50, 4, 2048


def v2_like_history(steps: int = STEPS, *, new_keys: bool = False) -> list[dict]:
    """One group (4 completions) per step, every completion at the 2048 cap, entropy decaying to ~0.1,
    tied groups growing from 20 % to 95 %, clip ratio 0 (on-policy), lr 2e-6, a slow 50-prompt eval every
    10 steps. ``new_keys`` adds what this project's trainer logs since issue 10 (adapter/*, skipped steps,
    unscorable completions, the weight schedule and a fixed-weight eval reward)."""
    rng = np.random.default_rng(0)
    history, tokens, skipped = [], 0, 0
    for s in range(1, steps + 1):
        tied = bool(rng.random() < 0.2 + 0.75 * s / steps)
        skipped += tied
        tokens += G * (400 + CAP)
        fmt = 0.2 + (0.05 - 0.2) * s / steps
        h = {
            "step": s,
            "epoch": s / 2000,
            "learning_rate": 2e-6,
            "num_tokens": float(tokens),
            "loss": 0.0 if tied else float(rng.normal(0, 0.01)),
            "grad_norm": 0.0 if tied else float(abs(rng.normal(0.05, 0.01))),
            "step_time": float(300 + rng.normal(0, 5)),
            "completions/mean_length": float(CAP),
            "completions/min_length": float(CAP),
            "completions/max_length": float(CAP),
            "completions/clipped_ratio": 1.0,
            "completions/mean_terminated_length": 0.0,
            "entropy": float(1.2 * math.exp(-s / 80) * (1 + 0.05 * rng.standard_normal())),
            "frac_reward_zero_std": 1.0 if tied else 0.0,
            "reward": float(0.1 + 0.02 * rng.standard_normal()),
            "reward_std": 0.0 if tied else 0.05,
            "clip_ratio/region_mean": 0.0,
            "clip_ratio/low_mean": 0.0,
            "clip_ratio/high_mean": 0.0,
        }
        if new_keys:
            h.update(
                {
                    "adapter/lora_A_changed_frac": float(0.05 + 0.005 * rng.standard_normal()),
                    "adapter/lora_B_changed_frac": 0.0 if tied else 0.98,
                    "adapter/lora_A_update_ratio": 1e-5,
                    "adapter/lora_B_update_ratio": 0.0 if tied else 0.02,
                    "zero_std/skipped_steps": float(skipped),
                    "rewards/unscorable": 1.0 if s % 50 == 0 else 0.0,
                    "reward_weights/format_reward": fmt,
                    "reward_weights/partial_reward": 0.3,
                    "reward_weights/task_reward": 0.5,
                }
            )
        history.append(h)
        if s % EVAL_EVERY == 0:
            runtime = float(12_000 + 1_000 * rng.random())
            e = {
                "step": s,
                "epoch": s / 2000,
                "eval_reward": float(0.125 - 0.0001 * s + 0.01 * rng.standard_normal()),
                "eval_completions/mean_length": float(CAP),
                "eval_completions/clipped_ratio": 1.0,
                "eval_entropy": float(1.3 * math.exp(-s / 80)),
                "eval_frac_reward_zero_std": 0.5,
                "eval_loss": 0.0,
                "eval_runtime": round(runtime, 4),
                "eval_samples_per_second": round(EVAL_PROMPTS / runtime, 3),
                "eval_steps_per_second": round(math.ceil(EVAL_PROMPTS / 4) / runtime, 3),
            }
            if new_keys:
                e.update(
                    {
                        "eval_reward_fixed": float(0.12 + 0.0002 * s),
                        "eval_reward_fixed_se": 0.02,
                        "reward_weights/format_reward": fmt,
                        "reward_weights/partial_reward": 0.3,
                        "reward_weights/task_reward": 0.5,
                        "eval_rewards/format_reward/mean": 0.9,
                        "eval_rewards/partial_reward/mean": 0.1,
                        "eval_rewards/task_reward/mean": 0.05,
                    }
                )
            history.append(e)
    history.append({"step": steps, "train_runtime": 90_000.0, "train_loss": 0.0, "total_flos": 0.0})
    return history


V2_RECIPE = {
    "model": {
        "path": "/models/Tucano2-qwen-3.7B-Base",
        "quantize": "4bit",
        "dtype": "bfloat16",
        "context_length": 4096,
    },
    "lora": {"r": 16, "alpha": 32, "target_modules": "all-linear"},
    "grpo": {
        "learning_rate": 2e-6,
        "max_completion_length": CAP,
        "num_generations": G,
        "per_device_train_batch_size": 4,
        "gradient_accumulation_steps": 1,
        "per_device_eval_batch_size": 4,
        "max_steps": STEPS,
        "eval_steps": EVAL_EVERY,
        "logging_steps": 1,
        "beta": 0.0,
    },
}


def write_run(root: Path, history: list[dict], *, recipe: dict | None = None, step: int = STEPS) -> Path:
    ckpt = root / f"checkpoint-{step}"
    ckpt.mkdir(parents=True)
    (ckpt / "trainer_state.json").write_text(json.dumps({"global_step": step, "log_history": history}))
    if recipe is not None:
        (root / "recipe_config.yaml").write_text(yaml.safe_dump(recipe))
    return root


def lost_share_formula(fan_in: int, lr: float) -> float:
    """bf16, lr in [2^-19, 2^-18): a step is lost iff |w| >= 2^-10 (half-ulp 2^(e-8) > lr), w ~ U(+-1/sqrt(fan_in))."""
    assert 2.0**-19 <= lr < 2.0**-18
    return 1 - 2.0**-10 * math.sqrt(fan_in)


def series(history, key, evals=False):
    return [h[key] for h in history if key in h and (evals == any(k.startswith("eval_") for k in h))]


def test_defaults_are_grpoconfig_1_16s():
    pytest.importorskip("trl")
    from tucano_commerce.train._config import grpo_defaults

    trl = grpo_defaults()
    assert {k: trl[k] for k in TRL_DEFAULTS} == TRL_DEFAULTS


def test_v2_like_run_flags_each_problem_with_its_numbers(tmp_path):
    history = v2_like_history()
    run = write_run(tmp_path / "v2", history, recipe=V2_RECIPE)
    report = diagnose(run)
    assert {f.check for f in report.findings} >= REQUIRED
    assert report.regime is not None and report.regime.policy == "on-policy"
    status = {f.check: f.status for f in report.findings}

    clip = report.finding("clip_ratio_informative")
    assert (clip.status, clip.value, clip.steps) == ("info", 0.0, STEPS)
    assert "on-policy" in clip.detail and "no information" in clip.detail

    entropy = [h for h in series(history, "entropy")]
    early, late = np.mean(entropy[:20]), np.mean(entropy[-20:])
    ent = report.finding("entropy_trend")
    assert ent.status == "fail" and ent.value == pytest.approx(late / early) and ent.value < 0.3
    assert ent.early == pytest.approx(early) and ent.collapse_step is not None

    length = report.finding("length_ceiling")
    assert (length.status, length.value, length.cap, length.all_at_cap_steps) == ("fail", 1.0, CAP, STEPS)
    assert "100.0% of completions hit the 2048-token cap" in length.detail

    tied = series(history, "frac_reward_zero_std")
    zero = report.finding("zero_std_share")
    assert zero.value == pytest.approx(np.mean(tied)) and zero.late == pytest.approx(np.mean(tied[-20:]))
    assert zero.status == "fail" and zero.late >= zero.threshold == 0.8
    assert zero.all_tied_steps == sum(tied)

    share = report.finding("eval_share")
    low, high = share.eval_prompts_range
    assert low <= EVAL_PROMPTS <= high and share.eval_generations == G
    evals = STEPS // EVAL_EVERY
    expected = evals * EVAL_PROMPTS * G * CAP / (evals * EVAL_PROMPTS * G * CAP + STEPS * 4 * CAP)  # 83.3 %
    assert share.status == "warn" and share.value == pytest.approx(expected, abs=0.02)
    assert share.time_share == pytest.approx(
        sum(series(history, "eval_runtime", evals=True))
        / (sum(series(history, "eval_runtime", evals=True)) + sum(series(history, "step_time")))
    )

    assert status["reward_weight_drift"] == "ok"  # v2: no schedule, no reward_weights/* keys

    adapter = report.finding("adapter_precision")
    fan_in = {
        "q": 2560,
        "k": 2560,
        "v": 2560,
        "o": 4096,
        "gate": 2560,
        "up": 2560,
        "down": 9728,
    }  # Qwen3-4B body
    want = sum(lost_share_formula(f, 2e-6) * f for f in fan_in.values()) / sum(fan_in.values())
    assert adapter.status == "warn" and adapter.dtype == "bfloat16" and adapter.lr == 2e-6
    assert adapter.value == pytest.approx(want, abs=1e-3) and adapter.value > 0.9
    assert adapter.fan_in == fan_in and "tucano2-qwen-3.7b" in adapter.shape_source
    assert adapter.b_frozen_above == 2.0**-10

    grads = report.finding("grad_norm")
    assert grads.status == "warn" and grads.zero_steps == series(history, "grad_norm").count(0.0)
    assert report.finding("reward_trend").status == "warn"  # the eval reward drifts down


def test_trl_args_file_gives_the_same_verdicts_without_a_recipe(tmp_path):
    run = write_run(tmp_path / "v2", v2_like_history())
    args = {**V2_RECIPE["grpo"], "model_init_kwargs": {"quantization_config": {"load_in_4bit": True}}}
    args_file = tmp_path / "args.json"
    args_file.write_text(json.dumps(args))
    report = diagnose(run, args_file=args_file)
    assert report.config_source == str(args_file) and report.regime.policy == "on-policy"
    adapter = report.finding("adapter_precision")
    assert adapter.dtype == "bfloat16" and adapter.status == "warn"
    assert "assumed Qwen3-4B body" in adapter.shape_source and adapter.value > 0.9
    assert report.finding("length_ceiling").cap == CAP
    # no settings at all: defaults assumed, said so, still a report
    bare = diagnose(run)
    assert (
        bare.regime is None
        and bare.config_source is None
        and any("defaults assumed" in n for n in bare.notes)
    )
    assert bare.finding("adapter_precision").status == "info"
    assert bare.finding("length_ceiling").cap == CAP  # inferred from the longest completion


def test_the_trainers_new_keys_are_what_the_doctor_judges_on(tmp_path):
    history = v2_like_history(60, new_keys=True)
    report = diagnose(write_run(tmp_path / "new", history, recipe=V2_RECIPE, step=60))
    adapter = report.finding("adapter_precision")
    assert adapter.source == "logged adapter/* keys" and adapter.status == "fail"
    logged = [h for h in history if "adapter/lora_A_changed_frac" in h]
    updating = [
        h["adapter/lora_A_changed_frac"] for h in logged[1:] if h.get("grad_norm")
    ]  # not step 1/skipped
    assert adapter.value == pytest.approx(np.median(updating))
    assert adapter.lora_B_changed_median == pytest.approx(
        np.median(series(history, "adapter/lora_B_changed_frac"))
    )

    grads = report.finding("grad_norm")  # every zero-gradient step was skipped, not stepped by AdamW
    assert grads.status == "info" and grads.skipped_updates == grads.zero_steps == series(
        history, "grad_norm"
    ).count(0.0)
    assert report.finding("zero_std_share").skipped_steps == grads.zero_steps

    unscorable = report.finding("unscorable")
    assert unscorable.status == "warn" and unscorable.value == sum(series(history, "rewards/unscorable")) == 1

    drift = report.finding("reward_weight_drift")
    assert drift.status == "ok" and "eval_reward_fixed" in drift.detail
    evals = [h for h in history if "eval_reward" in h]
    dw = evals[-1]["reward_weights/format_reward"] - evals[0]["reward_weights/format_reward"]
    assert drift.schedule_effect == pytest.approx(dw * 0.9) and drift.schedule_effect < -0.03
    trend = report.finding("reward_trend")
    assert trend.key == "eval_reward_fixed" and trend.status == "ok" and trend.best_se == 0.02


def _train_lora_a(dtype, lr: float, steps: int, fan_in: int = 256, r: int = 8):
    """Real torch AdamW on a LoRA-A-shaped tensor stored in ``dtype`` (no fp32 master copy, like the HF
    Trainer), with consistent-sign noisy gradients: (initial, final)."""
    torch = pytest.importorskip("torch")
    gen = torch.Generator().manual_seed(0)
    a = torch.empty(r, fan_in)
    torch.nn.init.kaiming_uniform_(a, a=math.sqrt(5), generator=gen)
    param = torch.nn.Parameter(a.to(dtype))
    start = param.detach().clone()
    opt = torch.optim.AdamW([param], lr=lr, weight_decay=0.0)
    direction = torch.randn(r, fan_in, generator=gen).sign()
    for _ in range(steps):
        param.grad = (direction + 0.5 * torch.randn(r, fan_in, generator=gen)).to(dtype)
        opt.step()
    return start, param.detach().clone()


def _write_adapter(ckpt: Path, tensor) -> None:
    from safetensors.torch import save_file

    ckpt.mkdir(parents=True, exist_ok=True)
    name = "base_model.model.model.layers.0.self_attn.q_proj"
    save_file(
        {
            f"{name}.lora_A.weight": tensor.contiguous(),
            f"{name}.lora_B.weight": tensor.new_zeros(64, tensor.shape[0]),
        },
        str(ckpt / "adapter_model.safetensors"),
    )


@pytest.mark.parametrize(("dtype_name", "status"), [("bfloat16", "fail"), ("float32", "ok")])
def test_saved_adapters_show_a_frozen_lora_a(tmp_path, dtype_name, status):
    torch = pytest.importorskip("torch")
    pytest.importorskip("safetensors")
    dtype = getattr(torch, dtype_name)
    start, end = _train_lora_a(dtype, lr=3e-6, steps=20)
    run = tmp_path / "run"
    _write_adapter(run / "checkpoint-10", start)
    _write_adapter(run / "checkpoint-30", end)
    history = [{"step": s, "learning_rate": 3e-6, "loss": 0.1, "grad_norm": 0.1} for s in range(1, 31)]
    (run / "checkpoint-30" / "trainer_state.json").write_text(
        json.dumps({"global_step": 30, "log_history": history})
    )
    adapter = diagnose(run).finding("adapter_precision")
    assert adapter.source == "saved adapter weights" and adapter.dtype == dtype_name
    assert adapter.status == status
    assert adapter.value == pytest.approx(float((start != end).float().mean()))
    x = end.float()
    torch_lost = float((((end + 3e-6) == end) & ((end - 3e-6) == end)).float().mean())
    assert adapter.lost_share_at_lr == pytest.approx(torch_lost) and adapter.lora_a_entries == x.numel()
    if dtype_name == "bfloat16":
        assert adapter.value < 0.1 and adapter.lost_share_at_lr > 0.9
    else:
        assert adapter.value == 1.0 and adapter.lost_share_at_lr == 0.0


def test_pickled_training_args_are_a_noted_fallback(tmp_path):
    torch = pytest.importorskip("torch")
    trl = pytest.importorskip("trl")
    run = write_run(tmp_path / "run", v2_like_history(20), step=20)
    args = trl.GRPOConfig(
        output_dir=str(tmp_path / "out"),
        per_device_train_batch_size=4,
        num_generations=4,
        num_iterations=2,
        learning_rate=2e-6,
        max_completion_length=CAP,
        report_to="none",
        use_cpu=True,
    )
    torch.save(args, run / "checkpoint-20" / "training_args.bin")
    report = diagnose(run)
    assert report.config_source.endswith("training_args.bin")
    assert any("weights_only=False" in n for n in report.notes)
    assert report.regime.policy == "off-policy"  # num_iterations 2 with GA 1
    clip = report.finding("clip_ratio_informative")
    assert clip.status == "warn" and "off-policy" in clip.detail
    skipped = diagnose(run, allow_pickle=False)
    assert skipped.regime is None and any("--no-pickle" in n for n in skipped.notes)


def test_eval_prompts_from_rounded_rates():
    evals = [{"eval_runtime": 1.2221, "eval_samples_per_second": 6.546}]
    assert eval_prompts(evals) == (8, (8, 8))
    slow = [{"eval_runtime": rt, "eval_samples_per_second": round(50 / rt, 3)} for rt in (12_000.0, 13_000.0)]
    n, (low, high) = eval_prompts(slow)
    assert low <= 50 <= high and low < high and low <= n <= high
    assert eval_prompts([{"eval_reward": 0.1}]) == (None, None)


def test_not_a_run_is_a_clear_error(tmp_path):
    with pytest.raises(DataError, match="no such folder"):
        diagnose(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match=r"empty: not a training run: no .*trainer_state.json"):
        diagnose(tmp_path / "empty")
    bad = tmp_path / "bad" / "checkpoint-3"
    bad.mkdir(parents=True)
    (bad / "trainer_state.json").write_text('{"log_history": [\n  {"step": 1,}\n]}')
    with pytest.raises(DataError, match=r"checkpoint-3/trainer_state.json: not valid JSON \(line 2"):
        diagnose(tmp_path / "bad")
    (bad / "trainer_state.json").write_text('{"global_step": 3}')
    with pytest.raises(DataError, match="field 'log_history' is missing"):
        diagnose(tmp_path / "bad")


def test_malformed_values_are_data_not_crashes(tmp_path):
    history = [
        {
            "step": 1,
            "entropy": None,
            "completions/clipped_ratio": "n/a",
            "grad_norm": float("nan"),
            "loss": 0.1,
            "frac_reward_zero_std": True,
            "clip_ratio/region_mean": None,
        }
    ]
    recipe = {"grpo": {"num_iterations": "two", "learning_rate": "fast"}, "model": {"quantize": "4bit"}}
    report = diagnose(write_run(tmp_path / "odd", history, recipe=recipe, step=1))
    assert {f.check for f in report.findings} >= REQUIRED
    assert report.finding("grad_norm").status == "fail"  # NaN grad_norm
    assert report.regime is None and any(
        "num_iterations must be a positive integer" in n for n in report.notes
    )


# --- the tiny CPU run (one run per session, tests/train/conftest.py)


def test_tiny_run(tiny_run):
    _, out = tiny_run
    report = diagnose(out)
    state = json.loads(Path(report.trainer_state).read_text())
    history = state["log_history"]
    assert {f.check for f in report.findings} >= REQUIRED
    assert report.regime.policy == "on-policy" and report.config_source.endswith("recipe_config.yaml")

    clips = [v for v in series(history, "clip_ratio/region_mean") if v is not None]
    clip = report.finding("clip_ratio_informative")
    assert clips and set(clips) == {0.0}  # the tiny on-policy run: 0 at every trained step
    assert (clip.status, clip.value, clip.steps) == ("info", 0.0, len(clips))

    train = [h for h in history if "completions/mean_length" in h and "eval_reward" not in h]
    evals = [h for h in history if "eval_completions/mean_length" in h]
    bs, g = 8, 4  # configs/grpo_tiny_cpu.yaml: per_device_train_batch_size 8, num_generations 4, GA 1
    prev, train_tokens = 0, 0.0
    for h in train:
        train_tokens += h["completions/mean_length"] * bs * (h["step"] - prev)
        prev = h["step"]
    eval_tokens = sum(h["eval_completions/mean_length"] * 8 * g for h in evals)  # 8 eval prompts
    share = report.finding("eval_share")
    assert share.eval_prompts == 8 and share.value == pytest.approx(
        eval_tokens / (eval_tokens + train_tokens)
    )

    length = report.finding("length_ceiling")
    assert length.cap == 48 and length.value == pytest.approx(
        np.mean(series(history, "completions/clipped_ratio"))
    )

    # fp32 adapters at lr 1e-3: every A entry moves. The recipe logs adapter/* keys, which come first;
    # the first step (B = 0) and the skipped all-tied steps cannot move A and are left out
    adapter = report.finding("adapter_precision")
    assert adapter.source == "logged adapter/* keys" and adapter.status == "ok", adapter.detail
    moved = [h["adapter/lora_A_changed_frac"] for h in history if h.get("grad_norm") and h["step"] > 1]
    assert adapter.value == pytest.approx(np.median(moved)) and adapter.value > 0.9

    drift = report.finding("reward_weight_drift")  # the tiny recipe's format-weight schedule
    assert drift.first["format_reward"] == pytest.approx(0.2) and drift.last["format_reward"] < 0.2


def test_cli_json_table_and_errors(tiny_run, tmp_path):
    _, out = tiny_run
    as_json = runner.invoke(app, ["train", "doctor", str(out), "--json"])
    assert as_json.exit_code == 0, as_json.output
    data = json.loads(as_json.output)
    assert {f["check"] for f in data["findings"]} >= REQUIRED
    for f in data["findings"]:
        assert f["status"] in {"ok", "info", "warn", "fail"} and f["detail"]
    table = runner.invoke(app, ["train", "doctor", str(out)], env={"COLUMNS": "200"})
    assert table.exit_code == 0, table.output
    assert "clip_ratio_informative" in table.output and "adapter_precision" in table.output
    (tmp_path / "nothing").mkdir()
    missing = runner.invoke(app, ["train", "doctor", str(tmp_path / "nothing")])
    assert missing.exit_code == 1
    assert "not a training run" in missing.output and str(tmp_path / "nothing") in missing.output

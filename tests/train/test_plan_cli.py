"""``tucano train plan`` through the CLI: ranges, eval share, the vLLM recipe, and ``--budget-hours``.

.venv/bin/python -m pytest tests/train/test_plan_cli.py
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tucano_commerce.cli import app
from tucano_commerce.train import load_config, parse_config, plan, plan_inputs

pytest.importorskip("trl")

runner = CliRunner()


def _plan_json(*args: str) -> dict:
    out = runner.invoke(app, ["train", "plan", *args, "--json"])
    assert out.exit_code == 0, out.output
    return json.loads(out.output)


def test_v3_plan_reports_ranges_and_keeps_eval_under_a_fifth():
    data = _plan_json("--config", "configs/grpo_v3.yaml", "--gpu", "l4")
    lo, hi = data["hours_range"]
    assert 0 < lo < hi == data["hours"] and data["seconds_per_step_range"][1] == data["seconds_per_step"]
    assert data["eval_share"] <= 0.20 and data["fits"]
    assert data["batches"]["eval_prompts_per_call"] == 8  # 16 completions = 8 prompts x 2 per generate call
    assert data["adr_estimate"]["seconds_per_step"] == 300


def test_plan_table_prints_ranges_and_the_adr_estimate():
    out = runner.invoke(app, ["train", "plan", "--config", "configs/grpo_v3.yaml", "--gpu", "l4"])
    assert out.exit_code == 0, out.output
    data = _plan_json("--config", "configs/grpo_v3.yaml", "--gpu", "l4")
    lo, hi = data["hours_range"]
    assert f"**{lo:.1f}–{hi:.1f} h**" in out.output
    assert "Seconds per step (typical – cap)" in out.output and "Eval share of wall time" in out.output
    assert "ADR author's estimate (not a measurement) | ~300 s/step, ~42 h" in out.output


def test_vllm_recipe_plans_within_an_l4_with_its_pool_sized_by_the_planner():
    data = _plan_json("--config", "configs/grpo_v3_vllm.yaml", "--gpu", "l4")
    assert data["fits"] and data["total_gib"] <= 22.5 and not data["problems"]
    v = data["vllm"]
    assert v["mode"] == "colocate" and v["sleep_mode"] and v["charged_to_training_gpu"]
    assert (
        v["gpu_memory_utilization"] == v["recommended_gpu_memory_utilization"]
    )  # the YAML holds the planner's
    assert v["concurrent_sequences"] >= 4  # weights + KV for G x (prompt + completion)
    assert data["eval_share"] <= 0.20
    v3 = _plan_json("--config", "configs/grpo_v3.yaml", "--gpu", "l4")
    assert data["hours_range"][1] < v3["hours_range"][1]


def test_num_processes_makes_the_generation_batch_global():
    data = _plan_json("--config", "configs/grpo_v3.yaml", "--gpu", "l4", "--num-processes", "2")
    assert data["batches"]["generation_batch_global"] == 8 and data["batches"]["prompts_per_generation"] == 2
    assert data["inputs"]["num_processes"] == 2


def test_budget_24h_on_an_l4_proposes_settings_that_fit():
    data = _plan_json("--config", "configs/grpo_v3.yaml", "--gpu", "l4", "--budget-hours", "24")
    p = data["proposal"]
    assert data["hours_range"][1] > 24  # the recipe as shipped does not fit
    assert p["fits_budget"] and p["hours_range"][1] <= 24 and p["changes"]
    for change in p["changes"]:
        assert change["gives_up"] and change["effect_hours"] < 0
        assert change["hours_after"][1] == pytest.approx(
            change["hours_before"][1] + change["effect_hours"], abs=0.02
        )
    assert p["changes"][-1]["hours_after"] == p["hours_range"]
    # the proposed recipe is a valid recipe that plans the same when read back
    cfg = parse_config(p["config"], "proposal")
    assert tuple(plan(plan_inputs(cfg), "l4").hours_range) == tuple(p["hours_range"])


def test_budget_text_output_says_plainly_when_nothing_fits():
    out = runner.invoke(
        app, ["train", "plan", "--config", "configs/grpo_v3.yaml", "--gpu", "l4", "--budget-hours", "1"]
    )
    assert out.exit_code == 0, out.output
    assert "No setting in the search space fits 1 h on the l4" in out.output
    assert "| Change | Hours before → after | Effect | Gives up |" in out.output
    data = _plan_json("--config", "configs/grpo_v3.yaml", "--gpu", "l4", "--budget-hours", "1")
    assert not data["proposal"]["fits_budget"] and data["proposal"]["hours_range"][1] > 1


def test_budget_already_met_changes_nothing():
    data = _plan_json("--config", "configs/grpo_v3.yaml", "--gpu", "h200", "--budget-hours", "1000")
    p = data["proposal"]
    assert p["fits_budget"] and p["changes"] == [] and "already fits" in p["message"]
    assert p["config"] == load_config("configs/grpo_v3.yaml").model_dump(mode="json")

"""``tucano train plan`` and ``tucano train decide`` through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tucano_commerce.bench import ItemRecord, RunInfo, RunResults
from tucano_commerce.cli import app
from tucano_commerce.scoring import ItemScore

runner = CliRunner()


def test_plan_json_for_the_shipped_recipe():
    out = runner.invoke(app, ["train", "plan", "--config", "configs/grpo_v3.yaml", "--gpu", "l4", "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert {"total_gib", "terms", "seconds_per_step", "hours"} <= set(data)
    assert data["total_gib"] < 22.5 and data["hours"] > 1


def write_run(tmp_path, rewards, clip):
    run = tmp_path / "run"
    (run / "checkpoint-60").mkdir(parents=True)
    history = [{"step": s, "eval_reward": r} for s, r in zip((20, 40, 60), rewards, strict=True)]
    history += [{"step": s, "clip_ratio/region_mean": clip} for s in (55, 60)]
    (run / "checkpoint-60" / "trainer_state.json").write_text(json.dumps({"log_history": history}))
    records = [ItemRecord(id=f"ext-{i:03d}", task="extraction", difficulty="easy", response="",
                          scores=ItemScore(mean=0.7)) for i in range(3)]  # fmt: skip
    results = tmp_path / "results.json"
    info = RunInfo(model="m", spec="demo", generation={}, benchmark={})
    results.write_text(RunResults(run=info, results=records).model_dump_json())
    return run, results


def test_decide_ships_a_good_run_and_flags_collapse(tmp_path):
    run, results = write_run(tmp_path, (0.30, 0.38, 0.40), clip=0.02)
    good = runner.invoke(
        app,
        [
            "train",
            "decide",
            "--run",
            str(run),
            "--results",
            str(results),
            "--v2-eval-reward",
            "0.125",
            "--max-completion-length",
            "3072",
        ],
    )
    assert good.exit_code == 0, good.output
    assert "ship" in good.output
    # without a recipe the regime is read from the logs: a clip ratio that is never non-zero is on-policy
    # (0 by construction), which says nothing about collapse
    run2, results2 = write_run(tmp_path / "b", (0.30, 0.38, 0.40), clip=0.0)
    collapsed = runner.invoke(
        app,
        [
            "train",
            "decide",
            "--run",
            str(run2),
            "--results",
            str(results2),
            "--v2-eval-reward",
            "0.125",
            "--max-completion-length",
            "3072",
        ],
    )
    assert "ship" in collapsed.output and "add_entropy_bonus" not in collapsed.output
    # an off-policy run (clip ratio once non-zero) whose clip ratio stays 0 after step 50: the ADR's rule
    run3, results3 = write_run(tmp_path / "c", (0.30, 0.38, 0.40), clip=0.0)
    state = run3 / "checkpoint-60" / "trainer_state.json"
    history = json.loads(state.read_text())["log_history"] + [{"step": 10, "clip_ratio/region_mean": 0.05}]
    state.write_text(json.dumps({"log_history": history}))
    off = runner.invoke(app, ["train", "decide", "--run", str(run3), "--results", str(results3),
                              "--max-completion-length", "3072"])  # fmt: skip
    assert "add_entropy_bonus" in off.output and "off-policy" in off.output


def test_decide_reads_thresholds_from_the_saved_recipe_and_writes_its_inputs(tmp_path):
    """A measured v2 reward of 0.54 in the recipe's ``decision:`` section turns the same run into a stop."""
    import yaml

    run, results = write_run(tmp_path, (0.30, 0.38, 0.40), clip=0.02)
    recipe = yaml.safe_load(Path("configs/grpo_v3.yaml").read_text(encoding="utf-8"))
    recipe["decision"] = {"v2_eval_reward": 0.54}
    (run / "recipe_config.yaml").write_text(yaml.safe_dump(recipe), encoding="utf-8")
    out = tmp_path / "decision.json"
    done = runner.invoke(
        app, ["train", "decide", "--run", str(run), "--results", str(results), "--out", str(out)]
    )
    assert done.exit_code == 0, done.output
    assert "stop_diagnose" in done.output and "v2 baseline 0.540" in done.output
    record = json.loads(out.read_text(encoding="utf-8"))
    assert record["action"] == "stop_diagnose"
    assert record["summary"]["v2_eval_reward"] == 0.54 and record["summary"]["max_completion_length"] == 3072
    assert record["summary"]["extraction_score"] == pytest.approx(0.7) and record["results"] == str(results)

"""A sixth task, added as one module (``toy_task.py``), end to end: ``tucano bench run`` against a loopback
OpenAI-compatible server, ``rescore``, ``report``, ``bench validate``, the GRPO reward functions, the
contamination keys and the tiny model's warm-up pairs. Nothing in the package is edited for it.

    PYTHONPATH=src .venv/bin/python -m pytest tests/scoring/test_toy_task.py
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from toy_task import TOY, VowelMetrics, read_answer
from typer.testing import CliRunner

from helpers.openai_server import FakeOpenAI, Request
from tucano_commerce.bench import load_results, validate_benchmark
from tucano_commerce.cli import app
from tucano_commerce.data._contamination import distinctive, source_id_checks
from tucano_commerce.scoring import ItemScore, MetricsMismatch, get_task, registered, task_names
from tucano_commerce.tasks import benchmark_dir, load_manifest
from tucano_commerce.train._rewards import build_reward_functions
from tucano_commerce.train._tiny import warm_start_pairs

WORDS = {
    "vow-001": ("abacaxi", 4, "long"),
    "vow-002": ("banana", 3, "short"),
    "vow-003": ("uva", 2, "short"),
    "vow-004": ("paralelepipedo", 7, "long"),
}
WRONG = {"uva": "Resposta: 3", "paralelepipedo": "Não sei contar."}  # the model's mistakes


def vowels(word: str) -> int:
    return sum(c in "aeiou" for c in word)


def answer(request: Request) -> str:
    word = request.message.removeprefix("Palavra: ")
    return WRONG.get(word, f"Contei as vogais de {word}.\nResposta: {vowels(word)}")


@pytest.fixture
def toy() -> Iterator[Any]:
    with registered(TOY) as spec:
        yield spec


@pytest.fixture
def toy_benchmark(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tucano_home: Path, toy: Any) -> Path:
    """A benchmark folder of four toy items (the real manifest's warehouse), set as $TUCANO_BENCHMARK_DIR."""
    directory = tmp_path / "toy-bench"
    directory.mkdir()
    rows = [
        {
            "id": item_id,
            "task": "vowels",
            "difficulty": level,
            "system": TOY.system_prompt,
            "prompt": f"Palavra: {word}",
            "ground_truth": {"answer": n},
            "source": {"word": word},
        }
        for item_id, (word, n, level) in WORDS.items()
    ]
    prompts = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()
    (directory / "prompts.jsonl").write_bytes(prompts)
    manifest = load_manifest(benchmark_dir()).model_copy(
        update={
            "name": "toy",
            "counts": {"vowels": {"short": 2, "long": 2}},
            "prompts_sha256": hashlib.sha256(prompts).hexdigest(),
        }
    )
    (directory / "manifest.json").write_text(manifest.model_dump_json(indent=1), encoding="utf-8")
    monkeypatch.setenv("TUCANO_BENCHMARK_DIR", str(directory))
    return directory


def test_the_toy_is_registered_only_inside_the_block() -> None:
    assert "vowels" not in task_names()
    with registered(TOY):
        assert task_names()[-1] == "vowels" and get_task("vowels") is TOY
    assert "vowels" not in task_names()


def test_bench_run_rescore_and_report(toy_benchmark: Path, tmp_path: Path) -> None:
    cli = CliRunner()
    out = tmp_path / "toy.json"
    with FakeOpenAI(answer) as server:
        run = cli.invoke(
            app,
            [
                "bench",
                "run",
                "--model",
                "openai:toy-model",
                "--base-url",
                server.base_url,
                "--out",
                str(out),
                "--concurrency",
                "2",
            ],
        )
        assert run.exit_code == 0, run.output
        assert server.count == 4
    assert "vowels: 0.500 (n=4)" in run.output
    results = load_results(out)
    by_id = {r.id: r for r in results.results}
    assert [r.task for r in results.results] == ["vowels"] * 4 and results.run.tasks == ["vowels"]
    assert [by_id[i].scores.mean for i in WORDS] == [1.0, 1.0, 0.0, 0.0]
    assert by_id["vow-003"].scores.metrics == {"exact": 0.0, "closeness": 0.5}
    assert by_id["vow-004"].scores.status == "parse_error"

    rescored = cli.invoke(app, ["bench", "rescore", str(out), "--out", str(tmp_path / "again.json")])
    assert rescored.exit_code == 0, rescored.output
    assert "vowels: 0.500 (n=4)" in rescored.output
    again = load_results(tmp_path / "again.json")
    assert [r.scores for r in again.results] == [r.scores for r in results.results]

    report = cli.invoke(app, ["bench", "report", str(out), "--out", str(tmp_path / "report")])
    assert report.exit_code == 0, report.output
    data = json.loads((tmp_path / "report" / "report.json").read_text(encoding="utf-8"))
    assert data["task_labels"]["vowels"] == "Vowels"
    model = data["models"][0]
    assert model["scores"]["vowels"]["mean"] == 0.5 and model["mean_tasks"] == ["vowels"]
    assert model["difficulty"]["vowels"] == {"short": {"mean": 0.5, "n": 2}, "long": {"mean": 0.5, "n": 2}}
    markdown = (tmp_path / "report" / "report.md").read_text(encoding="utf-8")
    assert "| Vowels | 0.500" in markdown


def test_validate_looks_the_task_up(toy_benchmark: Path) -> None:
    report = validate_benchmark(directory=toy_benchmark)
    for check in ("schema", "ids", "ground_truth", "reference_scores"):
        assert report.checks[check] == "ok", (check, [str(p) for p in report.problems])
    # the only complaint: four toy items are not the 80-item stratification of the ADR
    assert {p.field for p in report.problems} == {"counts", "manifest.counts"}

    rows = (toy_benchmark / "prompts.jsonl").read_text(encoding="utf-8").splitlines()
    bad = json.loads(rows[1]) | {"id": "toy-002", "ground_truth": {"answer": -1}}
    (toy_benchmark / "prompts.jsonl").write_text("\n".join([rows[0], json.dumps(bad), *rows[2:]]) + "\n")
    text = "\n".join(str(p) for p in validate_benchmark(directory=toy_benchmark).problems)
    assert "line 2 (toy-002): field 'id': expected 'vow-NNN' for task vowels" in text
    assert "line 2 (toy-002): field 'ground_truth.answer': expected a count >= 0, got -1" in text


def row(word: str, n: int, item_id: str = "train-vow-1") -> dict[str, Any]:
    return {
        "task": "vowels",
        "ground_truth": json.dumps({"answer": n}),
        "source": json.dumps({"word": word}),
        "id": item_id,
        "prompts": [{"role": "user", "content": f"Palavra: {word}"}],
    }


def rewards_of(funcs: list[Any], rows: list[dict[str, Any]], texts: list[str]) -> list[list[float | None]]:
    cols = {k: [r[k] for r in rows] for k in rows[0]}
    return [f([[{"role": "assistant", "content": t}] for t in texts], **cols) for f in funcs]


def test_reward_functions_use_the_tasks_credits(toy: Any) -> None:
    texts = ["<think>a, a, a, i</think>Resposta: 4", "Resposta: 3", "quatro", "<think>a, a"]
    fmt, partial, full = rewards_of(build_reward_functions(), [row("abacaxi", 4)] * 4, texts)
    assert fmt == [1.0, 1.0, 0.0, 0.0]
    assert partial == [1.0, 0.75, 0.0, 0.0]
    assert full == [1.0, 0.0, 0.0, 0.0]


def test_a_renamed_metric_stops_the_rewards(toy: Any) -> None:
    """A scorer whose metrics drifted from what the credits read fails loudly, not as a silent 0."""

    def renamed(item: Any, response: str, resources: Any) -> ItemScore:
        score = TOY.score(item, response, resources)
        return score.model_copy(update={"metrics": {"exact_match": 1.0, "closeness": 1.0}})

    drifted = dataclasses.replace(TOY, name="vowels_drifted", id_prefix="vod", score=renamed)
    with registered(drifted):
        funcs = build_reward_functions()
        drifted_row = row("uva", 2) | {"task": "vowels_drifted"}
        assert rewards_of(funcs[:1], [drifted_row], ["Resposta: 2"]) == [[1.0]]  # format needs no metric
        for credit in funcs[1:]:
            with pytest.raises(MetricsMismatch, match="exact_match"):
                rewards_of([credit], [drifted_row], ["Resposta: 2"])


def test_contamination_keys_and_warm_up_pairs(toy: Any) -> None:
    assert distinctive("vowels", "Palavra: uva") == "uva"
    assert source_id_checks()["word"] == "same_word"
    pairs = [
        (m, r) for m, r in warm_start_pairs(random.Random(0), 200) if m[0]["content"] == TOY.system_prompt
    ]
    assert pairs and all(TOY.format_check(reply) == 1.0 for _, reply in pairs)
    assert all(read_answer(reply) is not None for _, reply in pairs)


def test_credits_read_typed_metrics() -> None:
    score = ItemScore(mean=0.0, metrics=VowelMetrics(exact=0.0, closeness=0.5).as_dict())
    assert (TOY.partial_credit(score), TOY.full_credit(score)) == (0.5, 0.0)

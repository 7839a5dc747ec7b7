"""A run without the Olist data: the 45 items that need no reviews run, the 35 review items are marked not
run (never scored 0, never dropped), exit 0 with a banner; report, rescore and resume follow.

The model is the shared fake server as ``test_runner.py`` scripts it; the synthetic world (``tests/synthetic_olist.py``)
stands in for the data where a test needs every item to run.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from test_runner import task_server
from typer.testing import CliRunner

from helpers.openai_server import FakeOpenAI
from tucano_commerce.backends import get_backend
from tucano_commerce.bench import RunOptions, build_report, load_results, resolve_model, run_benchmark
from tucano_commerce.bench._render import render_markdown
from tucano_commerce.bench._runner import NO_OLIST_REASON, partial_path
from tucano_commerce.cli import app

pytestmark = pytest.mark.usefixtures("tucano_home")  # shared: the benchmark warehouse is built once
REVIEW_TASKS = {"extraction": 20, "sentiment": 15}
REAL_OLIST = os.environ.get("TUCANO_OLIST_DIR")  # read before the fixtures below clear it


@pytest.fixture
def no_data(tucano_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No Olist data anywhere: no TUCANO_OLIST_DIR, no fetched copy under $TUCANO_HOME."""
    monkeypatch.delenv("TUCANO_OLIST_DIR", raising=False)
    monkeypatch.delenv("TUCANO_BENCHMARK_DIR", raising=False)
    assert not (tucano_home / "olist").exists()


@pytest.fixture
def server():
    s = task_server()
    yield s
    s.close()


def cli_run(server: FakeOpenAI, out: Path, *extra: str):
    args = [
        "bench",
        "run",
        "--model",
        "openai:fake",
        "--base-url",
        server.base_url,
        "--concurrency",
        "8",
        "--out",
        str(out),
    ]
    return CliRunner().invoke(app, [*args, *extra])


def test_the_whole_benchmark_without_data_runs_45_and_marks_35_not_run(
    no_data, server, tmp_path: Path
) -> None:
    out = tmp_path / "r.json"
    done = cli_run(server, out)
    assert done.exit_code == 0, done.output
    text = " ".join(done.output.split())
    assert "35 of 80 items were not run (extraction, sentiment)" in text and "fetch-olist" in text
    assert "pip install 'tucano-commerce[kaggle]'" in text  # printed as text, not read as markup
    assert "extraction: not run (20 items)" in text and "sentiment: not run (15 items)" in text
    results = load_results(out)
    assert len(results.results) == 80 and server.count == 45  # nothing was sent for the review items
    not_run = [r for r in results.results if r.status == "not_run"]
    ran = [r for r in results.results if r.status != "not_run"]
    assert len(ran) == 45 and all(r.scores.mean is not None for r in ran)
    assert {t: sum(r.task == t for r in not_run) for t in REVIEW_TASKS} == REVIEW_TASKS and len(not_run) == 35
    assert all(
        r.scores.mean is None and r.scores.reason == NO_OLIST_REASON and r.response == "" for r in not_run
    )
    assert results.run.tasks_not_run == dict.fromkeys(REVIEW_TASKS, NO_OLIST_REASON)
    assert results.run.tasks == ["extraction", "sentiment", "sql", "churn", "insights"]
    assert set(results.run.prompt_hashes) == {r.id for r in ran}
    assert [r.id for r in results.results][:2] == ["ext-001", "ext-002"]  # benchmark order, not-run in place

    report = build_report([results])
    (model,) = report.models
    for task, n in REVIEW_TASKS.items():
        assert (model.scores[task].n_items, model.scores[task].n, model.scores[task].not_run) == (0, 0, n)
        assert model.health[task].not_run == n and model.health[task].n_unscored == 0
    assert model.mean_tasks == ["sql", "churn", "insights"] and model.mean.n_items == 45
    assert model.mean.not_run == 35
    md = render_markdown(report)
    assert "| Extraction | not run (20 items) |" in md and "| Sentiment | not run (15 items) |" in md
    assert "35 items not run (Extraction 20, Sentiment 15)" in md
    written = CliRunner().invoke(app, ["bench", "report", str(out), "--out", str(tmp_path / "report")])
    assert written.exit_code == 0, written.output
    assert "not run (20 items)" in (tmp_path / "report" / "report.md").read_text(encoding="utf-8")

    rescored = CliRunner().invoke(app, ["bench", "rescore", str(out), "--out", str(tmp_path / "again.json")])
    assert rescored.exit_code == 0, rescored.output
    again = load_results(tmp_path / "again.json")
    assert [(r.id, r.status, r.scores.mean) for r in again.results] == [
        (r.id, r.status, r.scores.mean) for r in results.results
    ]


def test_only_review_tasks_without_data_is_an_error_naming_the_way_to_get_it(
    no_data, server, tmp_path
) -> None:
    done = cli_run(server, tmp_path / "r.json", "--tasks", "sentiment")
    assert done.exit_code == 1 and server.count == 0
    text = " ".join(done.output.split())
    assert "every selected task (sentiment) needs the Olist reviews" in text and "fetch-olist" in text
    assert "tucano-commerce[kaggle]" in text


def run(server: FakeOpenAI, out: Path, **kw):
    backend = get_backend(
        "openai:fake", base_url=server.base_url, concurrency=2, max_retries=1, backoff_s=0.01
    )
    options = RunOptions(limit=3, **kw)
    return run_benchmark(resolve_model("openai:fake"), backend, out, options, show_progress=False)


class Stop(Exception):
    """Stands for whatever kills a run part-way (a crash, Ctrl-C)."""


def interrupted(server: FakeOpenAI, out: Path, after: int, **kw) -> None:
    """A run stopped once ``after`` records are saved (replies already in flight may still be saved)."""
    seen = []

    def stop(record):
        seen.append(record.id)
        if len(seen) == after:
            raise Stop

    backend = get_backend(
        "openai:fake", base_url=server.base_url, concurrency=1, max_retries=1, backoff_s=0.01
    )
    options = RunOptions(limit=3, **kw)
    with pytest.raises(Stop):
        run_benchmark(
            resolve_model("openai:fake"), backend, out, options, show_progress=False, on_record=stop
        )
    assert partial_path(out).is_file()


def test_resume_without_data_keeps_the_not_run_records(no_data, server, tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    interrupted(server, out, after=4)
    results = run(server, out)
    done = results.run.scheduling
    assert (
        done.items_resumed >= 4 and done.items_resumed + done.items_generated == 9
    )  # 3 sql, churn, insights
    assert [r.status for r in results.results].count("not_run") == 6  # 3 extraction + 3 sentiment
    assert not partial_path(out).exists()


def test_resume_with_the_data_runs_the_items_not_run_before(no_data, server, tmp_path: Path) -> None:
    """Interrupted without the data, restarted with it: the saved records are kept, the review items run."""
    if not REAL_OLIST:
        pytest.skip("the benchmark's review hashes need the real reviews: set TUCANO_OLIST_DIR")
    out = tmp_path / "r.json"
    interrupted(server, out, after=4)
    results = run(server, out, olist=REAL_OLIST)
    done = results.run.scheduling
    assert done.items_resumed >= 4 and done.items_resumed + done.items_generated == 15
    assert done.items_generated >= 6  # at least the six review items, not run before
    assert not results.run.tasks_not_run and all(r.status == "ok" for r in results.results)


def test_a_run_in_the_synthetic_world_runs_every_item(synthetic_olist, server, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("TUCANO_BENCHMARK_DIR", str(synthetic_olist.benchmark_dir))
    monkeypatch.setenv("TUCANO_OLIST_DIR", str(synthetic_olist.olist_dir))
    results = run(server, tmp_path / "r.json")
    assert len(results.results) == 15 and not results.run.tasks_not_run
    assert all(r.status == "ok" for r in results.results)
    extraction = next(r for r in results.results if r.id == "ext-001")
    assert extraction.scores.mean is not None  # scored (what it measures is moot: invented text, real labels)

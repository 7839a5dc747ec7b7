"""``tucano bench run``: a real OpenAI-compatible server on 127.0.0.1, kill-and-resume, rescore.

The server answers by task (recognised from the system prompt) with a fixed reply, sleeps a little per
request so a run can be killed mid-way, and counts requests, so the test knows what was regenerated.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from helpers.openai_server import FakeOpenAI, Reply, Request
from tucano_commerce.backends import Backend, BackendError, Completion, GenerationConfig, get_backend
from tucano_commerce.bench import (
    ModelEntry,
    RunOptions,
    load_results,
    rescore,
    resolve_model,
    run_benchmark,
    summary_lines,
)
from tucano_commerce.bench._runner import partial_path, select_items
from tucano_commerce.errors import ConfigError
from tucano_commerce.tasks import read_items

REPLIES = {  # keyed by a phrase of each task's system prompt
    "consulta SQL": "```sql\nSELECT count(*) AS n FROM orders WHERE order_status = 'delivered'\n```",
    "retenção de clientes": '{"churn_probability": 0.8, "risk_level": "alto", "justificativa": "sem compras"}',
    "analista de negócios": "O atraso derruba a nota média. Recomendo revisar transportadoras.",
}


def task_server(
    delay_s: float = 0.0,
    fail: bool = False,
    *,
    unauthorized_after: int | None = None,
    rate_limit_first: bool = False,
    gates: dict[str, threading.Event] | None = None,
) -> FakeOpenAI:
    """The shared fake server, answering by task (recognised from the system prompt), ``delay_s`` per request.

    ``fail``: always 500. ``unauthorized_after``: answers 401 once that many requests were answered.
    ``rate_limit_first``: each conversation's first attempt gets a 429 (``Retry-After: 0``). ``gates``: a
    system-prompt phrase -> an event that requests of that task wait for before they are answered.
    """

    def respond(request: Request) -> Reply | str:
        time.sleep(delay_s)
        for phrase, gate in (gates or {}).items():
            if phrase in request.system:
                gate.wait(timeout=30)
        if fail:
            return Reply(status=500)
        if unauthorized_after is not None and request.index >= unauthorized_after:
            return Reply(status=401)
        if rate_limit_first and request.attempt == 0:
            return Reply(status=429, headers={"Retry-After": "0"})
        text = next((r for k, r in REPLIES.items() if k in request.system), "?")
        return Reply(content=text, usage={"prompt_tokens": 100, "completion_tokens": 20})

    return FakeOpenAI(respond, attempt_key=lambda body: body["messages"][-1]["content"])


pytestmark = pytest.mark.usefixtures("tucano_home")  # shared: the benchmark warehouse is built once


@pytest.fixture
def server():
    s = task_server()
    yield s
    s.close()


def run(server: FakeOpenAI, out: Path, *, concurrency: int = 4, on_record: Any = None, **kw: Any):
    entry = resolve_model("openai:fake")
    backend = get_backend(
        "openai:fake", base_url=server.base_url, concurrency=concurrency, max_retries=1, backoff_s=0.01
    )
    options = RunOptions(tasks=["sql", "churn", "insights"], limit=2, **kw)
    return run_benchmark(entry, backend, out, options, show_progress=False, on_record=on_record)


def test_run_writes_one_scored_record_per_item(server, tmp_path):
    results = run(server, tmp_path / "r.json")
    assert [r.id for r in results.results] == [
        "sql-001",
        "sql-002",
        "chu-001",
        "chu-002",
        "ins-001",
        "ins-002",
    ]
    by_id = {r.id: r for r in results.results}
    assert by_id["sql-001"].scores.mean == 1.0  # the canned SQL is the gold answer of sql-001
    assert by_id["sql-002"].scores.mean == 0.0
    assert by_id["chu-001"].scores.metrics["calibration"] is not None
    assert by_id["ins-001"].scores.details["score_source"] == "key_fact_coverage"
    assert by_id["sql-001"].tokens == {"input": 100, "output": 20}
    assert results.run.privacy == "on-prem" and results.run.tasks == ["sql", "churn", "insights"]
    assert set(results.run.prompt_hashes) == set(by_id)
    assert results.run.generation["temperature"] == 0.1 and results.run.benchmark["prompts_sha256"]
    assert load_results(tmp_path / "r.json") == results
    assert not partial_path(tmp_path / "r.json").exists()
    assert summary_lines(results)[0] == "sql: 0.500 (n=2)"


def test_streaming_saves_each_reply_while_slower_requests_are_in_flight(tmp_path):
    sql_answered = threading.Event()
    server = task_server(gates={"consulta SQL": sql_answered})  # SQL replies wait for this event
    out = tmp_path / "r.json"
    order: list[str] = []
    saved_meanwhile: list[int] = []

    def on_record(record: Any) -> None:
        order.append(record.id)
        if len(order) == 4:  # every churn and insights item is saved; both SQL requests still wait
            saved_meanwhile.append(len(partial_path(out).read_text().splitlines()) - 1)
            sql_answered.set()

    try:
        results = run(server, out, concurrency=6, on_record=on_record)
    finally:
        sql_answered.set()
        server.close()
    assert set(order[:4]) == {"chu-001", "chu-002", "ins-001", "ins-002"}
    assert set(order[4:]) == {"sql-001", "sql-002"}
    assert saved_meanwhile == [4]  # durable in the progress file before any SQL reply existed
    # The results file is in benchmark order, whatever the completion order.
    assert [r.id for r in results.results] == [
        "sql-001",
        "sql-002",
        "chu-001",
        "chu-002",
        "ins-001",
        "ins-002",
    ]
    sched = results.run.scheduling
    assert sched is not None and sched.mode == "streaming" and results.run.batch_size == 1
    assert (sched.concurrency, sched.adaptive, sched.window_final, sched.scoring_workers) == (6, True, 6, 6)
    assert sched.http == {"requests": 6, "attempts": 6, "retries": 0, "rate_limited": 0, "errors": 0}
    assert (sched.items_generated, sched.items_resumed) == (6, 0) and sched.wall_s > 0


def test_rate_limits_are_retried_and_recorded(tmp_path):
    limited = task_server(rate_limit_first=True)  # every item's first attempt: 429, Retry-After 0
    try:
        results = run(limited, tmp_path / "r.json")
    finally:
        limited.close()
    assert all(r.status == "ok" for r in results.results) and limited.count == 12
    sched = results.run.scheduling
    assert sched.http["rate_limited"] == 6 and sched.http["retries"] == 6
    cut = sched.window_changes[0]
    assert (cut.old, cut.new, cut.reason) == (4, 3, "rate_limit") and sched.window_min <= 3


def test_a_fatal_reply_stops_the_run_and_keeps_the_replies_received(tmp_path):
    out = tmp_path / "r.json"
    revoked = task_server(unauthorized_after=3)  # the key stops working after three replies
    try:
        with pytest.raises(BackendError, match="401"):
            run(revoked, out, concurrency=1)
    finally:
        revoked.close()
    assert len(partial_path(out).read_text().splitlines()) - 1 == 3 and not out.exists()
    healthy = task_server()
    try:
        results = run(healthy, out)
    finally:
        healthy.close()
    assert healthy.count == 3 and len(results.results) == 6
    assert (results.run.scheduling.items_generated, results.run.scheduling.items_resumed) == (3, 3)


class CannedLocalBackend(Backend):
    """A local backend (not a ``RemoteBackend``): answers by task, remembers the size of each call."""

    name = "canned"
    default_batch_size = 4

    def __init__(self) -> None:
        self.calls: list[int] = []

    def generate_batch(self, conversations: list[Any], config: GenerationConfig) -> list[Completion]:
        self.calls.append(len(conversations))
        texts = [next((r for k, r in REPLIES.items() if k in c[0]["content"]), "?") for c in conversations]
        return [Completion(text=t, latency_s=0.5, batch_size=len(conversations)) for t in texts]


def test_local_backends_keep_batching(tmp_path):
    backend = CannedLocalBackend()
    options = RunOptions(tasks=["sql", "churn", "insights"], limit=2)
    results = run_benchmark(
        ModelEntry(spec="canned"), backend, tmp_path / "r.json", options, show_progress=False
    )
    assert backend.calls == [4, 2]
    assert results.run.batch_size == 4 and results.results[0].amortized_s == 0.125
    sched = results.run.scheduling
    assert (sched.mode, sched.batch_size, sched.concurrency, sched.window_changes) == ("batched", 4, None, [])
    assert {r.id: r.scores.mean for r in results.results}["sql-001"] == 1.0


def test_generation_failures_are_recorded_not_raised(tmp_path):
    failing = task_server(fail=True)
    try:
        results = run(failing, tmp_path / "r.json")
    finally:
        failing.close()
    assert all(r.status == "error" and r.scores.mean == 0.0 and r.error for r in results.results)
    assert "generation failed" in results.results[0].scores.reason


def test_kill_and_resume_redoes_only_unfinished_items(tmp_path, tucano_home):
    slow = task_server(delay_s=0.3)
    out = tmp_path / "killed.json"
    cmd = [sys.executable, "-c", "from tucano_commerce.cli import app; app()", "bench", "run",
           "--model", "openai:fake", "--base-url", slow.base_url, "--concurrency", "1", "--batch-size", "1",
           "--tasks", "sql,churn,insights", "--limit", "3", "--out", str(out)]  # fmt: skip
    env = {**os.environ, "TUCANO_HOME": str(tucano_home)}
    try:
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        partial = partial_path(out)
        deadline = time.time() + 60
        while time.time() < deadline:  # wait until some items are durably done, then kill hard
            if partial.exists() and len(partial.read_text().splitlines()) >= 4:
                break
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        done_before = len(partial.read_text().splitlines()) - 1
        assert 3 <= done_before < 9 and not out.exists()
        requests_before = slow.count
        resumed = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
        assert resumed.returncode == 0, resumed.stderr
    finally:
        slow.close()
    results = load_results(out)
    assert len(results.results) == 9 and len({r.id for r in results.results}) == 9
    assert slow.count - requests_before == 9 - done_before  # finished items were not generated again
    assert not partial_path(out).exists()
    assert "sql: " in resumed.stdout


def test_progress_from_other_settings_is_refused(server, tmp_path):
    out = tmp_path / "r.json"
    partial_path(out).write_text(json.dumps({"key": {"spec": "openai:other"}}) + "\n")
    with pytest.raises(ConfigError, match="other settings"):
        run(server, out)
    run(server, out, fresh=True)  # --fresh starts over
    assert len(load_results(out).results) == 6


def test_rescore_recomputes_from_stored_responses(server, tmp_path):
    out = tmp_path / "r.json"
    run(server, out)
    data = json.loads(out.read_text())
    for rec in data["results"]:
        if rec["id"] == "sql-002":
            gold = next(i for i in read_items() if i.id == "sql-002").ground_truth["sql"]
            rec["response"] = f"```sql\n{gold}\n```"
    out.write_text(json.dumps(data))
    new = rescore(out)
    assert {r.id: r.scores.mean for r in new.results}["sql-002"] == 1.0
    assert load_results(out) == new


def test_select_items_limits_per_task_and_checks_names():
    items = read_items()
    chosen = select_items(items, ["churn", "sql"], 2)
    assert [i.id for i in chosen] == ["sql-001", "sql-002", "chu-001", "chu-002"]
    assert len(select_items(items, None, None)) == 80
    with pytest.raises(ConfigError, match="unknown task"):
        select_items(items, ["translation"], None)

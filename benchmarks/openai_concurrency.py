"""Concurrent vs sequential requests through the OpenAI-compatible backend, alone and in a whole ``bench run``.

    TUCANO_OLIST_DIR=... .venv/bin/python benchmarks/openai_concurrency.py [--latency-ms 200]
        [--concurrency 16] [--requests 80] [--faults requests|attempts|counter] [--fixed] [--only SCENARIO]
        [--json]

A local chat-completions server (stdlib ``ThreadingHTTPServer`` on 127.0.0.1) answers every request after
``--latency-ms``, like a model server with a constant time per reply. With faults on it answers 1 in 7
requests with HTTP 429 and 1 in 11 with HTTP 500, without ``Retry-After``, so the backend's own backoff
applies (1 s, doubling, jitter 0.5). ``--faults`` says which requests:

* ``requests`` (default): a hash of the conversation draws 429 with p = 1/7 and 500 with p = 1/11 for its
  first attempt; the retry succeeds. Each faulty item costs one backoff wait, as in the issue's account
  ("one retried request (1 s backoff) holds up fifteen finished ones"), and the same items fail at every
  concurrency, so both runs do the same work.
* ``attempts``: the same draw for every attempt (conversation, attempt number): retries fail again with
  the same odds, so an item may need 3-4 attempts, i.e. 0.5+1+2 s of backoff or more.
* ``counter``: every 7th request the server receives gets a 429, every 11th a 500 (retries count). At
  concurrency 16 the retries land on arbitrary counter values, so chains as with ``attempts`` appear.

With ``attempts`` and ``counter`` the longest retry chain alone takes about as long as the rest of a
concurrency-16 run: no scheduler finishes sooner than that item, which caps the speedup. The script
prints the longest item span the server saw (first attempt received to last reply sent) and the speedup
that bound allows: ``T1 / max(T1 / concurrency, longest span)``.

Scenarios, each at concurrency 1 and ``--concurrency`` on the same server:

* ``backend`` / ``backend-faults``: one ``generate_batch`` call with ``--requests`` conversations;
* ``whole`` / ``whole-faults``: ``run_benchmark`` on all 80 benchmark items, setup to results file. The
  server answers each task with a fixed, well-formed reply, so the real scorers run (SQL on the warehouse,
  JSON parsing, the embedding model). The acceptance figure is ``whole-faults``: >= 8x at 16 vs 1.

Besides wall times and speedups the script prints what the server saw (attempts, 429s, 500s, the most
requests in flight, attempts per item). A whole run records its scheduling in the results file (window
changes, request counts): the window changes are printed too. ``--fixed`` turns the adaptive window off
(``adaptive=False``) in every run, to measure what it costs when the 429s are random. The first whole run
is preceded by an untimed one-item run that builds the benchmark warehouse and loads the embedding model,
as a first run would.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import tempfile
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tucano_commerce.backends import GenerationConfig, get_backend
from tucano_commerce.bench import RunOptions, resolve_model, run_benchmark

SCENARIOS = ("backend", "backend-faults", "whole", "whole-faults")
RATE_LIMITED, SERVER_ERROR = 7, 11  # 1 in 7 answered 429, 1 in 11 answered 500

# A fixed reply per task, keyed by a phrase of the task's system prompt: well-formed, so scoring does work.
REPLIES = {
    "objeto JSON com exatamente estes 10": json.dumps(
        {
            "sentiment": "negativo",
            "sentiment_score": -0.7,
            "churn_risk": 0.8,
            "repeat_intent": 0.1,
            "complaint_category": "entrega",
            "delivery_issue": True,
            "product_issue": False,
            "seller_issue": False,
            "would_recommend": False,
            "main_complaint": "produto não foi entregue",
        },
        ensure_ascii=False,
    ),  # fmt: skip
    "Classifique o sentimento": '{"sentiment": "negativo", "sentiment_score": -0.6}',
    "consulta SQL": "```sql\nSELECT count(*) AS n FROM orders WHERE order_status = 'delivered'\n```",
    "retenção de clientes": '{"churn_probability": 0.7, "risk_level": "alto", "justificativa": "sem compras"}',
    "analista de negócios": "O atraso na entrega derruba a nota média. Recomendo revisar as transportadoras.",
}


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # listen() backlog; the default 5 drops concurrent connects (1 s SYN retry)


class FakeModelServer:
    """Answers after ``latency_s``; ``faults`` says which requests fail (see the module docstring)."""

    def __init__(self, latency_s: float) -> None:
        self.latency_s = latency_s
        self.lock = threading.Lock()
        self.reset()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                messages = json.loads(self.rfile.read(int(self.headers["Content-Length"])))["messages"]
                key = json.dumps(messages, ensure_ascii=False)
                with fake.lock:
                    attempt, fake.attempts[key] = fake.attempts[key], fake.attempts[key] + 1
                    fake.first_seen.setdefault(key, time.perf_counter())
                    fake.received += 1
                    number = fake.received
                    fake.in_flight += 1
                    fake.max_in_flight = max(fake.max_in_flight, fake.in_flight)
                time.sleep(fake.latency_s)
                status = fake.status(key, attempt, number)
                with fake.lock:
                    fake.in_flight -= 1
                    fake.replies[status] += 1
                    fake.span = max(fake.span, time.perf_counter() - fake.first_seen[key])
                if status != 200:
                    self.send(status, b'{"error": "injected fault"}')
                    return
                system = messages[0]["content"] if messages[0]["role"] == "system" else ""
                text = next((r for k, r in REPLIES.items() if k in system), "ok " + messages[-1]["content"])
                reply = {"choices": [{"message": {"content": text}, "finish_reason": "stop"}],
                         "usage": {"prompt_tokens": 10, "completion_tokens": 2}}  # fmt: skip
                self.send(200, json.dumps(reply).encode())

            def send(self, status: int, data: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, args=(0.01,), daemon=True).start()

    def status(self, key: str, attempt: int, number: int) -> int:
        if self.faults is None or (self.faults == "requests" and attempt > 0):
            return 200
        if self.faults == "counter":
            return 429 if number % RATE_LIMITED == 0 else 500 if number % SERVER_ERROR == 0 else 200
        draw = int.from_bytes(hashlib.sha256(f"{key}\x00{attempt}".encode()).digest()[:8], "big") / 2**64
        return 429 if draw < 1 / RATE_LIMITED else 500 if draw < 1 / RATE_LIMITED + 1 / SERVER_ERROR else 200

    def reset(self, faults: str | None = None) -> None:
        with self.lock:
            self.faults = faults
            self.attempts: Counter[str] = Counter()
            self.first_seen: dict[str, float] = {}
            self.span = 0.0  # the longest first-attempt-received to last-reply-sent of one conversation
            self.replies: Counter[int] = Counter()
            self.received = self.in_flight = self.max_in_flight = 0

    def seen(self) -> dict[str, Any]:
        return {"attempts": self.received, "http_429": self.replies[429], "http_500": self.replies[500],
                "max_in_flight": self.max_in_flight,
                "attempts_per_item": dict(sorted(Counter(self.attempts.values()).items())),
                "longest_item_s": round(self.span, 2)}  # fmt: skip


def backend_only(
    server: FakeModelServer, concurrency: int, requests: int, *, adaptive: bool
) -> dict[str, Any]:
    fixed = {} if adaptive else {"adaptive": False}  # (no such option before the streaming runner)
    backend = get_backend("openai:bench", base_url=server.url, concurrency=concurrency, **fixed)
    convs = [[{"role": "user", "content": f"pergunta {i}"}] for i in range(requests)]
    start = time.perf_counter()
    out = backend.generate_batch(convs, GenerationConfig(temperature=0.0, max_new_tokens=16))
    wall = time.perf_counter() - start
    assert [c.text for c in out] == [f"ok pergunta {i}" for i in range(requests)]
    return {"wall_s": round(wall, 3), "items_failed": sum(c.error is not None for c in out)}


def whole_run(
    server: FakeModelServer, concurrency: int, out: Path, *, adaptive: bool, limit: int | None = None
) -> dict[str, Any]:
    fixed = {} if adaptive else {"adaptive": False}  # (no such option before the streaming runner)
    backend = get_backend("openai:bench", base_url=server.url, concurrency=concurrency, **fixed)
    options = RunOptions(
        generation=GenerationConfig(temperature=0.0, max_new_tokens=64), limit=limit, fresh=True
    )
    start = time.perf_counter()
    results = run_benchmark(resolve_model("openai:bench"), backend, out, options, show_progress=False)
    wall = time.perf_counter() - start
    return {"wall_s": round(wall, 3), "items": len(results.results),
            "items_failed": sum(r.status == "error" for r in results.results),
            "scheduling": results.run.model_dump().get("scheduling")}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=80, help="conversations in the backend-only runs")
    parser.add_argument("--latency-ms", type=float, default=200.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--faults", choices=("requests", "attempts", "counter"), default="requests")
    parser.add_argument("--fixed", action="store_true", help="adaptive=False: the window never moves")
    parser.add_argument("--only", choices=SCENARIOS, action="append", help="run only these (repeatable)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of lines")
    args = parser.parse_args()

    server = FakeModelServer(args.latency_ms / 1000)
    report: dict[str, Any] = {k: vars(args)[k] for k in ("latency_ms", "concurrency", "faults", "fixed")}
    report["scenarios"] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for scenario in args.only or SCENARIOS:
            whole = scenario.startswith("whole")
            if whole and not (Path(tmp) / "warm.json").exists():
                whole_run(server, 1, Path(tmp) / "warm.json", limit=1, adaptive=True)  # untimed warm-up
            runs: dict[str, dict[str, Any]] = {}
            for concurrency in (1, args.concurrency):
                server.reset(faults=args.faults if scenario.endswith("faults") else None)
                if whole:
                    out = Path(tmp) / f"{scenario}-{concurrency}.json"
                    run = whole_run(server, concurrency, out, adaptive=not args.fixed)
                else:
                    run = backend_only(server, concurrency, args.requests, adaptive=not args.fixed)
                runs[f"concurrency {concurrency}"] = {**run, "server": server.seen()}
            first, many = runs["concurrency 1"]["wall_s"], runs[f"concurrency {args.concurrency}"]
            speedup, longest = first / many["wall_s"], many["server"]["longest_item_s"]
            bound = first / max(first / args.concurrency, longest)
            report["scenarios"][scenario] = {
                "speedup": round(speedup, 2),
                "bound": round(bound, 1),
                "runs": runs,
            }
            if not args.json:
                print_scenario(scenario, runs)
                print(f"{scenario:14s} speedup {args.concurrency} vs 1: {speedup:.1f}x (at most {bound:.1f}x: "
                      f"{first:.1f} s / max(1/{args.concurrency} of it, the longest item's {longest} s))")  # fmt: skip
    if args.json:
        print(json.dumps(report, indent=1))
    server.httpd.shutdown()


def print_scenario(scenario: str, runs: dict[str, dict[str, Any]]) -> None:
    for name, run in runs.items():
        seen = run["server"]
        print(f"{scenario:14s} {name:14s} {run['wall_s']:6.2f} s  {seen['attempts']} attempts "
              f"({seen['http_429']} x 429, {seen['http_500']} x 500), up to {seen['max_in_flight']} in "
              f"flight, attempts per item {seen['attempts_per_item']}, {run['items_failed']} failed")  # fmt: skip
        sched = run.get("scheduling") or {}
        if sched.get("window_changes"):
            changes = " ".join(f"{c['old']}->{c['new']}@{c['t_s']:.1f}s" for c in sched["window_changes"])
            print(f"{'':30s}window {changes}; min {sched['window_min']}, http {sched['http']}")


if __name__ == "__main__":
    main()

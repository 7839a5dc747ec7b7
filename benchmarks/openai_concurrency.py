"""Concurrent vs sequential requests through the OpenAI-compatible backend.

    .venv/bin/python benchmarks/openai_concurrency.py [--requests 64] [--latency-ms 200] [--concurrency 16]

A local chat-completions server (stdlib ``ThreadingHTTPServer`` on 127.0.0.1) answers every request
after a fixed delay, like a model server with a constant time per reply. The same ``--requests``
conversations go through one ``generate_batch`` call at concurrency 1 and at ``--concurrency``; the
script prints both wall times, the speedup (ideal: ``--concurrency``; target near 16x) and the largest
number of requests the server saw in flight.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tucano_commerce.backends import GenerationConfig, get_backend


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # listen() backlog; the default 5 drops concurrent connects (1 s SYN retry)


def start_server(latency_s: float) -> tuple[ThreadingHTTPServer, dict[str, int]]:
    state = {"in_flight": 0, "max_in_flight": 0}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with lock:
                state["in_flight"] += 1
                state["max_in_flight"] = max(state["max_in_flight"], state["in_flight"])
            time.sleep(latency_s)
            with lock:
                state["in_flight"] -= 1
            reply = {
                "choices": [
                    {"message": {"content": "ok " + body["messages"][-1]["content"]}, "finish_reason": "stop"}
                ],
                "usage": {"prompt_tokens": 10, "completion_tokens": 2},
            }
            data = json.dumps(reply).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True).start()
    return server, state


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=64)
    parser.add_argument("--latency-ms", type=float, default=200.0)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()

    server, state = start_server(args.latency_ms / 1000)
    base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    convs = [[{"role": "user", "content": f"pergunta {i}"}] for i in range(args.requests)]
    config = GenerationConfig(temperature=0.0, max_new_tokens=16)
    timings = {}
    for concurrency in (1, args.concurrency):
        backend = get_backend("openai:bench", base_url=base_url, concurrency=concurrency)
        state["max_in_flight"] = 0
        start = time.perf_counter()
        out = backend.generate_batch(convs, config)
        timings[concurrency] = time.perf_counter() - start
        assert [c.text for c in out] == [f"ok pergunta {i}" for i in range(args.requests)]
        assert not any(c.error for c in out)
        print(
            f"concurrency {concurrency:3d}: {args.requests} requests in {timings[concurrency]:6.2f} s "
            f"(server saw up to {state['max_in_flight']} in flight)"
        )
    ideal = min(args.concurrency, args.requests)
    speedup = timings[1] / timings[args.concurrency]
    print(f"speedup {args.concurrency} vs 1: {speedup:.1f}x (ideal {ideal}x)")
    server.shutdown()


if __name__ == "__main__":
    main()

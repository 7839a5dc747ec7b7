"""The one fake OpenAI-compatible chat-completions server of the tests: stdlib HTTP on 127.0.0.1, ephemeral port.

A *responder* decides each reply from the request (``Request``: headers, body, model, system prompt, last
message, and how many earlier requests had the same key). It returns a ``Reply`` (or a plain string, the
message content of a 200). ``scripted`` builds the usual responder: one list of replies per model, served in
order (the last one repeats). The server records every request and the requests in flight per model.

Example::

    with FakeOpenAI(scripted({"m": [Reply(status=429, headers={"Retry-After": "0"}), "olá"]})) as server:
        backend = get_backend("openai:m", base_url=server.base_url)
"""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

DEFAULT_USAGE = {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120}


@dataclass(frozen=True)
class Reply:
    """What the server does with one request.

    Attributes:
        content: The message content of a 200 chat completion.
        status: HTTP status; not 200 sends ``body`` (or nothing) instead of a completion.
        headers: Extra response headers (e.g. ``Retry-After``).
        body: A raw body to send as is (any status), instead of a completion.
        sleep_s: Wait this long before answering.
        drop: Close the connection without answering.
        usage: The completion's ``usage`` object; None leaves it out.
        finish_reason: The choice's ``finish_reason``.
    """

    content: str = ""
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    body: str | None = None
    sleep_s: float = 0.0
    drop: bool = False
    usage: Mapping[str, int] | None = field(default_factory=lambda: dict(DEFAULT_USAGE))
    finish_reason: str = "stop"


@dataclass(frozen=True)
class Request:
    """One request as the server saw it."""

    headers: dict[str, str]
    body: dict[str, Any]
    attempt: int = 0
    """Earlier requests with the same key (``FakeOpenAI.attempt_key``; by default the model)."""
    index: int = 0
    """Earlier requests of any kind (the arrival order, 0-based)."""
    path: str = "/v1/chat/completions"

    @property
    def model(self) -> str:
        return str(self.body.get("model"))

    @property
    def system(self) -> str:
        return next((m["content"] for m in self.body["messages"] if m["role"] == "system"), "")

    @property
    def message(self) -> str:
        return str(self.body["messages"][-1]["content"])

    def __iter__(self) -> Any:
        """``headers, body = request``: a request unpacks as the pair the tests read."""
        return iter((self.headers, self.body))

    def __getitem__(self, index: int) -> Any:
        return (self.headers, self.body)[index]


Step = Reply | str | Callable[[Request], "Reply | str"]
Responder = Callable[[Request], "Reply | str"]


def scripted(scenarios: Mapping[str, Sequence[Step]]) -> Responder:
    """Replies by model: ``scenarios[model][attempt]`` (the last one repeats); a step may be a callable."""

    def respond(request: Request) -> Reply | str:
        script = scenarios[request.model]
        step = script[min(request.attempt, len(script) - 1)]
        return step(request) if callable(step) else step

    return respond


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64  # listen() backlog; the default 5 drops concurrent connects (1 s SYN retry)


class FakeOpenAI:
    """``POST {base_url}/chat/completions`` answered by ``responder``; started on creation.

    Args:
        responder: ``Request -> Reply | str``.
        attempt_key: What counts as "the same request" for ``Request.attempt`` (default: the model).
    """

    def __init__(
        self, responder: Responder, *, attempt_key: Callable[[dict[str, Any]], Any] | None = None
    ) -> None:
        self.responder = responder
        self.attempt_key = attempt_key or (lambda body: body.get("model"))
        self.requests: list[Request] = []
        self.attempts: dict[Any, int] = defaultdict(int)
        self.in_flight: dict[str, int] = defaultdict(int)
        self.max_in_flight: dict[str, int] = defaultdict(int)
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                model = str(body.get("model"))
                with fake.lock:
                    key = fake.attempt_key(body)
                    request = Request(
                        dict(self.headers), body, fake.attempts[key], len(fake.requests), self.path
                    )
                    fake.attempts[key] += 1
                    fake.requests.append(request)
                    fake.in_flight[model] += 1
                    fake.max_in_flight[model] = max(fake.max_in_flight[model], fake.in_flight[model])
                self.model, self.in_flight = model, True
                try:
                    reply = fake.responder(request)
                    self.answer(Reply(content=reply) if isinstance(reply, str) else reply, model)
                except (BrokenPipeError, ConnectionResetError):  # the client timed out and left
                    pass
                finally:
                    self.leave()

            def leave(self) -> None:
                """The request stops counting as in flight, once: before its reply is sent (a client may
                send its next request as soon as it has read this reply) or when it ends without one."""
                if self.in_flight:
                    self.in_flight = False
                    with fake.lock:
                        fake.in_flight[self.model] -= 1

            def answer(self, reply: Reply, model: str) -> None:
                if reply.sleep_s:
                    time.sleep(reply.sleep_s)
                if reply.drop:
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                if reply.body is not None or reply.status != 200:
                    self.send(reply.status, (reply.body or "").encode(), reply.headers)
                    return
                completion: dict[str, Any] = {
                    "id": "x",
                    "object": "chat.completion",
                    "model": model,
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": reply.content},
                            "finish_reason": reply.finish_reason,
                        }
                    ],
                }
                if reply.usage is not None:
                    completion["usage"] = dict(reply.usage)
                headers = {"Content-Type": "application/json", **reply.headers}
                self.send(200, json.dumps(completion).encode(), headers)

            def send(self, status: int, data: bytes, headers: Mapping[str, str]) -> None:
                self.leave()
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    @property
    def count(self) -> int:
        """Requests received so far."""
        with self.lock:
            return len(self.requests)

    def calls(self, model: str) -> list[Request]:
        """The requests for ``model``, in arrival order."""
        with self.lock:
            return [r for r in self.requests if r.model == model]

    def reset(self) -> None:
        """Forget the requests, attempt counts and in-flight maxima."""
        with self.lock:
            self.requests.clear()
            self.attempts.clear()
            self.max_in_flight.clear()

    def close(self) -> None:
        """Stop serving and release the port."""
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> FakeOpenAI:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

"""The OpenAI-compatible backend against a real HTTP server on 127.0.0.1, and the shared retry policy.

The server (the tests' one fake, ``helpers.openai_server``: stdlib, ephemeral port) picks its behaviour from the request's
``model`` (one scenario per model), counts attempts per (model, message) so concurrent requests do not
disturb each other's scripts, and records headers, bodies and the maximum number of requests in flight per model.
A user message ``"dormir 0.2 ..."`` makes the reply wait that long. Timings are kept small (Retry-After
of 0 to 0.3 s, backoff 0.01 s), and only lower bounds or generous upper bounds are asserted.

    .venv/bin/python -m pytest tests/backends/test_openai.py
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import random
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from helpers.openai_server import FakeOpenAI, Reply, Request
from tucano_commerce._http import RetryPolicy, is_local_url, parse_retry_after, public_url
from tucano_commerce.backends import BackendError, GenerationConfig, get_backend
from tucano_commerce.errors import ConfigError

SECRET = "sk-test-SECRET-9876543210"
KEY_ENV = "TUCANO_TEST_BACKEND_KEY"

USAGE = {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18}
# Scenario -> replies served in order per (model, message); the last one repeats. A reply is "ok"
# (answer echoing the message), or (status, headers, body), or ("raw", body) for a 200 with that body,
# or ("nousage",), ("length",), ("drop",) to close the connection without a reply, or ("sleep", s, reply).
SCENARIOS: dict[str, list[Any]] = {
    "ok": ["ok"],
    "ratelimit": [(429, {"Retry-After": "0"}, "slow down"), "ok"],
    "ratelimit-wait": [(429, {"Retry-After": "0.3"}, "slow down"), "ok"],
    "ratelimit-long": [(429, {"Retry-After": "120"}, "slow down"), "ok"],
    "flaky": [(500, {}, "boom"), (503, {}, "busy"), "ok"],
    "down": [(500, {}, "boom")],
    "drop-once": [("drop",), "ok"],
    "slow": [("sleep", 1.0, "ok")],
    "slow-once": [("sleep", 1.0, "ok"), "ok"],
    "malformed": [("raw", "isto não é json {")],
    "nochoices": [("raw", '{"object": "chat.completion"}')],
    "nousage": [("nousage",)],
    "length": [("length",)],
    "badrequest": [(400, {}, '{"error": "context length exceeded"}')],
    "unauthorized": [(401, {}, '{"error": "invalid key"}')],
    "nomodel": [(404, {}, '{"error": "model not found"}')],
}


def respond(request: Request) -> Reply:
    """The scenario's step for this (model, message) attempt; "ok" echoes the message."""
    script = SCENARIOS[request.model]
    step = script[min(request.attempt, len(script) - 1)]
    sleep = float(m.group(1)) if (m := re.match(r"dormir ([\d.]+)", request.message)) else 0.0
    echo = Reply(content=f"eco: {request.message}", sleep_s=sleep)
    if isinstance(step, tuple) and step[0] == "sleep":
        return dataclasses.replace(echo, sleep_s=sleep + step[1])
    if step == ("drop",):
        return Reply(drop=True, sleep_s=sleep)
    if isinstance(step, tuple) and isinstance(step[0], int):
        status, headers, text = step
        return Reply(status=status, headers=headers, body=text, sleep_s=sleep)
    if isinstance(step, tuple) and step[0] == "raw":
        return Reply(body=step[1], headers={"Content-Type": "application/json"}, sleep_s=sleep)
    if step == ("nousage",):
        return dataclasses.replace(echo, usage=None)
    if step == ("length",):
        return dataclasses.replace(echo, finish_reason="length", usage=USAGE)
    return dataclasses.replace(echo, usage=USAGE)


@pytest.fixture(scope="module")
def server() -> Iterator[FakeOpenAI]:
    """Attempts are counted per (model, message), so concurrent requests do not disturb each other's scripts."""
    with FakeOpenAI(
        respond, attempt_key=lambda body: (body["model"], body["messages"][-1]["content"])
    ) as fake:
        yield fake


@pytest.fixture
def make(server: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> Any:
    """``make(model, **options)``: a backend on the fake server with the test key and fast retries."""
    monkeypatch.setenv(KEY_ENV, SECRET)
    server.reset()

    def build(model: str, **options: Any) -> Any:
        settings = {
            "base_url": server.base_url,
            "api_key_env": KEY_ENV,
            "timeout_s": 2.0,
            "backoff_s": 0.01,
            "max_backoff_s": 1.0,
            "max_retries": 3,
            **options,
        }
        return get_backend(f"openai:{model}", **settings)

    return build


def convs(*texts: str) -> list[list[dict[str, str]]]:
    return [[{"role": "user", "content": t}] for t in texts]


CONFIG = GenerationConfig(temperature=0.0, max_new_tokens=64, seed=5)


class TestReplies:
    def test_text_usage_finish_and_latency(self, make: Any) -> None:
        [c] = make("ok").generate_batch(convs("Olá"), CONFIG)
        assert c.text == "eco: Olá" and c.error is None
        assert (c.input_tokens, c.output_tokens, c.finish_reason, c.batch_size) == (11, 7, "stop", 1)
        assert c.latency_s > 0

    def test_missing_usage_gives_none(self, make: Any) -> None:
        [c] = make("nousage").generate_batch(convs("Olá"), CONFIG)
        assert c.text == "eco: Olá" and c.input_tokens is None and c.output_tokens is None

    def test_finish_reason_from_the_choice(self, make: Any) -> None:
        [c] = make("length").generate_batch(convs("Olá"), CONFIG)
        assert c.finish_reason == "length"

    @pytest.mark.parametrize(("model", "message"), [("malformed", "not JSON"), ("nochoices", "no choices")])
    def test_bad_bodies_are_item_errors(
        self, make: Any, server: FakeOpenAI, model: str, message: str
    ) -> None:
        [c] = make(model).generate_batch(convs("Olá"), CONFIG)
        assert c.text == "" and c.error and message in c.error
        assert len(server.calls(model)) == 1  # not retried

    def test_other_4xx_is_an_item_error_without_retry(self, make: Any, server: FakeOpenAI) -> None:
        [c] = make("badrequest").generate_batch(convs("Olá"), CONFIG)
        assert c.error and c.error.startswith("HTTP 400") and "context length" in c.error
        assert len(server.calls("badrequest")) == 1


class TestRetries:
    def test_429_then_success(self, make: Any, server: FakeOpenAI, retry_waits: list[float]) -> None:
        backend = make("ratelimit", backoff_s=5.0)
        out = backend.generate_batch(convs("a", "b"), CONFIG)
        assert [c.text for c in out] == ["eco: a", "eco: b"]
        assert retry_waits == [0.0, 0.0]  # Retry-After: 0 wins over the 5 s backoff
        assert len(server.calls("ratelimit")) == 4 and backend.stats["retries"] == 2

    def test_retry_after_is_honoured(self, make: Any, retry_waits: list[float]) -> None:
        [c] = make("ratelimit-wait", backoff_s=0.0).generate_batch(convs("a"), CONFIG)
        assert c.error is None and retry_waits == [0.3]  # the server's 0.3 s, not the 0 s backoff

    def test_retry_after_is_capped(self, make: Any, retry_waits: list[float]) -> None:
        [c] = make("ratelimit-long", max_backoff_s=0.05).generate_batch(convs("a"), CONFIG)
        assert c.error is None and retry_waits == [0.05]  # Retry-After: 120 capped at max_backoff_s

    def test_5xx_then_success(self, make: Any, server: FakeOpenAI) -> None:
        backend = make("flaky")
        [c] = backend.generate_batch(convs("a"), CONFIG)
        assert c.text == "eco: a" and len(server.calls("flaky")) == 3 and backend.stats["retries"] == 2

    def test_dropped_connection_is_retried(self, make: Any, server: FakeOpenAI) -> None:
        [c] = make("drop-once").generate_batch(convs("a"), CONFIG)
        assert c.text == "eco: a" and len(server.calls("drop-once")) == 2

    def test_gives_up_after_max_retries_as_data(self, make: Any, server: FakeOpenAI) -> None:
        backend = make("down", max_retries=2)
        out = backend.generate_batch(convs("a", "b", "c"), CONFIG)
        assert all(c.text == "" and c.error and "HTTP 500" in c.error for c in out)
        assert all("gave up after 2 retries" in (c.error or "") for c in out)
        assert len(server.calls("down")) == 9  # 3 requests x (1 + 2 retries)
        assert backend.stats == {"requests": 3, "attempts": 9, "retries": 6, "errors": 3}

    def test_timeout_is_retried_then_an_error(self, make: Any, server: FakeOpenAI) -> None:
        [c] = make("slow", timeout_s=0.2, max_retries=1).generate_batch(convs("a"), CONFIG)
        assert c.error and "timeout" in c.error and len(server.calls("slow")) == 2

    def test_timeout_then_success(self, make: Any) -> None:
        [c] = make("slow-once", timeout_s=0.2).generate_batch(convs("a"), CONFIG)
        assert c.text == "eco: a" and c.error is None and c.retries == 1

    @pytest.mark.parametrize("model", ["unauthorized", "nomodel"])
    def test_401_404_raise_at_once(self, make: Any, server: FakeOpenAI, model: str) -> None:
        backend = make(model, concurrency=2)
        with pytest.raises(BackendError, match=KEY_ENV) as info:
            backend.generate_batch(convs(*"abcdefgh"), CONFIG)
        assert model in str(info.value) and SECRET not in str(info.value)
        assert len(server.calls(model)) <= 2  # the first failures stop the batch; no retries


class TestConcurrency:
    def test_order_is_preserved(self, make: Any) -> None:
        texts = [f"dormir {d} item {i}" for i, d in enumerate([0.3, 0.0, 0.2, 0.0, 0.1, 0.0])]
        out = make("ok", concurrency=6).generate_batch(convs(*texts), CONFIG)
        assert [c.text for c in out] == [f"eco: {t}" for t in texts]

    def test_requests_overlap_up_to_the_limit(self, make: Any, server: FakeOpenAI) -> None:
        texts = [f"dormir 0.2 item {i}" for i in range(8)]
        make("ok", concurrency=4).generate_batch(convs(*texts), CONFIG)
        assert server.max_in_flight["ok"] == 4  # overlapped, not one after another

    def test_concurrency_one_is_sequential(self, make: Any, server: FakeOpenAI) -> None:
        make("ok", concurrency=1).generate_batch(convs(*[f"dormir 0.02 {i}" for i in range(4)]), CONFIG)
        assert server.max_in_flight["ok"] == 1

    def test_works_inside_a_running_event_loop(self, make: Any) -> None:
        backend = make("ok")

        async def caller() -> list[Any]:
            return backend.generate_batch(convs("a", "b"), CONFIG)

        assert [c.text for c in asyncio.run(caller())] == ["eco: a", "eco: b"]


def through_session(backend: Any, texts: list[str]) -> tuple[list[Any], dict[str, Any]]:
    """Send ``texts`` through one session at once; the completions and the session's report."""

    async def run() -> tuple[list[Any], dict[str, Any]]:
        async with backend.session(CONFIG) as session:
            out = await asyncio.gather(*(session.complete(c, i) for i, c in enumerate(convs(*texts))))
        return out, session.report()

    return asyncio.run(run())


class TestAdaptiveWindow:
    def test_429s_cut_the_window_once_per_episode(self, make: Any, server: FakeOpenAI) -> None:
        backend = make("ratelimit", concurrency=4)
        out, report = through_session(backend, list("abcdefgh"))
        assert [c.text for c in out] == [f"eco: {t}" for t in "abcdefgh"]
        assert report["http"] == {
            "requests": 8,
            "attempts": 16,
            "retries": 8,
            "rate_limited": 8,
            "errors": 0,
        }
        # The four first requests are refused together: one cut. Later 429s come from requests sent within
        # the cooldown after it, and retried successes never restore, so the window stays cut.
        first = report["window_changes"][0]
        assert (first["old"], first["new"], first["reason"]) == (4, 3, "rate_limit")
        assert report["window_final"] == report["window_min"] <= 3 and report["concurrency"] == 4
        assert server.max_in_flight["ratelimit"] <= 4
        assert backend.stats == {"requests": 8, "attempts": 16, "retries": 8, "errors": 0}

    def test_fixed_window_only_counts(self, make: Any) -> None:
        _, report = through_session(make("ratelimit", concurrency=4, adaptive=False), list("abcd"))
        assert report["http"]["rate_limited"] == 4 and report["window_changes"] == []
        assert report["window_final"] == 4 and report["adaptive"] is False

    def test_5xx_do_not_cut(self, make: Any) -> None:
        _, report = through_session(make("flaky", concurrency=2), list("ab"))
        assert report["http"]["retries"] == 4 and report["http"]["rate_limited"] == 0
        assert report["window_changes"] == [] and report["window_final"] == 2


class TestRequestAndKey:
    def test_payload_and_auth_header(self, make: Any, server: FakeOpenAI) -> None:
        config = GenerationConfig(temperature=0.3, top_p=0.9, max_new_tokens=99, seed=7, stop=("\n\n",))
        make("ok").generate_batch(convs("a"), config)
        [(headers, body)] = server.calls("ok")
        assert headers["Authorization"] == f"Bearer {SECRET}"
        assert body["messages"] == [{"role": "user", "content": "a"}]
        assert (body["temperature"], body["top_p"], body["max_tokens"], body["seed"]) == (0.3, 0.9, 99, 7)
        assert body["stop"] == ["\n\n"]
        assert body["chat_template_kwargs"] == {"enable_thinking": False}  # not api.openai.com: sent

    def test_extra_body_is_merged_and_wins(self, make: Any, server: FakeOpenAI) -> None:
        extra = {"chat_template_kwargs": {"enable_thinking": True, "x": 1}, "top_k": 20}
        make("ok", extra_body=extra).generate_batch(convs("a"), GenerationConfig(enable_thinking=False))
        [(_, body)] = server.calls("ok")
        assert body["chat_template_kwargs"] == {"enable_thinking": True, "x": 1} and body["top_k"] == 20
        assert "stop" not in body

    def test_thinking_flag_follows_the_config(self, make: Any, server: FakeOpenAI) -> None:
        make("ok").generate_batch(convs("a"), GenerationConfig(enable_thinking=True))
        assert server.calls("ok")[0][1]["chat_template_kwargs"] == {"enable_thinking": True}

    def test_api_openai_com_gets_no_template_kwargs(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("OPENAI_API_KEY", SECRET)
        backend = get_backend("openai:gpt-4o-mini")
        assert "chat_template_kwargs" not in backend.payload(convs("a")[0], CONFIG)
        assert backend.privacy == "api"
        assert backend.describe()["base_url"] == "https://api.openai.com/v1"

    def test_key_is_never_stored_or_described(self, make: Any) -> None:
        backend = make("ok")
        backend.generate_batch(convs("a"), CONFIG)
        described = json.dumps(backend.describe())
        assert SECRET not in described and SECRET not in repr(vars(backend))
        assert backend.describe()["concurrency"] == 8 and backend.describe()["model"] == "ok"

    def test_remote_without_key_is_a_config_error(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("OPENAI_API_KEY", raising=False)
        with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
            get_backend("openai:gpt-4o")
        monkeypatch.delenv(KEY_ENV, raising=False)
        with pytest.raises(ConfigError, match=KEY_ENV):
            get_backend("openai:m", base_url="https://llm.example.com/v1", api_key_env=KEY_ENV)

    def test_local_without_key_sends_no_auth(
        self, server: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.delenv("OPENAI_API_KEY", raising=False)
        server.reset()
        backend = get_backend(f"openai:ok@{server.base_url}")
        assert backend.privacy == "on-prem"
        [c] = backend.generate_batch(convs("a"), CONFIG)
        assert c.text == "eco: a" and "Authorization" not in server.calls("ok")[0][0]

    def test_credentials_in_url_are_not_described(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("OPENAI_API_KEY", raising=False)
        backend = get_backend("openai:m", base_url="http://user:pw@127.0.0.1:9/v1")
        assert "pw" not in json.dumps(backend.describe())


class TestRetryPolicy:
    def test_parse_retry_after(self) -> None:
        now = datetime(2015, 10, 21, 7, 27, 30, tzinfo=UTC)
        assert parse_retry_after("3") == 3.0 and parse_retry_after(" 0.5 ") == 0.5
        assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=now) == 30.0
        assert parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now=now) == 0.0  # in the past
        assert parse_retry_after(None) is None and parse_retry_after("soon") is None
        assert parse_retry_after("-4") == 0.0

    def test_backoff_doubles_is_capped_and_jitter_is_seeded(self) -> None:
        plain = RetryPolicy(backoff_s=1.0, max_backoff_s=5.0)
        assert [plain.delay_s(n) for n in range(4)] == [1.0, 2.0, 4.0, 5.0]
        assert plain.delay_s(0, retry_after_s=9.0) == 5.0 and plain.delay_s(3, retry_after_s=0.5) == 0.5
        jittery = RetryPolicy(backoff_s=1.0, max_backoff_s=100.0, jitter=0.5, seed=3)
        draws = [jittery.delay_s(n, rng=jittery.rng(1)) for n in range(5)]
        assert draws == [jittery.delay_s(n, rng=jittery.rng(1)) for n in range(5)]
        assert all(0.5 * 2**n <= d <= 2**n for n, d in enumerate(draws))
        assert jittery.rng(1).random() != jittery.rng(2).random()
        assert isinstance(jittery.rng(), random.Random)
        with pytest.raises(ValueError, match="jitter"):
            RetryPolicy(jitter=1.5)

    def test_urls(self) -> None:
        assert is_local_url("http://127.0.0.1:8000/v1") and is_local_url("http://[::1]:8000/v1")
        assert is_local_url("http://localhost/v1") and not is_local_url("https://api.openai.com/v1")
        assert public_url("http://u:secret@host:1/v1") == "http://host:1/v1"

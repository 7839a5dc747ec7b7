"""LLMLabeller against a real HTTP server on 127.0.0.1 (pytest tests/data/test_llm_labeller.py)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tucano_commerce.data._llm_labeller import LLMLabeller
from tucano_commerce.data._reviews import ReviewRecord, build_review_examples
from tucano_commerce.errors import ConfigError
from tucano_commerce.tasks import SYSTEM_PROMPTS

VALID = {
    "sentiment": "negativo", "sentiment_score": -0.7, "churn_risk": 0.8, "repeat_intent": 0.1,
    "complaint_category": "entrega", "delivery_issue": True, "product_issue": False, "seller_issue": False,
    "would_recommend": False, "main_complaint": "atraso na entrega",
}  # fmt: skip


class _Server:
    """Replies from a script: each entry is (status, content string)."""

    def __init__(self) -> None:
        self.script: list[tuple[int, str]] = []
        self.requests: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.requests.append(
                    {"path": self.path, "body": json.loads(body), "auth": self.headers.get("Authorization")}
                )
                status, content = outer.script.pop(0) if outer.script else (200, json.dumps(VALID))
                payload = json.dumps({"choices": [{"message": {"role": "assistant", "content": content}}]})
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(payload.encode() if status == 200 else b'{"error": "boom"}')

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()


@pytest.fixture
def server() -> Iterator[_Server]:
    srv = _Server()
    yield srv
    srv.httpd.shutdown()
    srv.httpd.server_close()


def _labeller(server: _Server) -> LLMLabeller:
    return LLMLabeller(
        server.url, "tiny", api_key_env="TUCANO_TEST_NO_SUCH_KEY", backoff_s=0.01, max_retries=2
    )


def test_valid_reply(server: _Server) -> None:
    server.script = [(200, "Claro!\n```json\n" + json.dumps(VALID) + "\n```")]
    with _labeller(server) as labeller:
        label = labeller("Nunca chegou.", 1)
    assert label == VALID and labeller.stats == {"ok": 1, "invalid": 0, "error": 0}
    request = server.requests[0]
    assert request["path"] == "/v1/chat/completions" and request["auth"] is None
    assert request["body"]["messages"][0]["content"] == SYSTEM_PROMPTS["extraction"]
    assert "<avaliacao>\nNunca chegou.\n</avaliacao>" in request["body"]["messages"][1]["content"]


def test_malformed_and_incomplete_replies_are_invalid(server: _Server) -> None:
    partial = {k: v for k, v in VALID.items() if k != "main_complaint"}
    server.script = [
        (200, "não sei"),
        (200, json.dumps(partial)),
        (200, json.dumps(VALID | {"churn_risk": 3})),
    ]
    with _labeller(server) as labeller:
        assert [labeller.label("x") for _ in range(3)] == [None, None, None]
    assert labeller.stats == {"ok": 0, "invalid": 3, "error": 0}
    assert "churn_risk" in (labeller.last_error or "")


def test_500_then_ok_is_retried(server: _Server) -> None:
    server.script = [(500, ""), (503, ""), (200, json.dumps(VALID))]
    with _labeller(server) as labeller:
        assert labeller.label("x") == VALID
    assert len(server.requests) == 3 and labeller.stats["ok"] == 1


def test_persistent_500_is_an_error_and_falls_back_to_silver(server: _Server) -> None:
    server.script = [(500, "")] * 3
    pool = [ReviewRecord("r1", None, "O pedido nunca chegou.", 1)]
    with _labeller(server) as labeller:
        examples = build_review_examples(
            pool, n_extraction=1, n_sentiment=0, seed=0, labeller=labeller, synthetic_share=0
        )
    assert labeller.stats == {"ok": 0, "invalid": 0, "error": 1}
    assert examples[0].label_source == "silver" and examples[0].source["label_fallback"] == "silver"
    assert examples[0].source["labeller"] == "llm"


def test_llm_labels_are_recorded_as_llm(server: _Server) -> None:
    pool = [ReviewRecord("r1", None, "O pedido nunca chegou.", 1)]
    with _labeller(server) as labeller:
        examples = build_review_examples(
            pool, n_extraction=1, n_sentiment=0, seed=0, labeller=labeller, synthetic_share=0
        )
    assert examples[0].label_source == "llm" and examples[0].ground_truth == VALID


def test_fatal_status_raises(server: _Server) -> None:
    server.script = [(401, "")]
    with _labeller(server) as labeller, pytest.raises(ConfigError, match="HTTP 401"):
        labeller.label("x")


def test_remote_url_needs_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TUCANO_TEST_NO_SUCH_KEY", raising=False)
    with pytest.raises(ConfigError, match="TUCANO_TEST_NO_SUCH_KEY"):
        LLMLabeller("https://api.example.com/v1", "m", api_key_env="TUCANO_TEST_NO_SUCH_KEY")
    monkeypatch.setenv("TUCANO_TEST_NO_SUCH_KEY", "sk-test")
    LLMLabeller("https://api.example.com/v1", "m", api_key_env="TUCANO_TEST_NO_SUCH_KEY").close()

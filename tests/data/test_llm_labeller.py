"""LLMLabeller against a real HTTP server on 127.0.0.1 (pytest tests/data/test_llm_labeller.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from helpers.openai_server import FakeOpenAI, Reply, Request
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
    """The shared fake server, replying from a script: each entry is (status, content string)."""

    def __init__(self) -> None:
        self.script: list[tuple[int, str]] = []
        self.fake = FakeOpenAI(self._respond)
        self.url = self.fake.base_url

    def _respond(self, request: Request) -> Reply:
        status, content = self.script.pop(0) if self.script else (200, json.dumps(VALID))
        if status != 200:
            return Reply(
                status=status, body='{"error": "boom"}', headers={"Content-Type": "application/json"}
            )
        return Reply(content=content, usage=None)

    @property
    def requests(self) -> list[dict[str, Any]]:
        return [
            {"path": r.path, "body": r.body, "auth": r.headers.get("Authorization")}
            for r in self.fake.requests
        ]


@pytest.fixture
def server() -> Iterator[_Server]:
    srv = _Server()
    yield srv
    srv.fake.close()


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

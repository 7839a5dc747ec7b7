"""Label reviews with an LLM over any OpenAI-compatible chat endpoint, exactly as the benchmark asks.

Each call sends the benchmark's extraction system prompt and user template (so the labeller answers the
same question a model is later trained and scored on), parses the reply with
``parse_response("extraction", ...)`` and validates it with ``check_output``. A reply that does not
give all ten fields is *invalid* and the call returns None: the caller falls back to the silver label
and records that (``build_review_examples`` does). The request goes through the project's
OpenAI-compatible backend (``backends/_openai.py``: retries with the shared ``_http.py`` policy on
408/429/5xx, timeouts and connection errors), so there is one HTTP client for every endpoint; a request
that still fails gives None as well, while 401/403/404 raise ``ConfigError`` at once, since every later
call would fail the same way. ``stats`` counts ok / invalid / error calls.

The API key is read from ``api_key_env`` at request time and sent only in the Authorization header.
Local URLs (127.0.0.1, localhost) need no key.

Example::

    with LLMLabeller("http://127.0.0.1:8000/v1", "qwen2.5-7b-instruct") as labeller:
        examples = build_review_examples(pool, n_extraction=800, n_sentiment=400, seed=0, labeller=labeller)
        print(labeller.stats)
"""

from __future__ import annotations

import os
from typing import Any

from tucano_commerce._http import is_local_url, public_url
from tucano_commerce.backends import BackendError, GenerationConfig, get_backend
from tucano_commerce.errors import ConfigError
from tucano_commerce.tasks import SYSTEM_PROMPTS, check_output, parse_response
from tucano_commerce.tasks._prompts import EXTRACTION_PROMPT


class LLMLabeller:
    """A review labeller backed by an OpenAI-compatible ``/chat/completions`` endpoint.

    Attributes:
        label_source: "llm" (what ``build_review_examples`` records for its labels).
        stats: Calls that gave a valid label (``ok``), an invalid reply (``invalid``) or no reply (``error``).
        last_error: Why the last call returned None, if it did.
    """

    label_source = "llm"

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key_env: str = "OPENAI_API_KEY",
        *,
        temperature: float = 0.0,
        max_tokens: int = 512,
        timeout_s: float = 60.0,
        max_retries: int = 3,
        backoff_s: float = 1.0,
        max_backoff_s: float = 30.0,
    ) -> None:
        """Check the key for a remote endpoint and open the HTTP client.

        Args:
            base_url: Endpoint root, e.g. ``http://127.0.0.1:8000/v1`` or ``https://api.openai.com/v1``.
            model: Model name sent as-is.
            api_key_env: Environment variable holding the key (not needed for local URLs).
            temperature: Sampling temperature (0 = as deterministic as the server allows).
            max_tokens: Reply length cap, tokens.
            timeout_s: Per-request timeout, seconds.
            max_retries: Retries after the first attempt for retryable failures.
            backoff_s: First retry delay, seconds (doubles per retry).
            max_backoff_s: Cap on one delay, seconds.

        Raises:
            ConfigError: ``base_url`` is not local and ``api_key_env`` is unset.
        """
        if not is_local_url(base_url) and not os.environ.get(api_key_env):
            raise ConfigError(
                f"The LLM labeller at {public_url(base_url)} needs an API key, but {api_key_env} is not set. "
                f"Export it (export {api_key_env}=...) or use a local server (http://127.0.0.1:PORT/v1)."
            )
        self.base_url = base_url
        self.model = model
        self.api_key_env = api_key_env
        self.generation = GenerationConfig(temperature=temperature, max_new_tokens=max_tokens)
        self.stats: dict[str, int] = {"ok": 0, "invalid": 0, "error": 0}
        self.last_error: str | None = None
        self._backend = get_backend(
            f"openai:{model}",
            base_url=base_url,
            api_key_env=api_key_env,
            concurrency=1,
            timeout_s=timeout_s,
            max_retries=max_retries,
            backoff_s=backoff_s,
            max_backoff_s=max_backoff_s,
        )

    def close(self) -> None:
        """Close the HTTP client."""
        self._backend.close()

    def __enter__(self) -> LLMLabeller:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def messages(self, text: str) -> list[dict[str, str]]:
        """The benchmark's extraction messages for one review."""
        return [
            {"role": "system", "content": SYSTEM_PROMPTS["extraction"]},
            {"role": "user", "content": EXTRACTION_PROMPT.replace("{review}", text)},
        ]

    def label(self, text: str) -> dict[str, Any] | None:
        """The 10-field extraction label of one review, or None (see ``last_error``) when none was valid."""
        try:
            [completion] = self._backend.generate_batch([self.messages(text)], self.generation)
        except BackendError as err:  # 401/403/404: a bad key, model or URL fails every call alike
            raise ConfigError(f"The LLM labeller's endpoint refused the request: {err}") from err
        if completion.error:
            self._fail("error", completion.error)
            return None
        reply = completion.text
        parsed = parse_response("extraction", reply)
        if not parsed.ok or not isinstance(parsed.value, dict):
            self._fail("invalid", f"unparseable reply ({parsed.reason}): {reply[:200]!r}")
            return None
        check = check_output("extraction", parsed.value)
        if not check.ok:
            self._fail("invalid", f"reply breaks the contract: {check.reason()}")
            return None
        self.stats["ok"] += 1
        self.last_error = None
        return check.values

    def _fail(self, kind: str, reason: str) -> None:
        self.stats[kind] += 1
        self.last_error = reason

    def __call__(
        self, text: str, score: int | None = None, *, recommend_hint: bool | None = None
    ) -> dict[str, Any] | None:
        """``label(text)``; the star score and hint are ignored (the benchmark prompt shows neither)."""
        return self.label(text)

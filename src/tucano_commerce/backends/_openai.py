"""Any OpenAI-compatible chat endpoint (``openai:MODEL``): OpenAI, vLLM, llama.cpp ``llama-server``,
Ollama, SGLang ... configured, not coded: ``base_url``, ``model`` and ``api_key_env`` are all it needs.

* **Concurrency.** A ``session`` holds one ``httpx.AsyncClient`` and an ``AdaptiveWindow`` (``_window``):
  at most ``concurrency`` requests in flight, cut on HTTP 429 and restored (``adaptive=False`` keeps it
  fixed). ``tucano bench run`` streams through a session; ``generate_batch`` sends the whole batch through
  one, in its own event loop (``asyncio.run``; from inside a running loop, in a worker thread), so callers
  stay synchronous. Each Completion has its own request's latency and ``batch_size=1``; ``generate_batch``
  returns them in input order.
* **Retries** (policy in ``tucano_commerce._http``; the LLM judge and the labeller call this backend too):
  HTTP 408/429/5xx, timeouts and connection errors are retried up to ``max_retries`` times with exponential
  backoff and seeded jitter, or after the server's ``Retry-After`` (seconds or HTTP date) when it sends one.
  A request still failing then becomes a Completion with ``error`` set (``retries`` says how many were made):
  data for the runner, not an exception. Other 4xx replies (e.g. 400 context too long) and malformed JSON are
  per-item errors too, without retries. HTTP 401/403/404 raise ``BackendError`` at once: a bad key or model
  name fails every request alike.
* **Key.** Read from ``$OPENAI_API_KEY`` (or ``api_key_env``) when a batch starts, sent only in the
  ``Authorization`` header, never stored on the backend, logged or returned by ``describe()``. A local
  base URL (127.0.0.1, localhost, ::1) may run without one; a remote URL without one is a ``ConfigError``
  naming the variable.
* **Payload.** ``model, messages, temperature, top_p, max_tokens, seed`` and ``stop`` (when given). For a
  server other than api.openai.com, ``chat_template_kwargs.enable_thinking`` is set from the config
  (vLLM/SGLang pass it to Qwen3-style templates). ``extra_body`` is merged last (nested dicts merged
  key by key), so an explicit ``extra_body`` value wins.
* **Reply.** ``text`` is ``choices[0].message.content`` (a server-side reasoning parser's
  ``reasoning_content`` is not included); tokens come from ``usage`` (None when the server sends none);
  ``finish_reason`` from the choice. ``latency_s`` is the successful attempt's wall time (retry waits
  excluded; on failure, the total time spent).

Example::

    backend = get_backend("openai:Qwen/Qwen3-4B", base_url="http://127.0.0.1:8000/v1", concurrency=16)
    backend.generate_batch(conversations, GenerationConfig(temperature=0.0))
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import os
import re
import time
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field, field_validator

from tucano_commerce._http import (
    RetryPolicy,
    is_fatal_status,
    is_local_url,
    is_retryable_status,
    parse_retry_after,
    public_url,
)
from tucano_commerce.backends._base import (
    Backend,
    BackendError,
    Completion,
    GenerationConfig,
    Message,
    Privacy,
    RemoteBackend,
)
from tucano_commerce.backends._registry import backend
from tucano_commerce.backends._window import AdaptiveWindow
from tucano_commerce.errors import ConfigError

OPENAI_BASE_URL = "https://api.openai.com/v1"
_ERROR_BODY_CHARS = 300
_INLINE_URL = re.compile(r"^(?P<model>.+?)@(?P<url>https?://\S+)$")


class OpenAIOptions(BaseModel):
    """Options of the ``openai:`` backend."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    base_url: str = Field(
        OPENAI_BASE_URL, description="API root; requests go to {base_url}/chat/completions."
    )
    api_key_env: str = Field(
        "OPENAI_API_KEY",
        min_length=1,
        description="Environment variable holding the key (may be unset only for a local base_url).",
    )
    concurrency: int = Field(8, ge=1, le=512, description="Requests in flight at once (the most).")
    adaptive: bool = Field(
        True,
        description="Cut the requests in flight on HTTP 429 and restore them; false = always concurrency.",
    )
    timeout_s: float = Field(120.0, gt=0.0, le=3600.0, description="Timeout of each HTTP attempt, seconds.")
    max_retries: int = Field(
        4, ge=0, le=20, description="Retries per request on 408/429/5xx/timeouts/connection errors."
    )
    backoff_s: float = Field(
        1.0, ge=0.0, le=60.0, description="First retry delay, seconds; doubles each retry."
    )
    max_backoff_s: float = Field(
        60.0, ge=0.0, le=600.0, description="Cap on one delay (Retry-After included), s."
    )
    jitter: float = Field(
        0.5, ge=0.0, le=1.0, description="Backoff delays are scaled by uniform[1-jitter, 1]."
    )
    retry_seed: int = Field(0, description="Seed of the jitter draws (reproducible retry timing).")
    extra_body: dict[str, Any] = Field(
        default_factory=dict,
        description='Merged into every request body, e.g. {"chat_template_kwargs": {"enable_thinking": false}}.',
    )

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"must start with http:// or https:// (got {value!r})")
        try:
            httpx.URL(value)
        except httpx.InvalidURL as exc:
            raise ValueError(f"not a valid URL: {exc}") from None
        return value.rstrip("/")


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """``base`` updated by ``extra``, nested dicts merged key by key (neither input is modified)."""
    out = copy.deepcopy(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


class OpenAIBackend(RemoteBackend):
    """Chat completions over HTTP, concurrently, with the shared retry policy."""

    name = "openai"
    privacy: Privacy = "api"  # "on-prem" for a local server, set per instance

    def __init__(self, model: str, options: OpenAIOptions) -> None:
        """Check the key is available for a remote endpoint (nothing is sent yet).

        Raises:
            ConfigError: ``base_url`` is not local and the key variable is unset or empty.
        """
        self.model = model
        self.options = options
        self.base_url = options.base_url
        self.url = f"{self.base_url}/chat/completions"
        self.local = is_local_url(self.base_url)
        self.privacy = "on-prem" if self.local else "api"
        self.concurrency = options.concurrency
        self.policy = RetryPolicy(
            max_retries=options.max_retries,
            backoff_s=options.backoff_s,
            max_backoff_s=options.max_backoff_s,
            jitter=options.jitter,
            seed=options.retry_seed,
        )
        self.stats = {"requests": 0, "attempts": 0, "retries": 0, "errors": 0}  # all sessions together
        if not self.local and not os.environ.get(options.api_key_env):
            raise ConfigError(
                f"{public_url(self.base_url)} needs an API key, but the environment variable "
                f"{options.api_key_env} is not set. Export it (export {options.api_key_env}=...), name "
                "another variable with api_key_env, or point base_url at a local server."
            )

    @property
    def sends_thinking_flag(self) -> bool:
        """Whether requests carry ``chat_template_kwargs.enable_thinking`` (not for api.openai.com)."""
        return httpx.URL(self.base_url).host != "api.openai.com"

    def payload(self, conversation: list[Message], config: GenerationConfig) -> dict[str, Any]:
        """The JSON body of one request."""
        body: dict[str, Any] = {
            "model": self.model,
            "messages": conversation,
            "temperature": config.temperature,
            "top_p": config.top_p,
            "max_tokens": config.max_new_tokens,
            "seed": config.seed,
        }
        if config.stop:
            body["stop"] = list(config.stop)
        if self.sends_thinking_flag:
            body["chat_template_kwargs"] = {"enable_thinking": config.enable_thinking}
        return _merge(body, self.options.extra_body)

    def _headers(self) -> dict[str, str]:
        key = os.environ.get(self.options.api_key_env)
        if not key and not self.local:
            raise ConfigError(f"The environment variable {self.options.api_key_env} is no longer set.")
        return {"Authorization": f"Bearer {key}"} if key else {}

    @contextlib.asynccontextmanager
    async def session(self, config: GenerationConfig) -> AsyncIterator[_Session]:
        """A client and a window for this run's requests; the key is read now, once.

        Raises:
            ConfigError: the key variable was unset since the backend was created (remote URL).
        """
        headers = self._headers()
        window = AdaptiveWindow(
            self.options.concurrency, adaptive=self.options.adaptive, name=f"openai:{self.model}"
        )
        limit = self.options.concurrency
        limits = httpx.Limits(max_connections=limit, max_keepalive_connections=limit)
        async with httpx.AsyncClient(timeout=httpx.Timeout(self.options.timeout_s), limits=limits) as client:
            session = _Session(self, client, window, config, headers)
            try:
                yield session
            finally:
                for key in self.stats:
                    self.stats[key] += session.counts[key]

    def _completion(self, resp: httpx.Response, latency: float) -> Completion:
        try:
            body = resp.json()
        except ValueError:
            return Completion(
                error=f"reply is not JSON: {resp.text[:_ERROR_BODY_CHARS]!r}", latency_s=round(latency, 4)
            )
        try:
            choice = body["choices"][0]
            content = choice["message"].get("content") or ""
        except (KeyError, IndexError, TypeError, AttributeError):
            return Completion(
                error=f"reply has no choices[0].message: {resp.text[:_ERROR_BODY_CHARS]!r}",
                latency_s=round(latency, 4),
            )
        usage = body.get("usage") if isinstance(body.get("usage"), dict) else {}
        return Completion(
            text=str(content),
            input_tokens=_count(usage.get("prompt_tokens")),
            output_tokens=_count(usage.get("completion_tokens")),
            latency_s=round(latency, 4),
            batch_size=1,
            finish_reason=choice.get("finish_reason"),
        )

    def describe(self) -> dict[str, Any]:
        """Model, endpoint (credentials stripped), concurrency and request shaping; never the key."""
        return {
            "backend": self.name,
            "spec": f"openai:{self.model}",
            "model": self.model,
            "base_url": public_url(self.base_url),
            "privacy": self.privacy,
            "concurrency": self.options.concurrency,
            "adaptive": self.options.adaptive,
            "timeout_s": self.options.timeout_s,
            "max_retries": self.options.max_retries,
            "sends_enable_thinking": self.sends_thinking_flag,
            "extra_body": self.options.extra_body,
        }


class _Session:
    """One run's requests to an OpenAI-compatible endpoint: shared client, window and counters."""

    def __init__(
        self,
        backend: OpenAIBackend,
        client: httpx.AsyncClient,
        window: AdaptiveWindow,
        config: GenerationConfig,
        headers: dict[str, str],
    ) -> None:
        self.backend, self.client, self.window = backend, client, window
        self.config, self.headers = config, headers
        self.counts: Counter[str] = Counter()

    @property
    def limit(self) -> int:
        """Requests allowed in flight now."""
        return self.window.limit

    def report(self) -> dict[str, Any]:
        """The window's history and this session's request counts."""
        keys = ("requests", "attempts", "retries", "rate_limited", "errors")
        return {**self.window.report(), "http": {k: self.counts[k] for k in keys}}

    async def complete(self, conversation: list[Message], index: int = 0) -> Completion:
        """One reply, retried per the backend's policy; holds a window slot until it has its answer.

        Raises:
            BackendError: the endpoint answered 401/403/404 (bad key, no access, unknown model or URL).
        """
        backend, policy = self.backend, self.backend.policy
        body = backend.payload(conversation, self.config)
        rng = policy.rng(salt=index)
        self.counts["requests"] += 1
        async with self.window.slot():
            first = time.perf_counter()
            retries = 0
            while True:
                start = time.perf_counter()
                sent_at = self.window.clock()
                self.counts["attempts"] += 1
                retry_after: float | None = None
                try:
                    resp = await self.client.post(backend.url, json=body, headers=self.headers)
                except httpx.TimeoutException as exc:
                    error = f"timeout after {backend.options.timeout_s}s ({type(exc).__name__})"
                except httpx.TransportError as exc:
                    error = f"connection error: {type(exc).__name__}: {exc}"
                else:
                    latency = time.perf_counter() - start
                    status = resp.status_code
                    if 200 <= status < 300:
                        self.window.on_success(first_try=retries == 0)
                        completion = backend._completion(resp, latency).model_copy(
                            update={"retries": retries}
                        )
                        self.counts["errors"] += completion.error is not None
                        return completion
                    if is_fatal_status(status):
                        raise BackendError(
                            f"{public_url(backend.url)} answered HTTP {status} for model {backend.model!r}: "
                            f"{resp.text[:_ERROR_BODY_CHARS]}. Check the model name, base_url and the key "
                            f"in {backend.options.api_key_env}."
                        )
                    error = f"HTTP {status}: {resp.text[:_ERROR_BODY_CHARS]}"
                    if not is_retryable_status(status):
                        self.counts["errors"] += 1
                        return Completion(error=error, latency_s=round(latency, 4), retries=retries)
                    if status == 429:
                        self.counts["rate_limited"] += 1
                        self.window.on_rate_limited(sent_at)
                    retry_after = parse_retry_after(resp.headers.get("retry-after"))
                if retries >= policy.max_retries:
                    self.counts["errors"] += 1
                    total = round(time.perf_counter() - first, 4)
                    return Completion(
                        error=f"{error} (gave up after {retries} retries)", latency_s=total, retries=retries
                    )
                await asyncio.sleep(policy.delay_s(retries, retry_after, rng))
                retries += 1
                self.counts["retries"] += 1


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@backend("openai", options=OpenAIOptions, target="MODEL", summary="Any OpenAI-compatible chat endpoint.")
def _make_openai(target: str | None, options: OpenAIOptions) -> Backend:
    inline = _INLINE_URL.match(target or "")
    model, url = (inline["model"], inline["url"]) if inline else (target or "", "")
    if url:
        if "base_url" in options.model_fields_set and options.base_url != url.rstrip("/"):
            raise ConfigError(
                f"openai:{public_url(target or '')} sets the base URL inline and base_url="
                f"{public_url(options.base_url)!r} too; pick one."
            )
        options = options.model_copy(update={"base_url": OpenAIOptions(base_url=url).base_url})
    return OpenAIBackend(model, options)

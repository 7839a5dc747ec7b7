"""The one small interface every model backend implements: messages in, text + tokens + timings out.

A backend receives a *batch* of chat conversations and returns one ``Completion`` per conversation, in
order. Batching is the backend's business (the HF backend pads and generates them together, the OpenAI
backend sends them concurrently); the runner only chooses the batch size.

A ``RemoteBackend`` (one conversation per HTTP request) also opens a ``RequestSession``: an async
``complete(conversation)`` behind a window of requests in flight. ``tucano bench run`` streams through it
(each reply is scored and saved as it arrives and the next request starts); its ``generate_batch`` is
the same session, gathered.

Example:
    >>> backend = get_backend("openai:gpt-4o-mini", base_url="http://127.0.0.1:8000/v1")
    >>> [c] = backend.generate_batch([[{"role": "user", "content": "Olá"}]], GenerationConfig())
    >>> c.text, c.output_tokens
"""

from __future__ import annotations

import abc
import asyncio
import concurrent.futures
from collections.abc import Coroutine
from contextlib import AbstractAsyncContextManager
from typing import Any, ClassVar, Literal, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from tucano_commerce.errors import TucanoError

Message = dict[str, str]  # {"role": "system" | "user" | "assistant", "content": "..."}
Privacy = Literal["on-prem", "api"]
T = TypeVar("T")


class BackendError(TucanoError):
    """A backend cannot be created or used (missing extra, bad path, no GPU for 4-bit ...)."""


class BackendUnavailable(BackendError):
    """An optional dependency is missing; the message names the pip extra that installs it."""


class GenerationConfig(BaseModel):
    """Generation settings, identical for every model in a comparison (ADR 2.2) and recorded in results."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    temperature: float = Field(0.1, ge=0.0, le=2.0, description="Sampling temperature; 0 = greedy.")
    top_p: float = Field(1.0, gt=0.0, le=1.0, description="Nucleus sampling mass.")
    max_new_tokens: int = Field(2048, ge=1, le=32_768, description="Cap on generated tokens per reply.")
    seed: int = Field(0, description="Seed for sampling (per run; backends that support it).")
    enable_thinking: bool = Field(
        False, description="Qwen3-style chat templates: let the model think (<think>...</think>) first."
    )
    stop: tuple[str, ...] = Field((), description="Extra stop strings.")


class Completion(BaseModel):
    """One reply. A failed request is a Completion with ``error`` set and empty text: data, not a crash."""

    text: str = ""
    input_tokens: int | None = Field(None, description="Prompt tokens as counted by the backend/server.")
    output_tokens: int | None = Field(None, description="Generated tokens.")
    latency_s: float = Field(0.0, description="Wall time from sending this request to its last token.")
    batch_size: int = Field(
        1, description="How many conversations shared the call (amortised cost = latency/batch)."
    )
    finish_reason: str | None = Field(None, description="'stop', 'length', ... when known.")
    error: str | None = Field(None, description="Why no reply came back (after retries), else None.")
    retries: int = Field(0, description="Attempts beyond the first (remote backends; 0 for local ones).")


class Backend(abc.ABC):
    """A model behind one method. Subclasses declare capabilities as class attributes."""

    name: ClassVar[str]
    # Not a ClassVar: an instance may refine it (an OpenAI-compatible server on localhost is on-prem).
    privacy: Privacy = "on-prem"
    default_batch_size: ClassVar[int] = 1

    @abc.abstractmethod
    def generate_batch(
        self, conversations: list[list[Message]], config: GenerationConfig
    ) -> list[Completion]:
        """One Completion per conversation, in the same order."""

    def describe(self) -> dict[str, Any]:
        """What identifies this model in a results file (spec, paths, weight/adapter hashes, dtype ...)."""
        return {"backend": self.name}

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release resources (HTTP clients, GPU memory)."""


class RequestSession(Protocol):
    """One run's connection to a remote model: requests share a client and a window of requests in flight."""

    @property
    def limit(self) -> int:
        """How many requests may be in flight now (the window; at most the backend's concurrency)."""

    async def complete(self, conversation: list[Message], index: int = 0) -> Completion:
        """One reply, retries included; waits for a free slot first. ``index`` seeds its retry jitter."""

    def report(self) -> dict[str, Any]:
        """JSON-ready account of the session: window changes and request counts."""


class RemoteBackend(Backend):
    """A backend that answers one conversation per request, any number at once up to ``concurrency``."""

    concurrency: int

    @abc.abstractmethod
    def session(self, config: GenerationConfig) -> AbstractAsyncContextManager[RequestSession]:
        """Open a session (HTTP client, window) for requests with this generation config."""

    def generate_batch(
        self, conversations: list[list[Message]], config: GenerationConfig
    ) -> list[Completion]:
        """Send every conversation through one session; one Completion each, in input order."""
        if not conversations:
            return []

        async def gather() -> list[Completion]:
            async with self.session(config) as session, asyncio.TaskGroup() as group:
                tasks = [group.create_task(session.complete(c, i)) for i, c in enumerate(conversations)]
            return [task.result() for task in tasks]

        return run_sync(gather())


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from sync code, even when this thread already runs an event loop.

    A task group's failure is re-raised as its first error (e.g. the ``BackendError`` of a 401), so callers
    see the same exceptions as from sync code.
    """
    try:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(coro)
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(asyncio.run, coro).result()
    except BaseExceptionGroup as group:
        first: BaseException = group
        while isinstance(first, BaseExceptionGroup):
            first = first.exceptions[0]
        raise first from None

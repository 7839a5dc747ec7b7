"""The one HTTP retry policy, used by the OpenAI-compatible backend (which the LLM judge and labeller call).

What it decides, and nothing else (each caller does its own I/O):

* which replies are worth retrying: HTTP 408, 429 and 5xx, timeouts and connection errors;
* which are fatal at once: HTTP 401, 403 and 404 (bad key, no access, unknown model or URL), where N
  identical retries would only hide the cause;
* how long to wait before retry ``n`` (0-based): the server's ``Retry-After`` when it sent one (seconds
  or an HTTP date), else ``backoff_s * 2**n`` shrunk by up to ``jitter`` (a fraction, drawn from a seeded
  ``random.Random`` so runs are reproducible), and never more than ``max_backoff_s``;
* whether a base URL is local (127.0.0.1, localhost, ::1, 0.0.0.0: a key-less server is normal there) and
  how to print a URL without credentials.

Example::

    policy = RetryPolicy(max_retries=4, backoff_s=1.0, max_backoff_s=30.0, jitter=0.5)
    rng = policy.rng()
    for retry in range(policy.max_retries + 1):
        resp = client.post(url, json=payload)
        if not is_retryable_status(resp.status_code) or retry == policy.max_retries:
            break
        time.sleep(policy.delay_s(retry, parse_retry_after(resp.headers.get("retry-after")), rng))
"""

from __future__ import annotations

import email.utils
import random
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "0.0.0.0"})
FATAL_STATUSES = frozenset({401, 403, 404})


def is_retryable_status(status: int) -> bool:
    """True for replies a retry may fix: 408 (request timeout), 429 (rate limit) and any 5xx."""
    return status in (408, 429) or status >= 500


def is_fatal_status(status: int) -> bool:
    """True for 401/403/404: wrong key, no access, or unknown model/URL; retrying cannot help."""
    return status in FATAL_STATUSES


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """A ``Retry-After`` header (delta-seconds or HTTP date) in seconds; None if absent or invalid.

    Example:
        >>> parse_retry_after("2.5")
        2.5
        >>> parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=datetime(2015, 10, 21, 7, 27, 30, tzinfo=UTC))
        30.0
    """
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


@dataclass(frozen=True)
class RetryPolicy:
    """How many times to retry and how long to wait in between.

    Attributes:
        max_retries: Retries after the first attempt (0 = one attempt only).
        backoff_s: Delay before the first retry, seconds; doubles on each further retry.
        max_backoff_s: Cap on any single delay, ``Retry-After`` included, seconds.
        jitter: Fraction in [0, 1]: each exponential delay is multiplied by a uniform draw from
            ``[1 - jitter, 1]`` so that concurrent clients do not retry in lock-step. ``Retry-After`` is
            honoured as sent (no jitter).
        seed: Seed of the jitter draws (see ``rng``).
    """

    max_retries: int = 4
    backoff_s: float = 1.0
    max_backoff_s: float = 30.0
    jitter: float = 0.0
    seed: int = 0

    def __post_init__(self) -> None:
        """Reject values that would make the loop wrong rather than slow."""
        if self.max_retries < 0 or self.backoff_s < 0 or self.max_backoff_s < 0:
            raise ValueError("max_retries, backoff_s and max_backoff_s must be >= 0")
        if not 0.0 <= self.jitter <= 1.0:
            raise ValueError(f"jitter must be in [0, 1], got {self.jitter}")

    def rng(self, salt: int = 0) -> random.Random:
        """A seeded generator for the jitter draws (``salt`` gives concurrent requests distinct streams)."""
        return random.Random(self.seed * 1_000_003 + salt)

    def delay_s(
        self, retry: int, retry_after_s: float | None = None, rng: random.Random | None = None
    ) -> float:
        """Seconds to wait before retry number ``retry`` (0-based).

        Args:
            retry: How many retries were already made.
            retry_after_s: The server's ``Retry-After`` in seconds (wins over the backoff when given).
            rng: Source of the jitter draw; required for jitter to apply.
        """
        if retry_after_s is not None:
            return min(max(0.0, retry_after_s), self.max_backoff_s)
        delay = self.backoff_s * (2.0**retry)
        if self.jitter and rng is not None:
            delay *= 1.0 - self.jitter * rng.random()
        return min(delay, self.max_backoff_s)


def is_local_url(base_url: str) -> bool:
    """True when ``base_url`` points at this machine (where a key-less server is normal)."""
    try:
        host = httpx.URL(base_url).host
    except httpx.InvalidURL:
        return False
    return host in LOCAL_HOSTS


def public_url(base_url: str) -> str:
    """``base_url`` without any user:password part, safe to record or print."""
    try:
        url = httpx.URL(base_url)
    except httpx.InvalidURL:
        return base_url
    return str(url.copy_with(userinfo=b"")) if url.userinfo else base_url

"""The in-flight window of a remote backend: at most ``limit`` requests at once, cut on HTTP 429, restored.

An AIMD controller in the spirit of inspect_ai's adaptive connections, sized for short benchmark runs:

* **Start** at the ceiling, the user's ``--concurrency``: the window never grows past it.
* **Cut** (multiplicative decrease): an HTTP 429 multiplies the limit by ``CUT_FACTOR`` (0.8, rounded down,
  at least 1). One cut per rate-limit episode: a 429 counts only when its attempt was *sent* at least
  ``cooldown_s`` (5 s) after the previous cut. Replies to requests already under way when the limit was
  cut carry no news about the new limit, and one rate-limit episode (a provider's quota window) should
  cost one cut, not a collapse to 1. inspect_ai waits 15 s; benchmark runs last minutes, so 5 s.
* **Restore** (additive increase): every ``limit`` first-try successes add 1, up to the ceiling: about
  one step per clean round of requests. A 429 starts the count over, so the window does not grow back
  while the server still refuses.
* **Neutral:** HTTP 5xx, timeouts and connection errors neither cut nor grow the window (infrastructure
  noise, which fewer requests would not fix), nor does a success that needed a retry.

Every change is logged (a cut as a warning) and kept in ``changes`` for the results file. A request keeps
its slot through its own retries and their backoff waits, so ``--concurrency 1`` is strictly one item at
a time, and a 429's backoff wait itself lowers the load.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

logger = logging.getLogger(__name__)

CUT_FACTOR = 0.8
COOLDOWN_S = 5.0


@dataclass(frozen=True)
class WindowChange:
    """One change of the limit: when (seconds since the window opened), from what, to what, and why."""

    t_s: float
    old: int
    new: int
    reason: Literal["rate_limit", "restore"]


@dataclass
class AdaptiveWindow:
    """At most ``limit`` holders of a slot; ``limit`` moves between 1 and ``ceiling`` (see the module doc).

    Args:
        ceiling: The most requests in flight (``--concurrency``); also the starting limit.
        adaptive: False keeps the limit at ``ceiling`` whatever the server says.
        cooldown_s: Least time between a cut and the sending of an attempt whose 429 may cut again.
        clock: Monotonic seconds (a parameter so tests can drive time).
        name: Who owns the window, for log lines.
    """

    ceiling: int
    adaptive: bool = True
    cooldown_s: float = COOLDOWN_S
    clock: Callable[[], float] = time.monotonic
    name: str = "backend"
    limit: int = field(init=False)
    in_flight: int = field(init=False, default=0)
    changes: list[WindowChange] = field(init=False, default_factory=list)
    rate_limited: int = field(init=False, default=0)
    lowest: int = field(init=False)

    def __post_init__(self) -> None:
        """Open at the ceiling."""
        if self.ceiling < 1:
            raise ValueError(f"ceiling must be >= 1, got {self.ceiling}")
        self.limit = self.lowest = self.ceiling
        self._opened = self.clock()
        self._last_cut = -math.inf
        self._clean = 0  # first-try successes since the last change
        self._cond: asyncio.Condition | None = None  # created in the event loop that uses it

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one of the ``limit`` slots for the body (waiters are served first come, first served)."""
        if self._cond is None:
            self._cond = asyncio.Condition()
        async with self._cond:
            await self._cond.wait_for(lambda: self.in_flight < self.limit)
            self.in_flight += 1
        try:
            yield
        finally:
            async with self._cond:
                self.in_flight -= 1
                free = self.limit - self.in_flight
                if free > 0:  # after a restore there may be more than one free slot
                    self._cond.notify(free)

    def on_rate_limited(self, sent_at: float) -> None:
        """An attempt sent at ``sent_at`` (this window's clock) was answered 429: cut, once per episode."""
        self.rate_limited += 1
        self._clean = 0
        if not self.adaptive or sent_at - self._last_cut < self.cooldown_s:
            return
        self._last_cut = self.clock()
        self._change(max(1, math.floor(self.limit * CUT_FACTOR)), "rate_limit")

    def on_success(self, *, first_try: bool) -> None:
        """A request got its reply; first-try successes count towards restoring the limit."""
        if not first_try or self.limit >= self.ceiling:
            return
        self._clean += 1
        if self._clean >= self.limit:
            self._change(self.limit + 1, "restore")

    def _change(self, new: int, reason: Literal["rate_limit", "restore"]) -> None:
        if new == self.limit:
            return
        change = WindowChange(round(self.clock() - self._opened, 3), self.limit, new, reason)
        self.changes.append(change)
        self.limit, self._clean = new, 0
        self.lowest = min(self.lowest, new)
        if reason == "rate_limit":
            logger.warning("%s: HTTP 429, requests in flight cut from %d to %d", self.name, change.old, new)
        else:
            logger.info("%s: requests in flight restored from %d to %d", self.name, change.old, new)

    def report(self) -> dict[str, Any]:
        """What the results file records about the window (JSON-ready)."""
        return {
            "concurrency": self.ceiling,
            "adaptive": self.adaptive,
            "window_min": self.lowest,
            "window_final": self.limit,
            "window_changes": [asdict(c) for c in self.changes],
        }

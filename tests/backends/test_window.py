"""The adaptive in-flight window: cut on HTTP 429 once per episode, restored by first-try successes.

Time is a hand-driven clock, so cooldowns are exact and nothing waits on the wall clock.
"""

from __future__ import annotations

import asyncio

import pytest

from tucano_commerce.backends._window import AdaptiveWindow


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_opens_at_the_ceiling_and_a_429_cuts_by_a_fifth(clock: Clock) -> None:
    window = AdaptiveWindow(16, clock=clock)
    assert window.limit == 16
    clock.now += 0.5
    window.on_rate_limited(sent_at=clock.now - 0.2)
    assert window.limit == 12 and window.rate_limited == 1
    [change] = window.changes
    assert (change.old, change.new, change.reason, change.t_s) == (16, 12, "rate_limit", 0.5)


def test_one_cut_per_episode(clock: Clock) -> None:
    window = AdaptiveWindow(16, cooldown_s=2.0, clock=clock)
    window.on_rate_limited(sent_at=clock.now)  # cut at t=100
    for sent in (99.0, 100.0, 101.9):  # sent before the cut, or within the cooldown after it
        clock.now = sent + 0.2
        window.on_rate_limited(sent_at=sent)
    assert window.limit == 12 and window.rate_limited == 4
    clock.now = 102.3
    window.on_rate_limited(sent_at=102.1)  # sent 2.1 s after the cut: the server still refuses
    assert window.limit == 9 and [c.new for c in window.changes] == [12, 9]


def test_cuts_stop_at_one(clock: Clock) -> None:
    window = AdaptiveWindow(3, cooldown_s=0.0, clock=clock)
    for _ in range(5):
        clock.now += 1
        window.on_rate_limited(sent_at=clock.now)
    assert window.limit == 1 and window.lowest == 1
    assert [c.new for c in window.changes] == [2, 1]


def test_first_try_successes_restore_up_to_the_ceiling(clock: Clock) -> None:
    window = AdaptiveWindow(4, clock=clock)
    window.on_rate_limited(sent_at=clock.now)  # 4 -> 3
    for _ in range(2):
        window.on_success(first_try=True)
    window.on_success(first_try=False)  # a success after a retry is neutral
    assert window.limit == 3
    window.on_success(first_try=True)  # the third first-try success at limit 3
    assert window.limit == 4
    for _ in range(10):
        window.on_success(first_try=True)
    assert window.limit == 4  # never above the ceiling
    assert [(c.old, c.new, c.reason) for c in window.changes] == [(4, 3, "rate_limit"), (3, 4, "restore")]
    assert window.report() == {
        "concurrency": 4,
        "adaptive": True,
        "window_min": 3,
        "window_final": 4,
        "window_changes": [vars(c) for c in window.changes],
    }


def test_a_429_restarts_the_count_towards_a_restore(clock: Clock) -> None:
    window = AdaptiveWindow(4, cooldown_s=10.0, clock=clock)
    window.on_rate_limited(sent_at=clock.now)  # 4 -> 3
    window.on_success(first_try=True)
    window.on_success(first_try=True)
    window.on_rate_limited(sent_at=clock.now)  # within the cooldown: no cut, but the count starts over
    window.on_success(first_try=True)
    window.on_success(first_try=True)
    assert window.limit == 3


def test_fixed_window_counts_429s_but_never_moves(clock: Clock) -> None:
    window = AdaptiveWindow(8, adaptive=False, clock=clock)
    for _ in range(3):
        clock.now += 10
        window.on_rate_limited(sent_at=clock.now)
    assert window.limit == 8 and window.rate_limited == 3 and not window.changes


def test_slots_hold_at_most_the_limit_and_a_restore_frees_more() -> None:
    async def scenario() -> list[int]:
        window = AdaptiveWindow(3, cooldown_s=0.0)
        window.on_rate_limited(sent_at=window.clock())  # 3 -> 2
        done = [asyncio.Event() for _ in range(5)]
        entered: list[int] = []

        async def hold(i: int) -> None:
            async with window.slot():
                entered.append(i)
                await done[i].wait()

        async def settle() -> None:
            for _ in range(10):
                await asyncio.sleep(0)

        tasks = [asyncio.create_task(hold(i)) for i in range(5)]
        await settle()
        counts = [window.in_flight]  # 2: the limit
        window.on_success(first_try=True)
        window.on_success(first_try=True)  # 2 -> 3
        done[0].set()  # one leaves; its release lets two waiters in
        await settle()
        counts.append(window.in_flight)
        for event in done:
            event.set()
        await asyncio.gather(*tasks)
        return [*counts, window.in_flight, *entered]

    assert asyncio.run(scenario()) == [2, 3, 0, 0, 1, 2, 3, 4]  # first come, first served


def test_rejects_an_empty_window() -> None:
    with pytest.raises(ValueError, match="ceiling"):
        AdaptiveWindow(0)

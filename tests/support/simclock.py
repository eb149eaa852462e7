"""A simulated clock for tests of several tasks that sleep at once.

:class:`nvrd.core.clock.FakeClock` advances time by every sleep, which suits one loop.
With several sleepers (a watchdog, a process, a backoff) time must move the way it
does for real: :meth:`SimClock.sleep` waits until the clock reaches its deadline, and
:meth:`SimClock.run_until` lets every task run until all are waiting, then jumps to
the earliest deadline and wakes its sleepers, until a condition holds. Work in
threads (files, the database) takes real time while no task sleeps. Times seen by
the code under test are therefore exact and independent of how the loop schedules.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from nvrd.core.clock import ms_from_datetime

SETTLE = 50  # event-loop turns that count as "every task is waiting"
REAL_LIMIT_S = 10.0  # real time that threads get while no task sleeps on the clock


class SimClock:
    def __init__(self, start: datetime | None = None, monotonic: float = 1000.0):
        self._wall = start or datetime(2026, 1, 1, tzinfo=UTC)
        self._mono = monotonic
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    def now(self) -> datetime:
        return self._wall

    def now_ms(self) -> int:
        return ms_from_datetime(self._wall)

    def monotonic(self) -> float:
        return self._mono

    def step_wall(self, seconds: float) -> None:
        self._wall += timedelta(seconds=seconds)

    async def sleep(self, seconds: float) -> None:
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self._mono + max(0.0, seconds), next(self._seq), fut))
        await fut

    def _advance_to(self, t: float) -> None:
        if t > self._mono:
            self._wall += timedelta(seconds=t - self._mono)
            self._mono = t

    async def run_until(self, cond: Callable[[], bool], limit_s: float = 3600.0) -> None:
        """Run the tasks, moving time forward as they sleep, until ``cond()`` holds."""
        end = self._mono + limit_s
        idle_since: float | None = None
        loop = asyncio.get_running_loop()
        while True:
            for _ in range(SETTLE):
                if cond():
                    return
                await asyncio.sleep(0)
            while self._sleepers and self._sleepers[0][2].done():  # cancelled sleeps
                heapq.heappop(self._sleepers)
            if not self._sleepers:  # work in threads (files, the database): real time
                idle_since = idle_since or loop.time()
                if loop.time() - idle_since > REAL_LIMIT_S:
                    raise AssertionError("condition never met and nothing is sleeping")
                await asyncio.sleep(0.001)
                continue
            idle_since = None
            t = self._sleepers[0][0]
            if t > end:
                raise AssertionError(f"condition not met within {limit_s} s of clock time")
            self._advance_to(t)
            while self._sleepers and self._sleepers[0][0] <= t:
                _, _, fut = heapq.heappop(self._sleepers)
                if not fut.done():
                    fut.set_result(None)

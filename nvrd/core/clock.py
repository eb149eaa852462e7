"""Time as services see it: an injected clock, and exact epoch-millisecond conversions.

Services take a :class:`Clock` instead of calling ``datetime.now``,
``time.monotonic`` or ``asyncio.sleep``, so that tests can run them on a
:class:`FakeClock`, whose ``sleep`` advances time instead of waiting.
Stored and published times are integer epoch milliseconds (UTC); convert
with :func:`ms_from_datetime` / :func:`utc_from_ms`, never through float
``timestamp()`` arithmetic.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta
from typing import Protocol, TypeVar

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


def utc_from_ms(ms: int) -> datetime:
    """An aware UTC datetime, exact to the millisecond."""
    return _EPOCH + timedelta(milliseconds=ms)


def ms_from_datetime(moment: datetime) -> int:
    """Epoch milliseconds of an aware datetime (exact, no float rounding)."""
    return (moment - _EPOCH) // _MS


class Clock(Protocol):
    def now(self) -> datetime:
        """Aware UTC wall-clock time."""
        ...

    def now_ms(self) -> int:
        """Wall-clock time in epoch milliseconds."""
        ...

    def monotonic(self) -> float:
        """Seconds from an arbitrary origin, never going back."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` of this clock's time."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def now_ms(self) -> int:
        return ms_from_datetime(self.now())

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


class FakeClock:
    """A clock that moves only when told to, or when someone sleeps on it.

    ``sleep(s)`` advances both the wall clock and the monotonic clock by
    ``s`` and yields to the event loop once, so a loop that sleeps between
    iterations runs at full speed and sees exactly the times it asked for.
    ``step_wall`` moves only the wall clock (an NTP step, a DST-free jump).
    """

    def __init__(self, start: datetime | None = None, monotonic: float = 1000.0):
        self._now = start or datetime(2026, 1, 1, tzinfo=UTC)
        self._mono = monotonic
        self.slept: list[float] = []

    def now(self) -> datetime:
        return self._now

    def now_ms(self) -> int:
        return ms_from_datetime(self._now)

    def monotonic(self) -> float:
        return self._mono

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)
        self._mono += seconds

    def step_wall(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)

    async def sleep(self, seconds: float) -> None:
        seconds = max(0.0, seconds)
        self.slept.append(seconds)
        self.advance(seconds)
        await asyncio.sleep(0)


T = TypeVar("T")


async def within(clock: Clock, aw: Awaitable[T], seconds: float) -> tuple[bool, T | None]:
    """Await ``aw`` for at most ``seconds`` of ``clock`` time: ``(True, result)`` when it
    finished, ``(False, None)`` when the time ran out (it is then cancelled).

    The timeout is the clock's own ``sleep`` (not ``asyncio.wait_for``), so that on a
    :class:`FakeClock` it passes without a real wait.
    """
    work = asyncio.ensure_future(aw)
    sleeper = asyncio.ensure_future(clock.sleep(seconds))
    try:
        await asyncio.wait((work, sleeper), return_when=asyncio.FIRST_COMPLETED)
    finally:
        sleeper.cancel()
        if not work.done():
            work.cancel()
    if work.done() and not work.cancelled():
        return True, work.result()
    return False, None


async def wait_set(clock: Clock, event: asyncio.Event, seconds: float) -> bool:
    """Wait until ``event`` is set or ``seconds`` of ``clock`` time have passed; True if set."""
    if event.is_set():
        return True
    await within(clock, event.wait(), seconds)
    return event.is_set()

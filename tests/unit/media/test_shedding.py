"""Load shedding: optional work goes first when the box stays saturated, comes back when calm."""

from __future__ import annotations

import asyncio
import contextlib

from nvrd.core.clock import FakeClock
from nvrd.media import shedding
from nvrd.media.live.hls import HlsWindow
from nvrd.media.shedding import LoadShedder


def shedder() -> tuple[LoadShedder, list[tuple[str, ...]], list[tuple[str, ...]]]:
    applied: list[tuple[str, ...]] = []
    reported: list[tuple[str, ...]] = []
    s = LoadShedder(FakeClock(), lambda: 0.0, applied.append, reported.append)
    return s, applied, reported


def shed(s: LoadShedder) -> tuple[str, ...]:
    """``s.shed`` read anew (mypy would keep the value one assert narrowed it to)."""
    return s.shed


def test_levels_go_up_on_sustained_load_and_down_when_calm() -> None:
    s, applied, reported = shedder()
    for _ in range(shedding.HOLD - 1):
        s.sample(0.99)
    s.sample(0.5)  # one quiet reading: the series starts again
    assert shed(s) == ()
    for _ in range(shedding.HOLD):
        s.sample(0.97)
    assert shed(s) == ("motion",)
    for _ in range(shedding.HOLD * 5):
        s.sample(1.0)
    assert shed(s) == ("motion", "hls")  # recording is never a level
    for _ in range(shedding.CALM - 1):
        s.sample(0.85)  # between low and high: no change either way
    assert shed(s) == ("motion", "hls")
    for _ in range(shedding.CALM):
        s.sample(0.3)
    assert shed(s) == ("motion",)
    assert applied == reported == [("motion",), ("motion", "hls"), ("motion",)]


async def test_a_starved_event_loop_counts_as_saturation() -> None:
    clock = FakeClock()
    seen: list[tuple[str, ...]] = []

    async def late_sleep(seconds: float) -> None:
        clock.advance(seconds * 2)  # every wake-up a whole interval late
        await asyncio.sleep(0)

    clock.sleep = late_sleep  # type: ignore[method-assign]
    s = LoadShedder(clock, lambda: 0.0, seen.append, lambda shed: None)
    task = asyncio.create_task(s.run())
    for _ in range(50):
        await asyncio.sleep(0)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert seen[:2] == [("motion",), ("motion", "hls")]


def test_paused_hls_keeps_parts_only_for_a_watched_stream() -> None:
    w = HlsWindow()
    w.init = b"x"
    w.paused = True
    w.on_fragment(b"not even parsed", True, 1000)
    assert w.parts == [] and w._open is None
    w.requested(1000)
    w.on_fragment(b"\x00" * 8, True, 2000)  # watched: goes on (a fragment without tfdt: skipped)

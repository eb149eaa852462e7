"""The supervisor: failures are logged, reported and restarted with exact backoffs."""

from __future__ import annotations

import asyncio
import logging

import pytest

from nvrd.core.clock import FakeClock, SystemClock
from nvrd.core.ratelimit import StartLimiter
from nvrd.core.supervisor import Backoff, Supervisor


async def test_a_failing_task_is_reported_and_restarted_with_backoff(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = FakeClock()
    reports: list[tuple[str, str, int]] = []
    sup = Supervisor(clock, lambda n, e, k: reports.append((n, str(e), k)))
    runs: list[float] = []

    async def work() -> None:
        runs.append(clock.monotonic())
        if len(runs) < 5:
            raise OSError(f"boom {len(runs)}")

    with caplog.at_level(logging.ERROR, "nvrd.supervisor"):
        task = sup.spawn("worker", work)
        await task.join()
    assert clock.slept == [0.5, 1.0, 2.0, 4.0]
    assert [r - runs[0] for r in runs] == [0.0, 0.5, 1.5, 3.5, 7.5]
    assert reports == [("worker", f"boom {i}", i) for i in range(1, 5)]
    assert task.restarts == 4 and not task.running
    assert sum("background task failed" in r.message for r in caplog.records) == 4
    assert all(r.exc_info for r in caplog.records)  # with the traceback


async def test_backoff_has_a_ceiling_and_resets_after_a_healthy_run() -> None:
    b = Backoff(first=1, ceiling=5, reset_after=10)
    assert [b.delay(n) for n in range(5)] == [1, 2, 4, 5, 5]
    assert b.delay(10_000) == 5
    clock = FakeClock()
    sup = Supervisor(clock, backoff=b)
    n = 0

    async def work() -> None:
        nonlocal n
        n += 1
        if n == 3:
            await clock.sleep(20)  # a long healthy run, then a failure
        if n < 5:
            raise RuntimeError("x")

    await sup.spawn("w", work).join()
    assert clock.slept == [1, 2, 20, 1, 2]


async def test_a_task_that_returns_is_done_and_finish_ends_a_backoff() -> None:
    clock = FakeClock()
    sup = Supervisor(clock, backoff=Backoff(first=3600))
    done: list[int] = []

    async def once() -> None:
        done.append(1)

    await sup.spawn("once", once).join()
    assert done == [1] and clock.slept == []

    async def fails() -> None:
        raise ValueError("x")

    real = Supervisor(SystemClock(), backoff=Backoff(3600))
    task = real.spawn("fails", fails)
    for _ in range(100):
        if task.restarts:
            break
        await asyncio.sleep(0.01)
    task.finish()  # waiting an hour for its restart: ends now
    await asyncio.wait_for(task.join(), 2)
    assert not task.running and task.restarts == 1


async def test_a_broken_reporter_does_not_stop_restarts() -> None:
    clock = FakeClock()

    def reporter(name: str, exc: BaseException, n: int) -> None:
        raise KeyError("reporter")

    n = 0

    async def work() -> None:
        nonlocal n
        n += 1
        if n < 3:
            raise RuntimeError("x")

    await Supervisor(clock, reporter).spawn("w", work).join()
    assert n == 3


async def test_names_and_cancel() -> None:
    clock = FakeClock()
    sup = Supervisor(clock)
    gate = asyncio.Event()

    async def forever() -> None:
        await gate.wait()

    sup.spawn("a", forever)
    with pytest.raises(ValueError):
        sup.spawn("a", forever)
    assert sup.get("a") is not None and sup.failures() == {}
    await sup.cancel_all()
    assert sup.get("a") is None


async def test_start_limiter_spreads_starts() -> None:
    clock = FakeClock()
    lim = StartLimiter(clock, rate=2, burst=3)
    t0 = clock.monotonic()
    times = []
    for _ in range(6):
        await lim.acquire()
        times.append(round(clock.monotonic() - t0, 3))
    assert times == [0.0, 0.0, 0.0, 0.5, 1.0, 1.5]
    assert lim.waited == 3
    clock.advance(10)
    await lim.acquire()
    assert lim.waited == 3  # the bucket refilled (up to its burst)
    with pytest.raises(ValueError):
        StartLimiter(clock, rate=0, burst=1)

"""Event fan-out inside one process: nvrd's bus, fan-out and send loops against a bare one.

``bench_events`` measures the whole path (HTTP push, sockets, client
processes), which on a shared two-core machine mostly measures the
machine. This one isolates the server's own work per delivered message.
Both sides deliver the same LPR events to SUBSCRIBERS receivers whose
"socket" is an ASGI-like ``send`` that only counts (no kernel, no frames):

- baseline: each event rendered once with ``json.dumps`` and put into one
  ``asyncio.Queue`` per subscriber, one task per subscriber awaiting its
  queue and calling ``send`` — the bare Starlette fan-out of
  ``bench_events`` without the sockets;
- nvrd: ``EventBus.publish`` of an ``LprRead``, the websocket ``Fanout``
  (one rendering per variant through ``Renderer``), and one ``pump`` per
  subscriber (the send loop of /wsapi/subscribeEvents).

EVENTS events are published back to back; reported: messages delivered per
second of this process's CPU time (so that other work on the machine
counts as little as possible), and the wall-clock delay from a publish to
the last subscriber's send (p50/p99), each side, and the ratio.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import time
from collections.abc import Awaitable, Callable, Coroutine
from types import SimpleNamespace
from typing import Any, cast
from zoneinfo import ZoneInfo

SUBSCRIBERS = int(os.environ.get("BENCH_FANOUT_SUBSCRIBERS", "1000"))
EVENTS = int(os.environ.get("BENCH_FANOUT_EVENTS", "200"))
ROUNDS = int(os.environ.get("BENCH_FANOUT_ROUNDS", "3"))

Send = Callable[[str], Awaitable[None]]


class Counter:
    def __init__(self, n_events: int):
        self.got = [0] * n_events
        self.last: dict[int, float] = {}
        self.n = 0

    def receiver(self) -> Send:
        async def send(text: str) -> None:
            seq = int(text[text.index('"plateNo":"P') + 12 : text.index('","timeBegin"')])
            self.got[seq] += 1
            self.n += 1
            if self.got[seq] == SUBSCRIBERS:
                self.last[seq] = time.perf_counter()

        return send


async def run_baseline(sent: dict[int, float], counter: Counter) -> float:
    queues: list[asyncio.Queue[str]] = []

    async def one(q: asyncio.Queue[str], send: Send) -> None:
        while True:
            await send(await q.get())

    tasks = []
    for _ in range(SUBSCRIBERS):
        q: asyncio.Queue[str] = asyncio.Queue()
        queues.append(q)
        tasks.append(asyncio.create_task(one(q, counter.receiver())))
    await asyncio.sleep(0)
    start = time.process_time()
    for seq in range(EVENTS):
        body = json.dumps(_message(seq), separators=(",", ":"))
        sent[seq] = time.perf_counter()
        for q in queues:
            q.put_nowait(body)
        await asyncio.sleep(0)
    while counter.n < SUBSCRIBERS * EVENTS:
        await asyncio.sleep(0.001)
    took = time.process_time() - start
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return took


def _message(seq: int) -> dict[str, Any]:
    now = "2026-03-01T06:00:00.123-06:00"
    return {
        "timestamp": now,
        "deviceCode": "B1",
        "deviceName": "Bench gate",
        "linkedChannel": [],
        "plateNo": f"P{seq}",
        "timeBegin": now,
        "topic": "LPR",
    }


class FakeSocket:
    """What ``pump`` needs of a websocket: a receive that waits for ever."""

    async def receive_text(self) -> str:
        await asyncio.Event().wait()
        return ""

    async def close(self, code: int, reason: str = "") -> None:
        return None


async def run_nvrd(sent: dict[int, float], counter: Counter) -> float:
    from nvrd.api.eventmsg import Options, Renderer
    from nvrd.api.fanout import Fanout
    from nvrd.api.sockets import pump
    from nvrd.core.clock import FakeClock
    from nvrd.core.i18n import Translator
    from nvrd.events.bus import EventBus
    from nvrd.events.types import LprRead

    bus = EventBus()
    fanout = Fanout(bus, 5000)
    svc = SimpleNamespace(clock=FakeClock(), tz=ZoneInfo("America/Chicago"), i18n=Translator.load())
    opts = Options(("LPR",), None, "en-US", False, None, None, "http://127.0.0.1:1/")
    runner = asyncio.create_task(fanout.run())
    tasks = []
    for i in range(SUBSCRIBERS):
        receiver = fanout.add(Renderer(cast(Any, svc), opts), opts.kinds(), f"s{i}")
        ws = cast(Any, FakeSocket())
        tasks.append(asyncio.create_task(pump(ws, receiver, counter.receiver(), 10)))
    await asyncio.sleep(0)
    start = time.process_time()
    t0 = 1_772_366_400_123
    for seq in range(EVENTS):
        event = LprRead(
            at_ms=t0,
            time_begin_ms=t0,
            device_code="B1",
            device_name="Bench gate",
            channels=(),
            plate_no=f"P{seq}",
        )
        sent[seq] = time.perf_counter()
        bus.publish(event)
        await asyncio.sleep(0)
    while counter.n < SUBSCRIBERS * EVENTS:
        await asyncio.sleep(0.001)
    took = time.process_time() - start
    for t in [*tasks, runner]:
        t.cancel()
    await asyncio.gather(*tasks, runner, return_exceptions=True)
    return took


def measure(
    run: Callable[[dict[int, float], Counter], Coroutine[Any, Any, float]],
) -> dict[str, float]:
    sent: dict[int, float] = {}
    counter = Counter(EVENTS)
    took = asyncio.run(run(sent, counter))
    delays = sorted(counter.last[s] - sent[s] for s in sent)
    return {
        "per_s": counter.n / took,
        "p50_ms": 1000 * statistics.median(delays),
        "p99_ms": 1000 * delays[max(0, int(len(delays) * 0.99) - 1)],
    }


def main() -> None:
    print(f"   {SUBSCRIBERS} receivers, {EVENTS} events, {ROUNDS} rounds (baseline, nvrd)")
    print("   round  baseline msg/cpu-s  nvrd msg/cpu-s (ratio)  p50 ms b/nvrd  p99 ms b/nvrd")
    ratios = []
    for r in range(ROUNDS):
        b = measure(run_baseline)
        n = measure(run_nvrd)
        ratio = n["per_s"] / b["per_s"]
        ratios.append(ratio)
        print(
            f"   {r + 1:5d}  {b['per_s']:14.0f}  {n['per_s']:10.0f} ({ratio:4.2f})"
            f"  {b['p50_ms']:7.1f}/{n['p50_ms']:<7.1f}  {b['p99_ms']:7.1f}/{n['p99_ms']:<7.1f}",
            flush=True,
        )
    low, high = min(ratios), max(ratios)
    print(f"   median ratio {statistics.median(ratios):.2f} (range {low:.2f}-{high:.2f})")


if __name__ == "__main__":
    main()

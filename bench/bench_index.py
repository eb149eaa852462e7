"""Recording index throughput: rows per second the store sustains, and two lookups over them.

Rows are inserted one at a time with ``RecordingIndex.add`` (one transaction per segment,
as the recorder does) on SQLite (a file in a temp dir, WAL, ``synchronous=NORMAL``) and on
PostgreSQL (a fresh database on 127.0.0.1:5432, dropped afterwards; skipped with a reason
when unreachable). The rows' start times are spread over ~30 days for 4 channels; then a
recDays-style ``day_buckets`` query and ``/api/vod``-style ``overlapping`` lookups (1 s
window, limit 10, at random instants inside recorded segments) are timed over them.

Environment: ``NVRD_BENCH_INDEX_ROWS`` (default 5000), ``NVRD_TEST_PG_URL`` (the admin
database to create the fresh one from; default ``postgresql://postgres@127.0.0.1:5432/test``).
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nvrd.store.db import Database
from nvrd.store.recordings import NewSegment, RecordingIndex
from nvrd.store.recsearch import RecordingSearch

CHANNELS = 4
DAYS = 30
SEGMENT_MS = 60_000
QUERY_REPEATS = 20
LOOKUPS = 200
#: Hard bound on the insert loop of one engine (it stops early, and says so).
INSERT_BUDGET_S = 120.0
PG_ADMIN_URL = os.environ.get("NVRD_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


@dataclass
class Figures:
    engine: str
    rows: int
    insert_s: float
    add_ms: list[float]
    days_all_ms: float
    days_window_ms: float
    buckets: int
    vod_ms: float
    vod_found: float


def _rows(n: int, t0_ms: int) -> list[NewSegment]:
    """``n`` segments of 60 s, per channel evenly spread over DAYS days, in recording order."""
    per_channel = max(1, n // CHANNELS)
    step_ms = DAYS * 86_400_000 // per_channel
    out: list[NewSegment] = []
    for k in range(n):
        chid = k % CHANNELS + 1
        i = k // CHANNELS
        start = t0_ms + i * step_ms + chid * 1000
        out.append(
            NewSegment(
                chid=chid,
                root="/var/lib/nvrd/recordings",
                rel_path=f"ch{chid}/{start}/{i:07d}-bench.mp4",
                start_ms=start,
                end_ms=start + SEGMENT_MS,
                size=37_500_000,
                codec="h264",
                width=1920,
                height=1080,
            )
        )
    return out


async def _mean_ms(fn: Callable[[], Awaitable[Any]], repeats: int) -> float:
    await fn()  # warm up (plans, caches, pool)
    start = time.perf_counter()
    for _ in range(repeats):
        await fn()
    return (time.perf_counter() - start) / repeats * 1000


async def _measure(engine_name: str, url: str, n: int, t0: int) -> Figures:
    db = Database(url)
    await db.open()
    try:
        index = RecordingIndex(db.engine)
        search = RecordingSearch(db.engine)
        rows = _rows(n, t0)
        await index.add(rows[0])  # warm up the pool and statement cache
        add_ms: list[float] = []
        deadline = time.monotonic() + INSERT_BUDGET_S
        start = time.perf_counter()
        for seg in rows[1:]:
            t = time.perf_counter()
            await index.add(seg)
            add_ms.append((time.perf_counter() - t) * 1000)
            if time.monotonic() > deadline:
                print(f"  {engine_name}: insert budget of {INSERT_BUDGET_S:.0f} s used up")
                break
        insert_s = time.perf_counter() - start
        end_ms = t0 + DAYS * 86_400_000 + SEGMENT_MS
        found: dict[int, list[int]] = {}

        async def days_all() -> None:
            found.update(await search.day_buckets(None, None, None))

        async def days_window() -> None:
            await search.day_buckets(list(range(1, CHANNELS + 1)), t0, end_ms)

        days_all_ms = await _mean_ms(days_all, QUERY_REPEATS)
        days_window_ms = await _mean_ms(days_window, QUERY_REPEATS)
        rng = random.Random(1)
        picks = [rng.choice(rows) for _ in range(LOOKUPS + 1)]  # instants inside recordings
        instants = [(s.chid, rng.randint(s.start_ms, s.end_ms - 1000)) for s in picks]
        hits = 0
        for chid, when in instants[:1]:
            await search.overlapping(chid, when, when + 1000, 10)
        start = time.perf_counter()
        for chid, when in instants[1:]:
            hits += len(await search.overlapping(chid, when, when + 1000, 10))
        vod_ms = (time.perf_counter() - start) / LOOKUPS * 1000
        return Figures(
            engine=engine_name,
            rows=len(add_ms) + 1,
            insert_s=insert_s,
            add_ms=add_ms,
            days_all_ms=days_all_ms,
            days_window_ms=days_window_ms,
            buckets=sum(len(v) for v in found.values()),
            vod_ms=vod_ms,
            vod_found=hits / LOOKUPS,
        )
    finally:
        await db.close()


async def _pg_exec(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN_URL, timeout=3)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def _sqlite(n: int, t0: int) -> Figures:
    with tempfile.TemporaryDirectory(prefix="nvrd-bench-index-") as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'nvrd.db'}"
        return await _measure("SQLite (WAL)", url, n, t0)


async def _postgres(n: int, t0: int) -> Figures | str:
    try:
        await asyncio.wait_for(_pg_exec("SELECT 1"), timeout=5)
    except Exception as exc:
        return f"PostgreSQL skipped: not reachable at {PG_ADMIN_URL} ({exc!r})"
    name = "nvrd_bench_" + uuid.uuid4().hex[:12]
    await _pg_exec(f'CREATE DATABASE "{name}"')
    try:
        base = PG_ADMIN_URL.split("://", 1)[1].rsplit("/", 1)[0]
        return await _measure("PostgreSQL", f"postgresql+asyncpg://{base}/{name}", n, t0)
    finally:
        await _pg_exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _print(results: list[Figures], notes: list[str]) -> None:
    head = (
        f"{'engine':<14}{'rows':>6}{'rows/s':>9}{'add p50':>9}{'add p99':>9}"
        f"{'recDays all':>13}{'recDays 30d':>13}{'vod lookup':>12}"
    )
    print(head)
    print("-" * len(head))
    for f in results:
        q = statistics.quantiles(f.add_ms, n=100) if len(f.add_ms) >= 2 else [0.0] * 99
        print(
            f"{f.engine:<14}{f.rows:>6}{(f.rows - 1) / f.insert_s:>9.0f}"
            f"{q[49]:>7.2f}ms{q[98]:>7.2f}ms"
            f"{f.days_all_ms:>11.1f}ms{f.days_window_ms:>11.1f}ms{f.vod_ms:>10.2f}ms"
        )
    for f in results:
        print(
            f"  {f.engine}: recDays returned {f.buckets} buckets; "
            f"vod lookups found {f.vod_found:.2f} files on average (1 s window, limit 10)"
        )
    for note in notes:
        print(f"  {note}")
    print(
        f"  ({CHANNELS} channels, 60 s segments spread over {DAYS} days; one transaction per "
        f"row; queries: mean of {QUERY_REPEATS} recDays / {LOOKUPS} vod lookups)"
    )


async def run() -> None:
    n = int(os.environ.get("NVRD_BENCH_INDEX_ROWS", "5000"))
    # the same rows for both engines: 30 days up to the start of today (UTC)
    t0 = int(time.time()) // 86_400 * 86_400_000 - DAYS * 86_400_000
    results = [await _sqlite(n, t0)]
    notes: list[str] = []
    pg = await _postgres(n, t0)
    if isinstance(pg, str):
        notes.append(pg)
    else:
        results.append(pg)
        if pg.buckets != results[0].buckets or pg.vod_found != results[0].vod_found:
            notes.append("MISMATCH: the engines answered the same queries differently")
    _print(results, notes)


def main() -> None:
    asyncio.run(run())

"""Vehicle-number log search: ``carNo`` keyword search on 1,000,000 log rows, SQLite and
PostgreSQL, p50/p99 against a plain substring scan of the same rows (the baseline).

The log is filled through the store (``LprLogStore.add_in``, the path a recognised or
pushed plate takes, with its bigram index) with plates of the built-in formats: 200,000
distinct plates, each seen 1 to 30 times (a few regulars, many visitors), over one year,
from 8 sources. Queries are what a person types: a part of a plate they saw, 2 to 7
characters (the guide's example is ``keyword=12``), newest first, 50 a page with the total,
some with a time window, a source filter, a later page or ascending order, and 5 % with no
match at all. Each query is timed through the store (``LprLogStore.search``), and for the
baseline as ``LIKE '%kw%'`` over ``lpr_log`` with the same filters, order, page and count.

Environment: ``NVRD_BENCH_ROWS`` (default 1000000), ``NVRD_BENCH_QUERIES`` (default 400),
``NVRD_BENCH_DATABASES`` (default "sqlite,postgresql"), ``NVRD_TEST_PG_URL``.
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import tempfile
import time
import uuid
from dataclasses import replace
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from nvrd.core.plates import BUILTIN, search_key
from nvrd.media.traffic.plates import PLATE_LETTERS
from nvrd.store.db import Database
from nvrd.store.lprlog import CarQuery, LprLogStore, LprRecord
from nvrd.store.schema import lpr_log

PG_URL = os.environ.get("NVRD_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
YEAR_MS = 365 * 86_400_000
START_MS = 1_700_000_000_000
BATCH = 5000


def plate_text(rng: random.Random) -> str:
    pattern = rng.choice([p for group in ("US", "EU", "UK") for p in BUILTIN[group]])
    return "".join(
        rng.choice(PLATE_LETTERS) if c == "L" else rng.choice("0123456789") if c == "N" else ""
        for c in pattern
    )


def make_rows(n: int, seed: int = 1) -> list[tuple[str, int, int]]:
    """(plate, when_ms, src_id), in time order."""
    rng = random.Random(seed)
    distinct = [plate_text(rng) for _ in range(max(1, n // 5))]
    weights = [1.0 / (1 + (i % 997)) for i in range(len(distinct))]
    plates = rng.choices(distinct, weights, k=n)
    times = sorted(START_MS + rng.randrange(YEAR_MS) for _ in range(n))
    return [(p, t, rng.randint(1, 8)) for p, t in zip(plates, times, strict=True)]


async def load(engine: AsyncEngine, rows: list[tuple[str, int, int]]) -> float:
    started = time.perf_counter()
    for i in range(0, len(rows), BATCH):
        batch = [
            LprRecord(
                when_ms=t,
                time_begin_ms=t - 800,
                src_code=f"GATE-{s}",
                src_name=f"Gate {s}",
                plate_no=p,
                src_id=s,
                chid=s,
                linked=(s,),
                score=95,
                direction="entry",
            )
            for p, t, s in rows[i : i + BATCH]
        ]
        async with engine.begin() as conn:
            await LprLogStore.add_in(conn, batch)
    return time.perf_counter() - started


def make_queries(rows: list[tuple[str, int, int]], count: int, seed: int = 2) -> list[CarQuery]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        plate = search_key(rng.choice(rows)[0])
        length = min(len(plate), rng.choices([2, 3, 4, 5, 6, 7], [15, 20, 25, 15, 15, 10])[0])
        start = rng.randrange(len(plate) - length + 1)
        keyword = plate[start : start + length]
        if rng.random() < 0.05:
            keyword = "".join(rng.choice("QWXZ") for _ in range(length))
        begin = end = None
        if rng.random() < 0.3:
            begin = START_MS + rng.randrange(YEAR_MS)
            end = begin + rng.choice([86_400_000, 30 * 86_400_000])
        src = sorted(rng.sample(range(1, 9), rng.randint(1, 3))) if rng.random() < 0.2 else None
        out.append(
            CarQuery(
                keyword=keyword,
                begin_ms=begin,
                end_ms=end,
                src_ids=src,
                at=rng.choice([0] * 9 + [50]),
                ascending=rng.random() < 0.1,
            )
        )
    return out


async def baseline(engine: AsyncEngine, q: CarQuery) -> int:
    """The same search as a plain ``LIKE`` over the log table (no keyword index)."""
    t = lpr_log
    conds = [t.c.plate_key.contains(search_key(q.keyword), autoescape=True)]
    if q.begin_ms is not None:
        conds.append(t.c.when_ms >= q.begin_ms)
    if q.end_ms is not None:
        conds.append(t.c.when_ms <= q.end_ms)
    if q.src_ids is not None:
        conds.append(t.c.src_id.in_(list(q.src_ids)))
    order = (
        (t.c.when_ms.asc(), t.c.id.asc()) if q.ascending else (t.c.when_ms.desc(), t.c.id.desc())
    )
    async with engine.connect() as conn:
        total = (await conn.execute(select(func.count()).select_from(t).where(*conds))).scalar_one()
        page = select(t).where(*conds).order_by(*order).offset(q.at).limit(q.max_count)
        await conn.execute(page)
    return int(total)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def timed(
    engine: AsyncEngine, queries: list[CarQuery], plain: bool
) -> tuple[list[float], list[int]]:
    store = LprLogStore(engine)
    times, totals = [], []
    for q in queries:
        started = time.perf_counter()
        total: int | None
        if plain:
            total = await baseline(engine, q)
        else:
            total, _ = await store.search(q)
        times.append((time.perf_counter() - started) * 1000)
        totals.append(int(total or 0))
    return times, totals


async def run_one(
    name: str, url: str, rows: list[tuple[str, int, int]], queries: list[CarQuery]
) -> None:
    db = Database(url)
    await db.open()
    try:
        seconds = await load(db.engine, rows)
        print(
            f"{name}: loaded {len(rows):,} rows in {seconds:.0f} s ({len(rows) / seconds:,.0f}/s)",
            flush=True,
        )
        if name == "postgresql":
            async with db.engine.connect() as conn:
                await conn.execution_options(isolation_level="AUTOCOMMIT")
                await conn.exec_driver_sql("VACUUM ANALYZE")
        else:
            async with db.engine.begin() as conn:
                await conn.exec_driver_sql("ANALYZE")
        await timed(db.engine, queries[:20], plain=False)  # warm the caches
        ours, totals = await timed(db.engine, queries, plain=False)
        few = queries[: max(20, len(queries) // 8)]
        base, base_totals = await timed(db.engine, few, plain=True)
        assert base_totals == totals[: len(few)], "the index and the scan disagree"
        by_len: dict[int, list[float]] = {}
        for q, ms in zip(queries, ours, strict=True):
            by_len.setdefault(len(search_key(q.keyword)), []).append(ms)
        print(
            f"{name}: carNo keyword search, {len(queries)} queries: "
            f"p50 {pct(ours, 50):.1f} ms, p99 {pct(ours, 99):.1f} ms, max {max(ours):.1f} ms; "
            f"median matches {statistics.median(totals):,.0f}",
            flush=True,
        )
        print(
            f"{name}: baseline LIKE scan, {len(few)} of the same queries: "
            f"p50 {pct(base, 50):.1f} ms, p99 {pct(base, 99):.1f} ms "
            f"(index p50 is {pct(base, 50) / pct(ours[: len(few)], 50):.0f}x faster)",
            flush=True,
        )
        for length in sorted(by_len):
            v = by_len[length]
            p50, p99 = pct(v, 50), pct(v, 99)
            print(
                f"{name}:   {length} characters: {len(v)} queries, p50 {p50:.1f}, p99 {p99:.1f} ms"
            )
        store = LprLogStore(db.engine)
        one = []
        for ch in "1AZ7":
            started = time.perf_counter()
            await store.search(replace(CarQuery(), keyword=ch))
            one.append((time.perf_counter() - started) * 1000)
        print(f"{name}: one-character keywords (a scan): {', '.join(f'{v:.0f}' for v in one)} ms")
        started = time.perf_counter()
        await store.search(CarQuery())
        took = (time.perf_counter() - started) * 1000
        print(f"{name}: no keyword (newest 50 and the total): {took:.0f} ms")
    finally:
        await db.close()


async def pg_database() -> tuple[str, str]:
    import asyncpg

    name = "nvrd_bench_" + uuid.uuid4().hex[:8]
    conn = await asyncpg.connect(PG_URL, timeout=5)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    base = PG_URL.rsplit("/", 1)[0]
    return name, "postgresql+asyncpg://" + base.split("://", 1)[1] + "/" + name


async def drop_pg(name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_URL, timeout=5)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def amain() -> None:
    n = int(os.environ.get("NVRD_BENCH_ROWS", "1000000"))
    count = int(os.environ.get("NVRD_BENCH_QUERIES", "400"))
    which = os.environ.get("NVRD_BENCH_DATABASES", "sqlite,postgresql").split(",")
    rows = make_rows(n)
    queries = make_queries(rows, count)
    if "sqlite" in which:
        with tempfile.TemporaryDirectory(prefix="nvrd-bench-carno-") as tmp:
            await run_one("sqlite", f"sqlite+aiosqlite:///{Path(tmp) / 'log.db'}", rows, queries)
    if "postgresql" in which:
        name, url = await pg_database()
        try:
            await run_one("postgresql", url, rows, queries)
        finally:
            await drop_pg(name)


def main() -> None:
    asyncio.run(amain())

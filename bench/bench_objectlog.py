"""Object-log search: ``what=object`` queries through the store on a large log.

The log is filled through the store (``ObjectLogStore.add_many``, the writer's path, tags
included) with faces, people and vehicles of random guide attributes over 30 days on 16
channels. Each kind of query is timed (p50/p99, ms): newest page of all, of one type, of
two channels, and one, two and three attribute filters, each with the total (the
default) and without it.

Environment: ``NVRD_BENCH_ROWS`` (default 200000), ``NVRD_BENCH_QUERIES`` (per kind,
default 40), ``NVRD_BENCH_DATABASES`` (default "sqlite"; "sqlite,postgresql"),
``NVRD_TEST_PG_URL`` (an empty test database: the rows are added to its object log).
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nvrd.core.objects import COLORS
from nvrd.store.db import Database
from nvrd.store.objects import ObjectLogStore, ObjectQuery, ObjectRecord

PG_URL = os.environ.get("NVRD_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
START_MS = 1_700_000_000_000
SPAN_MS = 30 * 86_400_000
BATCH = 2000


def attributes(rng: random.Random, otype: str) -> dict[str, Any]:
    if otype == "face":
        return {
            "gender": rng.choice(["male", "female"]),
            "age": rng.choice(["young", "adult", "middle", "senior"]),
            "mask": rng.random() < 0.2,
        }
    if otype == "human":
        return {
            "gender": rng.choice(["male", "female"]),
            "bag": rng.random() < 0.3,
            "clothes": [
                {
                    "type": part,
                    "length": rng.choice(["short", "long"]),
                    "colors": rng.sample(COLORS[:14], rng.randint(1, 2)),
                }
                for part in ("tops", "bottoms")
            ],
        }
    return {
        "vehicleType": rng.choice(["car", "car", "car", "truck", "bus", "motorcycle"]),
        "colors": rng.sample(COLORS[:14], rng.randint(1, 2)),
    }


def make_rows(n: int, seed: int = 1) -> list[ObjectRecord]:
    rng = random.Random(seed)
    times = sorted(START_MS + rng.randrange(SPAN_MS) for _ in range(n))
    out = []
    for i, t in enumerate(times):
        otype = rng.choice(["face", "human", "human", "vehicle"])
        chid = rng.randint(1, 16)
        out.append(
            ObjectRecord(
                at_ms=t,
                chid=chid,
                obj_id=i,
                type=otype,
                likelihood=rng.uniform(40, 99),
                attributes=attributes(rng, otype),
                image=f"objects/{chid}/d/{t}-{i}.jpg",
            )
        )
    return out


KINDS: dict[str, Callable[[random.Random], ObjectQuery]] = {
    "all": lambda r: ObjectQuery(),
    "type": lambda r: ObjectQuery(type=r.choice(["face", "human", "vehicle"])),
    "2 channels": lambda r: ObjectQuery(chids=r.sample(range(1, 17), 2)),
    "1 filter (gender)": lambda r: ObjectQuery(
        type="human", tags=[f"human.gender={r.choice(['male', 'female'])}"]
    ),
    "1 filter (colour)": lambda r: ObjectQuery(
        type="vehicle", tags=[f"vehicle.color={r.choice(COLORS[:14])}"]
    ),
    "2 filters": lambda r: ObjectQuery(
        type="vehicle",
        tags=["vehicle.vehicleType=car", f"vehicle.color={r.choice(COLORS[:14])}"],
    ),
    "3 filters, 1 day": lambda r: ObjectQuery(
        type="human",
        begin_ms=(b := START_MS + r.randrange(SPAN_MS - 86_400_000)),
        end_ms=b + 86_400_000,
        tags=["human.gender=male", "human.top.color=red", "human.bottom.length=long"],
    ),
}


async def run(url: str, rows: list[ObjectRecord], per_kind: int) -> None:
    db = Database(url)
    await db.open()
    store = ObjectLogStore(db.engine)
    started = time.perf_counter()
    for i in range(0, len(rows), BATCH):
        await store.add_many(rows[i : i + BATCH])
    print(f"  load {len(rows)} rows: {time.perf_counter() - started:.1f} s")
    rng = random.Random(3)
    for name, make in KINDS.items():
        for count in (True, False):
            times, totals = [], []
            for _ in range(per_kind):
                q = make(rng)
                q = ObjectQuery(**{**q.__dict__, "count": count})
                t = time.perf_counter()
                total, _ = await store.search(q)
                times.append((time.perf_counter() - t) * 1000)
                totals.append(total or 0)
            times.sort()
            p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
            label = "with total" if count else "page only"
            print(
                f"  {name:18} {label:10} p50 {statistics.median(times):7.1f} ms"
                f"  p99 {p99:7.1f} ms  matches ~{int(statistics.median(totals))}"
            )
    await db.close()


def main() -> None:
    n = int(os.environ.get("NVRD_BENCH_ROWS", "200000"))
    per_kind = int(os.environ.get("NVRD_BENCH_QUERIES", "40"))
    rows = make_rows(n)
    for name in os.environ.get("NVRD_BENCH_DATABASES", "sqlite").split(","):
        print(f"-- {name}")
        if name == "sqlite":
            with tempfile.TemporaryDirectory() as tmp:
                asyncio.run(run(f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}", rows, per_kind))
        else:
            # adds to the object log of that database: give it an empty test database
            asyncio.run(
                run(PG_URL.replace("postgresql://", "postgresql+asyncpg://"), rows, per_kind)
            )

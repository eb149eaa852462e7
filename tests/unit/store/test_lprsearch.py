"""The vehicle-number log's keyword search against a plain reference, on SQLite and PostgreSQL."""

from __future__ import annotations

import random

from nvrd.core.plates import search_key
from nvrd.store.db import Database
from nvrd.store.lprlog import CarQuery, LprLogStore, LprRecord

PLATES = ["AB12CDE", "AB-12 CDE", "XY99ZZZ", "12가3456", "DSP963", "55EV96", "L647AN", "A", "1212"]


def records(n: int, seed: int = 3) -> list[LprRecord]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        plate = rng.choice(PLATES) if i % 3 else "".join(rng.choice("AB12C") for _ in range(6))
        src = rng.choice([1, 2, None])
        out.append(
            LprRecord(
                when_ms=1000 + (i * 37) % 500,
                time_begin_ms=900,
                src_code=f"S{src}",
                src_name="",
                plate_no=plate,
                src_id=src,
            )
        )
    return out


def reference(rows: list[LprRecord], q: CarQuery) -> list[int]:
    key = search_key(q.keyword)
    hits = [
        r
        for r in rows
        if key in search_key(r.plate_no)
        and (q.begin_ms is None or r.when_ms >= q.begin_ms)
        and (q.end_ms is None or r.when_ms <= q.end_ms)
        and (q.src_ids is None or r.src_id in q.src_ids)
    ]
    hits.sort(key=lambda r: (r.when_ms, r.id), reverse=not q.ascending)
    return [r.id for r in hits]


async def test_search_matches_the_reference(db: Database) -> None:
    log = LprLogStore(db.engine)
    rows = records(300)
    ids = await log.add_many(rows[:150])
    ids += await log.add_many(rows[150:])
    stored = [LprRecord(**{**r.__dict__, "id": i}) for r, i in zip(rows, ids, strict=True)]
    rng = random.Random(7)
    keywords = [
        "",
        "1",
        "12",
        "ab-12",
        "2C",
        "cde",
        "가3",
        "12가3456",
        "ZZZ",
        "QQ",
        "%",
        "_",
        "1 2",
    ]
    for n in range(120):
        q = CarQuery(
            keyword=keywords[n % len(keywords)],
            begin_ms=rng.choice([None, 1100, 1300]),
            end_ms=rng.choice([None, 1200, 1450]),
            src_ids=rng.choice([None, [1], [1, 2], [3]]),
            at=rng.choice([0, 0, 3, 1000]),
            max_count=rng.choice([1, 5, 50]),
            ascending=rng.random() < 0.5,
        )
        want = reference(stored, q)
        total, got = await log.search(q)
        assert total == len(want), q
        assert [r.id for r in got] == want[q.at : q.at + q.max_count], q
    total, got = await log.search(CarQuery(keyword="12", count=False))
    assert total is None and got


async def test_parked_car_end_and_similar_candidates(db: Database) -> None:
    log = LprLogStore(db.engine)
    (entry,) = await log.add_many(
        [LprRecord(when_ms=10, time_begin_ms=5, src_code="P", src_name="P", plate_no="AB12CDE")]
    )
    await log.add_many(
        [
            LprRecord(when_ms=20, time_begin_ms=20, src_code="P", src_name="P", plate_no=p)
            for p in ("A812CDE", "XY99ZZZ", "0B1ZCDE")
        ]
    )
    await log.set_end(entry, 99)
    got = await log.get(entry)
    assert got is not None and got.end_ms == 99 and got.when_ms == 10
    found = await log.similar_candidates("AB12CDE")
    assert set(found) == {"AB12CDE", "A812CDE", "0B1ZCDE"}
    assert await log.similar_candidates("") == []
    assert await log.similar_candidates("W") == []
    assert set(await log.similar_candidates("Q")) == set(found)  # Q folds to 0, like D

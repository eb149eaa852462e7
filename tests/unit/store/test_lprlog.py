"""The vehicle-number log on SQLite and on PostgreSQL."""

from __future__ import annotations

from nvrd.store.db import Database
from nvrd.store.lprlog import LprLogStore, LprRecord


async def test_add_and_list_by_time(db: Database) -> None:
    log = LprLogStore(db.engine)
    full = LprRecord(
        when_ms=2000,
        time_begin_ms=1500,
        src_code="F00001",
        src_name="Gate",
        plate_no="DSP963",
        src_id=1,
        chid=1,
        linked=(1, 2),
        score=98.5,
        roi={"offset": [964, 560], "size": [187, 51]},
        direction="entry",
        parking_entrance=1,
        parking_exit=2,
        image=("/storage/a.jpg", "/storage/b.jpg"),
    )
    bare = LprRecord(when_ms=1000, time_begin_ms=1000, src_code="X", src_name="X", plate_no="A1")
    ids = await log.add_many([full, bare])
    assert len(ids) == 2 and ids[0] < ids[1]
    assert await log.add_many([]) == []
    got = await log.between(0, 10_000)
    assert [r.plate_no for r in got] == ["A1", "DSP963"]
    assert got[1] == LprRecord(**{**full.__dict__, "id": ids[0]})
    assert got[0] == LprRecord(**{**bare.__dict__, "id": ids[1]})
    assert [r.plate_no for r in await log.between(1001, 2001)] == ["DSP963"]
    assert await log.between(2001, 3000) == []
    assert len(await log.between(0, 10_000, limit=1)) == 1

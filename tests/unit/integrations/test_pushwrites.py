"""Concurrent pushes share a transaction, and each still gets exactly its own outcome."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from nvrd.integrations.pushwrites import PushWriter
from nvrd.store.db import Database, is_busy
from nvrd.store.integrations import IntegrationStore, ParkingLot
from nvrd.store.lprlog import LprLogStore, LprRecord


def plate(text: str, **more: Any) -> LprRecord:
    return LprRecord(
        when_ms=1000, time_begin_ms=1000, src_code="G", src_name="Gate", plate_no=text, **more
    )


async def stored(db: Database) -> list[str]:
    return sorted(r.plate_no for r in await LprLogStore(db.engine).between(0, 10_000))


async def counts(db: Database) -> dict[int, int]:
    return {lot.id: lot.count for lot in await IntegrationStore(db.engine).lots.all()}


@pytest.fixture
async def lots(db: Database) -> Database:
    store = IntegrationStore(db.engine)
    await store.lots.add(ParkingLot(id=1, name="Lot 1", max_count=10), 0)
    await store.lots.add(ParkingLot(id=2, name="Lot 2", max_count=10), 0)
    return db


def commits(db: Database) -> list[int]:
    made: list[int] = []
    event.listen(db.engine.sync_engine, "commit", lambda _conn: made.append(1))
    return made


async def test_pushes_that_arrive_together_are_one_transaction(lots: Database) -> None:
    writer = PushWriter(lots.engine)
    made = commits(lots)
    outcomes = await asyncio.gather(
        *(writer.write([plate(f"P{n}")], [(0, 1, +1)]) for n in range(8))
    )
    assert await stored(lots) == [f"P{n}" for n in range(8)]
    assert len(made) == 1
    # each push sees the lots after its own move, in arrival order
    assert [[(n, lot, [x.count for x in after]) for n, lot, after in o] for o in outcomes] == [
        [(0, 1, [k + 1, 0])] for k in range(8)
    ]
    assert await counts(lots) == {1: 8, 2: 0}


async def test_one_push_at_a_time_is_one_transaction_each(lots: Database) -> None:
    writer = PushWriter(lots.engine)
    made = commits(lots)
    for n in range(3):
        await writer.write([plate(f"P{n}"), plate(f"Q{n}")], [(1, 2, +1)])
    assert len(made) == 3 and len(await stored(lots)) == 6
    assert await counts(lots) == {1: 0, 2: 3}


async def test_a_counter_never_goes_below_zero_and_that_move_is_not_reported(
    lots: Database,
) -> None:
    writer = PushWriter(lots.engine)
    out = await asyncio.gather(
        writer.write([plate("A")], [(0, 1, -1)]), writer.write([plate("B")], [(0, 1, +1)])
    )
    assert out[0] == [] and [n for n, _, _ in out[1]] == [0]
    assert await counts(lots) == {1: 1, 2: 0}


async def test_only_the_push_at_fault_fails(lots: Database) -> None:
    writer = PushWriter(lots.engine)
    bad = plate("BAD", roi={"offset": object()})  # cannot be stored
    results = await asyncio.gather(
        writer.write([plate("A")], [(0, 1, +1)]),
        writer.write([plate("C"), bad], [(1, 1, +1)]),
        writer.write([plate("D")], [(0, 1, +1)]),
        return_exceptions=True,
    )
    assert isinstance(results[1], TypeError)
    assert not isinstance(results[0], BaseException) and not isinstance(results[2], BaseException)
    assert await stored(lots) == ["A", "D"]  # nothing of the failed push, not even "C"
    assert await counts(lots) == {1: 2, 2: 0}


async def test_a_push_whose_request_went_away_is_not_written(lots: Database) -> None:
    writer = PushWriter(lots.engine)
    async with lots.engine.begin():  # hold the write turn: the first group waits for it
        first = asyncio.create_task(writer.write([plate("A")], []))
        await asyncio.sleep(0.05)  # the writer took the first push and waits for its turn
        gone = asyncio.create_task(writer.write([plate("GONE")], [(0, 1, +1)]))
        await asyncio.sleep(0)
        gone.cancel()
    assert await first == []
    with pytest.raises(asyncio.CancelledError):
        await gone
    await writer.write([plate("B")], [])  # the writer goes on
    assert await stored(lots) == ["A", "B"]
    assert await counts(lots) == {1: 0, 2: 0}


async def test_no_push_waits_forever_when_the_writer_itself_is_stopped(
    sqlite_db: Database,
) -> None:
    writer = PushWriter(sqlite_db.engine)
    async with sqlite_db.engine.begin():  # hold SQLite's write turn: the group waits for it
        first = asyncio.create_task(writer.write([plate("A")], []))
        await asyncio.sleep(0.05)  # the writer took the first push and waits for its turn
        second = asyncio.create_task(writer.write([plate("B")], []))
        await asyncio.sleep(0)
        assert writer._writer is not None
        writer._writer.cancel()  # as when the loop shuts down
        for waiting in (first, second):  # the group in flight and the one behind it
            with pytest.raises(RuntimeError, match="stopped"):
                await asyncio.wait_for(waiting, 5)


@pytest.fixture
async def sqlite_db(template_db: Path, tmp_path: Path) -> AsyncIterator[Database]:
    path = tmp_path / "busy.db"
    shutil.copyfile(template_db, path)
    d = Database(f"sqlite+aiosqlite:///{path}", busy_ms=200)
    await d.open()
    yield d
    await d.close()


async def test_a_busy_database_fails_every_push_of_the_group_at_once(
    sqlite_db: Database,
) -> None:
    writer = PushWriter(sqlite_db.engine)
    path = sqlite_db.sqlite_path
    assert path is not None
    other = sqlite3.connect(path, isolation_level=None)  # another process's writer
    other.execute("BEGIN IMMEDIATE")
    try:
        loop = asyncio.get_running_loop()
        start = loop.time()
        results = await asyncio.gather(
            *(writer.write([plate(f"P{n}")], []) for n in range(5)), return_exceptions=True
        )
        took = loop.time() - start
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert all(isinstance(r, OperationalError) and is_busy(r) for r in results), results
    assert took < 2.0  # one wait of busy_ms for the group, not one per push
    assert await stored(sqlite_db) == []
    await writer.write([plate("LATER")], [])
    assert await stored(sqlite_db) == ["LATER"]

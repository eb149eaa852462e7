"""SQLite writers of one process take turns instead of polling in SQLite's busy handler."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from nvrd.store.db import Database, is_busy
from nvrd.store.writes import TurnTakingEngine


@pytest.fixture
def db(scratch: Database) -> Database:
    return scratch


async def test_a_sqlite_database_gets_the_turn_taking_engine(db: Database) -> None:
    assert isinstance(db.engine, TurnTakingEngine)


async def test_concurrent_writers_run_one_at_a_time_and_none_fails(db: Database) -> None:
    inside = 0
    most = 0

    async def write(n: int) -> None:
        nonlocal inside, most
        async with db.engine.begin() as conn:
            inside += 1
            most = max(most, inside)
            await conn.execute(text("INSERT INTO t (n) VALUES (:n)"), {"n": n})
            await asyncio.sleep(0.02)  # the transaction stays open across awaits
            inside -= 1

    await asyncio.gather(*(write(n) for n in range(8)))
    assert most == 1
    async with db.engine.connect() as conn:
        rows = (await conn.execute(text("SELECT n FROM t ORDER BY n"))).scalars().all()
    assert rows == list(range(8))


async def test_reads_do_not_wait_for_a_writer(db: Database) -> None:
    async with db.engine.begin() as conn:
        await conn.execute(text("INSERT INTO t (n) VALUES (1)"))
        async with db.engine.connect() as reader:  # WAL: the committed state, at once
            assert (await reader.execute(text("SELECT count(*) FROM t"))).scalar() == 0


async def test_a_transaction_begun_inside_the_tasks_own_write_does_not_wait_for_itself(
    db: Database,
) -> None:
    async with db.engine.begin() as conn:
        await conn.execute(text("INSERT INTO t (n) VALUES (1)"))
        async with asyncio.timeout(5):
            async with db.engine.begin() as inner:  # reads only: SQLite lets it
                assert (await inner.execute(text("SELECT count(*) FROM t"))).scalar() == 0


async def test_a_turn_that_does_not_come_in_time_is_a_busy_database(tmp_path: Path) -> None:
    d = Database(f"sqlite+aiosqlite:///{tmp_path / 'nvrd.db'}", busy_ms=100)
    held = asyncio.Event()
    done = asyncio.Event()

    async def hold() -> None:
        async with d.engine.begin():
            held.set()
            await done.wait()

    holder = asyncio.create_task(hold())
    try:
        await held.wait()
        with pytest.raises(OperationalError) as err:
            async with d.engine.begin():
                pass
        assert is_busy(err.value)
    finally:
        done.set()
        await holder
    async with d.engine.begin():  # the turn is free again
        pass
    await d.close()


async def test_the_engine_serves_one_event_loop_after_another(tmp_path: Path) -> None:
    d = Database(f"sqlite+aiosqlite:///{tmp_path / 'nvrd.db'}")

    def contend() -> None:
        async def two() -> None:
            async def one() -> None:
                async with d.engine.begin():
                    await asyncio.sleep(0.01)

            await asyncio.gather(one(), one())

        asyncio.run(two())

    await asyncio.to_thread(contend)  # a loop of its own, in another thread
    await asyncio.gather(*(asyncio.sleep(0) for _ in range(2)))
    async with d.engine.begin():
        pass
    await d.close()


async def test_a_task_started_inside_a_write_waits_for_its_own_turn(db: Database) -> None:
    order: list[str] = []

    async def child() -> None:
        async with db.engine.begin() as conn:  # another task: not nested in the parent's write
            order.append("child writes")
            await conn.execute(text("INSERT INTO t (n) VALUES (2)"))

    async with db.engine.begin() as conn:
        await conn.execute(text("INSERT INTO t (n) VALUES (1)"))
        task = asyncio.create_task(child())  # inherits the parent's context
        await asyncio.sleep(0.05)
        order.append("parent commits")
    await asyncio.wait_for(task, 5)
    assert order == ["parent commits", "child writes"]

"""SQLite statements take one trip to aiosqlite's thread, and mean what they meant before."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError

from nvrd.store.db import Database
from nvrd.store.onehop import OneHopConnection


@pytest.fixture
def db(scratch: Database) -> Database:
    return scratch


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The calls made in aiosqlite's thread, by name (cursor, execute, close... or _run)."""
    made: list[str] = []
    real = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kw: Any) -> Any:
        made.append(getattr(getattr(fn, "func", fn), "__name__", "?"))
        return await real(self, fn, *args, **kw)  # type: ignore[no-untyped-call]

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    yield made


async def test_a_read_is_one_trip_and_no_rollback(db: Database, trips: list[str]) -> None:
    async with db.engine.connect() as conn:
        await conn.execute(text("SELECT 1"))  # the pooled connection's first use: warmed up
    trips.clear()
    async with db.engine.connect() as conn:
        rows = (await conn.execute(text("SELECT 41 + 1 AS v, 'x' AS w"))).all()
    assert [tuple(r) for r in rows] == [(42, "x")]
    assert trips == ["_run"]


async def test_a_write_is_a_trip_a_statement_and_the_commit(db: Database, trips: list[str]) -> None:
    async with db.engine.begin() as conn:
        await conn.execute(text("INSERT INTO t (n) VALUES (1)"))
        await conn.execute(text("INSERT INTO t (n) VALUES (:n)"), [{"n": 2}, {"n": 3}])
    assert trips == ["_run", "_run", "commit"]
    async with db.engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar() == 3


async def test_rowcount_lastrowid_returning_and_no_rows_for_dml(db: Database) -> None:
    async with db.engine.begin() as conn:
        first = await conn.execute(text("INSERT INTO t (n) VALUES (10)"))
        assert first.lastrowid == 1 and first.rowcount == 1 and not first.returns_rows
        many = await conn.execute(text("INSERT INTO t (n) VALUES (:n)"), [{"n": 11}, {"n": 12}])
        assert many.rowcount == 2
        back = await conn.execute(text("INSERT INTO t (n) VALUES (13) RETURNING id, n"))
        assert [tuple(r) for r in back] == [(4, 13)]
        changed = await conn.execute(text("UPDATE t SET n = n + 100 WHERE n >= 12"))
        assert changed.rowcount == 2
    async with db.engine.connect() as conn:
        got = (await conn.execute(text("SELECT n FROM t ORDER BY id"))).scalars().all()
    assert got == [10, 11, 112, 113]


async def test_a_failed_transaction_is_rolled_back(db: Database) -> None:
    async with db.engine.begin() as conn:
        await conn.execute(text("INSERT INTO t (n) VALUES (1)"))
    with pytest.raises(IntegrityError):
        async with db.engine.begin() as conn:
            await conn.execute(text("INSERT INTO t (n) VALUES (2)"))
            await conn.execute(text("INSERT INTO t (n) VALUES (1)"))  # not unique
    with pytest.raises(RuntimeError):
        async with db.engine.begin() as conn:
            await conn.execute(text("INSERT INTO t (n) VALUES (3)"))
            raise RuntimeError("the caller gives up")
    async with db.engine.connect() as conn:
        got = (await conn.execute(text("SELECT n FROM t"))).scalars().all()
    assert got == [1]  # neither 2 nor 3 was kept, and the connection still works


async def test_errors_are_sqlalchemys_and_the_connection_goes_on(db: Database) -> None:
    async with db.engine.connect() as conn:
        with pytest.raises(OperationalError, match="no such table"):
            await conn.execute(text("SELECT * FROM nowhere"))
        await conn.rollback()
        assert (await conn.execute(text("SELECT 7"))).scalar() == 7


async def test_streamed_results_still_work(db: Database) -> None:
    async with db.engine.begin() as conn:
        await conn.execute(text("INSERT INTO t (n) VALUES (:n)"), [{"n": i} for i in range(50)])
    async with db.engine.connect() as conn:
        result = await conn.stream(text("SELECT n FROM t ORDER BY n"))
        assert [n async for n in result.scalars()] == list(range(50))


async def test_readers_and_writers_side_by_side(db: Database) -> None:
    async def write(n: int) -> None:
        async with db.engine.begin() as conn:
            await conn.execute(text("INSERT INTO t (n) VALUES (:n)"), {"n": n})

    async def read() -> int:
        async with db.engine.connect() as conn:
            return int((await conn.execute(text("SELECT count(*) FROM t"))).scalar_one())

    counts = await asyncio.gather(*(write(n) if n % 2 else read() for n in range(40)))
    assert all(c is None or 0 <= c <= 20 for c in counts)
    assert await read() == 20


async def test_the_engine_uses_the_one_trip_connection(db: Database) -> None:
    async with db.engine.connect() as conn:
        raw = await conn.get_raw_connection()
        assert isinstance(raw.dbapi_connection, OneHopConnection)

"""A SQLite database that another writer holds: a JSON 503 with Retry-After, nothing lost."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, OperationalError

from nvrd.store.db import Database, is_busy
from tests.conftest import ADMIN, VIEWER, AppHarness

CONFIG = {
    "server": {"timezone": "UTC", "database_busy_ms": 200},
    "lpr_source": [{"id": 1, "code": "GATE", "parking_entrance": 1}],
    "parking_lot": [{"id": 1, "name": "B1", "max_count": 10}],
}


def lpr(plate: str) -> dict[str, str]:
    return {"topic": "LPR", "src": "GATE", "plateNo": plate, "direction": "entry"}


def test_a_held_write_lock_answers_503_and_loses_nothing(
    harness: Callable[..., AppHarness], caplog: pytest.LogCaptureFixture
) -> None:
    app = harness(users=[ADMIN, VIEWER], **CONFIG)
    path = app.settings.server.data_dir / "nvrd.db"
    with app.client() as c:
        c.auth = (VIEWER[0], VIEWER[1])
        assert c.post("/api/push", json=lpr("A1")).status_code == 200
        other = sqlite3.connect(path, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")  # the write lock, held by another connection
            other.execute("UPDATE parking_lots SET max_count = 20 WHERE id = 1")
            caplog.clear()
            with caplog.at_level(logging.INFO):
                res = c.post("/api/push?lang=en-US", json=lpr("B2"))
            assert res.status_code == 503
            assert res.headers["retry-after"] == "1"
            assert res.headers["content-type"].startswith("application/json")
            assert res.json() == {
                "code": -8,
                "message": "The database is busy; try again in a moment.",
            }
            assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
            assert not any(r.exc_info for r in caplog.records)
            other.execute("COMMIT")
        finally:
            other.close()
        assert c.post("/api/push", json=lpr("B2")).status_code == 200  # the retry
        lots = c.get("/api/enum?what=parkingLot").json()["counter"]
        svc = c.app.state.services  # type: ignore[attr-defined]
        assert c.portal is not None  # set while the client is open
        log = c.portal.call(svc.integrations.lprlog.between, 0, 2**62)
    assert lots == [{"id": 1, "name": "B1", "type": "counter", "count": 2, "maxCount": 20}]
    assert [r.plate_no for r in log] == ["A1", "B2"]  # once each: the refused push wrote nothing


async def test_is_busy_tells_a_held_database_from_other_errors(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", busy_ms=50)
    try:
        async with db.engine.begin() as conn:
            await conn.execute(text("CREATE TABLE t (x INTEGER)"))
        with pytest.raises(OperationalError) as missing:
            async with db.engine.connect() as conn:
                await conn.execute(text("SELECT * FROM nope"))
        assert not is_busy(missing.value)
        other = sqlite3.connect(tmp_path / "x.db", isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(OperationalError) as held:
                async with db.engine.begin() as conn:
                    await asyncio.wait_for(conn.execute(text("INSERT INTO t VALUES (1)")), 10)
        finally:
            other.execute("ROLLBACK")
            other.close()
        assert is_busy(held.value)
        assert not is_busy(ValueError("database is locked"))
    finally:
        await db.close()


def test_a_push_is_stored_whole_or_not_at_all(harness: Callable[..., AppHarness]) -> None:
    app = harness(users=[ADMIN, VIEWER], **CONFIG)
    path = app.settings.server.data_dir / "nvrd.db"
    with app.client() as c:
        c.auth = (VIEWER[0], VIEWER[1])
        other = sqlite3.connect(path, isolation_level=None)
        try:  # the count cannot be written: the plate logged before it must go too
            other.execute(
                "CREATE TRIGGER no_counts BEFORE UPDATE OF count ON parking_lots "
                "BEGIN SELECT RAISE(ABORT, 'counts are frozen'); END"
            )
            res = c.post("/api/push", json=[lpr("C3"), {**lpr("D4"), "direction": "exit"}])
            assert res.status_code == 500 and res.json()["code"] == -9
            other.execute("DROP TRIGGER no_counts")
        finally:
            other.close()
        svc = c.app.state.services  # type: ignore[attr-defined]
        assert c.portal is not None
        assert c.portal.call(svc.integrations.lprlog.between, 0, 2**62) == []
        assert c.get("/api/enum?what=parkingLot").json()["counter"][0]["count"] == 0


async def _hold_lock(pg_url: str, table: str) -> Any:
    """Another connection that holds ``table`` locked until it is closed."""
    import asyncpg

    other = await asyncpg.connect(pg_url, timeout=5)
    await other.execute("BEGIN")
    await other.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
    return other


async def test_is_busy_on_postgresql_when_a_lock_is_held_longer_than_the_wait(
    pg_url: str,
) -> None:
    db = Database("postgresql+asyncpg://" + pg_url.split("://", 1)[1], busy_ms=200)
    other = await _hold_lock(pg_url, "parking_lots")
    try:
        started = asyncio.get_running_loop().time()
        with pytest.raises(DBAPIError) as held:
            async with db.engine.begin() as conn:
                await asyncio.wait_for(conn.execute(text("UPDATE parking_lots SET count = 0")), 10)
        assert asyncio.get_running_loop().time() - started < 5  # the wait, not forever
        assert is_busy(held.value)
        with pytest.raises(DBAPIError) as missing:
            async with db.engine.connect() as conn:
                await conn.execute(text("SELECT * FROM nope"))
        assert not is_busy(missing.value)
    finally:
        await other.close()
        await db.close()


def test_a_held_postgresql_lock_answers_503_and_loses_nothing(
    harness: Callable[..., AppHarness], pg_url: str
) -> None:
    server = {"timezone": "UTC", "database_busy_ms": 200, "database_url": pg_url}
    app = harness(users=[ADMIN, VIEWER], **{**CONFIG, "server": server})
    with app.client() as c:
        c.auth = (VIEWER[0], VIEWER[1])
        assert c.post("/api/push", json=lpr("A1")).status_code == 200
        other = c.portal.call(_hold_lock, pg_url, "lpr_log")  # type: ignore[union-attr]
        try:
            res = c.post("/api/push?lang=en-US", json=lpr("B2"))
            assert res.status_code == 503, res.text
            assert res.headers["retry-after"] == "1"
            assert res.json()["code"] == -8
        finally:
            c.portal.call(other.close)  # type: ignore[union-attr]
        assert c.post("/api/push", json=lpr("B2")).status_code == 200  # the retry
        svc = c.app.state.services  # type: ignore[attr-defined]
        log = c.portal.call(svc.integrations.lprlog.between, 0, 2**62)  # type: ignore[union-attr]
    assert [r.plate_no for r in log] == ["A1", "B2"]

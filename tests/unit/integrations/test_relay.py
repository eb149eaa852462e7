"""The parking-count outbox: changes written by another process reach the bus."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from nvrd.core.clock import FakeClock
from nvrd.events.bus import EventBus
from nvrd.events.types import ParkingCount, ParkingCountChanged
from nvrd.integrations.relay import ParkingRelay
from nvrd.store.db import Database
from nvrd.store.integrations import IntegrationStore, ParkingLot

T0 = datetime(2030, 1, 1, tzinfo=UTC)
B1 = ParkingCount(id=1, name="B1", count=7, max_count=10)


async def stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def lots(db: Database) -> IntegrationStore:
    store = IntegrationStore(db.engine)
    await store.lots.add(ParkingLot(1, "B1", max_count=10), 1)
    await store.lots.add(ParkingLot(2, "B2", max_count=5), 1)
    await store.lots.add(ParkingLot(3, "All", "group", members=(1, 2)), 1)
    await store.lots.add(ParkingLot(4, "Other", "group", members=(2,)), 1)
    return store


async def test_a_change_is_published_with_its_groups_and_deleted(db: Database) -> None:
    store = await lots(db)
    # written by another process: a store on an engine of its own
    other = Database(db.url)
    try:
        assert await IntegrationStore(other.engine).set_count(1, 7, 1234)
    finally:
        await other.close()
    bus = EventBus()
    sub = bus.subscribe([ParkingCountChanged])
    clock = FakeClock(T0)
    task = asyncio.create_task(ParkingRelay(store, bus, clock, interval=0.25).run())
    try:
        event = await asyncio.wait_for(sub.get(), 10)
        while not clock.slept:  # the round is over once it waits
            await asyncio.sleep(0.01)
    finally:
        await stop(task)
    group = ParkingCount(id=3, name="All", count=7, max_count=15, group=True, members=(1, 2))
    assert event == ParkingCountChanged(at_ms=1234, updated=(B1, group))
    assert await store.pending_changes(10) == []
    assert set(clock.slept) == {0.25}  # it waits on its clock between rounds
    assert sub.pending() == []  # once only


async def test_batches_are_bounded_and_changes_coalesced(db: Database) -> None:
    store = await lots(db)
    for i in range(5):
        assert await store.set_count(1, i, 100 + i)
    assert await store.set_count(2, 4, 200)
    assert not await store.set_count(3, 1, 300)  # a group has no count of its own
    assert not await store.set_count(9, 1, 300)
    with pytest.raises(ValueError):
        await store.set_count(1, -1, 300)  # never below 0
    bus = EventBus()
    sub = bus.subscribe([ParkingCountChanged])
    relay = ParkingRelay(store, bus, FakeClock(T0), batch=4)
    assert await relay.relay_once() == 4
    (first,) = sub.pending()
    assert isinstance(first, ParkingCountChanged)
    assert first.at_ms == 103 and [u.id for u in first.updated] == [1, 3]
    assert first.updated[0].count == 4  # the count as it is now, not as it was then
    assert await relay.relay_once() == 2
    (second,) = sub.pending()
    assert isinstance(second, ParkingCountChanged) and second.at_ms == 200
    assert [(u.id, u.count) for u in second.updated] == [(1, 4), (2, 4), (3, 8), (4, 4)]
    assert await relay.relay_once() == 0 and sub.pending() == []


async def test_a_removed_lot_publishes_nothing(db: Database) -> None:
    store = IntegrationStore(db.engine)
    await store.lots.add(ParkingLot(1, "B1", max_count=10), 1)
    assert await store.set_count(1, 3, 5)
    await store.lots.remove(1)
    bus = EventBus()
    sub = bus.subscribe([ParkingCountChanged])
    assert await ParkingRelay(store, bus, FakeClock(T0)).relay_once() == 1
    assert sub.pending() == [] and await store.pending_changes(10) == []


def test_bad_settings() -> None:
    # deliberately no store (None): the settings are refused before one is needed
    with pytest.raises(ValueError):
        ParkingRelay(None, EventBus(), FakeClock(T0), interval=0)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        ParkingRelay(None, EventBus(), FakeClock(T0), batch=0)  # type: ignore[arg-type]


async def test_a_busy_database_delays_the_round(tmp_path: Path) -> None:
    path = tmp_path / "relay.db"
    db = Database(f"sqlite+aiosqlite:///{path}", busy_ms=50)
    await db.open()
    try:
        store = await lots(db)
        assert await store.set_count(1, 7, 1234)
        bus = EventBus()
        sub = bus.subscribe([ParkingCountChanged])
        clock = FakeClock(T0)
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another writer: the rows cannot be deleted
        task = asyncio.create_task(ParkingRelay(store, bus, clock).run())
        try:
            first = await asyncio.wait_for(sub.get(), 10)
            while len(clock.slept) < 2:  # it went on after the busy round
                await asyncio.sleep(0.01)
            assert not task.done() and await store.pending_changes(10) != []
            other.execute("ROLLBACK")
            while await store.pending_changes(10):
                await asyncio.sleep(0.01)
        finally:
            other.close()
            await stop(task)
        assert isinstance(first, ParkingCountChanged) and first.updated[0] == B1
        # published again until the rows could be deleted (at least once), never lost
        assert all(e == first for e in sub.pending())
    finally:
        await db.close()

"""The registries and parking counts on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest

from nvrd.events.types import ParkingCount
from nvrd.integrations.parking import totals
from nvrd.store.db import Database, head_revision
from nvrd.store.integrations import (
    EmergencyDevice,
    EntryExists,
    IntegrationStore,
    LprSource,
    ParkingLot,
    Zone,
)

ZONE = Zone(chid=1, rect=(2622, 1499, 4297, 4297), mode="parking", id=3, disabled_only=True)


async def test_migration_creates_the_tables(db: Database) -> None:
    assert await db.revision() == head_revision()
    store = IntegrationStore(db.engine)
    assert await store.lpr.all() == []
    assert await store.calls.all() == []
    assert await store.lots.all() == []


async def test_lpr_sources_round_trip(db: Database) -> None:
    store = IntegrationStore(db.engine)
    a = LprSource(1, "F00001", "Gate", (1, 2), entrance=1, exit=2)
    b = LprSource(2, "1-1-1", "1-1-1", (), "ReadOnly", ZONE)
    await store.lpr.add(b, 5)
    await store.lpr.add(a, 5)
    assert await store.lpr.all() == [a, b]
    assert await store.lpr.get(2) == b
    assert await store.lpr_by_code("F00001") == a
    assert await store.lpr_by_code("nope") is None
    assert b.to_doc() == {
        "id": 2,
        "code": "1-1-1",
        "name": "1-1-1",
        "linkedChannel": [],
        "tag": "ReadOnly",
        "zone": {
            "id": 3,
            "chid": 1,
            "rect": [2622, 1499, 4297, 4297],
            "mode": "parking",
            "disabledOnly": True,
            "noParkingAllowed": False,
        },
    }
    assert a.to_doc()["parkingLot"] == {"entrance": 1, "exit": 2}
    assert (a.main_chid, a.chids, b.main_chid, b.chids) == (1, [1, 2], 1, [1])
    with pytest.raises(EntryExists) as info:
        await store.lpr.add(LprSource(1, "other", "x"), 5)
    assert info.value.field == "id"
    with pytest.raises(EntryExists) as info:
        await store.lpr.add(LprSource(9, "F00001", "x"), 5)
    assert info.value.field == "code"
    assert await store.lpr.next_id() == 3
    assert await store.lpr.remove(1) == a
    assert await store.lpr.remove(1) is None
    assert await store.lpr.next_id() == 1


async def test_emergency_devices(db: Database) -> None:
    store = IntegrationStore(db.engine)
    dev = EmergencyDevice(1, "0000001", "B1 stairs", (1, 2))
    await store.calls.add(dev, 1)
    assert await store.calls.all() == [dev]
    assert dev.to_doc() == {
        "id": 1,
        "code": "0000001",
        "name": "B1 stairs",
        "linkedChannel": [1, 2],
    }


async def test_seed_replaces_config_rows_and_keeps_cli_rows(db: Database) -> None:
    store = IntegrationStore(db.engine)
    await store.calls.add(EmergencyDevice(5, "cli-code", "made by hand"), 1)
    first = [
        EmergencyDevice(1, "A", "a", origin="config"),
        EmergencyDevice(2, "B", "b", origin="config"),
    ]
    assert await store.calls.seed(first, 10) == []
    # codes swapped, one entry gone, one clashing with the CLI-made row
    second = [
        EmergencyDevice(1, "B", "b2", origin="config"),
        EmergencyDevice(3, "A", "a2", origin="config"),
        EmergencyDevice(5, "C", "c", origin="config"),
        EmergencyDevice(6, "cli-code", "c", origin="config"),
    ]
    problems = await store.calls.seed(second, 20)
    assert len(problems) == 2
    assert "emergency_calls 5: id 5" in problems[0]
    assert "code 'cli-code'" in problems[1]
    got = await store.calls.all()
    assert [(d.id, d.code, d.name, d.origin) for d in got] == [
        (1, "B", "b2", "config"),
        (3, "A", "a2", "config"),
        (5, "cli-code", "made by hand", "cli"),
    ]


async def test_parking_counts(db: Database) -> None:
    store = IntegrationStore(db.engine)
    for lot in (
        ParkingLot(1, "B1", max_count=2),
        ParkingLot(2, "B2", max_count=40),
        ParkingLot(3, "All", "group", members=(1, 2, 99)),
    ):
        await store.lots.add(lot, 1)
    lots = await store.change_count(1, +1)
    assert lots is not None
    counts = totals(lots)
    assert counts[1] == ParkingCount(id=1, name="B1", count=1, max_count=2)
    assert counts[3] == ParkingCount(
        id=3, name="All", count=1, max_count=42, group=True, members=(1, 2, 99)
    )
    await store.change_count(1, +1)
    lots = await store.change_count(1, +1)  # over-full is counted
    assert lots is not None and totals(lots)[1].count == 3
    assert await store.change_count(2, -1) is None  # never below 0
    assert await store.change_count(3, +1) is None  # a group has no count of its own
    assert await store.change_count(42, +1) is None
    assert await store.set_count(2, 7, 5)
    assert not await store.set_count(3, 7, 6)
    got = {lot.id: lot.count for lot in await store.lots.all()}
    assert got == {1: 3, 2: 7, 3: 0}


async def test_parallel_changes_are_not_lost(db: Database) -> None:
    store = IntegrationStore(db.engine)
    await store.lots.add(ParkingLot(1, "B1", max_count=100), 1)
    await asyncio.gather(*(store.change_count(1, +1) for _ in range(20)))
    await asyncio.gather(*(store.change_count(1, -1) for _ in range(5)))
    assert (await store.lots.get(1)).count == 15  # type: ignore[union-attr]


async def test_seed_keeps_counts(db: Database) -> None:
    store = IntegrationStore(db.engine)
    await store.lots.seed([ParkingLot(1, "B1", max_count=10, origin="config")], 1)
    await store.change_count(1, +1)
    await store.change_count(1, +1)
    await store.lots.seed([ParkingLot(1, "B1 renamed", max_count=20, origin="config")], 2)
    (lot,) = await store.lots.all()
    assert (lot.name, lot.count, lot.max_count) == ("B1 renamed", 2, 20)

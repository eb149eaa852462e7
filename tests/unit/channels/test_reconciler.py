"""ChannelReconciler against a real (SQLite) channel table and a recording runner."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import update

from nvrd.channels.reconciler import ChannelReconciler
from nvrd.core.clock import FakeClock
from nvrd.events.bus import EventBus
from nvrd.events.types import (
    ChannelAdded,
    ChannelRemoved,
    ChannelRenamed,
    ChannelSourceChanged,
    ChannelSwapped,
    Event,
)
from nvrd.store.channels import Channel, ChannelStore
from nvrd.store.db import Database
from nvrd.store.schema import channels


def untimed(events: list[Event]) -> list[Event]:
    """The events with their time set to 0 (the reconciler's loop moves the fake clock)."""
    return [dataclasses.replace(e, at_ms=0) for e in events]


class Runner:
    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []

    def add(self, ch: Channel) -> None:
        self.calls.append(("add", ch.chid))

    async def remove(self, chid: int) -> None:
        self.calls.append(("remove", chid))


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[ChannelStore]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'ch.db'}")
    await db.open()
    yield ChannelStore(db.engine)
    await db.close()


async def test_changes_are_applied_and_announced(store: ChannelStore) -> None:
    await store.add_many([(1, "A", {"source": "a.mp4"}), (2, "B", {"source": "b.mp4"})], 16, 0)
    bus = EventBus()
    sub = bus.subscribe()
    runner = Runner()
    clock = FakeClock()
    sync = ChannelReconciler(store, runner, bus, interval=3600, clock=clock)
    sync.start(await store.all())
    await sync.apply()
    assert runner.calls == [] and sub._queue.empty()

    await store.rename(1, "Front")
    await store.add_many([(3, "C", {"source": "c.mp4"})], 16, 0)
    await sync.apply()
    assert runner.calls == [("add", 3)]
    assert untimed(sub.pending()) == [
        ChannelRenamed(at_ms=0, chid=1, name="Front"),
        ChannelAdded(at_ms=0, chid=3),
    ]

    runner.calls.clear()
    assert await store.swap(2, 3)
    await sync.apply()
    assert runner.calls == [("remove", 2), ("add", 2), ("remove", 3), ("add", 3)]
    assert untimed(sub.pending()) == [ChannelSwapped(at_ms=0, chids=(2, 3))]
    ch2 = await store.get(2)
    assert ch2 is not None and ch2.title == "C" and ch2.source == {"source": "c.mp4"}

    runner.calls.clear()
    assert await store.delete([1]) == [1]
    await sync.apply()
    assert runner.calls == [("remove", 1)]
    assert untimed(sub.pending()) == [ChannelRemoved(at_ms=0, chid=1)]
    assert not await store.swap(1, 2) and not await store.swap(2, 2)

    runner.calls.clear()
    async with store._engine.begin() as conn:
        await conn.execute(
            update(channels).where(channels.c.chid == 2).values(source='{"source": "new.mp4"}')
        )
    await sync.apply()
    assert runner.calls == [("remove", 2), ("add", 2)]
    assert untimed(sub.pending()) == [ChannelSourceChanged(at_ms=0, chid=2)]
    assert not await store.rename(9, "x")
    await sync.stop()

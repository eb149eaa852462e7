"""ChannelReconciler against a real (SQLite) channel table and a recording runner."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import update

from nvrd.channels.reconciler import ChannelReconciler
from nvrd.events.bus import EventBus
from nvrd.store.channels import Channel, ChannelStore
from nvrd.store.db import Database
from nvrd.store.schema import channels


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
    sync = ChannelReconciler(store, runner, bus, interval=3600)
    sync.start(await store.all())
    await sync.apply()
    assert runner.calls == [] and sub._queue.empty()

    await store.rename(1, "Front")
    await store.add_many([(3, "C", {"source": "c.mp4"})], 16, 0)
    await sync.apply()
    assert runner.calls == [("add", 3)]
    assert [(e.topic, e.data) for e in sub.pending()] == [
        ("channelRenamed", {"chid": 1, "name": "Front"}),
        ("channelAdded", {"chid": 3}),
    ]

    runner.calls.clear()
    assert await store.swap(2, 3)
    await sync.apply()
    assert runner.calls == [("remove", 2), ("add", 2), ("remove", 3), ("add", 3)]
    assert [(e.topic, e.data) for e in sub.pending()] == [("channelSwapped", {"chids": [2, 3]})]
    ch2 = await store.get(2)
    assert ch2 is not None and ch2.title == "C" and ch2.source == {"source": "c.mp4"}

    runner.calls.clear()
    assert await store.delete([1]) == [1]
    await sync.apply()
    assert runner.calls == [("remove", 1)]
    assert [(e.topic, e.data) for e in sub.pending()] == [("channelRemoved", {"chid": 1})]
    assert not await store.swap(1, 2) and not await store.swap(2, 2)

    runner.calls.clear()
    async with store._engine.begin() as conn:
        await conn.execute(
            update(channels).where(channels.c.chid == 2).values(source='{"source": "new.mp4"}')
        )
    await sync.apply()
    assert runner.calls == [("remove", 2), ("add", 2)]
    assert [(e.topic, e.data) for e in sub.pending()] == [("channelSourceChanged", {"chid": 2})]
    assert not await store.rename(9, "x")
    await sync.stop()

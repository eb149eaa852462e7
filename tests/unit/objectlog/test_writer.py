"""The object-log writer: every ObjectSeen stored, in order, in batches; a failing
database is retried (on the fake clock) without losing the batch; stop drains."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from nvrd.core.clock import FakeClock
from nvrd.core.faces import pack
from nvrd.core.supervisor import Supervisor
from nvrd.events.bus import EventBus
from nvrd.events.types import ObjectSeen
from nvrd.objectlog.writer import ObjectLogWriter
from nvrd.store.db import Database
from nvrd.store.objects import ObjectLogStore, ObjectQuery, ObjectRecord


def seen(i: int) -> ObjectSeen:
    return ObjectSeen(
        at_ms=1000 + i,
        chid=1 + i % 2,
        obj_id=i,
        type="vehicle",
        likelihood=90,
        attributes={"vehicleType": "car", "colors": ["red"]},
        image=f"objects/1/2026-01-01/{1000 + i}-{i}.jpg",
    )


class Flaky:
    """A real store whose first ``fail`` writes raise."""

    def __init__(self, store: ObjectLogStore, fail: int):
        self.store = store
        self.fail = fail
        self.calls: list[int] = []

    async def add_many(self, records: Sequence[ObjectRecord]) -> list[int]:
        self.calls.append(len(records))
        if self.fail > 0:
            self.fail -= 1
            raise ConnectionError("database away")
        return await self.store.add_many(records)


async def settle(cond: object, rounds: int = 500) -> None:
    for _ in range(rounds):
        if callable(cond) and cond():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not reached")


async def test_every_event_is_stored_in_order(db: Database) -> None:
    bus, clock = EventBus(), FakeClock()
    store = ObjectLogStore(db.engine)
    writer = ObjectLogWriter(bus, store, clock, batch=7)
    writer.open()
    for i in range(50):
        bus.publish(seen(i))
    sup = Supervisor(clock)
    task = sup.spawn("object-log", writer.run)
    await settle(lambda: writer.written == 50)
    await writer.stop()
    await task.join()
    total, page = await store.search(ObjectQuery(ascending=True, max_count=100))
    assert total == 50
    assert [r.obj_id for r in page] == list(range(50))
    assert page[3].attributes == {"vehicleType": "car", "colors": ["red"]}
    assert page[3].likelihood == 90.0 and page[3].image == "objects/1/2026-01-01/1003-3.jpg"
    total, _ = await store.search(ObjectQuery(tags=["vehicle.color=red"], chids=[2]))
    assert total == 25
    assert page[3].embedding is None


async def test_a_faces_embedding_is_stored(db: Database) -> None:
    bus, clock = EventBus(), FakeClock()
    store = ObjectLogStore(db.engine)
    writer = ObjectLogWriter(bus, store, clock)
    writer.open()
    values = pack([i / 128 for i in range(128)])
    bus.publish(ObjectSeen(at_ms=5, chid=1, obj_id=1, type="face", embedding=values))
    sup = Supervisor(clock)
    task = sup.spawn("object-log", writer.run)
    await settle(lambda: writer.written == 1)
    await writer.stop()
    await task.join()
    _, page = await store.search(ObjectQuery())
    assert [r.embedding for r in page] == [values]


async def test_failures_are_retried_without_loss(db: Database) -> None:
    bus, clock = EventBus(), FakeClock()
    sink = Flaky(ObjectLogStore(db.engine), fail=4)
    writer = ObjectLogWriter(bus, sink, clock, retry_first=1, retry_ceiling=4)
    sup = Supervisor(clock)
    task = sup.spawn("object-log", writer.run)
    await asyncio.sleep(0)
    for i in range(10):
        bus.publish(seen(i))
    await settle(lambda: writer.written == 10)
    assert writer.failures == 4 and writer.lost == 0
    assert clock.slept[:4] == [1, 2, 4, 4]
    await writer.stop()
    await task.join()
    total, _ = await sink.store.search(ObjectQuery())
    assert total == 10


async def test_stop_drains_and_gives_up_on_a_dead_database(db: Database) -> None:
    bus, clock = EventBus(), FakeClock()
    sink = Flaky(ObjectLogStore(db.engine), fail=10**6)
    writer = ObjectLogWriter(bus, sink, clock, stop_attempts=2)
    writer.open()
    bus.publish(seen(1))
    await writer.stop()
    await writer.run()  # returns: stopping, two tries, then gives up
    assert writer.lost == 1 and writer.written == 0


async def test_a_dropped_subscription_is_renewed(db: Database) -> None:
    bus, clock = EventBus(), FakeClock()
    store = ObjectLogStore(db.engine)
    writer = ObjectLogWriter(bus, store, clock, queue=3)
    writer.open()
    for i in range(5):  # overflows the queue of 3: the bus disconnects the writer
        bus.publish(seen(i))
    task = asyncio.create_task(writer.run())
    await settle(lambda: writer.drops == 1)
    bus.publish(seen(9))
    await settle(lambda: writer.written == 4)
    await writer.stop()
    await task
    _, page = await store.search(ObjectQuery(ascending=True))
    assert [r.obj_id for r in page] == [0, 1, 2, 9]

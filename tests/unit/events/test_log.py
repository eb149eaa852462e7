"""The event-log writer against a real (SQLite) event log: what it records and publishes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from nvrd.core.clock import FakeClock, ms_from_datetime
from nvrd.core.eventtypes import ChannelCode, EventType, PrivacyCode, SystemCode
from nvrd.events.bus import EventBus
from nvrd.events.log import EventLogWriter
from nvrd.events.types import (
    ChannelAdded,
    ChannelRemoved,
    ChannelStatusChanged,
    LogRequested,
    RecordingState,
    RecordingStatusChanged,
    StorageChanged,
    SystemEventLogged,
)
from nvrd.store.db import Database
from nvrd.store.eventlog import EventLogStore, LogQuery

T0 = 1_772_366_400_000  # 2026-03-01 12:00 UTC


class StepClock:
    def __init__(self) -> None:
        self.t = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

    def now(self) -> datetime:
        self.t += timedelta(milliseconds=10)
        return self.t

    def now_ms(self) -> int:
        return ms_from_datetime(self.now())

    def monotonic(self) -> float:
        return self.t.timestamp()

    async def sleep(self, seconds: float) -> None:
        self.t += timedelta(seconds=max(0.0, seconds))
        await asyncio.sleep(0)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[EventLogStore]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'log.db'}")
    await db.open()
    yield EventLogStore(db.engine)
    await db.close()


async def rows(store: EventLogStore) -> list[tuple[int, int]]:
    _, entries = await store.search(LogQuery(max_count=1000, ascending=True))
    return [(e.type, e.code) for e in entries]


async def settle(bus: EventBus, writer: EventLogWriter) -> None:
    for _ in range(50):
        await asyncio.sleep(0.01)
        assert writer._sub is not None
        if writer._sub._queue.empty():
            await asyncio.sleep(0.02)
            return


async def test_start_stop_and_abnormal_shutdown(store: EventLogStore) -> None:
    bus = EventBus()
    system = bus.subscribe([SystemEventLogged])
    clock = StepClock()
    w = EventLogWriter(bus, store, clock)
    await w.start()
    await w.stop()
    assert await rows(store) == [(0, SystemCode.STARTUP), (0, SystemCode.SHUTDOWN)]
    published = [system.get_nowait(), system.get_nowait()]
    entries = [e.entry for e in published if isinstance(e, SystemEventLogged)]
    assert [e.code for e in entries] == [1, 2]
    assert all(e.id > 0 for e in entries)

    crashed = EventLogWriter(bus, store, clock)
    await crashed.start()  # and never stopped: the process died
    again = EventLogWriter(bus, store, clock)
    await again.start()
    await again.stop()
    assert (await rows(store))[2:] == [
        (0, SystemCode.STARTUP),
        (0, SystemCode.ABNORMAL_SHUTDOWN),
        (0, SystemCode.STARTUP),
        (0, SystemCode.SHUTDOWN),
    ]


async def test_camera_lost_lasts_until_connected(store: EventLogStore) -> None:
    bus = EventBus()
    w = EventLogWriter(bus, store, StepClock())
    await w.start()
    for i, code in enumerate((-3, 200, 408, -4, 408, -4, 200)):
        bus.publish(ChannelStatusChanged(at_ms=T0 + i, chid=3, code=code))
    await settle(bus, w)
    _, entries = await store.search(LogQuery(types=[EventType.CHANNEL], ascending=True))
    assert [e.code for e in entries] == [
        ChannelCode.CAMERA_CONNECTED,
        ChannelCode.CAMERA_LOST,
        ChannelCode.CAMERA_CONNECTED,
    ]
    lost = entries[1]
    assert lost.chid == 3 and lost.param == {"chid": 3, "statusCode": 408}
    assert (lost.begin_ms, lost.end_ms) == (T0 + 2, T0 + 6)  # the events' own times
    await w.stop()


async def test_recording_failure_once_per_spell(store: EventLogStore) -> None:
    bus = EventBus()
    w = EventLogWriter(bus, store, StepClock())
    await w.start()
    for failed, recording in (
        (None, True),
        (1000, False),
        (2000, False),
        (None, True),
        (3000, False),
    ):
        state = RecordingState(chid=1, streaming=False, recording=recording, failed_ms=failed)
        bus.publish(RecordingStatusChanged(at_ms=T0, state=state))
    await settle(bus, w)
    _, entries = await store.search(LogQuery(types=[EventType.CHANNEL], ascending=True))
    assert [(e.code, e.begin_ms) for e in entries] == [
        (ChannelCode.RECORDING_FAILURE, 1000),
        (ChannelCode.RECORDING_FAILURE, 3000),
    ]
    await w.stop()


async def test_log_storage_and_channel_events(store: EventLogStore) -> None:
    bus = EventBus()
    system = bus.subscribe([SystemEventLogged])
    w = EventLogWriter(bus, store, StepClock())
    await w.start()
    bus.publish(StorageChanged(at_ms=T0, kind="ready", storage_path="/rec/a b", status_code=0))
    bus.publish(StorageChanged(at_ms=T0, kind="rootChanged", before="/rec/a", after="/rec/b"))
    bus.publish(StorageChanged(at_ms=T0, kind="unknownKind"))
    bus.publish(ChannelAdded(at_ms=T0, chid=4))
    bus.publish(ChannelRemoved(at_ms=T0, chid=4))
    bus.publish(
        LogRequested(at_ms=5, type=EventType.PRIVACY, code=PrivacyCode.SIGN_IN, param={"uid": "a"})
    )
    await settle(bus, w)
    _, entries = await store.search(LogQuery(ascending=True, max_count=100))
    entries.sort(key=lambda e: e.id)
    got = [(e.type, e.code, e.param) for e in entries[1:]]
    assert got == [
        (0, SystemCode.STORAGE_READY, {"storagePath": "%2Frec%2Fa%20b", "statusCode": 0}),
        (
            0,
            SystemCode.STORAGE_PATH_CHANGED,
            {"storagePathBefore": "%2Frec%2Fa", "storagePathAfter": "%2Frec%2Fb"},
        ),
        (2, ChannelCode.ADDED, {"chid": 4}),
        (2, ChannelCode.REMOVED, {"chid": 4}),
        (1, PrivacyCode.SIGN_IN, {"uid": "a"}),
    ]
    assert entries[-1].begin_ms == 5
    codes = [e.entry.code for e in system.pending() if isinstance(e, SystemEventLogged)]
    assert codes == [
        SystemCode.STARTUP,
        SystemCode.STORAGE_READY,
        SystemCode.STORAGE_PATH_CHANGED,
        ChannelCode.ADDED,
        ChannelCode.REMOVED,
        PrivacyCode.SIGN_IN,
    ]
    await w.stop()


async def test_rows_and_system_events_carry_the_events_time_not_the_writers(
    store: EventLogStore,
) -> None:
    """The writer's clock stands still far from the events: every row has the event's time."""
    bus = EventBus()
    system = bus.subscribe([SystemEventLogged])
    clock = FakeClock(datetime(2030, 1, 1, tzinfo=UTC))
    w = EventLogWriter(bus, store, clock)
    await w.start()
    bus.publish(ChannelStatusChanged(at_ms=T0 + 100, chid=1, code=200))
    bus.publish(ChannelStatusChanged(at_ms=T0 + 200, chid=1, code=408))
    bus.publish(ChannelAdded(at_ms=T0 + 300, chid=2))
    bus.publish(StorageChanged(at_ms=T0 + 400, kind="storageFull", storage_path="/r"))
    await settle(bus, w)
    clock.advance(5)
    await w.stop()
    _, entries = await store.search(LogQuery(ascending=True, max_count=100))
    entries.sort(key=lambda e: e.id)
    stop_ms = clock.now_ms()
    assert [(e.code, e.begin_ms, e.end_ms) for e in entries] == [
        (SystemCode.STARTUP, stop_ms - 5000, None),
        (ChannelCode.CAMERA_CONNECTED, T0 + 100, None),
        (ChannelCode.CAMERA_LOST, T0 + 200, stop_ms),  # still lost at the stop
        (ChannelCode.ADDED, T0 + 300, None),
        (SystemCode.STORAGE_FULL, T0 + 400, None),
        (SystemCode.SHUTDOWN, stop_ms, None),
    ]
    published = [e for e in system.pending() if isinstance(e, SystemEventLogged)]
    assert [e.at_ms for e in published][1:5] == [T0 + 100, T0 + 200, T0 + 300, T0 + 400]
    assert all(e.at_ms == e.entry.begin_ms for e in published)

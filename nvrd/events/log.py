"""The event-log writer: turns what happens on the bus into event-log rows.

It is one bus subscriber among others. Every row is stamped with the time
the event happened (its ``at_ms``), not the time the writer got to it. What
it records:

- ``LogRequested``, published by whoever has something for the log (sign-in
  and sign-out, emergency calls, motion, exports, failed tasks): written as
  given;
- ``ChannelStatusChanged``: "camera connected" when a channel reaches 200,
  and "camera lost" when it fails; the lost entry lasts until the camera is
  back (its ``end_ms`` becomes the second item of ``timeRange``);
- ``ChannelAdded`` / ``ChannelRemoved``; ``RecordingStatusChanged`` with a
  new failure time: "recording failure";
- ``StorageChanged``: storage ready, full, path changed.

Its own start-up and shutdown rows carry the writer's clock. Every row is
then published as ``SystemEventLogged`` with the stored entry (its id
included), for the websocket topic ``systemEvent``: all types, not only the
"System log" type, so that a sign-in reaches subscribers too (each message
carries ``type``/``typeName``; see docs/design/api-decisions.md).

Its queue is large and it writes one row per event, in order; ``stop()``
writes what is still queued before returning, so that "System shutdown" is
the last row of a clean run. A run that ended without it is noticed at the
next start ("Abnormal shutdown").
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Sequence
from typing import Any, Protocol

from nvrd.core.clock import Clock, ms_from_datetime
from nvrd.core.eventtypes import ChannelCode, EventType, LogEntry, SystemCode
from nvrd.core.params import url_encode
from nvrd.core.statuscodes import ChannelStatus
from nvrd.events.bus import EventBus, Subscription
from nvrd.events.types import (
    ChannelAdded,
    ChannelRemoved,
    ChannelStatusChanged,
    Event,
    EventKind,
    LogRequested,
    RecordingStatusChanged,
    StorageChanged,
    SystemEventLogged,
    topic_of,
)

log = logging.getLogger("nvrd.events")

#: Channel status codes that mean the camera is not delivering video.
FAILURES = frozenset(
    {
        ChannelStatus.NO_RESPONSE,
        ChannelStatus.LOGIN_FAILED,
        ChannelStatus.BLOCKED,
        ChannelStatus.NO_NETWORK,
        ChannelStatus.TIMEOUT,
        ChannelStatus.NO_VIDEO,
        ChannelStatus.SERVICE_FAILURE,
        ChannelStatus.NO_FILE,
    }
)

#: The kinds of events the writer records.
KINDS: tuple[EventKind, ...] = (
    LogRequested,
    ChannelStatusChanged,
    ChannelAdded,
    ChannelRemoved,
    RecordingStatusChanged,
    StorageChanged,
)

#: Events the writer may hold before it counts as stuck (it never should be).
QUEUE = 100_000

_STORAGE_CODES = {
    "ready": SystemCode.STORAGE_READY,
    "storageFull": SystemCode.STORAGE_FULL,
    "writeError": SystemCode.STORAGE_WRITE_ERROR,
    "notFound": SystemCode.STORAGE_NOT_FOUND,
    "readOnly": SystemCode.STORAGE_READ_ONLY,
    "rootChanged": SystemCode.STORAGE_PATH_CHANGED,
}


class LogSink(Protocol):
    async def append(self, e: LogEntry) -> int: ...

    async def finish(self, entry_id: int, end_ms: int) -> None: ...

    async def last(self, type_: int, codes: Sequence[int]) -> LogEntry | None: ...


def _path(value: str) -> str:
    return url_encode(value)


class EventLogWriter:
    def __init__(self, bus: EventBus, sink: LogSink, clock: Clock):
        self.bus = bus
        self.sink = sink
        self.clock = clock
        self._sub: Subscription | None = None
        self._task: asyncio.Task[None] | None = None
        self._lost: dict[int, int] = {}  # chid -> open "camera lost" row
        self._codes: dict[int, int] = {}
        self._failing: set[int] = set()

    def now_ms(self) -> int:
        return ms_from_datetime(self.clock.now())

    async def start(self) -> None:
        """Subscribe, note an unclean previous stop, and log the start-up."""
        self._sub = self.bus.subscribe(KINDS, maxsize=QUEUE, name="event log")
        now = self.now_ms()
        last = await self.sink.last(
            EventType.SYSTEM,
            (SystemCode.STARTUP, SystemCode.SHUTDOWN, SystemCode.ABNORMAL_SHUTDOWN),
        )
        if last is not None and last.code == SystemCode.STARTUP:
            await self.write(
                LogEntry(
                    EventType.SYSTEM,
                    SystemCode.ABNORMAL_SHUTDOWN,
                    now,
                    {"lastStartup": last.begin_ms},
                )
            )
        await self.write(LogEntry(EventType.SYSTEM, SystemCode.STARTUP, now))
        self._task = asyncio.create_task(self._run(self._sub))

    async def stop(self) -> None:
        """Write what is queued, then "System shutdown", and stop."""
        sub, self._sub = self._sub, None
        if sub is None:
            return
        sub.close()
        if self._task is not None:
            await self._task
        now = self.now_ms()
        for entry_id in self._lost.values():
            with contextlib.suppress(Exception):
                await self.sink.finish(entry_id, now)
        self._lost.clear()
        await self.write(LogEntry(EventType.SYSTEM, SystemCode.SHUTDOWN, now))

    async def _run(self, sub: Subscription) -> None:
        async for event in sub:
            try:
                await self.handle(event)
            except Exception:
                log.exception("event log write failed", extra={"topic": topic_of(event)})

    async def write(self, entry: LogEntry) -> LogEntry:
        entry_id = await self.sink.append(entry)
        stored = dataclasses.replace(entry, id=entry_id)
        self.bus.publish(SystemEventLogged(at_ms=stored.begin_ms, entry=stored))
        return stored

    async def handle(self, event: Event) -> None:
        """Record one event, stamped with the time it happened."""
        now = event.at_ms
        match event:
            case LogRequested():
                await self.write(
                    LogEntry(
                        event.type,
                        event.code,
                        now,
                        dict(event.param),
                        event.comment,
                        event.chid,
                    )
                )
            case ChannelStatusChanged():
                await self._channel_status(event.chid, event.code, now)
            case ChannelAdded():
                await self.write(
                    LogEntry(
                        EventType.CHANNEL,
                        ChannelCode.ADDED,
                        now,
                        {"chid": event.chid},
                        chid=event.chid,
                    )
                )
            case ChannelRemoved():
                chid = event.chid
                await self.write(
                    LogEntry(EventType.CHANNEL, ChannelCode.REMOVED, now, {"chid": chid}, chid=chid)
                )
                await self._close_lost(chid, now)
                self._codes.pop(chid, None)
                self._failing.discard(chid)
            case RecordingStatusChanged():
                state = event.state
                await self._recording(state.chid, state.recording, state.failed_ms)
            case StorageChanged():
                await self._storage(event)
            case _:
                pass

    async def _channel_status(self, chid: int, code: int, now: int) -> None:
        before = self._codes.get(chid)
        self._codes[chid] = code
        if code == before:
            return
        if code == ChannelStatus.CONNECTED:
            await self._close_lost(chid, now)
            await self.write(
                LogEntry(
                    EventType.CHANNEL, ChannelCode.CAMERA_CONNECTED, now, {"chid": chid}, chid=chid
                )
            )
        elif code in FAILURES and chid not in self._lost:
            row = await self.write(
                LogEntry(
                    EventType.CHANNEL,
                    ChannelCode.CAMERA_LOST,
                    now,
                    {"chid": chid, "statusCode": code},
                    chid=chid,
                )
            )
            self._lost[chid] = row.id

    async def _close_lost(self, chid: int, now: int) -> None:
        entry_id = self._lost.pop(chid, None)
        if entry_id is not None:
            await self.sink.finish(entry_id, now)

    async def _recording(self, chid: int, recording: bool, failed_ms: int | None) -> None:
        """One "recording failure" per failure spell: not again until recording resumes."""
        if recording:
            self._failing.discard(chid)
            return
        if failed_ms is None or chid in self._failing:
            return
        self._failing.add(chid)
        await self.write(
            LogEntry(
                EventType.CHANNEL,
                ChannelCode.RECORDING_FAILURE,
                failed_ms,
                {"chid": chid},
                chid=chid,
            )
        )

    async def _storage(self, event: StorageChanged) -> None:
        code = _STORAGE_CODES.get(event.kind)
        if code is None:
            return
        param: dict[str, Any] = {}
        if event.storage_path is not None:
            param["storagePath"] = _path(event.storage_path)
        if code == SystemCode.STORAGE_PATH_CHANGED:
            param["storagePathBefore"] = _path(event.before or "")
            param["storagePathAfter"] = _path(event.after or "")
        if event.status_code is not None:
            param["statusCode"] = event.status_code
        await self.write(LogEntry(EventType.SYSTEM, code, event.at_ms, param))

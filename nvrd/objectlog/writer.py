"""The object-log writer: every ``ObjectSeen`` on the bus becomes one log row.

One bus subscriber with a large bounded queue. It writes in batches (what is
queued when it gets to it, at most ``batch`` events, in one transaction), in
order. A failed write is logged and the same batch is tried again after a
pause that doubles up to ``retry_ceiling`` seconds (on the injected clock):
nothing taken from the queue is dropped while the database is away. While
it waits the queue fills; were it ever full, the bus would disconnect the
writer — that is logged and counted (``drops``) and the writer subscribes
again. ``stop()`` writes what is queued before returning (giving up, with a
log line, after ``stop_attempts`` failed tries).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol

from nvrd.core.clock import Clock
from nvrd.events.bus import EventBus, Subscription
from nvrd.events.types import Event, ObjectSeen
from nvrd.store.objects import ObjectRecord

log = logging.getLogger("nvrd.objects")

#: Events the writer may hold while the database is away (about 20 minutes of 80/s).
QUEUE = 100_000


class ObjectSink(Protocol):
    async def add_many(self, records: Sequence[ObjectRecord]) -> list[int]: ...


def record_of(e: ObjectSeen) -> ObjectRecord:
    return ObjectRecord(
        at_ms=e.at_ms,
        chid=e.chid,
        obj_id=e.obj_id,
        type=e.type,
        parent_id=e.parent_id,
        likelihood=None if e.likelihood is None else float(e.likelihood),
        attributes=dict(e.attributes),
        image=e.image,
        embedding=e.embedding,
    )


class ObjectLogWriter:
    def __init__(
        self,
        bus: EventBus,
        sink: ObjectSink,
        clock: Clock,
        *,
        queue: int = QUEUE,
        batch: int = 500,
        retry_first: float = 0.5,
        retry_ceiling: float = 30.0,
        stop_attempts: int = 3,
    ):
        self.bus = bus
        self.sink = sink
        self.clock = clock
        self.queue = queue
        self.batch = batch
        self.retry_first = retry_first
        self.retry_ceiling = retry_ceiling
        self.stop_attempts = stop_attempts
        self.written = 0
        self.failures = 0
        #: objects given up at stop; times the bus disconnected the writer
        self.lost = 0
        self.drops = 0
        self._sub: Subscription | None = None
        self._stopping = False

    def open(self) -> None:
        """Subscribe (before anything publishes objects)."""
        if self._sub is None:
            self._sub = self.bus.subscribe((ObjectSeen,), maxsize=self.queue, name="object log")

    async def run(self) -> None:
        """Write until :meth:`stop`; a dropped subscription is logged and renewed."""
        self.open()
        while True:
            sub = self._sub
            if sub is None:
                return
            event = await sub.get()
            if event is None:
                if self._stopping or not sub.dropped:
                    return
                self.drops += 1
                log.error("object log writer fell behind; objects were lost, resubscribing")
                self._sub = None
                self.open()
                continue
            await self._write([event, *self._more(sub)])

    def _more(self, sub: Subscription) -> list[Event]:
        out: list[Event] = []
        while len(out) < self.batch - 1 and (event := sub.get_nowait()) is not None:
            out.append(event)
        return out

    async def _write(self, batch: list[Event]) -> None:
        records = [record_of(e) for e in batch if isinstance(e, ObjectSeen)]
        delay = self.retry_first
        tries = 0
        while True:
            try:
                await self.sink.add_many(records)
                self.written += len(records)
                return
            except Exception:
                self.failures += 1
                tries += 1
                log.exception(
                    "object log write failed; retrying",
                    extra={"objects": len(records), "delay_s": delay},
                )
                if self._stopping and tries >= self.stop_attempts:
                    log.error("object log writer stopped with unwritten objects")
                    self.lost += len(records)
                    return
            await self.clock.sleep(delay)
            delay = min(self.retry_ceiling, delay * 2)

    async def stop(self) -> None:
        """Stop taking events; the running :meth:`run` writes what is queued, then returns."""
        self._stopping = True
        if self._sub is not None:
            self._sub.close()

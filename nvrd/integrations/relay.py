"""Publishing parking counts changed outside the server (``nvrd parking-lot set-count``).

The command line writes the count and a row of ``parking_changes`` in one
transaction (an outbox). :class:`ParkingRelay` runs in the server, under the
supervisor: every ``interval`` seconds of its clock it reads at most
``batch`` rows, oldest first, publishes one ``parkingCount`` event with the
changed counters and the groups containing them (counts as stored now,
groups summed), then deletes the rows. A full batch is followed by the next
one at once. A row is deleted only after its event is published, so a
server that stops in between publishes it again at its next start (at least
once). Polling works the same on SQLite and PostgreSQL; a database held by
another writer only delays the round.
"""

from __future__ import annotations

import logging

from nvrd.core.clock import Clock
from nvrd.events.bus import EventBus
from nvrd.events.types import ParkingCount, ParkingCountChanged
from nvrd.integrations import parking
from nvrd.store.db import is_busy
from nvrd.store.integrations import IntegrationStore

log = logging.getLogger("nvrd.integrations")

INTERVAL_SECONDS = 0.5
BATCH = 100


class ParkingRelay:
    def __init__(
        self,
        store: IntegrationStore,
        bus: EventBus,
        clock: Clock,
        interval: float = INTERVAL_SECONDS,
        batch: int = BATCH,
    ):
        if interval <= 0 or batch < 1:
            raise ValueError("the relay needs a positive interval and batch")
        self._store = store
        self._bus = bus
        self._clock = clock
        self.interval = interval
        self.batch = batch

    async def run(self) -> None:
        """Relay forever (a supervised task)."""
        while True:
            try:
                handled = await self.relay_once()
            except Exception as exc:
                if not is_busy(exc):
                    raise
                log.info("parking relay: the database is busy; trying again")
                handled = 0
            if handled < self.batch:
                await self._clock.sleep(self.interval)

    async def relay_once(self) -> int:
        """Publish and delete one batch of changes; return how many rows it held."""
        changes = await self._store.pending_changes(self.batch)
        if not changes:
            return 0
        lots = await self._store.lots.all()
        updated: dict[int, ParkingCount] = {}
        for lot_id in dict.fromkeys(c.lot_id for c in changes):
            updated.update((u.id, u) for u in parking.updated_items(lots, lot_id))
        if updated:
            at_ms = max(c.at_ms for c in changes)
            items = tuple(updated[i] for i in sorted(updated))
            self._bus.publish(ParkingCountChanged(at_ms=at_ms, updated=items))
        await self._store.forget_changes([c.id for c in changes])
        return len(changes)

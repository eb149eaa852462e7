"""The registry service: LPR sources, emergency-call devices, parking lots, pushed events.

The registries live in the database, so that changes made with the CLI
while the server runs are seen without a restart: devices are read through
a cache that lives ``cache_seconds`` (one read per second at most, however
many events are pushed); parking lots are always read fresh.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine

from nvrd.config import Settings
from nvrd.core.clock import Clock, ms_from_datetime
from nvrd.core.eventtypes import EmergencyCallCode, EventType, SystemCode
from nvrd.core.pushspec import EmergencyPush, LprPush, PushItem
from nvrd.events.bus import EventBus
from nvrd.events.types import LogRequested, ParkingCount, ParkingCountChanged
from nvrd.integrations import parking, push
from nvrd.integrations.entries import (
    configured_emergency_devices,
    configured_lpr_sources,
    configured_parking_lots,
)
from nvrd.integrations.push import Devices
from nvrd.integrations.pushwrites import Move, PushWriter
from nvrd.store.channels import ChannelStore
from nvrd.store.integrations import (
    EmergencyDevice,
    EntryExists,
    IntegrationStore,
    LprSource,
    ParkingLot,
)
from nvrd.store.lprlog import LprLogStore, LprRecord

log = logging.getLogger("nvrd.integrations")

_CALL_CODES = {
    "callStart": EmergencyCallCode.CALL_STARTED,
    "callEnd": EmergencyCallCode.CALL_ENDED,
}


def reference_problems(sources: list[LprSource], lots: list[ParkingLot]) -> list[str]:
    """Parking lots named by sources or groups that are not counters."""
    counters = {lot.id for lot in lots if not lot.is_group}
    problems = []
    for src in sources:
        for what, lot_id in (("entrance", src.entrance), ("exit", src.exit)):
            if lot_id is not None and lot_id not in counters:
                problems.append(
                    f"LPR source {src.id} ({src.code}): parking {what} {lot_id} is not a counter"
                )
    for lot in lots:
        for member in lot.members:
            if member not in counters:
                problems.append(f"parking lot group {lot.id}: member {member} is not a counter")
    return problems


class IntegrationService:
    def __init__(
        self,
        engine: AsyncEngine,
        channels: ChannelStore,
        bus: EventBus,
        clock: Clock,
        tz: ZoneInfo,
        cache_seconds: float = 1.0,
        accept_unknown_sources: bool = True,
    ):
        self._engine = engine
        self.store = IntegrationStore(engine)
        self.lprlog = LprLogStore(engine)
        self._writes = PushWriter(engine)
        self._channels = channels
        self._bus = bus
        self._clock = clock
        self._tz = tz
        self._ttl = cache_seconds
        self._cached: tuple[float, Devices] | None = None
        self._accept_unknown = accept_unknown_sources

    def _now_ms(self) -> int:
        return ms_from_datetime(self._clock.now())

    async def seed(self, settings: Settings) -> list[str]:
        """Apply the configuration file's entries; log and return what could not be applied."""
        now = self._now_ms()
        problems = await self.store.lots.seed(configured_parking_lots(settings), now)
        problems += await self.store.lpr.seed(configured_lpr_sources(settings), now)
        problems += await self.store.calls.seed(configured_emergency_devices(settings), now)
        problems += reference_problems(await self.store.lpr.all(), await self.store.lots.all())
        for problem in problems:
            log.warning("registry: %s", problem)
        self.invalidate()
        return problems

    def invalidate(self) -> None:
        self._cached = None

    async def devices(self) -> Devices:
        """LPR sources and emergency-call devices by code (at most ``cache_seconds`` old)."""
        now = self._clock.monotonic()
        if self._cached is not None and now - self._cached[0] < self._ttl:
            return self._cached[1]
        devices = Devices(
            lpr={s.code: s for s in await self.store.lpr.all()},
            calls={d.code: d for d in await self.store.calls.all()},
        )
        self._cached = (now, devices)
        return devices

    async def lpr_sources(self) -> list[LprSource]:
        return sorted((await self.devices()).lpr.values(), key=lambda s: s.id)

    async def emergency_devices(self) -> list[EmergencyDevice]:
        return sorted((await self.devices()).calls.values(), key=lambda d: d.id)

    async def parking_lots(self) -> list[ParkingLot]:
        return await self.store.lots.all()

    async def parking_snapshot(self, ids: set[int] | None = None) -> list[ParkingCount]:
        """Every counter and group (or those in ``ids``), by id."""
        return parking.snapshot(await self.parking_lots(), ids)

    async def change_count(self, lot_id: int, delta: int) -> bool:
        """Move a counter by ``delta`` (never below 0); publish ``parkingCount`` if it changed."""
        lots = await self.store.change_count(lot_id, delta)
        if lots is None:
            return False
        self._publish_count(lots, lot_id)
        return True

    def _publish_count(self, lots: list[ParkingLot], lot_id: int) -> None:
        updated = parking.updated_items(lots, lot_id)
        self._bus.publish(ParkingCountChanged(at_ms=self._clock.now_ms(), updated=tuple(updated)))

    async def record_lpr(self, rec: LprRecord, src: LprSource) -> int:
        """Log a plate that nvrd read itself, publish its ``LPR`` event and move the
        parking counts, by the same rules as a pushed one; return the entry's id."""
        (entry_id,) = await self.lprlog.add_many([rec])
        titles = {c.chid: c.title for c in await self._channels.all()}
        self._publish_lpr(rec, src, titles)
        await self._count_lpr(src, rec.direction)
        return entry_id

    async def lpr_left(self, entry_id: int, end_ms: int) -> None:
        """A parked car has gone: its entry's stay ends."""
        await self.lprlog.set_end(entry_id, end_ms)

    def _publish_lpr(self, rec: LprRecord, src: LprSource, titles: dict[int, str]) -> None:
        self._bus.publish(push.lpr_event(rec, src, titles))

    async def _count_lpr(self, src: LprSource, direction: str | None) -> None:
        for lot_id, delta in parking.count_changes(src.entrance, src.exit, direction):
            await self.change_count(lot_id, delta)

    async def push(self, items: list[PushItem]) -> None:
        """Apply validated pushed events: all of them, or (on a 400) none."""
        devices = await self.devices()
        titles = {c.chid: c.title for c in await self._channels.all()}
        checked = push.check(items, devices, titles, self._accept_unknown)
        items = checked.items
        if checked.new_sources:
            devices = await self._register_sources(checked.new_sources)
        for at, chids in checked.ignored.items():
            log.warning(
                "push: %scamera names channels that do not exist: %s (ignored)",
                at,
                ", ".join(map(str, chids)),
            )
        counted = await self._store_push(items, devices)
        for item, moves in zip(items, counted, strict=True):
            self._bus.publish(push.publication(item, devices, titles))
            for lot_id, lots in moves:
                self._publish_count(lots, lot_id)
            if isinstance(item, EmergencyPush):
                self._log_call(item, devices.calls[item.src], checked.ignored.get(item.at, ()))
            await asyncio.sleep(0)  # let the subscribers' send loops take each item's events

    async def _store_push(
        self, items: list[PushItem], devices: Devices
    ) -> list[list[tuple[int, list[ParkingLot]]]]:
        """Log the pushed plates and move their parking counts in one transaction (shared
        with the pushes that arrive meanwhile, ``pushwrites.py``), so that a push refused
        by a busy database has stored nothing; return, for each item, the counters that
        moved and every lot after each move."""
        counted: list[list[tuple[int, list[ParkingLot]]]] = [[] for _ in items]
        lpr = [(n, i) for n, i in enumerate(items) if isinstance(i, LprPush)]
        if not lpr:
            return counted
        records = [push.lpr_record(i, devices.lpr[i.src]) for _, i in lpr]
        moves: list[Move] = []
        for n, item in lpr:
            src = devices.lpr[item.src]
            changes = parking.count_changes(src.entrance, src.exit, item.direction)
            moves += [(n, lot_id, delta) for lot_id, delta in changes]
        for n, lot_id, lots in await self._writes.write(records, moves):
            counted[n].append((lot_id, lots))
        return counted

    async def _register_sources(self, codes: list[str]) -> Devices:
        """Register LPR codes first seen in a push: name = code, no linked channels."""
        now = self._now_ms()
        for code in codes:
            if await self._register_source(code, now):
                log.warning("LPR source %r registered from a push (no linked channels)", code)
                self._bus.publish(
                    LogRequested(
                        at_ms=now,
                        type=EventType.SYSTEM,
                        code=SystemCode.SETTINGS_CHANGED,
                        param={"lprSource": code, "registered": "push"},
                    )
                )
        self.invalidate()
        return await self.devices()

    async def _register_source(self, code: str, now_ms: int) -> bool:
        """Add one source; ``False`` if the code was registered meanwhile (CLI, push)."""
        for _ in range(5):  # another writer may take the lowest free id first
            entry = LprSource(await self.store.lpr.next_id(), code, code, origin="push")
            try:
                await self.store.lpr.add(entry, now_ms)
                return True
            except EntryExists as exc:
                if exc.field == "code":
                    return False
        raise RuntimeError(f"could not register LPR source {code!r}")

    def _log_call(
        self, item: EmergencyPush, dev: EmergencyDevice, ignored: tuple[int, ...]
    ) -> None:
        param: dict[str, Any] = {"caller": dev.code, "name": dev.name, "device": item.device}
        if ignored:
            param["ignoredCamera"] = list(ignored)
        self._bus.publish(
            LogRequested(
                at_ms=push.time_ms(item),
                type=EventType.EMERGENCY_CALL,
                code=_CALL_CODES[item.event],
                param=param,
                chid=dev.linked[0] if dev.linked else None,
            )
        )

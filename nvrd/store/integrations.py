"""LPR sources, emergency-call devices and parking lots in the database.

Entries come from the configuration file (``origin = "config"``: re-applied
at every start by :meth:`EntryTable.seed`) or from the CLI (``origin =
"cli"``: never touched by the configuration). Parking counts live in the
same rows as the counters, so they survive restarts; a group's count and
maximum are the sums of its members, computed when read
(``nvrd.integrations.parking``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy import Row, Table, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from nvrd.core.ids import lowest_free
from nvrd.store.schema import emergency_calls, lpr_sources, parking_changes, parking_lots

COUNTER = "counter"
GROUP = "group"


class EntryExists(Exception):
    """The id or the code of a new entry is taken; ``field`` says which."""

    def __init__(self, field_name: str, value: Any):
        super().__init__(f"{field_name} {value} is taken")
        self.field = field_name
        self.value = value


@dataclass(frozen=True)
class Zone:
    """A recognition zone: ``rect`` is ``(x0, y0, x1, y1)`` in 7680x4320 coordinates."""

    chid: int
    rect: tuple[int, int, int, int]
    mode: str = "driving"
    id: int = 0
    disabled_only: bool = False
    no_parking_allowed: bool = False
    #: nvrd's additions: a fixed direction, or the movement that means "entry"
    direction: str | None = None
    entry_movement: str | None = None

    def to_doc(self) -> dict[str, Any]:
        """The guide's ``zone`` object (with ``direction``/``entryMovement`` when set)."""
        doc: dict[str, Any] = {
            "id": self.id,
            "chid": self.chid,
            "rect": list(self.rect),
            "mode": self.mode,
            "disabledOnly": self.disabled_only,
            "noParkingAllowed": self.no_parking_allowed,
        }
        if self.direction is not None:
            doc["direction"] = self.direction
        if self.entry_movement is not None:
            doc["entryMovement"] = self.entry_movement
        return doc

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Zone:
        x0, y0, x1, y1 = (int(v) for v in doc["rect"])
        return cls(
            chid=int(doc["chid"]),
            rect=(x0, y0, x1, y1),
            mode=str(doc.get("mode", "driving")),
            id=int(doc.get("id", 0)),
            disabled_only=bool(doc.get("disabledOnly", False)),
            no_parking_allowed=bool(doc.get("noParkingAllowed", False)),
            direction=doc.get("direction"),
            entry_movement=doc.get("entryMovement"),
        )


@dataclass(frozen=True)
class LprSource:
    id: int
    code: str
    name: str
    linked: tuple[int, ...] = ()
    tag: str = "Normal"
    zone: Zone | None = None
    entrance: int | None = None
    exit: int | None = None
    origin: str = "cli"

    @property
    def main_chid(self) -> int | None:
        """The recognition channel: the zone's, else the first linked one."""
        if self.zone is not None:
            return self.zone.chid
        return self.linked[0] if self.linked else None

    @property
    def chids(self) -> list[int]:
        """Every channel of the source, the recognition channel first."""
        main = self.main_chid
        rest = [c for c in self.linked if c != main]
        return ([main] if main is not None else []) + rest

    def to_doc(self) -> dict[str, Any]:
        """The guide's ``lprSrc`` item."""
        doc: dict[str, Any] = {
            "id": self.id,
            "code": self.code,
            "name": self.name,
            "linkedChannel": list(self.linked),
            "tag": self.tag,
        }
        if self.zone is not None:
            doc["zone"] = self.zone.to_doc()
        if self.entrance is not None or self.exit is not None:
            doc["parkingLot"] = self.parking_doc()
        return doc

    def parking_doc(self) -> dict[str, Any]:
        lot: dict[str, Any] = {}
        if self.entrance is not None:
            lot["entrance"] = self.entrance
        if self.exit is not None:
            lot["exit"] = self.exit
        return lot


@dataclass(frozen=True)
class EmergencyDevice:
    id: int
    code: str
    name: str
    linked: tuple[int, ...] = ()
    origin: str = "cli"

    def to_doc(self) -> dict[str, Any]:
        """The guide's ``emergencyCall`` item."""
        return {
            "id": self.id,
            "code": self.code,
            "name": self.name,
            "linkedChannel": list(self.linked),
        }


@dataclass(frozen=True)
class ParkingLot:
    """A counter (its own ``count``) or a group (``members``, whose counts it sums)."""

    id: int
    name: str
    kind: str = COUNTER
    count: int = 0
    max_count: int = 0
    members: tuple[int, ...] = ()
    origin: str = "cli"

    @property
    def is_group(self) -> bool:
        return self.kind == GROUP


@dataclass(frozen=True)
class ParkingChange:
    """A count changed outside the server: lot ``lot_id`` at ``at_ms``."""

    id: int
    lot_id: int
    at_ms: int


def _ints(text: str | None) -> tuple[int, ...]:
    return tuple(int(x) for x in json.loads(text or "[]"))


def _lpr_row(s: LprSource) -> dict[str, Any]:
    return {
        "id": s.id,
        "code": s.code,
        "name": s.name,
        "linked": json.dumps(list(s.linked)),
        "tag": s.tag,
        "zone": json.dumps(s.zone.to_doc()) if s.zone is not None else None,
        "parking_entrance": s.entrance,
        "parking_exit": s.exit,
        "origin": s.origin,
    }


def _lpr_entry(r: Row[Any]) -> LprSource:
    return LprSource(
        id=r.id,
        code=r.code,
        name=r.name,
        linked=_ints(r.linked),
        tag=r.tag,
        zone=Zone.from_doc(json.loads(r.zone)) if r.zone else None,
        entrance=r.parking_entrance,
        exit=r.parking_exit,
        origin=r.origin,
    )


def _call_row(d: EmergencyDevice) -> dict[str, Any]:
    return {
        "id": d.id,
        "code": d.code,
        "name": d.name,
        "linked": json.dumps(list(d.linked)),
        "origin": d.origin,
    }


def _call_entry(r: Row[Any]) -> EmergencyDevice:
    return EmergencyDevice(r.id, r.code, r.name, _ints(r.linked), r.origin)


def _lot_row(lot: ParkingLot) -> dict[str, Any]:
    return {
        "id": lot.id,
        "name": lot.name,
        "kind": lot.kind,
        "count": lot.count,
        "max_count": lot.max_count,
        "members": json.dumps(list(lot.members)),
        "origin": lot.origin,
    }


def _lot_entry(r: Row[Any]) -> ParkingLot:
    m = r._mapping  # ``r.count`` would be the tuple method
    return ParkingLot(
        m["id"], m["name"], m["kind"], m["count"], m["max_count"], _ints(m["members"]), m["origin"]
    )


class _Entry(Protocol):
    @property
    def id(self) -> int: ...

    @property
    def origin(self) -> str: ...


E = TypeVar("E", bound=_Entry)


@dataclass
class EntryTable(Generic[E]):
    """One kind of registry entry: read, add, remove, and seed from the configuration."""

    engine: AsyncEngine
    table: Table
    to_row: Callable[[E], dict[str, Any]]
    from_row: Callable[[Row[Any]], E]
    #: Columns whose stored value outlives a re-applied configuration entry (counts).
    kept: tuple[str, ...] = field(default=())

    @property
    def _has_code(self) -> bool:
        return "code" in self.table.c

    async def all(self) -> list[E]:
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(self.table).order_by(self.table.c.id))).all()
        return [self.from_row(r) for r in rows]

    async def get(self, entry_id: int) -> E | None:
        async with self.engine.connect() as conn:
            r = (await conn.execute(select(self.table).where(self.table.c.id == entry_id))).first()
        return self.from_row(r) if r is not None else None

    async def next_id(self) -> int:
        """The lowest free id."""
        async with self.engine.connect() as conn:
            taken = set((await conn.execute(select(self.table.c.id))).scalars())
        return lowest_free(taken)

    async def _clash(self, conn: AsyncConnection, row: dict[str, Any]) -> EntryExists | None:
        t = self.table
        if (await conn.execute(select(t.c.id).where(t.c.id == row["id"]))).first():
            return EntryExists("id", row["id"])
        if self._has_code:
            found = (await conn.execute(select(t.c.id).where(t.c.code == row["code"]))).first()
            if found:
                return EntryExists("code", row["code"])
        return None

    async def add(self, entry: E, now_ms: int) -> None:
        """Insert ``entry``; :class:`EntryExists` if its id (or code) is taken."""
        row = self.to_row(entry)
        try:
            async with self.engine.begin() as conn:
                clash = await self._clash(conn, row)
                if clash is not None:
                    raise clash
                await conn.execute(insert(self.table).values(**row, created_ms=now_ms))
        except IntegrityError:
            raise EntryExists("id", row["id"]) from None

    async def remove(self, entry_id: int) -> E | None:
        """Delete one entry; return it, or ``None`` if there was none."""
        t = self.table
        async with self.engine.begin() as conn:
            r = (await conn.execute(select(t).where(t.c.id == entry_id))).first()
            if r is None:
                return None
            await conn.execute(delete(t).where(t.c.id == entry_id))
        return self.from_row(r)

    async def seed(self, wanted: list[E], now_ms: int) -> list[str]:
        """Make the configuration-made entries exactly ``wanted``; return the problems.

        Every entry with ``origin == "config"`` is replaced (``kept`` columns
        such as a counter's count carry over); entries made with the CLI are
        left alone, and a configured entry whose id or code one of them
        already uses is skipped (and reported).
        """
        t = self.table
        problems: list[str] = []
        async with self.engine.begin() as conn:
            old = {
                r.id: r for r in (await conn.execute(select(t).where(t.c.origin == "config"))).all()
            }
            if old:
                await conn.execute(delete(t).where(t.c.origin == "config"))
            for entry in wanted:
                row = self.to_row(entry)
                clash = await self._clash(conn, row)
                if clash is not None:
                    problems.append(
                        f"{t.name} {row['id']}: {clash.field} {clash.value!r} is used by an "
                        "entry made with the command line; the configured one is skipped"
                    )
                    continue
                prev = old.get(row["id"])
                created = now_ms
                if prev is not None:
                    created = prev.created_ms
                    row.update({k: prev._mapping[k] for k in self.kept})
                await conn.execute(insert(t).values(**row, created_ms=created))
        return problems


class IntegrationStore:
    """The three registries, and parking counts."""

    def __init__(self, engine: AsyncEngine):
        self._engine = engine
        self.lpr: EntryTable[LprSource] = EntryTable(engine, lpr_sources, _lpr_row, _lpr_entry)
        self.calls: EntryTable[EmergencyDevice] = EntryTable(
            engine, emergency_calls, _call_row, _call_entry
        )
        self.lots: EntryTable[ParkingLot] = EntryTable(
            engine, parking_lots, _lot_row, _lot_entry, kept=("count",)
        )

    async def lpr_by_code(self, code: str) -> LprSource | None:
        async with self._engine.connect() as conn:
            r = (await conn.execute(select(lpr_sources).where(lpr_sources.c.code == code))).first()
        return _lpr_entry(r) if r is not None else None

    async def set_count(self, lot_id: int, count: int, now_ms: int) -> bool:
        """Set a counter's count (never below 0); ``False`` if there is no such counter.

        The change is also written to ``parking_changes``, in the same
        transaction, for a running server to publish (:meth:`pending_changes`).
        """
        if count < 0:
            raise ValueError("a parking count cannot be negative")
        t = parking_lots
        async with self._engine.begin() as conn:
            res = await conn.execute(
                update(t).where(t.c.id == lot_id, t.c.kind == COUNTER).values(count=count)
            )
            if not res.rowcount:
                return False
            await conn.execute(insert(parking_changes).values(lot_id=lot_id, at_ms=now_ms))
        return True

    async def pending_changes(self, limit: int) -> list[ParkingChange]:
        """The oldest ``limit`` count changes made outside the server, oldest first."""
        t = parking_changes
        async with self._engine.connect() as conn:
            rows = (await conn.execute(select(t).order_by(t.c.id).limit(limit))).all()
        return [ParkingChange(r.id, r.lot_id, r.at_ms) for r in rows]

    async def forget_changes(self, ids: list[int]) -> None:
        """Delete published changes."""
        if ids:
            async with self._engine.begin() as conn:
                await conn.execute(delete(parking_changes).where(parking_changes.c.id.in_(ids)))

    async def change_count(self, lot_id: int, delta: int) -> list[ParkingLot] | None:
        """Add ``delta`` to a counter, never below 0, atomically.

        Returns every lot as it is after the change, or ``None`` when nothing
        changed (no such counter, or already 0 on the way down).
        """
        async with self._engine.begin() as conn:
            return await self.change_count_in(conn, lot_id, delta)

    @staticmethod
    async def change_count_in(
        conn: AsyncConnection, lot_id: int, delta: int
    ) -> list[ParkingLot] | None:
        """:meth:`change_count` inside the caller's transaction."""
        t = parking_lots
        res = await conn.execute(
            update(t)
            .where(t.c.id == lot_id, t.c.kind == COUNTER, t.c.count + delta >= 0)
            .values(count=t.c.count + delta)
        )
        if not res.rowcount:
            return None
        rows = (await conn.execute(select(t).order_by(t.c.id))).all()
        return [_lot_entry(r) for r in rows]

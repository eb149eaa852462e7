"""``nvrd lpr-source|emergency-call|parking-lot add|rm|list`` and ``parking-lot set-count``.

The commands write the database directly; a running server sees the change
within a second (it reads the registries through a short cache). A count
set with ``set-count`` is also written to the ``parking_changes`` outbox in
the same transaction; the server publishes it as ``parkingCount``
(``nvrd/integrations/relay.py``). Entries
from the configuration file cannot be removed here: they would come back at
the next start.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError

from nvrd.cli.common import CliError, add_common, now_ms
from nvrd.config import (
    EmergencyCallSettings,
    LprSourceSettings,
    ParkingLotSettings,
    Settings,
    ZoneSettings,
)
from nvrd.integrations.entries import emergency_device, lpr_source, parking_lot
from nvrd.integrations.parking import totals
from nvrd.store.db import is_busy, opened
from nvrd.store.integrations import (
    EmergencyDevice,
    EntryExists,
    EntryTable,
    IntegrationStore,
    LprSource,
    ParkingLot,
)

COMMANDS = ("lpr-source", "emergency-call", "parking-lot")
_NAMES = {"lpr-source": "LPR source", "emergency-call": "emergency call device"}


def _int_list(text: str) -> list[int]:
    try:
        return [int(p) for p in text.split(",") if p.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a comma-separated list of numbers: {text!r}"
        ) from None


def add_parsers(sub: Any) -> None:
    """Add the three command groups to ``nvrd``'s subcommands."""
    lpr = sub.add_parser("lpr-source", help="manage vehicle-number recognition sources")
    lsub = lpr.add_subparsers(dest="registry_command", required=True)
    add = lsub.add_parser("add", help="add an LPR source")
    add_common(add)
    add.add_argument("--code", required=True, help="device code, sent by the device as src")
    add.add_argument("--id", type=int, help="number (default: the lowest free one)")
    add.add_argument("--name", default="", help="name (default: the code)")
    add.add_argument("--linked", type=_int_list, default=[], help="linked channels, e.g. 1,2")
    add.add_argument("--tag", default="Normal", help="Normal, NotUsed or ReadOnly")
    add.add_argument("--zone-chid", type=int, help="recognition zone: its channel")
    add.add_argument("--zone-id", type=int, default=0, help="recognition zone: its number")
    add.add_argument("--rect", type=_int_list, help="zone x0,y0,x1,y1 in 7680x4320 coordinates")
    add.add_argument("--mode", default="driving", help="zone mode: driving or parking")
    add.add_argument("--disabled-only", action="store_true", help="zone: disabled parking")
    add.add_argument("--no-parking-allowed", action="store_true", help="zone: no parking")
    add.add_argument("--direction", help="zone: every car read is an entry or an exit")
    add.add_argument(
        "--entry-movement", help="zone: up, down, left or right: how a car going in moves"
    )
    add.add_argument("--entrance", type=int, help="the parking lot this is the entrance of")
    add.add_argument("--exit", type=int, help="the parking lot this is the exit of")

    calls = sub.add_parser("emergency-call", help="manage emergency call devices")
    csub = calls.add_subparsers(dest="registry_command", required=True)
    add = csub.add_parser("add", help="add an emergency call device")
    add_common(add)
    add.add_argument("--code", required=True, help="location code, sent by the device as src")
    add.add_argument("--id", type=int, help="number (default: the lowest free one)")
    add.add_argument("--name", default="", help="location name (default: the code)")
    add.add_argument("--linked", type=_int_list, default=[], help="linked channels, e.g. 1,2")

    lots = sub.add_parser("parking-lot", help="manage parking lots and their counts")
    psub = lots.add_subparsers(dest="registry_command", required=True)
    add = psub.add_parser("add", help="add a parking lot (a counter, or a group of counters)")
    add_common(add)
    add.add_argument("--name", default="", help="name")
    add.add_argument("--id", type=int, help="number (default: the lowest free one)")
    add.add_argument("--max", type=int, default=0, help="parking spaces of a counter")
    add.add_argument("--group", action="store_true", help="a group of counters")
    add.add_argument("--member", type=_int_list, default=[], help="a group's counters, e.g. 1,2")
    setc = psub.add_parser("set-count", help="set the number of cars in a counter")
    add_common(setc)
    setc.add_argument("id", type=int)
    setc.add_argument("count", type=int)

    for group in (lsub, csub, psub):
        rm = group.add_parser("rm", help="remove one")
        add_common(rm)
        rm.add_argument("id", type=int)
        ls = group.add_parser("list", help="list them")
        add_common(ls)


def _invalid(exc: ValidationError) -> CliError:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"])
    msg = first["msg"].removeprefix("Value error, ")
    return CliError(f"{where}: {msg}" if where else msg)


def _ids(values: tuple[int, ...]) -> str:
    return ",".join(str(v) for v in values)


def lpr_line(s: LprSource) -> str:
    parts = [str(s.id), s.code, s.name, f"linked={_ids(s.linked)}", f"tag={s.tag}"]
    if s.zone is not None:
        z = s.zone
        way = f":direction={z.direction}" if z.direction else ""
        way += f":entry={z.entry_movement}" if z.entry_movement else ""
        parts.append(f"zone={z.id}:ch{z.chid}:{_ids(z.rect)}:{z.mode}{way}")
    if s.entrance is not None:
        parts.append(f"entrance={s.entrance}")
    if s.exit is not None:
        parts.append(f"exit={s.exit}")
    return "\t".join([*parts, s.origin])


def call_line(d: EmergencyDevice) -> str:
    return "\t".join([str(d.id), d.code, d.name, f"linked={_ids(d.linked)}", d.origin])


def lot_lines(lots: list[ParkingLot]) -> list[str]:
    counts = totals(lots)
    out = []
    for lot in lots:
        c = counts[lot.id]
        parts = [str(lot.id), lot.name, lot.kind, f"{c.count}/{c.max_count}"]
        if lot.is_group:
            parts.append(f"member={_ids(lot.members)}")
        out.append("\t".join([*parts, lot.origin]))
    return out


async def _check_lots(store: IntegrationStore, wanted: dict[str, int | None]) -> None:
    counters = {lot.id for lot in await store.lots.all() if not lot.is_group}
    for what, lot_id in wanted.items():
        if lot_id is not None and lot_id not in counters:
            raise CliError(f"{what}: there is no parking lot counter {lot_id}")


async def _new_lpr(args: argparse.Namespace, store: IntegrationStore) -> LprSource:
    zone = None
    if args.zone_chid is not None or args.rect is not None:
        if args.zone_chid is None or args.rect is None:
            raise CliError("a zone needs both --zone-chid and --rect")
        if len(args.rect) != 4:
            raise CliError("--rect: give x0,y0,x1,y1")
        zone = ZoneSettings(
            id=args.zone_id,
            chid=args.zone_chid,
            rect=tuple(args.rect),
            mode=args.mode,
            disabled_only=args.disabled_only,
            no_parking_allowed=args.no_parking_allowed,
            direction=args.direction,
            entry_movement=args.entry_movement,
        )
    cfg = LprSourceSettings(
        id=args.id,
        code=args.code,
        name=args.name,
        linked_channel=args.linked,
        tag=args.tag,
        zone=zone,
        parking_entrance=args.entrance,
        parking_exit=args.exit,
    )
    await _check_lots(store, {"--entrance": args.entrance, "--exit": args.exit})
    return lpr_source(cfg, args.id or await store.lpr.next_id(), "cli")


async def _new_call(args: argparse.Namespace, store: IntegrationStore) -> EmergencyDevice:
    cfg = EmergencyCallSettings(
        id=args.id, code=args.code, name=args.name, linked_channel=args.linked
    )
    return emergency_device(cfg, args.id or await store.calls.next_id(), "cli")


async def _new_lot(args: argparse.Namespace, store: IntegrationStore) -> ParkingLot:
    cfg = ParkingLotSettings(
        id=args.id,
        name=args.name,
        type="group" if args.group else "counter",
        max_count=args.max,
        member=args.member,
    )
    if args.group:
        if not args.member:
            raise CliError("a group needs --member")
        await _check_lots(store, {f"--member {m}": m for m in args.member})
    return parking_lot(cfg, args.id or await store.lots.next_id(), "cli")


async def _add(args: argparse.Namespace, store: IntegrationStore, now_ms: int) -> None:
    table: EntryTable[Any]
    if args.command == "lpr-source":
        entry: Any = await _new_lpr(args, store)
        table, what = store.lpr, f"LPR source {{id}} ({args.code})"
    elif args.command == "emergency-call":
        entry = await _new_call(args, store)
        table, what = store.calls, f"emergency call device {{id}} ({args.code})"
    else:
        entry = await _new_lot(args, store)
        table, what = store.lots, "parking lot {id}"
    try:
        await table.add(entry, now_ms)
    except EntryExists as exc:
        raise CliError(f"{exc.field} {exc.value} is already used") from None
    print("added " + what.format(id=entry.id))


async def _run(args: argparse.Namespace, store: IntegrationStore, now_ms: int) -> None:
    cmd = args.registry_command
    tables: dict[str, EntryTable[Any]] = {
        "lpr-source": store.lpr,
        "emergency-call": store.calls,
        "parking-lot": store.lots,
    }
    table = tables[args.command]
    name = _NAMES.get(args.command, "parking lot")
    if cmd == "add":
        await _add(args, store, now_ms)
    elif cmd == "rm":
        entry = await table.get(args.id)
        if entry is None:
            raise CliError(f"no {name} {args.id}")
        if entry.origin == "config":
            raise CliError(
                f"{name} {args.id} is defined in the configuration file; remove it there"
            )
        await table.remove(args.id)
        print(f"removed {name} {args.id}")
    elif cmd == "set-count":
        if args.count < 0:
            raise CliError("the count cannot be negative")
        if not await store.set_count(args.id, args.count, now_ms):
            raise CliError(f"no parking lot counter {args.id}")
        print(f"parking lot {args.id}: {args.count} cars")
    elif args.command == "lpr-source":
        for s in await store.lpr.all():
            print(lpr_line(s))
    elif args.command == "emergency-call":
        for d in await store.calls.all():
            print(call_line(d))
    else:
        for line in lot_lines(await store.lots.all()):
            print(line)


def run(args: argparse.Namespace, settings: Settings) -> None:
    """Run one registry command against the configured database."""

    async def main(fn: Callable[[IntegrationStore], Awaitable[None]]) -> None:
        async with opened(settings.db_url, settings.server.database_busy_ms) as db:
            await fn(IntegrationStore(db.engine))

    try:
        asyncio.run(main(lambda store: _run(args, store, now_ms())))
    except ValidationError as exc:
        raise _invalid(exc) from None
    except DBAPIError as exc:
        if not is_busy(exc):
            raise
        raise CliError("the database is busy (another writer holds it); try again") from None

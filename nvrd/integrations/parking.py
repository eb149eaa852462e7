"""Parking counts: which lots an LPR event moves, and the counts of counters and groups.

A car seen at a source whose ``parkingLot.entrance`` is a counter, going in
(``direction: "entry"``), adds one to it; one seen going out (``"exit"``) at
a source whose ``parkingLot.exit`` is a counter takes one off (never below
0). Without a direction, a source that is only an entrance counts an entry
and one that is only an exit counts an exit; a source that is both counts
nothing, since it cannot tell. A lot may go above its ``maxCount``: a real
lot can be over-full (cars parked in the aisles), and refusing to count a
car that is really there would make the count wrong from then on.

A group's count and maximum are the sums of its members that are counters.
The guide's item shapes are built from :class:`ParkingCount` in ``nvrd.api``.
"""

from __future__ import annotations

from collections.abc import Iterable

from nvrd.events.types import ParkingCount
from nvrd.store.integrations import ParkingLot

ENTRY = 1
EXIT = -1


def count_changes(
    entrance: int | None, exit_: int | None, direction: str | None
) -> list[tuple[int, int]]:
    """``(lot id, +1 or -1)`` for one recognised car."""
    if direction == "entry" or (direction is None and exit_ is None):
        return [(entrance, ENTRY)] if entrance is not None else []
    if direction == "exit" or (direction is None and entrance is None):
        return [(exit_, EXIT)] if exit_ is not None else []
    return []


def totals(lots: Iterable[ParkingLot]) -> dict[int, ParkingCount]:
    """Every lot's count by id; a group sums its members that are counters."""
    all_lots = list(lots)
    counters = {lot.id: lot for lot in all_lots if not lot.is_group}
    out: dict[int, ParkingCount] = {}
    for lot in all_lots:
        if lot.is_group:
            members = [counters[m] for m in lot.members if m in counters]
            out[lot.id] = ParkingCount(
                id=lot.id,
                name=lot.name,
                count=sum(m.count for m in members),
                max_count=sum(m.max_count for m in members),
                group=True,
                members=lot.members,
            )
        else:
            out[lot.id] = ParkingCount(
                id=lot.id, name=lot.name, count=lot.count, max_count=lot.max_count
            )
    return out


def updated_items(lots: Iterable[ParkingLot], changed: int) -> list[ParkingCount]:
    """The changed counter and every group it is a member of, by id."""
    all_lots = list(lots)
    counts = totals(all_lots)
    ids = {changed} | {lot.id for lot in all_lots if lot.is_group and changed in lot.members}
    return [counts[i] for i in sorted(ids) if i in counts]


def snapshot(lots: Iterable[ParkingLot], ids: set[int] | None = None) -> list[ParkingCount]:
    """Every lot (or those in ``ids``), counters and groups, by id."""
    counts = totals(lots)
    return [counts[i] for i in sorted(counts) if ids is None or i in ids]

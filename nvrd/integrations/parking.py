"""Parking counts: which lots an LPR event moves, and the guide's item lists.

A car seen at a source whose ``parkingLot.entrance`` is a counter, going in
(``direction: "entry"``), adds one to it; one seen going out (``"exit"``) at
a source whose ``parkingLot.exit`` is a counter takes one off (never below
0). Without a direction, a source that is only an entrance counts an entry
and one that is only an exit counts an exit; a source that is both counts
nothing, since it cannot tell. A lot may go above its ``maxCount``: a real
lot can be over-full (cars parked in the aisles), and refusing to count a
car that is really there would make the count wrong from then on.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from nvrd.store.integrations import GROUP, ParkingLot, lot_docs

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


def updated_items(lots: Iterable[ParkingLot], changed: int) -> list[dict[str, Any]]:
    """The changed counter and every group it is a member of, by id."""
    all_lots = list(lots)
    docs = lot_docs(all_lots)
    ids = {changed} | {lot.id for lot in all_lots if lot.is_group and changed in lot.members}
    return [docs[i] for i in sorted(ids) if i in docs]


def snapshot(lots: Iterable[ParkingLot], ids: set[int] | None = None) -> list[dict[str, Any]]:
    """Every lot (or those in ``ids``), counters and groups, by id."""
    docs = lot_docs(lots)
    return [docs[i] for i in sorted(docs) if ids is None or i in ids]


def enum_doc(lots: Iterable[ParkingLot]) -> dict[str, list[dict[str, Any]]]:
    """``/api/enum?what=parkingLot``: ``{"counter": [...], "group": [...]}``."""
    docs = snapshot(lots)
    return {
        "counter": [d for d in docs if d["type"] != GROUP],
        "group": [d for d in docs if d["type"] == GROUP],
    }

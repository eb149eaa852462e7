"""The guide's parking-lot items (``/api/enum?what=parkingLot``, the ``parkingCount`` topic)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from nvrd.events.types import ParkingCount


def lot_item(lot: ParkingCount) -> dict[str, Any]:
    """One counter or group: ``{id, name, type, count, maxCount[, member]}``."""
    item: dict[str, Any] = {
        "id": lot.id,
        "name": lot.name,
        "type": "group" if lot.group else "counter",
        "count": lot.count,
        "maxCount": lot.max_count,
    }
    if lot.group:
        item["member"] = list(lot.members)
    return item


def lot_items(lots: Iterable[ParkingCount]) -> list[dict[str, Any]]:
    return [lot_item(lot) for lot in lots]


def enum_doc(lots: Iterable[ParkingCount]) -> dict[str, list[dict[str, Any]]]:
    """``/api/enum?what=parkingLot``: ``{"counter": [...], "group": [...]}``."""
    all_lots = list(lots)
    return {
        "counter": lot_items(lot for lot in all_lots if not lot.group),
        "group": lot_items(lot for lot in all_lots if lot.group),
    }

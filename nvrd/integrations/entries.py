"""Registry entries from their settings (the configuration file's sections and the CLI)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nvrd.config import EmergencyCallSettings, LprSourceSettings, ParkingLotSettings, Settings
from nvrd.core.ids import fill_ids
from nvrd.store.integrations import EmergencyDevice, LprSource, ParkingLot, Zone


def lpr_source(cfg: LprSourceSettings, entry_id: int, origin: str) -> LprSource:
    zone = None
    if cfg.zone is not None:
        z = cfg.zone
        zone = Zone(
            z.chid,
            z.rect,
            z.mode,
            z.id,
            z.disabled_only,
            z.no_parking_allowed,
            z.direction,
            z.entry_movement,
        )
    return LprSource(
        id=entry_id,
        code=cfg.code,
        name=cfg.name or cfg.code,
        linked=tuple(dict.fromkeys(cfg.linked_channel)),
        tag=cfg.tag,
        zone=zone,
        entrance=cfg.parking_entrance,
        exit=cfg.parking_exit,
        origin=origin,
    )


def emergency_device(cfg: EmergencyCallSettings, entry_id: int, origin: str) -> EmergencyDevice:
    return EmergencyDevice(
        entry_id, cfg.code, cfg.name or cfg.code, tuple(dict.fromkeys(cfg.linked_channel)), origin
    )


def parking_lot(cfg: ParkingLotSettings, entry_id: int, origin: str) -> ParkingLot:
    return ParkingLot(
        id=entry_id,
        name=cfg.name or f"Parking lot {entry_id}",
        kind=cfg.type,
        max_count=cfg.max_count,
        members=tuple(dict.fromkeys(cfg.member)),
        origin=origin,
    )


def assign_ids(items: Sequence[Any]) -> list[int]:
    """Each item's ``id``, or the lowest number no other item of the list names."""
    return fill_ids([i.id for i in items])


def configured_lpr_sources(settings: Settings) -> list[LprSource]:
    items = settings.lpr_source
    return [lpr_source(c, i, "config") for c, i in zip(items, assign_ids(items), strict=True)]


def configured_emergency_devices(settings: Settings) -> list[EmergencyDevice]:
    items = settings.emergency_call
    return [emergency_device(c, i, "config") for c, i in zip(items, assign_ids(items), strict=True)]


def configured_parking_lots(settings: Settings) -> list[ParkingLot]:
    items = settings.parking_lot
    return [parking_lot(c, i, "config") for c, i in zip(items, assign_ids(items), strict=True)]

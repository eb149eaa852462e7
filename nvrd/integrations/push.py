"""Checking pushed events against the registries, and what each one publishes.

:func:`check` runs over the whole body before anything is applied, so a
body is taken entirely or not at all. :func:`publication` gives the bus
event of one pushed item; parking counts and the event log are handled by
the service that applies the items.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from nvrd.core.clock import ms_from_datetime
from nvrd.core.errors import bad_request
from nvrd.core.pushspec import (
    BodyTemperaturePush,
    EmergencyPush,
    LprPush,
    ObjectPush,
    PackingPush,
    PushItem,
)
from nvrd.integrations import messages
from nvrd.store.integrations import EmergencyDevice, LprSource
from nvrd.store.lprlog import LprRecord


@dataclass(frozen=True)
class Devices:
    """The registries as one push sees them: devices by code."""

    lpr: Mapping[str, LprSource]
    calls: Mapping[str, EmergencyDevice]


@dataclass(frozen=True)
class Publication:
    topic: str
    data: dict[str, Any]


def _channel(chid: int, name: str, titles: Mapping[int, str]) -> None:
    if chid not in titles:
        raise bad_request("pushUnknownChannel", field=name, ch=chid)


def check(items: list[PushItem], devices: Devices, titles: Mapping[int, str]) -> None:
    """400 for the first item naming a device or channel that does not exist."""
    for item in items:
        if isinstance(item, LprPush):
            src = devices.lpr.get(item.src)
            if src is None:
                raise bad_request("pushUnknownLprSrc", field=item.at + "src", value=item.src)
            if src.tag == "NotUsed":
                raise bad_request("pushLprSrcNotUsed", field=item.at + "src", value=item.src)
        elif isinstance(item, EmergencyPush):
            if item.src not in devices.calls:
                raise bad_request("pushUnknownCaller", field=item.at + "src", value=item.src)
            for n, chid in enumerate(item.camera or ()):
                _channel(chid, f"{item.at}camera[{n}]", titles)
        elif isinstance(item, ObjectPush | PackingPush):
            _channel(item.chid, item.at + "chid", titles)
        else:
            _channel(item.chid, item.at + "chid", titles)
            for n, chid in enumerate(item.linked):
                _channel(chid, f"{item.at}linkedChannel[{n}]", titles)


def time_ms(item: PushItem) -> int:
    """When the pushed event happened, in epoch milliseconds."""
    return ms_from_datetime(item.when)


def lpr_record(item: LprPush, src: LprSource) -> LprRecord:
    return LprRecord(
        when_ms=time_ms(item),
        time_begin_ms=ms_from_datetime(item.time_begin),
        src_code=src.code,
        src_name=src.name,
        plate_no=item.plate_no,
        src_id=src.id,
        chid=src.main_chid,
        linked=tuple(src.chids),
        score=float(item.score) if item.score is not None else None,
        roi=item.roi,
        direction=item.direction,
        parking_entrance=src.entrance,
        parking_exit=src.exit,
        image=item.image,
    )


def publication(
    item: PushItem, devices: Devices, titles: Mapping[int, str], tz: ZoneInfo
) -> Publication:
    """The bus event of one (checked) item."""
    if isinstance(item, LprPush):
        src = devices.lpr[item.src]
        msg = messages.lpr_message(lpr_record(item, src), src, titles, tz)
        return Publication("LPR", {"message": msg, "chids": src.chids})
    if isinstance(item, EmergencyPush):
        dev = devices.calls[item.src]
        msg = messages.emergency_message(item, dev, titles, tz)
        chids = list(dict.fromkeys([*dev.linked, *(item.camera or ())]))
        return Publication("emergencyCall", {"message": msg, "chids": chids})
    if isinstance(item, ObjectPush):
        msg = messages.object_message(item, tz)
        return Publication(
            "object", {"message": msg, "chids": [item.chid], "objectType": item.type}
        )
    if isinstance(item, BodyTemperaturePush):
        msg = messages.body_temperature_message(item, titles, tz)
        chids = list(dict.fromkeys([item.chid, *item.linked]))
        return Publication(
            "bodyTemperature",
            {"message": msg, "chids": chids, "objectType": "bodyTemperature"},
        )
    msg = messages.packing_message(item, titles, tz)
    return Publication("packing", {"message": msg, "chids": [item.chid]})

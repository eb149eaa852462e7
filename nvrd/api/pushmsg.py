"""The websocket messages of pushed and recognised events, as the guide prints them.

Built from the bus events (:mod:`nvrd.events.types`). URLs are
server-absolute paths (``/watch?ch=1&when=...``); whoever sends a message to
a client puts the scheme and host in front of those beginning with ``/``.
An image URL pushed as ``http(s)://...`` is passed on as given.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from nvrd.api.parking import lot_items
from nvrd.core.channelspec import display_name
from nvrd.core.clock import utc_from_ms
from nvrd.core.timefmt import format_iso
from nvrd.events.types import (
    BodyTemperature,
    ChannelRef,
    EmergencyCall,
    LprRead,
    ObjectSeen,
    Packing,
    ParkingCountChanged,
)


def iso(ms: int, tz: ZoneInfo) -> str:
    return format_iso(utc_from_ms(ms), tz)


def watch_path(chid: int, when_iso: str | None = None) -> str:
    """The ``/watch`` page of a channel: live, or at ``when_iso``."""
    path = f"/watch?ch={chid}"
    return f"{path}&when={quote(when_iso, safe='')}" if when_iso else path


def channel_ref(ref: ChannelRef, when_iso: str | None) -> dict[str, Any]:
    """``{chid, title, displayName, src}`` of one channel (title "" if it is gone)."""
    return {
        "chid": ref.chid,
        "title": ref.title,
        "displayName": display_name(ref.chid, ref.title),
        "src": watch_path(ref.chid, when_iso),
    }


def score_value(score: float) -> int | float:
    """A score as the guide prints it: a whole number when it is one."""
    return int(score) if float(score).is_integer() else score


def lpr_message(e: LprRead, tz: ZoneInfo) -> dict[str, Any]:
    """The ``LPR`` event of one vehicle-number log entry (pushed or read by nvrd)."""
    when = iso(e.at_ms, tz)
    msg: dict[str, Any] = {"timestamp": when}
    if e.channels:
        msg["chid"] = channel_ref(e.channels[0], when)
    msg["deviceCode"] = e.device_code
    msg["deviceName"] = e.device_name
    msg["linkedChannel"] = [channel_ref(c, when) for c in e.channels[1:]]
    if e.image:
        msg["image"] = e.image
    msg["plateNo"] = e.plate_no
    if e.score is not None:
        msg["score"] = score_value(e.score)
    if e.roi is not None:
        msg["roi"] = e.roi
    msg["timeBegin"] = iso(e.time_begin_ms, tz)
    msg["topic"] = "LPR"
    if e.parking_entrance is not None or e.parking_exit is not None:
        lot: dict[str, Any] = {}
        if e.parking_entrance is not None:
            lot["entrance"] = e.parking_entrance
        if e.parking_exit is not None:
            lot["exit"] = e.parking_exit
        msg["parkingLot"] = lot
    if e.direction is not None:
        msg["direction"] = e.direction
    return msg


def emergency_message(e: EmergencyCall, tz: ZoneInfo) -> dict[str, Any]:
    msg: dict[str, Any] = {
        "timestamp": iso(e.at_ms, tz),
        "caller": e.caller,
        "device": e.device,
        "event": e.event,
        "linkedChannel": [channel_ref(c, None) for c in e.linked],
        "name": e.name,
        "topic": "emergencyCall",
    }
    if e.camera is not None:
        msg["camera"] = list(e.camera)
    return msg


def object_message(e: ObjectSeen, tz: ZoneInfo) -> dict[str, Any]:
    msg: dict[str, Any] = {
        "timestamp": iso(e.at_ms, tz),
        "chid": e.chid,
        "objId": e.obj_id,
    }
    if e.parent_id is not None:
        msg["parentId"] = e.parent_id
    msg["type"] = e.type
    if e.likelihood is not None:
        msg["likelihood"] = e.likelihood
    msg["attributes"] = e.attributes
    if e.image is not None:
        msg["image"] = e.image
    msg["topic"] = "object"
    return msg


def body_temperature_message(e: BodyTemperature, tz: ZoneInfo) -> dict[str, Any]:
    msg: dict[str, Any] = {
        "timestamp": iso(e.at_ms, tz),
        "chid": e.chid,
        "objId": e.obj_id,
        "type": "bodyTemperature",
    }
    if e.likelihood is not None:
        msg["likelihood"] = e.likelihood
    if e.temperature is not None:
        msg["temperature"] = e.temperature
    if e.image is not None:
        msg["image"] = e.image
    msg["linkedChannel"] = [channel_ref(c, None) for c in e.linked]
    msg["topic"] = "bodyTemperature"
    return msg


def packing_message(e: Packing, tz: ZoneInfo) -> dict[str, Any]:
    when = iso(e.at_ms, tz)
    return {
        "timestamp": when,
        "topic": "packing",
        "chid": channel_ref(e.channel, when),
        "code": e.code,
        "event": e.event,
    }


def parking_message(e: ParkingCountChanged, tz: ZoneInfo) -> dict[str, Any]:
    return {"timestamp": iso(e.at_ms, tz), "topic": "parkingCount", "updated": lot_items(e.updated)}

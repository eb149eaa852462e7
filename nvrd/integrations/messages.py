"""The websocket messages of pushed events, as the guide prints them.

URLs are server-absolute paths (``/watch?ch=1&when=...``); whoever sends a
message to a client puts the scheme and host in front of those beginning
with ``/``. An image URL pushed as ``http(s)://...`` is passed on as given.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from nvrd.core.channelspec import display_name
from nvrd.core.clock import utc_from_ms
from nvrd.core.pushspec import (
    BodyTemperaturePush,
    EmergencyPush,
    ObjectPush,
    PackingPush,
)
from nvrd.core.timefmt import format_iso
from nvrd.store.integrations import EmergencyDevice, LprSource
from nvrd.store.lprlog import LprRecord


def watch_path(chid: int, when_iso: str | None = None) -> str:
    """The ``/watch`` page of a channel: live, or at ``when_iso``."""
    path = f"/watch?ch={chid}"
    return f"{path}&when={quote(when_iso, safe='')}" if when_iso else path


def channel_ref(chid: int, titles: Mapping[int, str], when_iso: str | None) -> dict[str, Any]:
    """``{chid, title, displayName, src}`` of one channel (title "" if it is gone)."""
    title = titles.get(chid, "")
    return {
        "chid": chid,
        "title": title,
        "displayName": display_name(chid, title),
        "src": watch_path(chid, when_iso),
    }


def score_value(score: float) -> int | float:
    """A score as the guide prints it: a whole number when it is one."""
    return int(score) if float(score).is_integer() else score


def lpr_message(
    rec: LprRecord, src: LprSource, titles: Mapping[int, str], tz: ZoneInfo
) -> dict[str, Any]:
    """The ``LPR`` event of one vehicle-number log entry (pushed or read by nvrd)."""
    when = format_iso(utc_from_ms(rec.when_ms), tz)
    msg: dict[str, Any] = {"timestamp": when}
    main = src.main_chid
    if main is not None:
        msg["chid"] = channel_ref(main, titles, when)
    msg["deviceCode"] = src.code
    msg["deviceName"] = src.name
    msg["linkedChannel"] = [channel_ref(c, titles, when) for c in src.chids[1:]]
    if rec.image:
        msg["image"] = rec.image[0]
    msg["plateNo"] = rec.plate_no
    if rec.score is not None:
        msg["score"] = score_value(rec.score)
    if rec.roi is not None:
        msg["roi"] = rec.roi
    msg["timeBegin"] = format_iso(utc_from_ms(rec.time_begin_ms), tz)
    msg["topic"] = "LPR"
    if src.entrance is not None or src.exit is not None:
        msg["parkingLot"] = src.parking_doc()
    if rec.direction is not None:
        msg["direction"] = rec.direction
    return msg


def emergency_message(
    item: EmergencyPush, dev: EmergencyDevice, titles: Mapping[int, str], tz: ZoneInfo
) -> dict[str, Any]:
    msg: dict[str, Any] = {
        "timestamp": format_iso(item.when, tz),
        "caller": dev.code,
        "device": item.device,
        "event": item.event,
        "linkedChannel": [channel_ref(c, titles, None) for c in dev.linked],
        "name": dev.name,
        "topic": "emergencyCall",
    }
    if item.camera is not None:
        msg["camera"] = list(item.camera)
    return msg


def object_message(item: ObjectPush, tz: ZoneInfo) -> dict[str, Any]:
    msg: dict[str, Any] = {
        "timestamp": format_iso(item.when, tz),
        "chid": item.chid,
        "objId": item.obj_id,
    }
    if item.parent_id is not None:
        msg["parentId"] = item.parent_id
    msg["type"] = item.type
    if item.likelihood is not None:
        msg["likelihood"] = item.likelihood
    msg["attributes"] = item.attributes
    if item.image is not None:
        msg["image"] = item.image
    msg["topic"] = "object"
    return msg


def body_temperature_message(
    item: BodyTemperaturePush, titles: Mapping[int, str], tz: ZoneInfo
) -> dict[str, Any]:
    msg: dict[str, Any] = {
        "timestamp": format_iso(item.when, tz),
        "chid": item.chid,
        "objId": item.obj_id,
        "type": "bodyTemperature",
    }
    if item.likelihood is not None:
        msg["likelihood"] = item.likelihood
    if item.temperature is not None:
        msg["temperature"] = item.temperature
    if item.image is not None:
        msg["image"] = item.image
    msg["linkedChannel"] = [channel_ref(c, titles, None) for c in item.linked]
    msg["topic"] = "bodyTemperature"
    return msg


def packing_message(item: PackingPush, titles: Mapping[int, str], tz: ZoneInfo) -> dict[str, Any]:
    when = format_iso(item.when, tz)
    return {
        "timestamp": when,
        "topic": "packing",
        "chid": channel_ref(item.chid, titles, when),
        "code": item.code,
        "event": item.event,
    }


def parking_message(
    updated: Iterable[dict[str, Any]], now: datetime, tz: ZoneInfo
) -> dict[str, Any]:
    return {"timestamp": format_iso(now, tz), "topic": "parkingCount", "updated": list(updated)}

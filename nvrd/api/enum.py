"""``/api/enum?what=...``: channels, devices, event types, topics and object catalogues."""

from __future__ import annotations

import copy
from typing import Any

from nvrd.api import parking
from nvrd.api.access import SIGNED_IN
from nvrd.api.endpoint import Call
from nvrd.api.live import live_sources
from nvrd.api.routing import api_route
from nvrd.core.channelspec import display_name as channel_display_name
from nvrd.core.errors import bad_request
from nvrd.core.eventtypes import CATALOGUE, code_key, type_key
from nvrd.core.objects import DETECTED_ATTRIBUTES, OBJECT_TYPES, REALTIME_TOPICS
from nvrd.core.params import flag
from nvrd.store.channels import Channel


def display_name(ch: Channel) -> str:
    return channel_display_name(ch.chid, ch.title)


async def _channels(call: Call) -> Any:
    static_src = flag(call.query, "staticSrc")
    caps = flag(call.query, "caps")
    out = []
    for ch in await call.svc.channels.all():
        item: dict[str, Any] = {"chid": ch.chid, "title": ch.title, "displayName": display_name(ch)}
        if static_src:
            item["src"] = live_sources(call, ch.chid)
        if caps:
            item["caps"] = call.svc.devices.caps(ch.chid).to_doc()
        out.append(item)
    return out


async def _event_types(call: Call) -> Any:
    i18n = call.svc.i18n
    out = []
    for etype, codes in CATALOGUE.items():
        item: dict[str, Any] = {"id": int(etype), "name": i18n.text(call.lang, type_key(etype))}
        if codes:
            item["code"] = [
                {"id": int(c), "name": i18n.text(call.lang, code_key(etype, c))} for c in codes
            ]
        out.append(item)
    return out


async def _object_attr(call: Call) -> Any:
    """What this server's recognisers can report (no glasses, no hats: api-decisions.md)."""
    otype = call.query.get("type")
    if otype is None or otype == "":
        return copy.deepcopy(DETECTED_ATTRIBUTES)
    if otype not in OBJECT_TYPES:
        raise bad_request("unknownObjectType", value=otype)
    return copy.deepcopy(DETECTED_ATTRIBUTES[otype])


async def _lpr_sources(call: Call) -> Any:
    return [s.to_doc() for s in await call.svc.integrations.lpr_sources()]


async def _emergency_calls(call: Call) -> Any:
    return [d.to_doc() for d in await call.svc.integrations.emergency_devices()]


async def _parking_lots(call: Call) -> Any:
    return parking.enum_doc(await call.svc.integrations.parking_snapshot())


async def _realtime(call: Call) -> Any:
    return list(REALTIME_TOPICS)


async def _object_types(call: Call) -> Any:
    return list(OBJECT_TYPES)


_WHAT = {
    "channel": _channels,
    "lprSrc": _lpr_sources,
    "emergencyCall": _emergency_calls,
    "eventType": _event_types,
    "parkingLot": _parking_lots,
    "realtimeEvent": _realtime,
    "objectType": _object_types,
    "objectAttr": _object_attr,
}


async def enum(call: Call) -> Any:
    what = call.query.get("what")
    if what is None or what == "":
        raise bad_request("missingParam", name="what")
    handler = _WHAT.get(what)
    if handler is None:
        raise bad_request("unknownWhat", value=what)
    return await handler(call)


routes = [api_route("/api/enum", enum, SIGNED_IN)]

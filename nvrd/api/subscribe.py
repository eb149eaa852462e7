"""``/wsapi/subscribeEvents``: real-time events over a websocket.

Procedure (the guide's "Real-time event monitoring"): the socket signs in by
itself, names its ``topics``; the server answers ``{"subscriberId",
"topics"}``, then sends the current state of the stateful topics
(channelStatus, recordingStatus, motionChanges, parkingCount), then events
as they happen. Bad credentials close it with 4401, an unknown topic or a
malformed parameter with 4400, a topic the user has no right to with 4403
(``TOPIC_RIGHTS``: a topic needs the right of the search that returns the
same data, ``systemEvent`` that of ``what=eventLog``, ``LPR`` that of
``what=carNo``), a subscriber that cannot keep up with 4408.
The server pings every ``[events] ping_seconds`` (websocket ping frames).

The socket registers with the event fan-out (``api/fanout.py``) before the
snapshots are read, so that nothing that happens in between is lost.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from starlette.websockets import WebSocket

from nvrd.api import parking
from nvrd.api.access import Part, needs
from nvrd.api.context import Services
from nvrd.api.enum import display_name
from nvrd.api.eventmsg import WS_TOPICS, Options, Renderer
from nvrd.api.fanout import FRAME_WRITER
from nvrd.api.find import WHAT_RIGHTS
from nvrd.api.live import stream_sources
from nvrd.api.routing import socket_route
from nvrd.api.signin import public_base
from nvrd.api.sockets import pump
from nvrd.api.wsclose import close_if_open
from nvrd.core.errors import ApiError, bad_request
from nvrd.core.objects import OBJECT_TYPES
from nvrd.core.params import flag, parse_indent, parse_int_list, split_list
from nvrd.core.rights import Right
from nvrd.store.users import User

log = logging.getLogger("nvrd.events")

#: Topics that carry what a search gates: they need that search's right.
TOPIC_RIGHTS: dict[str, Right] = {
    "systemEvent": WHAT_RIGHTS["eventLog"],
    "LPR": WHAT_RIGHTS["carNo"],
    "object": WHAT_RIGHTS["object"],
    "bodyTemperature": WHAT_RIGHTS["object"],
}


def _asks_for(topic: str) -> Part:
    def applies(q: Any) -> bool:
        return topic in split_list(q.get("topics", "") or "")

    return Part(f"topics={topic}", f"topics={topic}", applies, (TOPIC_RIGHTS[topic],))


ACCESS = needs(parts=tuple(_asks_for(t) for t in TOPIC_RIGHTS))

#: ``objectType`` values: the object types, plus bodyTemperature (guide @0.9.14).
OBJECT_FILTERS = frozenset(OBJECT_TYPES) | {"bodyTemperature"}


def parse_options(ws: WebSocket, svc: Services) -> Options:
    q = ws.query_params
    topics = list(dict.fromkeys(split_list(q.get("topics", ""))))
    if not topics:
        raise bad_request("missingParam", name="topics")
    for t in topics:
        if t not in WS_TOPICS:
            raise bad_request("unknownItem", item=t, name="topics")
    chids = frozenset(parse_int_list("ch", q["ch"], lo=1)) if q.get("ch") is not None else None
    otypes = None
    if q.get("objectType") is not None:
        otypes = frozenset(split_list(q["objectType"]))
        for o in otypes:
            if o not in OBJECT_FILTERS:
                raise bad_request("unknownObjectType", value=o)
    return Options(
        topics=tuple(topics),
        chids=chids,
        lang=svc.i18n.resolve(q.get("lang")),
        verbose=flag(q, "verbose"),
        object_types=otypes,
        indent=parse_indent(q.get("indent")),
        base=public_base(ws, svc),
    )


async def snapshots(svc: Services, r: Renderer) -> list[dict[str, Any]]:
    """The current state of the stateful topics, in the order they were asked for."""
    opts = r.opts
    out: list[dict[str, Any]] = []
    channels = [c for c in await svc.channels.all() if opts.wants_chid(c.chid)]
    for topic in opts.topics:
        if topic == "channelStatus":
            items = []
            for ch in channels:
                item: dict[str, Any] = {
                    "chid": ch.chid,
                    "title": ch.title,
                    "displayName": display_name(ch),
                    "status": r.status(svc.status.state(ch.chid).code),
                }
                if opts.verbose:
                    item["caps"] = svc.devices.caps(ch.chid).to_doc()
                    item["src"] = stream_sources(svc, opts.base, ch.chid)
                items.append(item)
            out.append(
                {
                    "timestamp": r.now(),
                    "topic": "channelStatus",
                    "event": "currentStatus",
                    "channel": items,
                }
            )
        elif topic == "recordingStatus":
            items = [r.recording_item(svc.status.recording_state(ch.chid)) for ch in channels]
            out.append(r.recording_message(r.now(), "currentStatus", items))
        elif topic == "motionChanges":
            states = svc.media.motion_states()
            updated = [{"chid": ch.chid, "motion": states.get(ch.chid, False)} for ch in channels]
            out.append({"topic": "motionChanges", "updated": updated})
        elif topic == "parkingCount":
            lots = await svc.integrations.parking_snapshot(set(opts.chids) if opts.chids else None)
            updated = parking.lot_items(lots)
            out.append({"timestamp": r.now(), "topic": "parkingCount", "updated": updated})
    return out


async def subscribe_events(ws: WebSocket, svc: Services, user: User) -> None:
    try:
        opts = parse_options(ws, svc)
    except ApiError as err:
        await close_if_open(ws, 4400, err.key)
        return
    client = ws.client.host if ws.client else "unknown"
    subscriber_id = str(uuid.uuid4())
    renderer = Renderer(svc, opts)
    writer = ws.scope.get("extensions", {}).get(FRAME_WRITER)
    name = f"{client} {subscriber_id}"
    receiver = svc.fanout.add(renderer, opts.kinds(), name, writer)
    try:
        await ws.send_text(renderer.dump({"subscriberId": subscriber_id, "topics": opts.topics}))
        for message in await snapshots(svc, renderer):
            await ws.send_text(renderer.dump(message))
    except Exception:
        receiver.close()
        return
    outcome = await pump(ws, receiver, ws.send_text, svc.settings.events.send_timeout_seconds)
    if outcome in ("stuck", "dropped"):
        log.warning(
            "event subscriber too slow; disconnected",
            extra={"subscriber": subscriber_id, "client": client, "why": outcome},
        )


# The guide prints the path once as /api/subscribeEvents too.
routes = [
    socket_route("/wsapi/subscribeEvents", subscribe_events, ACCESS),
    socket_route("/api/subscribeEvents", subscribe_events, ACCESS),
]

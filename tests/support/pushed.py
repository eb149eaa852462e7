"""Events a push publishes, seen as the websocket messages they make (api/pushmsg), for
tests that assert on what reached the bus."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from nvrd.api import pushmsg
from nvrd.events.types import (
    TOPIC,
    BodyTemperature,
    EmergencyCall,
    Event,
    LogRequested,
    LprRead,
    ObjectSeen,
    Packing,
    ParkingCountChanged,
    topic_of,
)

KINDS = [
    LprRead,
    EmergencyCall,
    ObjectSeen,
    BodyTemperature,
    Packing,
    ParkingCountChanged,
    LogRequested,
]
#: The zone the push tests' servers run in.
TZ = ZoneInfo("America/Chicago")


@dataclass(frozen=True)
class Seen:
    """A published event with the websocket message it makes (built by api/pushmsg)."""

    topic: str
    data: dict[str, Any]


def seen(event: Event) -> Seen:
    data: dict[str, Any]
    match event:
        case LprRead():
            msg = pushmsg.lpr_message(event, TZ)
            data = {"message": msg, "chids": [c.chid for c in event.channels]}
        case EmergencyCall():
            data = {"message": pushmsg.emergency_message(event, TZ), "chids": list(event.chids)}
        case ObjectSeen():
            msg = pushmsg.object_message(event, TZ)
            data = {"message": msg, "chids": [event.chid], "objectType": event.type}
        case BodyTemperature():
            msg = pushmsg.body_temperature_message(event, TZ)
            data = {"message": msg, "chids": list(event.chids), "objectType": "bodyTemperature"}
        case Packing():
            msg = pushmsg.packing_message(event, TZ)
            data = {"message": msg, "chids": [event.channel.chid]}
        case ParkingCountChanged():
            msg = pushmsg.parking_message(event, TZ)
            data = {"message": msg, "lots": [u.id for u in event.updated]}
        case LogRequested():
            data = {
                "type": event.type,
                "code": event.code,
                "param": event.param,
                "comment": event.comment,
                "chid": event.chid,
                "time_ms": event.at_ms,
            }
        case _:
            raise AssertionError(f"not published by a push: {event}")
    assert TOPIC[type(event)] == topic_of(event)
    return Seen(topic_of(event), data)

"""Websocket event messages: bus events rendered for the subscribers of /wsapi/subscribeEvents.

A subscriber's options (topics, ``ch``, ``lang``, ``verbose``, ``objectType``,
``indent``, the host it connected to) decide what it receives and how. Every
message is built here, from the typed events of :mod:`nvrd.events.types`
(the pushed ones through :mod:`nvrd.api.pushmsg`), stamped with the time the
event happened. The bus carries host-independent data; URLs inside pushed
messages are server-absolute paths (``/watch?ch=1``) that get the
subscriber's scheme and host here. :meth:`Renderer.variant` says what a
rendering depends on besides the event, so that the fan-out renders (and
encodes) each event once per variant, not once per subscriber.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nvrd.api import pushmsg
from nvrd.api.context import Services
from nvrd.api.eventlog import iso_ms, render_entry
from nvrd.api.live import stream_sources
from nvrd.api.responses import dump_json
from nvrd.core.channelspec import display_name
from nvrd.core.objects import OBJECT_TYPES, crop_path
from nvrd.core.statuscodes import ChannelStatus, status_key
from nvrd.core.timefmt import format_iso
from nvrd.events.types import (
    BodyTemperature,
    ChannelAdded,
    ChannelRemoved,
    ChannelRenamed,
    ChannelSourceChanged,
    ChannelStatusChanged,
    ChannelSwapped,
    EmergencyCall,
    Event,
    EventKind,
    LprRead,
    MotionChanged,
    ObjectSeen,
    Packing,
    ParkingCountChanged,
    RecordingState,
    RecordingStatusChanged,
    SystemEventLogged,
    VideoStreamReady,
)

#: The kinds of bus events each websocket topic (the guide's names) receives.
WS_TOPICS: dict[str, tuple[EventKind, ...]] = {
    "channelStatus": (
        ChannelStatusChanged,
        VideoStreamReady,
        ChannelAdded,
        ChannelRemoved,
        ChannelRenamed,
        ChannelSourceChanged,
        ChannelSwapped,
    ),
    "recordingStatus": (RecordingStatusChanged,),
    "motionChanges": (MotionChanged,),
    "systemEvent": (SystemEventLogged,),
    "LPR": (LprRead,),
    "emergencyCall": (EmergencyCall,),
    "parkingCount": (ParkingCountChanged,),
    "object": (ObjectSeen, BodyTemperature),
    "bodyTemperature": (BodyTemperature,),
    "packing": (Packing,),
}


@dataclass(frozen=True)
class Options:
    topics: tuple[str, ...]
    chids: frozenset[int] | None
    lang: str
    verbose: bool
    object_types: frozenset[str] | None
    indent: int | None
    base: str  # "http://host:port/"

    def kinds(self) -> set[EventKind]:
        out: set[EventKind] = set()
        for t in self.topics:
            out.update(WS_TOPICS[t])
        return out

    def wants_object(self, otype: str) -> bool:
        if self.object_types is None:
            return otype in OBJECT_TYPES
        return otype in self.object_types

    def wants_chid(self, chid: int) -> bool:
        return self.chids is None or chid in self.chids

    def wants_any(self, chids: tuple[int, ...]) -> bool:
        return self.chids is None or any(c in self.chids for c in chids)


class Renderer:
    def __init__(self, svc: Services, opts: Options):
        self.svc = svc
        self.opts = opts
        #: What a rendering depends on, besides the event (the object filter is
        #: applied before rendering, see :meth:`wants`).
        self.variant: tuple[Any, ...] = (
            opts.lang,
            opts.verbose,
            opts.indent,
            opts.base,
            opts.chids,
        )

    def now(self) -> str:
        return format_iso(self.svc.clock.now(), self.svc.tz)

    def iso(self, ms: int) -> str:
        return iso_ms(ms, self.svc.tz)

    def dump(self, message: Any) -> str:
        return dump_json(message, self.opts.indent).decode("utf-8")

    def wants(self, event: Event) -> bool:
        """False for an object event this subscriber filtered out by ``objectType``."""
        if isinstance(event, BodyTemperature):
            if "bodyTemperature" in self.opts.topics:
                return True
            return "object" in self.opts.topics and self.opts.wants_object("bodyTemperature")
        if isinstance(event, ObjectSeen):
            return self.opts.wants_object(event.type)
        return True

    def text(self, event: Event) -> str | None:
        """The message for ``event`` as sent (JSON text), or None when it is not for us."""
        message = self.render(event)
        return self.dump(message) if message is not None else None

    def render(self, event: Event) -> dict[str, Any] | None:
        match event:
            case SystemEventLogged():
                entry = render_entry(event.entry, self.svc.i18n, self.opts.lang, self.svc.tz)
                return {"topic": "systemEvent", **entry}
            case RecordingStatusChanged():
                if not self.opts.wants_chid(event.state.chid):
                    return None
                items = [self.recording_item(event.state)]
                return self.recording_message(self.iso(event.at_ms), "statusChanged", items)
            case MotionChanged():
                updated = [
                    {"chid": chid, "motion": motion}
                    for chid, motion in event.updated
                    if self.opts.wants_chid(chid)
                ]
                return {"topic": "motionChanges", "updated": updated} if updated else None
            case ParkingCountChanged():
                return self.parking(event)
            case LprRead() | EmergencyCall() | ObjectSeen() | BodyTemperature() | Packing():
                return self.pushed(event)
            case _:
                return self.channel_event(event)

    # -- channelStatus -----------------------------------------------------

    def status(self, code: int) -> dict[str, Any]:
        return {"code": code, "message": self.svc.i18n.text(self.opts.lang, status_key(code))}

    def _channel(self, at_ms: int, event: str, chid: Any, **extra: Any) -> dict[str, Any]:
        return {
            "timestamp": self.iso(at_ms),
            "topic": "channelStatus",
            "event": event,
            "chid": chid,
            **extra,
        }

    def channel_event(self, event: Event) -> dict[str, Any] | None:
        match event:
            case ChannelSwapped():
                if not self.opts.wants_any(event.chids):
                    return None
                return self._channel(event.at_ms, "channelSwapped", list(event.chids))
            case ChannelStatusChanged():
                status = self.status(event.code)
                return self._for(event.chid, event.at_ms, "statusChanged", status=status)
            case VideoStreamReady(changed=True):
                return self._for(event.chid, event.at_ms, "videoStreamChanged")
            case VideoStreamReady():
                if not self.opts.wants_chid(event.chid):
                    return None
                src = stream_sources(self.svc, self.opts.base, event.chid)
                status = self.status(ChannelStatus.HAS_VIDEO)
                return self._for(
                    event.chid, event.at_ms, "videoStreamReady", status=status, src=src
                )
            case ChannelRenamed():
                name = event.name
                shown = display_name(event.chid, name)
                return self._for(
                    event.chid, event.at_ms, "nameChanged", name=name, displayName=shown
                )
            case ChannelAdded():
                return self._for(event.chid, event.at_ms, "channelAdded")
            case ChannelRemoved():
                return self._for(event.chid, event.at_ms, "channelRemoved")
            case ChannelSourceChanged():
                return self._for(event.chid, event.at_ms, "videoSrcModified")
        return None

    def _for(self, chid: int, at_ms: int, what: str, **extra: Any) -> dict[str, Any] | None:
        """A channelStatus message about ``chid`` (None when the subscriber filtered it out)."""
        if not self.opts.wants_chid(chid):
            return None
        return self._channel(at_ms, what, chid, **extra)

    # -- recordingStatus ---------------------------------------------------

    def recording_item(self, state: RecordingState) -> dict[str, Any]:
        item: dict[str, Any] = {
            "chid": state.chid,
            "streaming": state.streaming,
            "recording": state.recording,
        }
        if state.failed_ms is not None and not state.recording:
            item["timestampRecordingFailure"] = self.iso(state.failed_ms)
        return item

    def recording_message(
        self, timestamp: str, event: str, items: list[dict[str, Any]]
    ) -> dict[str, Any]:
        return {
            "timestamp": timestamp,
            "topic": "recordingStatus",
            "event": event,
            "channel": items,
        }

    # -- pushed and recognised events ----------------------------------------

    def absolute(self, value: Any) -> Any:
        if isinstance(value, dict):
            out = {}
            for k, v in value.items():
                if k in ("src", "image") and isinstance(v, str) and v.startswith("/"):
                    out[k] = self.opts.base + v[1:]
                elif k == "image" and isinstance(v, str) and crop_path(v) is not None:
                    out[k] = f"{self.opts.base}storage/{v}"  # as what=object shows it
                else:
                    out[k] = self.absolute(v)
            return out
        if isinstance(value, list):
            return [self.absolute(v) for v in value]
        return value

    def pushed(
        self, event: LprRead | EmergencyCall | ObjectSeen | BodyTemperature | Packing
    ) -> dict[str, Any] | None:
        tz = self.svc.tz
        message: dict[str, Any]
        match event:
            case LprRead():
                chids = tuple(c.chid for c in event.channels)
                message = pushmsg.lpr_message(event, tz)
            case EmergencyCall():
                chids = event.chids
                message = pushmsg.emergency_message(event, tz)
            case ObjectSeen():
                chids = (event.chid,)
                message = pushmsg.object_message(event, tz)
            case BodyTemperature():
                chids = event.chids
                message = pushmsg.body_temperature_message(event, tz)
            case Packing():
                chids = (event.channel.chid,)
                message = pushmsg.packing_message(event, tz)
        if not self.opts.wants_any(chids):
            return None
        message = self.absolute(message)
        if isinstance(event, EmergencyCall) and self.opts.verbose:
            for item in message.get("linkedChannel", []):
                item["streams"] = stream_sources(self.svc, self.opts.base, int(item["chid"]))
        return message

    def parking(self, event: ParkingCountChanged) -> dict[str, Any] | None:
        message = pushmsg.parking_message(event, self.svc.tz)
        updated = [u for u in message["updated"] if self.opts.wants_chid(int(u["id"]))]
        if not updated:
            return None
        message["updated"] = updated
        return message

"""Websocket event messages: bus events rendered for one subscriber of /wsapi/subscribeEvents.

A subscriber's options (topics, ``ch``, ``lang``, ``verbose``, ``objectType``,
``indent``, the host it connected to) decide what it receives and how. The
bus carries host-independent data; URLs inside pushed messages are
server-absolute paths (``/watch?ch=1``) that get the subscriber's scheme and
host here. One rendering is shared by every subscriber with the same
options (``Event.memo``), so a thousand subscribers cost one ``json.dumps``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nvrd.api.context import Services
from nvrd.api.eventlog import iso_ms, render_entry
from nvrd.api.live import stream_sources
from nvrd.api.responses import dump_json
from nvrd.core.channelspec import display_name
from nvrd.core.objects import OBJECT_TYPES
from nvrd.core.statuscodes import ChannelStatus, status_key
from nvrd.core.timefmt import format_iso
from nvrd.events.bus import Event

#: The bus topics each websocket topic listens to.
BUS_TOPICS: dict[str, tuple[str, ...]] = {
    "channelStatus": (
        "channelStatus",
        "videoStream",
        "channelAdded",
        "channelRemoved",
        "channelRenamed",
        "channelSourceChanged",
        "channelSwapped",
    ),
    "recordingStatus": ("recordingStatus",),
    "motionChanges": ("motionChanges",),
    "systemEvent": ("systemEvent",),
    "LPR": ("LPR",),
    "emergencyCall": ("emergencyCall",),
    "parkingCount": ("parkingCount",),
    "object": ("object", "bodyTemperature"),
    "bodyTemperature": ("bodyTemperature",),
    "packing": ("packing",),
}

#: Pushed messages, delivered as published (URLs made absolute).
_PUSHED = frozenset({"LPR", "emergencyCall", "object", "bodyTemperature", "packing"})


@dataclass(frozen=True)
class Options:
    topics: tuple[str, ...]
    chids: frozenset[int] | None
    lang: str
    verbose: bool
    object_types: frozenset[str] | None
    indent: int | None
    base: str  # "http://host:port/"

    def bus_topics(self) -> set[str]:
        out: set[str] = set()
        for t in self.topics:
            out.update(BUS_TOPICS[t])
        return out

    def wants_object(self, otype: str) -> bool:
        if self.object_types is None:
            return otype in OBJECT_TYPES
        return otype in self.object_types

    def wants_chid(self, chid: int) -> bool:
        return self.chids is None or chid in self.chids

    def memo_key(self) -> tuple[Any, ...]:
        """What the rendering of an event depends on, besides the event."""
        return (self.lang, self.verbose, self.indent, self.base, self.chids)


class Renderer:
    def __init__(self, svc: Services, opts: Options):
        self.svc = svc
        self.opts = opts
        self._key = opts.memo_key()

    def now(self) -> str:
        return format_iso(self.svc.clock.now(), self.svc.tz)

    def dump(self, message: Any) -> str:
        return dump_json(message, self.opts.indent).decode("utf-8")

    def text(self, event: Event) -> str | None:
        """The message for ``event`` as sent (JSON text), or None when it is not for us."""
        if event.topic in ("object", "bodyTemperature") and not self._object_wanted(event):
            return None
        try:
            cached: str | None = event.memo[self._key]
            return cached
        except KeyError:
            pass
        message = self.render(event)
        out = self.dump(message) if message is not None else None
        event.memo[self._key] = out
        return out

    def _object_wanted(self, event: Event) -> bool:
        if event.topic == "bodyTemperature" and "bodyTemperature" in self.opts.topics:
            return True
        otype = str(event.data.get("objectType", event.topic))
        return "object" in self.opts.topics and self.opts.wants_object(otype)

    def render(self, event: Event) -> dict[str, Any] | None:
        d = event.data
        topic = event.topic
        if topic in _PUSHED:
            return self.pushed(event)
        if topic == "parkingCount":
            return self.parking(d)
        if topic == "motionChanges":
            updated = [u for u in d.get("updated", []) if self.opts.wants_chid(int(u["chid"]))]
            return {"topic": "motionChanges", "updated": updated} if updated else None
        if topic == "systemEvent":
            entry = render_entry(d["entry"], self.svc.i18n, self.opts.lang, self.svc.tz)
            return {"topic": "systemEvent", **entry}
        if topic == "recordingStatus":
            if not self.opts.wants_chid(int(d["chid"])):
                return None
            return self.recording_message("statusChanged", [self.recording_item(d)])
        return self.channel_event(topic, d)

    # -- channelStatus -----------------------------------------------------

    def status(self, code: int) -> dict[str, Any]:
        return {"code": code, "message": self.svc.i18n.text(self.opts.lang, status_key(code))}

    def _channel(self, event: str, chid: Any, **extra: Any) -> dict[str, Any]:
        return {
            "timestamp": self.now(),
            "topic": "channelStatus",
            "event": event,
            "chid": chid,
            **extra,
        }

    def channel_event(self, topic: str, d: dict[str, Any]) -> dict[str, Any] | None:
        if topic == "channelSwapped":
            pair = [int(c) for c in d["chids"]]
            if not any(self.opts.wants_chid(c) for c in pair):
                return None
            return self._channel("channelSwapped", pair)
        chid = int(d["chid"])
        if not self.opts.wants_chid(chid):
            return None
        if topic == "channelStatus":
            return self._channel("statusChanged", chid, status=self.status(int(d["code"])))
        if topic == "videoStream":
            if d.get("changed"):
                return self._channel("videoStreamChanged", chid)
            src = stream_sources(self.svc, self.opts.base, chid)
            return self._channel(
                "videoStreamReady", chid, status=self.status(ChannelStatus.HAS_VIDEO), src=src
            )
        if topic == "channelRenamed":
            name = str(d.get("name", ""))
            return self._channel(
                "nameChanged", chid, name=name, displayName=display_name(chid, name)
            )
        names = {
            "channelAdded": "channelAdded",
            "channelRemoved": "channelRemoved",
            "channelSourceChanged": "videoSrcModified",
        }
        return self._channel(names[topic], chid) if topic in names else None

    # -- recordingStatus ---------------------------------------------------

    def recording_item(self, d: dict[str, Any]) -> dict[str, Any]:
        item: dict[str, Any] = {
            "chid": int(d["chid"]),
            "streaming": bool(d.get("streaming")),
            "recording": bool(d.get("recording")),
        }
        failed = d.get("failed_ms")
        if failed is not None and not item["recording"]:
            item["timestampRecordingFailure"] = iso_ms(int(failed), self.svc.tz)
        return item

    def recording_message(self, event: str, items: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "timestamp": self.now(),
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
                else:
                    out[k] = self.absolute(v)
            return out
        if isinstance(value, list):
            return [self.absolute(v) for v in value]
        return value

    def pushed(self, event: Event) -> dict[str, Any] | None:
        d = event.data
        chids = [int(c) for c in d.get("chids", [])]
        if self.opts.chids is not None and not any(self.opts.wants_chid(c) for c in chids):
            return None
        message: dict[str, Any] = self.absolute(d["message"])
        if event.topic == "emergencyCall" and self.opts.verbose:
            for item in message.get("linkedChannel", []):
                item["streams"] = stream_sources(self.svc, self.opts.base, int(item["chid"]))
        return message

    def parking(self, d: dict[str, Any]) -> dict[str, Any] | None:
        message = dict(d["message"])
        updated = [u for u in message.get("updated", []) if self.opts.wants_chid(int(u["id"]))]
        if not updated:
            return None
        message["updated"] = updated
        return message

"""A channel's video source as the guide's add-channel request describes it (pure).

Three kinds: an RTSP stream, an ONVIF camera (``device.url``, with or
without an RTSP ``source``: without one, the camera's main stream is
recorded), and a video file played ``once`` or ``repeat``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from nvrd.core.deviceurl import parse_device_url
from nvrd.core.limits import MAX_NAME, MAX_URL, MAX_WORD
from nvrd.core.params import MAX_ID

_FIELDS: dict[str, type] = {
    "chid": int,
    "name": str,
    "source": str,
    "tcp": bool,
    "substream": bool,
    "uid": str,
    "password": str,
    "device": dict,
    "playback": str,
}
_DEVICE_FIELDS: dict[str, type] = {"name": str, "url": str}
#: The longest value of each string field.
_LIMITS: dict[str, int] = {
    "name": MAX_NAME,
    "source": MAX_URL,
    "uid": MAX_WORD,
    "password": MAX_WORD,
    "playback": MAX_WORD,
    "device.name": MAX_NAME,
    "device.url": MAX_URL,
}


class SpecError(Exception):
    """A per-item failure with the guide's add-channel code (-1 .. -4)."""

    def __init__(self, code: int, key: str):
        super().__init__(key)
        self.code = code
        self.key = key


class BadField(Exception):
    """A structurally bad item: unknown field or wrong type (the whole request is a 400)."""

    def __init__(self, field: str, problem: str):
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


@dataclass(frozen=True)
class ChannelSpec:
    kind: str  # "rtsp", "onvif" or "file"
    source: str
    name: str = ""
    tcp: bool = True
    substream: bool = True
    uid: str = ""
    password: str = ""
    device_url: str = ""
    device_name: str = ""
    playback: str = "repeat"

    def to_doc(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"type": self.kind, "source": self.source}
        if self.kind == "file":
            doc["playback"] = self.playback
        else:
            doc.update(tcp=self.tcp, uid=self.uid, password=self.password)
        if self.kind == "onvif":
            doc.update(
                substream=self.substream, device={"name": self.device_name, "url": self.device_url}
            )
        return doc

    @classmethod
    def from_doc(cls, doc: dict[str, Any], name: str = "") -> ChannelSpec | None:
        source = str(doc.get("source") or "")
        device = doc.get("device") or {}
        if not source and not device.get("url"):
            return None
        kind = str(doc.get("type") or ("file" if not _is_url(source) else "rtsp"))
        return cls(
            kind=kind,
            source=source,
            name=name,
            tcp=bool(doc.get("tcp", True)),
            substream=bool(doc.get("substream", True)),
            uid=str(doc.get("uid") or ""),
            password=str(doc.get("password") or ""),
            device_url=str(device.get("url") or ""),
            device_name=str(device.get("name") or ""),
            playback=str(doc.get("playback") or "repeat"),
        )

    def url_with_credentials(self) -> str:
        """The RTSP URL with ``uid``/``password`` inserted (what the ingest connects to)."""
        if self.kind == "file" or not self.uid:
            return self.source
        parts = urlsplit(self.source)
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        netloc = f"{quote(self.uid, safe='')}:{quote(self.password, safe='')}@{host}"
        if parts.port:
            netloc += f":{parts.port}"
        return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))

    def echo(self, chid: int, with_credentials: bool) -> dict[str, Any]:
        """The guide's ``added`` item for this channel."""
        item: dict[str, Any] = {"chid": chid, "name": self.name, "type": self.kind}
        if self.kind == "onvif":
            item["device"] = self.device_url
        if self.kind == "file":
            item["source"] = self.source
            item["playback"] = self.playback
        else:
            item["source"] = self.url_with_credentials() if with_credentials else self.source
            item["tcp"] = self.tcp
        if self.kind == "onvif":
            item["substream"] = self.substream
        return item


def _is_url(text: str) -> bool:
    return "://" in text


def _check_types(item: dict[str, Any], fields: dict[str, type], prefix: str) -> None:
    for key, value in item.items():
        want = fields.get(key)
        if want is None:
            raise BadField(prefix + key, "unknown field")
        ok = isinstance(value, want) and not (want is int and isinstance(value, bool))
        if value is not None and not ok:
            raise BadField(prefix + key, f"must be {want.__name__}")
        limit = _LIMITS.get(prefix + key)
        if isinstance(value, str) and limit is not None and len(value) > limit:
            raise BadField(prefix + key, f"longer than {limit} characters")


def parse_item(item: Any) -> tuple[int | None, ChannelSpec]:
    """One item of a POST /api/channel body."""
    if not isinstance(item, dict):
        raise BadField("[item]", "must be an object")
    _check_types(item, _FIELDS, "")
    device = item.get("device")
    if isinstance(device, dict):
        _check_types(device, _DEVICE_FIELDS, "device.")
    chid = item.get("chid")
    if chid is not None and not 1 <= chid <= MAX_ID:
        raise BadField("chid", f"must be from 1 to {MAX_ID}")
    source = (item.get("source") or "").strip()
    if device is not None and not (device.get("url") or "").strip():
        raise SpecError(-3, "channelNoDeviceUrl")
    if not source and device is None:
        raise SpecError(-2, "channelNoSource")
    if device is not None:
        try:
            parse_device_url(device["url"])
        except ValueError as err:
            raise BadField("device.url", str(err)) from None
    playback = item.get("playback") or "repeat"
    if playback not in ("once", "repeat"):
        raise BadField("playback", "must be once or repeat")
    if device is not None:
        kind = "onvif"
        if source and source.split("://", 1)[0].lower() not in ("rtsp", "rtsps"):
            raise BadField("source", "must be an rtsp:// URL")
    elif _is_url(source):
        kind = "rtsp"
        scheme = source.split("://", 1)[0].lower()
        if scheme not in ("rtsp", "rtsps"):
            raise BadField("source", "must be an rtsp:// URL or a file path")
    else:
        kind = "file"
    spec = ChannelSpec(
        kind=kind,
        source=source,
        name=item.get("name") or "",
        tcp=item.get("tcp", True) if item.get("tcp") is not None else True,
        substream=item.get("substream", True) if item.get("substream") is not None else True,
        uid=item.get("uid") or "",
        password=item.get("password") or "",
        device_url=(device or {}).get("url", "").strip() if device else "",
        device_name=(device or {}).get("name", "") if device else "",
        playback=playback,
    )
    return chid, spec


def display_name(chid: int, title: str) -> str:
    """The guide's ``displayName``: ``CH1. Camera1``, or ``CH1`` without a title."""
    return f"CH{chid}. {title}" if title else f"CH{chid}"

"""The body of ``POST /api/push``, validated into typed items (pure).

Topics: the guide's ``LPR`` and ``emergencyCall``, and as nvrd extensions
``object``, ``bodyTemperature`` and ``packing`` (the shapes are recorded in
docs/design/api-decisions.md). The body is one event object or an array of
them; every problem is a 400 naming the field, ``[1].when`` in an array,
``when`` for a single object. Unknown fields are refused, so that a typo
never silently drops data. Checks that need the registries (is ``src`` a
known device, does ``chid`` exist) happen later, before anything is applied.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from nvrd.core.errors import bad_request
from nvrd.core.limits import MAX_CODE, MAX_PLATE, MAX_URL, MAX_WORD
from nvrd.core.objects import COLORS, OBJECT_ATTRIBUTES, OBJECT_TYPES
from nvrd.core.params import bounded_int
from nvrd.core.timefmt import parse_time

TOPICS: tuple[str, ...] = ("LPR", "emergencyCall", "object", "bodyTemperature", "packing")
DIRECTIONS = ("entry", "exit")
CALL_EVENTS = ("callStart", "callEnd")
PACKING_EVENTS = ("start", "end")
MAX_TEXT = MAX_WORD
MAX_IMAGES = 64
MAX_ID = 2**31 - 1


@dataclass(frozen=True)
class LprPush:
    at: str  # the field prefix of the item: "" or "[n]."
    src: str
    plate_no: str
    when: datetime
    time_begin: datetime
    score: int | float | None = None
    roi: dict[str, list[int]] | None = None
    direction: str | None = None
    image: tuple[str, ...] = ()


@dataclass(frozen=True)
class EmergencyPush:
    at: str
    src: str
    event: str
    when: datetime
    device: str = ""
    #: Channels to pop up; ``()`` for the guide's ``"camera": ""`` (restore), ``None`` if absent.
    camera: tuple[int, ...] | None = None


@dataclass(frozen=True)
class ObjectPush:
    at: str
    chid: int
    obj_id: int
    type: str
    when: datetime
    parent_id: int | None = None
    likelihood: int | float | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    image: str | None = None


@dataclass(frozen=True)
class BodyTemperaturePush:
    at: str
    chid: int
    obj_id: int
    when: datetime
    likelihood: int | float | None = None
    temperature: int | float | None = None
    image: str | None = None
    #: Channels shown with the event; default: ``(chid,)``.
    linked: tuple[int, ...] = ()


@dataclass(frozen=True)
class PackingPush:
    at: str
    chid: int
    code: str
    event: str
    when: datetime


PushItem = LprPush | EmergencyPush | ObjectPush | BodyTemperaturePush | PackingPush

_FIELDS: dict[str, frozenset[str]] = {
    "LPR": frozenset(
        {"topic", "src", "plateNo", "when", "timeBegin", "score", "roi", "direction", "image"}
    ),
    "emergencyCall": frozenset({"topic", "device", "src", "event", "camera", "when"}),
    "object": frozenset(
        {"topic", "chid", "objId", "parentId", "type", "likelihood", "attributes", "image", "when"}
    ),
    "bodyTemperature": frozenset(
        {
            "topic",
            "chid",
            "objId",
            "likelihood",
            "temperature",
            "image",
            "linkedChannel",
            "when",
        }
    ),
    "packing": frozenset({"topic", "chid", "code", "event", "when"}),
}

_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
}


def _is(value: Any, kind: str) -> bool:
    if kind in ("integer", "number") and isinstance(value, bool):
        return False
    return isinstance(value, _JSON_TYPES[kind])


def _typed(value: Any, kind: str, name: str) -> Any:
    if not _is(value, kind):
        raise bad_request("pushType", field=name, type=kind)
    return value


def _in_range(value: int | float, name: str, lo: int | float, hi: int | float) -> None:
    if not (lo <= value <= hi):  # also refuses NaN and infinities
        raise bad_request("outOfRange", name=name, value=value, lo=lo, hi=hi)


def _one_of(value: str, name: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise bad_request("pushNotOneOf", field=name, value=value, allowed=", ".join(allowed))
    return value


class _Item:
    """One event object and the prefix that names its fields in errors."""

    def __init__(self, doc: dict[str, Any], at: str, tz: ZoneInfo, now: datetime):
        self.doc = doc
        self.at = at
        self.tz = tz
        self.now = now

    def name(self, key: str) -> str:
        return self.at + key

    def has(self, key: str) -> bool:
        return self.doc.get(key) is not None

    def get(self, key: str, kind: str, required: bool = False) -> Any:
        value = self.doc.get(key)
        if value is None:
            if required:
                raise bad_request("pushMissing", field=self.name(key))
            return None
        return _typed(value, kind, self.name(key))

    def text(self, key: str, required: bool = False, limit: int = MAX_TEXT) -> str | None:
        value: str | None = self.get(key, "string", required)
        if value is None:
            return None
        value = value.strip()
        if required and not value:
            raise bad_request("pushBlank", field=self.name(key))
        if len(value) > limit:
            raise bad_request("pushTooLong", field=self.name(key), max=limit)
        return value

    def integer(self, key: str, required: bool = False, lo: int = 0) -> int | None:
        value: int | None = self.get(key, "integer", required)
        if value is not None:
            _in_range(value, self.name(key), lo, MAX_ID)
        return value

    def number(self, key: str, lo: float, hi: float) -> int | float | None:
        value: int | float | None = self.get(key, "number")
        if value is not None:
            _in_range(value, self.name(key), lo, hi)
        return value

    def time(self, key: str) -> datetime | None:
        value: str | None = self.get(key, "string")
        if value is None:
            return None
        return parse_time(self.name(key), value, self.tz, self.now)

    def url(self, key: str) -> str | None:
        return _url(self.doc.get(key), self.name(key)) if self.has(key) else None

    def channels(self, key: str) -> tuple[int, ...] | None:
        """A channel list: an array of numbers, or the guide's ``"1,2,3"`` ("" = none)."""
        value = self.doc.get(key)
        name = self.name(key)
        if value is None:
            return None
        if isinstance(value, str):
            parts = [bounded_int(p.strip()) for p in value.split(",")] if value.strip() else []
            if len(value) > MAX_URL or any(p is None for p in parts):
                raise bad_request("pushChannelList", field=name, value=value[:64])
            chids = [p for p in parts if p is not None]
        elif isinstance(value, list):
            chids = [_typed(v, "integer", f"{name}[{n}]") for n, v in enumerate(value)]
        else:
            raise bad_request("pushChannelList", field=name, value=str(value))
        for n, chid in enumerate(chids):
            _in_range(chid, f"{name}[{n}]", 1, MAX_ID)
        return tuple(dict.fromkeys(chids))


def _url(value: Any, name: str) -> str:
    text = _typed(value, "string", name).strip()
    if len(text) > MAX_URL:
        raise bad_request("pushTooLong", field=name, max=MAX_URL)
    if not (text.startswith("/") or text.lower().startswith(("http://", "https://"))):
        raise bad_request("pushNotUrl", field=name)
    return str(text)


def _roi(item: _Item) -> dict[str, list[int]] | None:
    doc: dict[str, Any] | None = item.get("roi", "object")
    if doc is None:
        return None
    out: dict[str, list[int]] = {}
    for key in doc:
        if key not in ("offset", "size"):
            raise bad_request("pushUnknownField", field=item.name(f"roi.{key}"))
    for key in ("offset", "size"):
        name = item.name(f"roi.{key}")
        pair = doc.get(key)
        if pair is None:
            raise bad_request("pushMissing", field=name)
        if not _is(pair, "array") or len(pair) != 2:
            raise bad_request("pushPair", field=name)
        for n, v in enumerate(pair):
            _typed(v, "integer", f"{name}[{n}]")
            _in_range(v, f"{name}[{n}]", 0, MAX_ID)
        out[key] = [int(v) for v in pair]
    return out


def _images(item: _Item) -> tuple[str, ...]:
    value = item.doc.get("image")
    name = item.name("image")
    if value is None:
        return ()
    if isinstance(value, list):
        if len(value) > MAX_IMAGES:
            raise bad_request("outOfRange", name=name, value=len(value), lo=0, hi=MAX_IMAGES)
        return tuple(_url(v, f"{name}[{n}]") for n, v in enumerate(value))
    if not isinstance(value, str):
        raise bad_request("pushType", field=name, type="string")
    return (_url(value, name),)


def _lpr(item: _Item) -> LprPush:
    src = item.text("src", required=True, limit=MAX_CODE)
    plate = item.text("plateNo", required=True, limit=MAX_PLATE)
    assert src is not None and plate is not None
    when = item.time("when") or item.now
    begin = item.time("timeBegin") or when
    if begin > when:
        raise bad_request("pushTimeOrder", field=item.name("timeBegin"), other=item.name("when"))
    direction = item.text("direction")
    return LprPush(
        at=item.at,
        src=src,
        plate_no=plate,
        when=when,
        time_begin=begin,
        score=item.number("score", 0, 100),
        roi=_roi(item),
        direction=_one_of(direction, item.name("direction"), DIRECTIONS) if direction else None,
        image=_images(item),
    )


def _emergency(item: _Item) -> EmergencyPush:
    src = item.text("src", required=True, limit=MAX_CODE)
    event = item.text("event", required=True)
    assert src is not None and event is not None
    return EmergencyPush(
        at=item.at,
        src=src,
        event=_one_of(event, item.name("event"), CALL_EVENTS),
        when=item.time("when") or item.now,
        device=item.text("device") or "",
        camera=item.channels("camera"),
    )


def _attribute(value: Any, spec: Any, name: str, key: str) -> None:
    if isinstance(spec, dict):  # an array of objects (clothes)
        for n, part in enumerate(_typed(value, "array", name)):
            check_attributes(_typed(part, "object", f"{name}[{n}]"), spec, f"{name}[{n}]")
    elif spec and all(isinstance(s, bool) for s in spec):
        _typed(value, "boolean", name)
    elif key == "colors":
        for n, color in enumerate(_typed(value, "array", name)):
            _one_of(_typed(color, "string", f"{name}[{n}]"), f"{name}[{n}]", COLORS)
    else:
        _one_of(_typed(value, "string", name), name, tuple(spec))


def _bounded_strings(value: Any, name: str) -> None:
    """Every string (and key) in an attribute value is at most ``MAX_TEXT`` long."""
    if isinstance(value, str) and len(value) > MAX_TEXT:
        raise bad_request("pushTooLong", field=name, max=MAX_TEXT)
    if isinstance(value, list):
        for n, part in enumerate(value):
            _bounded_strings(part, f"{name}[{n}]")
    elif isinstance(value, dict):
        for key, part in value.items():
            _bounded_strings(key, name)
            _bounded_strings(part, f"{name}.{key}")


def check_attributes(attrs: dict[str, Any], spec: dict[str, Any], name: str) -> None:
    """The attributes the guide defines must have its values; others pass as they are
    (with every string at most ``MAX_TEXT`` long)."""
    for key, value in attrs.items():
        _bounded_strings(key, name)
        _bounded_strings(value, f"{name}.{key}")
        if key in spec:
            _attribute(value, spec[key], f"{name}.{key}", key)


def _object(item: _Item) -> ObjectPush:
    chid = item.integer("chid", required=True, lo=1)
    obj_id = item.integer("objId", required=True)
    otype = item.text("type", required=True)
    assert chid is not None and obj_id is not None and otype is not None
    _one_of(otype, item.name("type"), OBJECT_TYPES)
    attrs: dict[str, Any] = item.get("attributes", "object") or {}
    check_attributes(attrs, OBJECT_ATTRIBUTES[otype], item.name("attributes"))
    return ObjectPush(
        at=item.at,
        chid=chid,
        obj_id=obj_id,
        type=otype,
        when=item.time("when") or item.now,
        parent_id=item.integer("parentId"),
        likelihood=item.number("likelihood", 0, 100),
        attributes=attrs,
        image=item.url("image"),
    )


def _body_temperature(item: _Item) -> BodyTemperaturePush:
    chid = item.integer("chid", required=True, lo=1)
    obj_id = item.integer("objId", required=True)
    assert chid is not None and obj_id is not None
    linked = item.channels("linkedChannel")
    return BodyTemperaturePush(
        at=item.at,
        chid=chid,
        obj_id=obj_id,
        when=item.time("when") or item.now,
        likelihood=item.number("likelihood", 0, 100),
        temperature=item.number("temperature", -100, 200),
        image=item.url("image"),
        linked=linked if linked else (chid,),
    )


def _packing(item: _Item) -> PackingPush:
    chid = item.integer("chid", required=True, lo=1)
    code = item.text("code", required=True)
    event = item.text("event", required=True)
    assert chid is not None and code is not None and event is not None
    return PackingPush(
        at=item.at,
        chid=chid,
        code=code,
        event=_one_of(event, item.name("event"), PACKING_EVENTS),
        when=item.time("when") or item.now,
    )


_PARSERS: dict[str, Callable[[_Item], PushItem]] = {
    "LPR": _lpr,
    "emergencyCall": _emergency,
    "object": _object,
    "bodyTemperature": _body_temperature,
    "packing": _packing,
}


def parse_item(doc: Any, at: str, tz: ZoneInfo, now: datetime) -> PushItem:
    """One event object; ``at`` is its field prefix (``""`` or ``"[n]."``)."""
    if not isinstance(doc, dict):
        raise bad_request("pushNotObject", field=at.rstrip(".") or "body")
    topic = doc.get("topic")
    if topic is None:
        raise bad_request("pushMissing", field=at + "topic")
    if not isinstance(topic, str):
        raise bad_request("pushType", field=at + "topic", type="string")
    if topic not in _PARSERS:
        raise bad_request(
            "pushUnknownTopic", field=at + "topic", value=topic, allowed=", ".join(TOPICS)
        )
    for key in doc:
        if key not in _FIELDS[topic]:
            raise bad_request("pushUnknownField", field=at + key)
    return _PARSERS[topic](_Item(doc, at, tz, now))


#: Events in one push at most: a device that buffered plates while the server was away
#: sends them in one array; more is a 400 (the body is also limited to 1 MiB).
MAX_PUSH_ITEMS = 1000


def parse_body(doc: Any, tz: ZoneInfo, now: datetime) -> list[PushItem]:
    """A whole body (one object or an array); any bad item makes the whole body a 400.

    Times without an offset are in ``tz``; a missing ``when`` is ``now``.
    """
    if not isinstance(doc, list):
        return [parse_item(doc, "", tz, now)]
    if not doc:
        raise bad_request("pushNoEvent")
    if len(doc) > MAX_PUSH_ITEMS:
        raise bad_request("pushTooManyEvents", max=MAX_PUSH_ITEMS, count=len(doc))
    return [parse_item(item, f"[{n}].", tz, now) for n, item in enumerate(doc)]

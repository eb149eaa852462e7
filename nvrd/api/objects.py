"""``/api/find?what=object``: the object log (needs Playback, like the ``object`` topic
and the crop images ``/storage/objects/...``).

Common parameters: ``timeBegin``, ``timeEnd`` (both inclusive), ``ch``,
``objectType``, ``at``, ``maxCount``, ``sort``, ``totalCount``. Attribute
filters need ``objectType`` (one whose catalogue has them): face ``gender``,
``age``, ``glasses``, ``hat``, ``mask``; human ``gender``, ``hat``, ``bag``,
``topClothes``/``bottomClothes`` (a length and/or colours, all of which must
match); vehicle ``vehicleType`` (a type and/or colours, as the guide's
``vehicleType=car,yellow``) and ``colors``. A filter on an attribute this
server does not detect (glasses, hats) matches the objects that carry it
(pushed ones). See docs/design/api-decisions.md ("Object search").
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from nvrd.api.endpoint import Call
from nvrd.api.searchwindow import parse_window
from nvrd.api.signin import public_base
from nvrd.core.clock import utc_from_ms
from nvrd.core.errors import bad_request
from nvrd.core.objects import COLORS, OBJECT_ATTRIBUTES, OBJECT_TYPES, crop_path, tag
from nvrd.core.params import parse_bool, parse_int_list, split_list
from nvrd.core.timefmt import format_iso
from nvrd.store.objects import ObjectQuery, ObjectRecord

#: colours and lengths one clothes/vehicle parameter may list
MAX_ITEMS = 16

#: Filter parameters of each object type.
FILTERS: dict[str, tuple[str, ...]] = {
    "face": ("gender", "age", "glasses", "hat", "mask"),
    "human": ("gender", "hat", "bag", "topClothes", "bottomClothes"),
    "vehicle": ("vehicleType", "colors"),
}
ALL_FILTERS = frozenset(name for names in FILTERS.values() for name in names)
_CHOICES = ("gender", "age")
_BOOLS = ("glasses", "hat", "mask", "bag")
_CLOTHES = {"topClothes": "top", "bottomClothes": "bottom"}
_LENGTHS = ("short", "long")


def _items(name: str, value: str) -> list[str]:
    items = split_list(value)
    if not items:
        raise bad_request("badList", name=name, value=value[:64])
    if len(items) > MAX_ITEMS:
        raise bad_request("outOfRange", name=name, value=len(items), lo=1, hi=MAX_ITEMS)
    return items


def _clothes(otype: str, name: str, value: str) -> list[str]:
    part = _CLOTHES[name]
    out = []
    for item in _items(name, value):
        if item in _LENGTHS:
            out.append(tag(otype, f"{part}.length", item))
        elif item in COLORS:
            out.append(tag(otype, f"{part}.color", item))
        else:
            raise bad_request("unknownItem", item=item[:64], name=name)
    return out


def _vehicle(otype: str, name: str, value: str) -> list[str]:
    types = OBJECT_ATTRIBUTES["vehicle"]["vehicleType"]
    out = []
    for item in _items(name, value):
        if name == "vehicleType" and item in types:
            out.append(tag(otype, "vehicleType", item))
        elif item in COLORS:
            out.append(tag(otype, "color", item))
        else:
            raise bad_request("unknownItem", item=item[:64], name=name)
    return out


def _filter(otype: str, name: str, value: str) -> list[str]:
    if name in _CHOICES:
        text = value.strip()
        if text not in OBJECT_ATTRIBUTES[otype][name]:
            raise bad_request("unknownItem", item=value[:64], name=name)
        return [tag(otype, name, text)]
    if name in _BOOLS:
        return [tag(otype, name, parse_bool(name, value))]
    if name in _CLOTHES:
        return _clothes(otype, name, value)
    return _vehicle(otype, name, value)


def parse_tags(q: Mapping[str, str], otype: str | None) -> list[str]:
    """The attribute filters of a query as search tags."""
    given = [name for name in sorted(ALL_FILTERS) if q.get(name) is not None]
    if not given:
        return []
    if otype is None:
        raise bad_request("missingParam", name="objectType")
    tags: list[str] = []
    for name in given:
        if name not in FILTERS[otype]:
            raise bad_request("unknownItem", item=name, name=f"objectType={otype}")
        tags += _filter(otype, name, q[name])
    return sorted(set(tags))


def parse_object_query(q: Mapping[str, str], tz: ZoneInfo, now: datetime) -> ObjectQuery:
    """The search a query asks for; a malformed value is a 400 (``ApiError``)."""
    window = parse_window(q, tz, now)
    otype = None
    if q.get("objectType") is not None:
        otype = q["objectType"].strip()
        if otype not in OBJECT_TYPES:
            raise bad_request("unknownItem", item=q["objectType"][:64], name="objectType")
    chids = None
    if q.get("ch") is not None:
        chids = sorted(set(parse_int_list("ch", q["ch"], lo=1)))
    return ObjectQuery(
        begin_ms=window.begin_ms,
        end_ms=window.end_ms,
        chids=chids,
        type=otype,
        tags=parse_tags(q, otype),
        at=window.at,
        max_count=window.max_count,
        ascending=window.ascending,
        count=parse_bool("totalCount", q.get("totalCount"), default=True),
    )


def image_url(base: str, image: str) -> str:
    """A stored image reference as an absolute URL (``base`` ends with ``/``)."""
    if crop_path(image) is not None:
        return f"{base}storage/{image}"
    if image.startswith("/"):
        return base + image[1:]
    return image


def render(rec: ObjectRecord, tz: ZoneInfo, base: str) -> dict[str, Any]:
    """One entry in the shape of the guide's example (the object event's fields)."""
    out: dict[str, Any] = {
        "timestamp": format_iso(utc_from_ms(rec.at_ms), tz),
        "chid": rec.chid,
        "objId": rec.obj_id,
    }
    if rec.parent_id is not None:
        out["parentId"] = rec.parent_id
    out["type"] = rec.type
    if rec.likelihood is not None:
        out["likelihood"] = round(rec.likelihood, 2)
    out["attributes"] = rec.attributes
    if rec.image:
        out["image"] = image_url(base, rec.image)
    return out


async def object_search(call: Call) -> Any:
    svc = call.svc
    query = parse_object_query(call.query, svc.tz, svc.clock.now())
    total, records = await svc.objects.search(query)
    base = public_base(call.request, svc)
    out: dict[str, Any] = {}
    if total is not None:
        out["totalCount"] = total
    out["at"] = query.at
    out["data"] = [render(r, svc.tz, base) for r in records]
    return out

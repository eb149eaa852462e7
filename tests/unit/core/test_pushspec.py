"""The POST /api/push body: every shape accepted, every bad input refused with the field named."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from nvrd.core.errors import ApiError, Kind
from nvrd.core.pushspec import (
    MAX_PUSH_ITEMS,
    BodyTemperaturePush,
    EmergencyPush,
    LprPush,
    ObjectPush,
    PackingPush,
    parse_body,
)

TZ = ZoneInfo("America/New_York")
NOW = datetime(2018, 2, 1, 19, 30, 15, tzinfo=UTC)
LPR = {"topic": "LPR", "src": "F00001", "plateNo": "DSP963"}
CALL = {
    "topic": "emergencyCall",
    "device": "vendor/device",
    "src": "0000001",
    "event": "callStart",
    "camera": "1,2,3,4",
    "when": "2018-02-01T14:30:15-05:00",
}


def bad(doc: Any) -> ApiError:
    with pytest.raises(ApiError) as info:
        parse_body(doc, TZ, NOW)
    assert info.value.kind is Kind.BAD_REQUEST
    return info.value


def test_guide_lpr_example_defaults() -> None:
    (item,) = parse_body(LPR, TZ, NOW)
    assert item == LprPush(
        at="", src="F00001", plate_no="DSP963", when=NOW, time_begin=NOW, image=()
    )


def test_lpr_all_fields() -> None:
    doc = {
        **LPR,
        "when": "2018-02-01T14:30:15-05:00",
        "timeBegin": "2018-02-01T14:30:14",  # no offset: server local time
        "score": 98,
        "roi": {"offset": [964, 560], "size": [187, 51]},
        "direction": "entry",
        "image": ["/storage/a.jpg", "https://cam/b.jpg"],
    }
    (item,) = parse_body(doc, TZ, NOW)
    assert isinstance(item, LprPush)
    assert item.when == datetime(2018, 2, 1, 19, 30, 15, tzinfo=UTC)
    assert item.time_begin == datetime(2018, 2, 1, 19, 30, 14, tzinfo=UTC)
    assert item.score == 98
    assert item.roi == {"offset": [964, 560], "size": [187, 51]}
    assert item.direction == "entry"
    assert item.image == ("/storage/a.jpg", "https://cam/b.jpg")
    (one,) = parse_body({**LPR, "image": "/x.jpg"}, TZ, NOW)
    assert isinstance(one, LprPush) and one.image == ("/x.jpg",)


def test_guide_array_example() -> None:
    items = parse_body([LPR, CALL], TZ, NOW)
    assert isinstance(items[0], LprPush) and items[0].at == "[0]."
    call = items[1]
    assert isinstance(call, EmergencyPush)
    assert call.at == "[1]."
    assert (call.src, call.device, call.event, call.camera) == (
        "0000001",
        "vendor/device",
        "callStart",
        (1, 2, 3, 4),
    )
    assert call.when == datetime(2018, 2, 1, 19, 30, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    ("camera", "expected"),
    [("", ()), ("3", (3,)), (" 1, 2 ,2", (1, 2)), ([4, 5], (4, 5)), (None, None)],
)
def test_emergency_camera_list(camera: Any, expected: Any) -> None:
    doc = {**CALL, "camera": camera}
    (item,) = parse_body(doc, TZ, NOW)
    assert isinstance(item, EmergencyPush) and item.camera == expected


def test_emergency_minimal() -> None:
    (item,) = parse_body({"topic": "emergencyCall", "src": "7", "event": "callEnd"}, TZ, NOW)
    assert item == EmergencyPush(at="", src="7", event="callEnd", when=NOW, device="", camera=None)


def test_object_and_extensions() -> None:
    face = {
        "topic": "object",
        "chid": 1,
        "objId": 132,
        "parentId": 130,
        "type": "face",
        "likelihood": 71.1,
        "attributes": {"gender": "female", "age": "adult", "hat": True, "vendorScore": 3},
        "image": "/storage/face.jpg",
    }
    human = {
        "topic": "object",
        "chid": 2,
        "objId": 1,
        "type": "human",
        "attributes": {"clothes": [{"type": "tops", "length": "long", "colors": ["white"]}]},
    }
    temp = {"topic": "bodyTemperature", "chid": 3, "objId": 9, "temperature": 38.2}
    pack = {"topic": "packing", "chid": 1, "code": "INV-1", "event": "start"}
    o, h, t, p = parse_body([face, human, temp, pack], TZ, NOW)
    assert isinstance(o, ObjectPush) and o.parent_id == 130 and o.attributes["vendorScore"] == 3
    assert isinstance(h, ObjectPush) and h.type == "human"
    assert t == BodyTemperaturePush(
        at="[2].", chid=3, obj_id=9, when=NOW, temperature=38.2, linked=(3,)
    )
    assert p == PackingPush(at="[3].", chid=1, code="INV-1", event="start", when=NOW)
    (v,) = parse_body({"topic": "object", "chid": 1, "objId": 2, "type": "vehicle"}, TZ, NOW)
    assert isinstance(v, ObjectPush) and v.attributes == {} and v.likelihood is None


@pytest.mark.parametrize(
    ("doc", "key", "params"),
    [
        ({"src": "x"}, "pushMissing", {"field": "topic"}),
        ({"topic": 5}, "pushType", {"field": "topic", "type": "string"}),
        ({"topic": "lpr"}, "pushUnknownTopic", {"field": "topic", "value": "lpr"}),
        ({"topic": "LPR", "plateNo": "A"}, "pushMissing", {"field": "src"}),
        ({"topic": "LPR", "src": "F", "plateNo": " "}, "pushBlank", {"field": "plateNo"}),
        ({**LPR, "src": 7}, "pushType", {"field": "src", "type": "string"}),
        ({**LPR, "plateno": "x"}, "pushUnknownField", {"field": "plateno"}),
        ({**LPR, "when": 1517513415}, "pushType", {"field": "when", "type": "string"}),
        ({**LPR, "when": "yesterday-ish"}, "badTime", {"name": "when", "value": "yesterday-ish"}),
        ({**LPR, "timeBegin": "2018-13-01"}, "badTime", {"name": "timeBegin"}),
        (
            {**LPR, "when": "2018-02-01T10:00:00Z", "timeBegin": "2018-02-01T10:00:01Z"},
            "pushTimeOrder",
            {"field": "timeBegin", "other": "when"},
        ),
        ({**LPR, "score": "98"}, "pushType", {"field": "score", "type": "number"}),
        ({**LPR, "score": True}, "pushType", {"field": "score", "type": "number"}),
        ({**LPR, "score": 101}, "outOfRange", {"name": "score", "lo": 0, "hi": 100}),
        ({**LPR, "direction": "in"}, "pushNotOneOf", {"field": "direction", "value": "in"}),
        ({**LPR, "roi": [1, 2]}, "pushType", {"field": "roi", "type": "object"}),
        ({**LPR, "roi": {"offset": [1, 2]}}, "pushMissing", {"field": "roi.size"}),
        ({**LPR, "roi": {"offset": [1], "size": [1, 2]}}, "pushPair", {"field": "roi.offset"}),
        (
            {**LPR, "roi": {"offset": [1, 2.5], "size": [1, 2]}},
            "pushType",
            {"field": "roi.offset[1]", "type": "integer"},
        ),
        ({**LPR, "roi": {"offset": [1, 2], "size": [1, 2], "z": 1}}, "pushUnknownField", {}),
        ({**LPR, "image": "ftp://x/y.jpg"}, "pushNotUrl", {"field": "image"}),
        ({**LPR, "image": ["/a.jpg", 3]}, "pushType", {"field": "image[1]"}),
        ({**LPR, "plateNo": "X" * 65}, "pushTooLong", {"field": "plateNo", "max": 64}),
        ({**CALL, "event": "ring"}, "pushNotOneOf", {"field": "event", "value": "ring"}),
        ({**CALL, "camera": "1,a"}, "pushChannelList", {"field": "camera", "value": "1,a"}),
        ({**CALL, "camera": "0"}, "outOfRange", {"name": "camera[0]"}),
        ({**CALL, "camera": 3}, "pushChannelList", {"field": "camera"}),
        ({**CALL, "device": ["x"]}, "pushType", {"field": "device", "type": "string"}),
        (
            {"topic": "object", "chid": 1, "objId": 1, "type": "cat"},
            "pushNotOneOf",
            {"field": "type", "value": "cat"},
        ),
        ({"topic": "object", "chid": 0, "objId": 1, "type": "face"}, "outOfRange", {}),
        (
            {"topic": "object", "chid": "1", "objId": 1, "type": "face"},
            "pushType",
            {"field": "chid", "type": "integer"},
        ),
        (
            {"topic": "object", "chid": 1, "objId": 1, "type": "face", "attributes": []},
            "pushType",
            {"field": "attributes", "type": "object"},
        ),
        (
            {"topic": "object", "chid": 1, "objId": 1, "type": "face", "attributes": {"hat": 1}},
            "pushType",
            {"field": "attributes.hat", "type": "boolean"},
        ),
        (
            {
                "topic": "object",
                "chid": 1,
                "objId": 1,
                "type": "vehicle",
                "attributes": {"colors": ["teal"]},
            },
            "pushNotOneOf",
            {"field": "attributes.colors[0]", "value": "teal"},
        ),
        (
            {
                "topic": "object",
                "chid": 1,
                "objId": 1,
                "type": "human",
                "attributes": {"clothes": [{"type": "hat"}]},
            },
            "pushNotOneOf",
            {"field": "attributes.clothes[0].type"},
        ),
        (
            {"topic": "object", "chid": 1, "objId": 1, "type": "face", "likelihood": float("nan")},
            "outOfRange",
            {"name": "likelihood"},
        ),
        ({"topic": "packing", "chid": 1, "code": "A", "event": "x"}, "pushNotOneOf", {}),
        ({"topic": "packing", "chid": 1, "event": "end"}, "pushMissing", {"field": "code"}),
        (
            {"topic": "bodyTemperature", "chid": 1, "objId": 1, "temperature": 500},
            "outOfRange",
            {"name": "temperature"},
        ),
        ("LPR", "pushNotObject", {"field": "body"}),
        ([], "pushNoEvent", {}),
    ],
)
def test_bad_single_items(doc: Any, key: str, params: dict[str, Any]) -> None:
    err = bad(doc)
    assert err.key == key
    for name, value in params.items():
        assert err.params[name] == value


def test_a_push_holds_at_most_1000_events() -> None:
    assert len(parse_body([LPR] * MAX_PUSH_ITEMS, TZ, NOW)) == MAX_PUSH_ITEMS
    err = bad([LPR] * (MAX_PUSH_ITEMS + 1))
    assert err.key == "pushTooManyEvents"
    assert err.params == {"max": MAX_PUSH_ITEMS, "count": MAX_PUSH_ITEMS + 1}


def test_array_errors_name_the_item() -> None:
    err = bad([LPR, {**LPR, "when": "not a time"}])
    assert err.key == "badTime"
    assert err.params == {"name": "[1].when", "value": "not a time"}
    assert bad([LPR, 5]).params == {"field": "[1]"}
    assert bad([LPR, {"plateNo": "x"}]).params == {"field": "[1].topic"}
    err = bad([CALL, CALL, {**CALL, "camera": "x"}])
    assert err.params["field"] == "[2].camera"


def test_times_in_the_server_zone_and_words() -> None:
    (a,) = parse_body({**LPR, "when": "2018-07-01T12:00:00"}, TZ, NOW)
    assert a.when == datetime(2018, 7, 1, 16, 0, tzinfo=UTC)  # EDT
    (b,) = parse_body({**LPR, "when": "now"}, TZ, NOW)
    assert b.when == NOW
    (c,) = parse_body({**LPR, "when": "2018-02-01T19:30:15.250Z"}, TZ, NOW)
    assert c.when.microsecond == 250000

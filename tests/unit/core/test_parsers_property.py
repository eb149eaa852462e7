"""Property tests: for any text, every core parser returns a value or raises the 400."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from nvrd.core import jsondoc
from nvrd.core.channelspec import BadField, SpecError, parse_item
from nvrd.core.limits import safe_rel_path
from nvrd.core.params import (
    INT_MAX,
    INT_MIN,
    bounded_int,
    parse_bool,
    parse_id,
    parse_indent,
    parse_int,
    parse_int_list,
)
from nvrd.core.pushspec import parse_body
from nvrd.core.timefmt import MAX_DURATION, MAX_TIME, MIN_TIME, parse_duration, parse_time
from tests.support.fuzz import FUZZ, NASTY, TEXT, returns_or_400

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
ZONES = st.sampled_from(
    [ZoneInfo(z) for z in ("UTC", "America/Chicago", "Asia/Seoul", "Pacific/Kiritimati")]
)


@FUZZ
@given(TEXT, ZONES)
def test_parse_time(text: str, tz: ZoneInfo) -> None:
    moment = returns_or_400(lambda: parse_time("when", text, tz, NOW))
    if moment is not None:
        assert moment.tzinfo is not None
        assert MIN_TIME <= moment <= MAX_TIME
        # whatever was taken can be shown in any zone and as milliseconds
        for zone in (tz, ZoneInfo("Pacific/Kiritimati"), ZoneInfo("Pacific/Pago_Pago")):
            moment.astimezone(zone).date() + timedelta(days=1)


@FUZZ
@given(TEXT)
def test_parse_duration(text: str) -> None:
    value = returns_or_400(lambda: parse_duration("duration", text))
    if value is not None:
        assert timedelta() <= value <= MAX_DURATION
        NOW + value  # never overflows


@FUZZ
@given(st.one_of(TEXT, st.integers().map(str)))
def test_parse_int(text: str) -> None:
    n = returns_or_400(lambda: parse_int("n", text))
    if n is not None:
        assert INT_MIN <= n <= INT_MAX
    assert bounded_int(text.strip()) == n
    i = returns_or_400(lambda: parse_id("ch", text))
    assert i is None or 1 <= i <= 2**31 - 1


@FUZZ
@given(st.integers())
def test_integers_round_trip(n: int) -> None:
    expected = n if INT_MIN <= n <= INT_MAX else None
    assert bounded_int(str(n)) == expected


@FUZZ
@given(TEXT)
def test_parse_bool_and_indent(text: str) -> None:
    value = returns_or_400(lambda: parse_bool("x", text))
    assert value in (True, False, None)
    indent = returns_or_400(lambda: parse_indent(text))
    assert indent is None or 1 <= indent <= 8


@FUZZ
@given(st.one_of(TEXT, st.lists(st.integers(), max_size=20).map(lambda v: ",".join(map(str, v)))))
def test_channel_lists(text: str) -> None:
    chids = returns_or_400(lambda: parse_int_list("ch", text, lo=1))
    if chids is not None:
        assert chids and all(1 <= c <= 2**31 - 1 for c in chids)


@FUZZ
@given(TEXT)
def test_safe_rel_path(text: str) -> None:
    ok = safe_rel_path(text)
    if ok:
        assert "\x00" not in text
        assert all(len(p.encode()) <= 255 for p in text.split("/"))


JSON_LEAF = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=20),
    st.sampled_from(NASTY),
)
JSON = st.recursive(
    JSON_LEAF,
    lambda kids: (
        st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=8), kids, max_size=4)
    ),
    max_leaves=20,
)


def _dumps(doc: Any) -> str:
    return json.dumps(doc, allow_nan=True)


@FUZZ
@given(st.one_of(TEXT, JSON.map(_dumps)))
def test_json_loads(text: str) -> None:
    doc = returns_or_400(lambda: jsondoc.loads(text))
    if doc is not None:
        json.dumps(doc, allow_nan=False).encode("utf-8")  # finite, valid Unicode


def test_json_depth_is_bounded_before_parsing() -> None:
    assert returns_or_400(lambda: jsondoc.loads("[" * 100_000)) is None
    assert jsondoc.loads("[" * 32 + "]" * 32) is not None
    assert returns_or_400(lambda: jsondoc.loads("[" * 33 + "]" * 33)) is None
    assert jsondoc.loads('["' + "[" * 40 + '"]') == ["[" * 40]


PUSH_ITEM = st.fixed_dictionaries(
    {"topic": st.sampled_from(["LPR", "emergencyCall", "object", "bodyTemperature", "packing"])},
    optional={
        "src": JSON_LEAF,
        "plateNo": JSON_LEAF,
        "when": st.one_of(TEXT, JSON_LEAF),
        "timeBegin": st.one_of(TEXT, JSON_LEAF),
        "score": JSON_LEAF,
        "roi": JSON,
        "direction": JSON_LEAF,
        "image": JSON,
        "device": JSON_LEAF,
        "event": st.sampled_from(["callStart", "callEnd", "start", "end", "x"]),
        "camera": st.one_of(TEXT, JSON),
        "chid": JSON_LEAF,
        "objId": JSON_LEAF,
        "type": st.sampled_from(["face", "human", "vehicle", "x"]),
        "attributes": JSON,
        "linkedChannel": JSON,
        "code": JSON_LEAF,
        "likelihood": JSON_LEAF,
        "temperature": JSON_LEAF,
    },
)


@FUZZ
@given(st.one_of(PUSH_ITEM, st.lists(PUSH_ITEM, max_size=3), JSON), ZONES)
def test_push_bodies(doc: Any, tz: ZoneInfo) -> None:
    items = returns_or_400(lambda: parse_body(doc, tz, NOW))
    for item in items or []:
        assert MIN_TIME <= item.when <= MAX_TIME


CHANNEL_ITEM = st.fixed_dictionaries(
    {},
    optional={
        "chid": JSON_LEAF,
        "name": JSON_LEAF,
        "source": st.one_of(TEXT, st.sampled_from(["rtsp://127.0.0.1/a", "/v.mp4"]), JSON_LEAF),
        "tcp": JSON_LEAF,
        "substream": JSON_LEAF,
        "uid": JSON_LEAF,
        "password": JSON_LEAF,
        "device": st.one_of(
            JSON, st.fixed_dictionaries({"url": st.one_of(TEXT, st.just("onvif://h:80"))})
        ),
        "playback": st.sampled_from(["once", "repeat", "x"]),
    },
)


@FUZZ
@given(st.one_of(CHANNEL_ITEM, JSON))
def test_channel_bodies(item: Any) -> None:
    try:
        chid, spec = parse_item(item)
    except (BadField, SpecError):
        return
    assert chid is None or 1 <= chid <= 2**31 - 1
    assert len(spec.name) <= 255 and len(spec.source) <= 2048
    spec.to_doc()

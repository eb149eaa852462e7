"""The parameters of /wsapi/dataExport and the event-backup trigger body: every
parameter, the guide's notations, and hostile input (hypothesis: only clear errors)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nvrd.core.errors import ApiError
from nvrd.export.params import parse_interval, parse_request, parse_size
from nvrd.export.trigger import BodyError, parse_trigger

TZ = ZoneInfo("America/New_York")
NOW = datetime(2018, 7, 27, 15, 0, tzinfo=UTC)
DAY = 7 * 24 * 3_600_000


def req(**q: str) -> Any:
    base = {"timeBegin": "2018-07-27T09:00:00\r\n", "timeEnd": "2018-07-27T09:30:00\r\n"}
    return parse_request({**base, **q}, TZ, NOW, "en-US", 2 << 30, DAY)


def test_the_guide_example_parameters() -> None:
    r = req(ch="1,2,3", mediaSize="500MB", subtitleFormat="VTT", statusInterval="1s",
            lang="es-ES", submitter="Begger", recipient="Prince", purpose="cold\r\nand hungry",
            md5="true", password=base64.b64encode(b"s3cret").decode())  # fmt: skip
    assert r.media_size == 524_288_000
    assert r.chids == (1, 2, 3) and r.subtitle == "VTT" and r.status_interval_ms == 1000
    assert r.purpose == "cold\r\nand hungry" and r.md5 and r.password == b"s3cret"
    # server local (New York, EDT) times with the guide's trailing CR LF
    assert r.end_ms - r.begin_ms == 30 * 60_000
    assert datetime.fromtimestamp(r.begin_ms / 1000, UTC).hour == 13


def test_defaults() -> None:
    r = req()
    assert r.chids is None and r.subtitle is None and r.status_interval_ms is None
    assert r.media_size == 2 << 30 and not r.md5 and r.password is None


@pytest.mark.parametrize(
    ("text", "value"),
    [("1GB", 1 << 30), ("700mb", 700 << 20), ("64KB", 65536), ("123B", 123), ("1000", 1000),
     ("1.5MB", 3 << 19)],
)  # fmt: skip
def test_sizes(text: str, value: int) -> None:
    assert parse_size("mediaSize", text) == value


@pytest.mark.parametrize(("text", "value"), [("1s", 1000), ("500ms", 500), ("2", 2000)])
def test_intervals(text: str, value: int) -> None:
    assert parse_interval("statusInterval", text) == value


@pytest.mark.parametrize(
    "query",
    [
        {"timeBegin": "yesterday-ish"},
        {"timeEnd": "2018-07-27T08:00:00"},
        {"timeEnd": "2018-08-27T08:00:00"},
        {"ch": "one"},
        {"ch": "0"},
        {"mediaSize": "big"},
        {"mediaSize": "0B"},
        {"statusInterval": "1h30m"},
        {"statusInterval": "0ms"},
        {"subtitleFormat": "ASS"},
        {"md5": "maybe"},
        {"password": "!!!"},
        {"password": ""},
        {"submitter": "x" * 300},
        {"purpose": "x" * 5000},
        {"bogus": "1"},
    ],
)
def test_bad_parameters_name_the_problem(query: dict[str, str]) -> None:
    with pytest.raises(ApiError) as err:
        req(**query)
    assert err.value.kind.status == 400


def test_missing_times() -> None:
    with pytest.raises(ApiError) as err:
        parse_request({"timeBegin": "2018-07-27T09:00:00"}, TZ, NOW, "en-US", 1, DAY)
    assert err.value.params == {"name": "timeEnd"}


@given(
    st.dictionaries(
        st.sampled_from(
            [
                "timeBegin",
                "timeEnd",
                "ch",
                "mediaSize",
                "statusInterval",
                "subtitleFormat",
                "md5",
                "password",
                "purpose",
            ]
        ),
        st.text(max_size=40),
    )
)
def test_any_query_is_a_request_or_a_clear_error(query: dict[str, str]) -> None:  # fmt: skip
    try:
        parse_request(query, TZ, NOW, "en-US", 1 << 20, DAY)
    except ApiError as err:
        assert err.kind.status == 400


@given(st.text(max_size=30))
def test_any_size_text_is_a_size_or_a_clear_error(text: str) -> None:
    try:
        assert parse_size("mediaSize", text) >= 1
    except ApiError as err:
        assert err.key == "badSize"


# ---------------------------------------------------------------- trigger


def body(**over: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "chid": 1,
        "timestamp": "2018-07-27T10:13:09.646",
        "title": "fire outbreak",
        "comment": {"location": "Building 101, 5th floor", "tel": "119"},
        "tasks": [
            {"command": "presetGo", "token": "preset1"},
            {"command": "eventBackup", "preAlarm": "5s", "postAlarm": "1m", "chids": [1, 2, 3]},
        ],
    }
    doc.update(over)
    return doc


def test_the_guide_trigger() -> None:
    t = parse_trigger(body(), TZ, NOW)
    assert t.chid == 1 and t.title == "fire outbreak" and t.presets == ("preset1",)
    assert t.backup is not None
    assert (t.backup.pre_ms, t.backup.post_ms, t.backup.chids) == (5000, 60_000, (1, 2, 3))
    assert datetime.fromtimestamp(t.event_ms / 1000, UTC) == datetime(
        2018, 7, 27, 14, 13, 9, 646000, tzinfo=UTC
    )


def test_chid_is_always_backed_up_and_bare_numbers_are_seconds() -> None:
    t = parse_trigger(
        body(chid=4, tasks=[{"command": "eventBackup", "preAlarm": 60, "postAlarm": 1.5,
                             "chids": [2, 4]}]),
        TZ, NOW,
    )  # fmt: skip
    assert t.backup is not None and t.backup.chids == (4, 2)
    assert (t.backup.pre_ms, t.backup.post_ms) == (60_000, 1500)


def test_no_timestamp_is_now() -> None:
    doc = body()
    del doc["timestamp"]
    assert parse_trigger(doc, TZ, NOW).event_ms == int(NOW.timestamp() * 1000)


@pytest.mark.parametrize(
    ("doc", "where"),
    [
        ([], "(body)"),
        (body(chid="1"), "chid"),
        ({"title": "x"}, "chid"),
        (body(timestamp="soon"), "timestamp"),
        (body(timestamp="2030-01-01T00:00:00Z"), "timestamp"),
        (body(title=7), "title"),
        (body(tasks={}), "tasks"),
        (body(tasks=[{"command": "explode"}]), "tasks[0].command"),
        (body(tasks=[{"command": "eventBackup", "preAlarm": "2h"}]), "tasks[0].preAlarm"),
        (body(tasks=[{"command": "eventBackup", "postAlarm": -1}]), "tasks[0].postAlarm"),
        (body(tasks=[{"command": "eventBackup", "postAlarm": True}]), "tasks[0].postAlarm"),
        (body(tasks=[{"command": "eventBackup", "chids": [1, "x"]}]), "tasks[0].chids[1]"),
        (body(tasks=[{"command": "eventBackup", "pre": 1}]), "tasks[0].pre"),
        (body(tasks=[{"command": "presetGo"}]), "tasks[0].token"),
        (body(tasks=[{"command": "eventBackup"}, {"command": "eventBackup"}]), "tasks[1]"),
        (body(extra=1), "extra"),
    ],
)
def test_bad_bodies_name_the_field(doc: Any, where: str) -> None:
    with pytest.raises(BodyError) as err:
        parse_trigger(doc, TZ, NOW)
    assert err.value.where == where


def test_a_deep_comment_is_refused() -> None:
    deep: Any = 1
    for _ in range(40):
        deep = [deep]
    with pytest.raises(BodyError) as err:
        parse_trigger(body(comment=deep), TZ, NOW)
    assert err.value.where == "comment"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(
    st.dictionaries(
        st.sampled_from(["chid", "timestamp", "title", "comment", "tasks", "x"]), json_values
    )
)
def test_any_json_body_is_a_trigger_or_a_field_error(doc: dict[str, Any]) -> None:  # fmt: skip
    try:
        parse_trigger(doc, TZ, NOW)
    except BodyError as err:
        assert err.where and err.problem

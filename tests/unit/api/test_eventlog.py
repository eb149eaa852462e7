"""/api/find?what=eventLog in-process (server zone America/New_York): every parameter,
paging, sort, translated names, and what nvrd logs by itself."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
from starlette.testclient import TestClient

from nvrd.api.context import Services
from nvrd.core.eventtypes import LogEntry
from tests.conftest import ADMIN, NOREMOTE, VIEWER, AppHarness, b64

AUTH = "auth=" + b64(ADMIN[0], ADMIN[1])


def ms(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp() * 1000)


# (type, code, time, param, comment, end)
ROWS: list[tuple[int, int, str, dict[str, Any], str | None, str | None]] = [
    (0, 25, "2018-01-05T10:00:00-05:00", {"storagePath": "%2Frec", "statusCode": 0}, None, None),
    (
        1,
        4,
        "2018-01-10T08:00:00-05:00",
        {"uid": "admin", "autoLogin": 1},
        "admin: Auto-login",
        None,
    ),
    (
        2,
        5,
        "2018-01-20T12:00:00-05:00",
        {"chid": 1, "statusCode": 408},
        None,
        "2018-01-20T12:05:00-05:00",
    ),
    (
        0,
        30,
        "2018-02-01T00:00:00-05:00",
        {"storagePathBefore": "a", "storagePathAfter": "b"},
        None,
        None,
    ),
    (6, 1, "2018-02-02T00:00:00-05:00", {}, "user", None),
]


@pytest.fixture
def c(harness: Callable[..., AppHarness]) -> Iterator[TestClient]:
    h = harness(server={"timezone": "America/New_York"})
    with h.client() as client:
        svc: Services = client.app.state.services  # type: ignore[attr-defined]
        for t, code, when, param, comment, end in ROWS:
            entry = LogEntry(t, code, ms(when), param, comment, end_ms=ms(end) if end else None)
            client.portal.call(svc.eventlog.append, entry)  # type: ignore[union-attr]
        yield client


def find(c: TestClient, query: str = "") -> Any:
    r = c.get(f"/api/find?what=eventLog&{AUTH}&{query}")
    assert r.status_code == 200, r.text
    return r.json()


def window(query: str = "") -> str:
    return "timeBegin=2018-01-01T00:00:00-05:00&timeEnd=2018-12-31T23:59:59-05:00&" + query


def test_shape_and_default_order(c: TestClient) -> None:
    got = find(c, window())
    assert got["totalCount"] == 5 and got["at"] == 0
    first, lost = got["data"][0], got["data"][2]
    ids = [d["id"] for d in got["data"]]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 5
    assert first == {
        "id": first["id"],
        "type": 6,
        "typeName": "User-defined event",
        "code": 1,
        "codeName": first["codeName"],
        "timeRange": ["2018-02-02T00:00:00.000-05:00"],
        "comment": "user",
    }
    assert lost["typeName"] == "Channel" and lost["codeName"] == "Camera connection lost"
    assert lost["timeRange"] == ["2018-01-20T12:00:00.000-05:00", "2018-01-20T12:05:00.000-05:00"]
    privacy = got["data"][3]
    assert privacy["param"] == {"uid": "admin", "autoLogin": 1}
    assert privacy["comment"] == "admin: Auto-login" and privacy["codeName"] == "Sign in"
    assert got["data"][4]["codeName"] == "Storage ready"


def test_sort_paging_and_type(c: TestClient) -> None:
    asc = find(c, window("sort=asc"))
    assert [d["code"] for d in asc["data"]] == [25, 4, 5, 30, 1]
    page = find(c, window("sort=asc&at=1&maxCount=2"))
    assert page["totalCount"] == 5 and page["at"] == 1
    assert [d["code"] for d in page["data"]] == [4, 5]
    only_system = find(c, window("type=0"))
    assert only_system["totalCount"] == 2 and [d["code"] for d in only_system["data"]] == [30, 25]
    two_types = find(c, window("type=1,2&sort=asc"))
    assert [d["type"] for d in two_types["data"]] == [1, 2]
    beyond = find(c, window("at=10"))
    assert beyond["totalCount"] == 5 and beyond["data"] == []


def test_time_window(c: TestClient) -> None:
    jan = find(
        c, "timeBegin=2018-01-01T00%3A00%3A00-05%3A00&timeEnd=2018-01-31T23%3A59%3A59.999-05%3A00"
    )
    assert [d["code"] for d in jan["data"]] == [5, 4, 25]
    after = find(c, "timeBegin=2018-01-15T00:00:00Z&type=0,1,2,6")
    assert after["totalCount"] >= 3  # and whatever nvrd logged itself today
    before = find(c, "timeEnd=2018-01-10T13:00:00Z")
    assert [d["code"] for d in before["data"]] == [4, 25]


def test_default_count_is_50_newest_first(c: TestClient) -> None:
    svc: Services = c.app.state.services  # type: ignore[attr-defined]
    for i in range(60):
        c.portal.call(svc.eventlog.append, LogEntry(6, 1, ms("2019-01-01T00:00:00Z") + i))  # type: ignore[union-attr]
    got = find(c, "type=6")
    assert got["totalCount"] == 61 and len(got["data"]) == 50
    assert got["data"][0]["timeRange"] == ["2018-12-31T19:00:00.059-05:00"]


def test_names_in_the_requested_language(c: TestClient) -> None:
    es = find(c, window("lang=es-ES&type=0&sort=asc"))
    assert es["data"][0]["typeName"] == "Registro del sistema"
    ko = find(c, window("lang=ko-KR&type=1"))
    assert ko["data"][0]["codeName"] != "Sign in"


@pytest.mark.parametrize(
    "query",
    [
        "sort=up",
        "type=x",
        "type=99",
        "type=-1",
        "at=-1",
        "at=one",
        "maxCount=0",
        "maxCount=100000",
        "timeBegin=yesterdayish",
        "timeBegin=2018-02-01T00:00:00Z&timeEnd=2018-01-01T00:00:00Z",
        "lang=xx-XX",
    ],
)
def test_bad_parameters_are_400(c: TestClient, query: str) -> None:
    r = c.get(f"/api/find?what=eventLog&{AUTH}&{query}")
    assert r.status_code == 400, (query, r.text)
    body = r.json()
    assert body["code"] == -1 and body["message"]


def test_rights(c: TestClient) -> None:
    assert c.get("/api/find?what=eventLog").status_code == 401
    viewer = "auth=" + b64(VIEWER[0], VIEWER[1])
    assert c.get(f"/api/find?what=eventLog&{viewer}").status_code == 200
    local = "auth=" + b64(NOREMOTE[0], NOREMOTE[1])
    assert c.get(f"/api/find?what=eventLog&{local}").status_code == 403


def test_nvrd_logs_start_sign_in_failure_and_sign_out(c: TestClient) -> None:
    bad = "auth=" + b64(ADMIN[0], "wrong")
    assert c.get(f"/api/info?all&{bad}").status_code == 401
    assert c.get(f"/api/find?what=eventLog&{AUTH}").status_code == 200
    assert c.get("/api/auth?logout").status_code in (200, 204)
    events: list[tuple[Any, Any, Any]] = []
    deadline = time.monotonic() + 10
    while (1, 5, "root") not in events and time.monotonic() < deadline:
        time.sleep(0.02)  # the writer is asynchronous: wait until it has written the sign-out
        got = find(c, "type=0,1&sort=asc&timeBegin=2020-01-01T00:00:00Z")
        events = [(d["type"], d["code"], d.get("param", {}).get("uid")) for d in got["data"]]
    assert events[0] == (0, 1, None)  # System startup
    assert (1, 6, "root") in events  # Sign-in failed
    assert (1, 4, "root") in events  # Sign in
    assert events[-1] == (1, 5, "root") or (1, 5, "root") in events  # Sign out

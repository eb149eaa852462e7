"""Hostile values on every parameter kind: a JSON 400 naming the problem, never a 500.

Integers past 64 bits or thousands of digits long, times the server cannot
represent, overflowing durations, deeply nested JSON, lone surrogates, NUL
bytes and over-long file names; booleans that say ``false``.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.conftest import ADMIN, AppHarness

CONFIG: dict[str, Any] = {
    "channel": [{"chid": 1, "title": "Camera1"}, {"chid": 2, "title": "Camera2"}],
    "lpr_source": [{"id": 1, "code": "1-1-7", "name": "Gate", "linked_channel": [1]}],
    "emergency_call": [{"code": "0000002", "name": "Stairs", "linked_channel": [1]}],
}
BIG = str(2**64)
HUGE = "9" * 5000
LATE = "9999-12-31T23:59:59.999-12:00"
EARLY = "0001-01-01T00:00:00+14:00"
ZERO = "0001-01-01T00:00:00Z"
T = "2024-01-01T00:00:00Z"


@pytest.fixture(scope="module")
def admin(module_harness: Callable[..., AppHarness]) -> Iterator[TestClient]:
    """One app for the module: every request here is refused, so nothing changes."""
    with module_harness(users=[ADMIN], **CONFIG).client() as c:
        c.auth = (ADMIN[0], ADMIN[1])
        yield c


@pytest.fixture
def app(harness: Callable[..., AppHarness]) -> AppHarness:
    """An app of its own, for the tests that look at what it asked for (restarts)."""
    return harness(users=[ADMIN], **CONFIG)


@pytest.fixture
def own(app: AppHarness) -> Iterator[TestClient]:
    with app.client() as c:
        c.auth = (ADMIN[0], ADMIN[1])
        yield c


def check_400(r: Any) -> None:
    assert r.status_code == 400, (r.status_code, r.text[:300])
    assert r.headers["content-type"].startswith("application/json")
    assert r.json()["code"] == -1


# -- booleans -------------------------------------------------------------------


@pytest.mark.parametrize("value", ["false", "0", "no", "off", "FALSE"])
def test_restart_false_does_not_restart(
    app: AppHarness, own: TestClient, value: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="nvrd.system"):
        r = own.get(f"/api/system?restart={value}")
    assert r.status_code == 200, r.text
    # A restart is scheduled (and logged) before the answer goes out, and asked for
    # 0.5 s later: no record means none is coming.
    assert not [rec for rec in caplog.records if "restart" in rec.getMessage()]
    assert app.restarts == []


@pytest.mark.parametrize("value", ["", "=true", "=1"])
def test_restart_true_restarts(app: AppHarness, own: TestClient, value: str) -> None:
    r = own.get(f"/api/system?restart{value}")
    assert r.status_code == 200, r.text
    deadline = time.monotonic() + 5
    while not app.restarts and time.monotonic() < deadline:
        time.sleep(0.05)
    assert app.restarts == [1]


def test_restart_junk_is_400(app: AppHarness, own: TestClient) -> None:
    check_400(own.get("/api/system?restart=maybe"))
    assert app.restarts == []


@pytest.mark.parametrize(
    "path",
    [
        "/api/channel/relay?ch=1&ls=junk",
        "/api/vod?ch=1&when=now&nameonly=junk",
        "/api/info?license=junk",
        "/api/channel/info?caps=junk",
    ],
)
def test_junk_booleans_are_400(admin: TestClient, path: str) -> None:
    r = admin.get(path)
    assert r.status_code in (200, 400), r.text
    if r.status_code == 200:  # device answers carry their own code
        assert r.json()["code"] != 0
    else:
        check_400(r)


def test_indent_zero_is_compact(admin: TestClient) -> None:
    r = admin.get("/api/info?apiVersion&siteName&indent=0")
    assert r.status_code == 200
    assert "\n" not in r.text and ": " not in r.text


# -- integers -------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        f"/api/vod?id={BIG}",
        f"/api/vod?id={HUGE}",
        f"/api/vod?ch={BIG}&when={T}",
        f"/api/vod?ch={HUGE}",
        f"/api/vod?ch=1&id={BIG}",
        f"/api/find?what=eventLog&at={BIG}",
        f"/api/find?what=eventLog&maxCount={HUGE}",
        f"/api/find?what=carNo&at={BIG}",
        f"/api/find?what=recDays&ch={BIG}",
        f"/api/status?ch={BIG}",
        f"/api/vod?ch=%C2%B2&when={T}",
        f"/api/channel/info?ch={BIG}",
        f"/api/system?hddsmart={BIG}",
        f"/api/vod?ch=1&when={T}&limit={BIG}",
    ],
)
def test_huge_integers_in_queries(admin: TestClient, path: str) -> None:
    check_400(admin.get(path))


def test_huge_channel_to_delete(admin: TestClient) -> None:
    r = admin.delete(f"/api/channel/{BIG}")
    assert r.status_code == 400, r.text
    r = admin.delete(f"/api/channel/{HUGE}")
    assert r.status_code == 400, r.text


@pytest.mark.parametrize("chid", [2**63, 2**64, -(2**63) - 1])
def test_huge_chid_in_channel_body(admin: TestClient, chid: int) -> None:
    body = json.dumps([{"chid": chid, "name": "x", "source": "rtsp://127.0.0.1:9/a"}])
    check_400(admin.post("/api/channel", content=body))


def test_thousands_of_digits_in_push_score(admin: TestClient) -> None:
    body = '{"topic":"LPR","src":"1-1-7","plateNo":"A1","score":' + HUGE + "}"
    check_400(admin.post("/api/push", content=body))


@pytest.mark.parametrize("ch", [BIG, HUGE, "%C2%B2"])
def test_watch_huge_channel(admin: TestClient, ch: str) -> None:
    r = admin.get(f"/watch?ch={ch}")
    assert r.status_code in (400, 404), r.status_code
    assert r.headers["content-type"].startswith("text/html")


# -- times and durations ---------------------------------------------------------


@pytest.mark.parametrize("when", [LATE, EARLY, ZERO, "9999-12-31T23:59:59Z"])
@pytest.mark.parametrize(
    "template",
    [
        "/api/vod?ch=1&when={t}",
        "/api/find?what=recDays&timeBegin={t}",
        "/api/find?what=recDays&timeEnd={t}",
        "/api/find?what=recMinutes&ch=1&timeBegin={t}",
        "/api/find?what=recMinutes&ch=1&timeEnd={t}",
        "/api/find?what=eventLog&timeBegin={t}",
        "/api/find?what=eventLog&timeEnd={t}",
        "/api/find?what=carNo&timeBegin={t}",
        "/api/find?what=carNo&timeEnd={t}",
    ],
)
def test_unrepresentable_times(admin: TestClient, template: str, when: str) -> None:
    from urllib.parse import quote

    check_400(admin.get(template.format(t=quote(when))))


@pytest.mark.parametrize("when", [LATE, EARLY, ZERO])
def test_unrepresentable_time_on_watch(admin: TestClient, when: str) -> None:
    from urllib.parse import quote

    r = admin.get(f"/watch?ch=1&when={quote(when)}")
    assert r.status_code == 400
    assert "badWhen" in r.text


@pytest.mark.parametrize("when", [LATE, EARLY, ZERO])
def test_unrepresentable_time_in_push(admin: TestClient, when: str) -> None:
    body = {"topic": "LPR", "src": "1-1-7", "plateNo": "A1", "when": when}
    check_400(admin.post("/api/push", json=body))


@pytest.mark.parametrize(
    "duration", ["99999999999999999999w", "5000000000000000000ms", "1" * 400 + "d"]
)
def test_overflowing_durations(admin: TestClient, duration: str) -> None:
    check_400(admin.get(f"/api/vod?ch=1&when={T}&duration={duration}"))


# -- JSON bodies ------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/push", "/api/channel"])
@pytest.mark.parametrize("opener", ["[", '{"a":'])
def test_deeply_nested_bodies(admin: TestClient, path: str, opener: str) -> None:
    check_400(admin.post(path, content=opener * 100_000))


@pytest.mark.parametrize("path", ["/api/push", "/api/channel"])
def test_moderately_nested_bodies_are_400_not_recursion(admin: TestClient, path: str) -> None:
    check_400(admin.post(path, content="[" * 200 + "]" * 200))


def test_lone_surrogate_in_plate(admin: TestClient) -> None:
    body = '{"topic":"LPR","src":"1-1-7","plateNo":"\\ud800"}'
    check_400(admin.post("/api/push", content=body))


def test_lone_surrogate_in_channel_name(admin: TestClient) -> None:
    body = '[{"name":"\\udfff","source":"rtsp://127.0.0.1:9/a"}]'
    check_400(admin.post("/api/channel", content=body))
    assert admin.get("/api/vod?nameonly").status_code == 200


@pytest.mark.parametrize("path", ["/api/push", "/api/channel"])
@pytest.mark.parametrize("body", ["NaN", "[Infinity]", '{"score": -Infinity}'])
def test_non_json_numbers(admin: TestClient, path: str, body: str) -> None:
    check_400(admin.post(path, content=body))


# -- file names ------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/storage/0/x%00.mp4",
        "/storage/0/" + "a" * 300 + ".mp4",
        "/storage/0/" + "a" * 5000 + ".mp4",
        "/storage/99999999999999999999999/x.mp4",
        "/storage/" + "9" * 5000 + "/x.mp4",
        "/download/abc/x%00.mp4",
        "/download/abc/" + "a" * 300 + ".mp4",
        "/download/carNo/abc/x%00.xls",
        "/download/carNo/abc/" + "a" * 300 + ".xls",
        "/storage/plates/x%00.jpg",
        "/storage/plates/" + "a" * 300 + ".jpg",
        "/event-storage/x%00.mp4",
        "/event-storage/" + "a" * 300 + ".mp4",
        "/hls/main/" + "a" * 300,
        "/static/x%00.js",
    ],
)
def test_bad_file_names(admin: TestClient, path: str) -> None:
    r = admin.get(path)
    assert r.status_code in (400, 404), (r.status_code, r.text[:200])
    assert r.headers["content-type"].startswith("application/json")


@pytest.mark.parametrize(
    "query", ["showTitle=junk", "showPlayTime=2", "showTitle=false&showPlayTime=x"]
)
def test_watch_junk_boolean_is_400_on_the_page(admin: TestClient, query: str) -> None:
    r = admin.get(f"/watch?ch=1&{query}")
    assert r.status_code == 400
    assert r.headers["content-type"].startswith("text/html")
    assert '"key":"badParam"' in r.text


@pytest.mark.parametrize("query", ["showTitle=false", "showTitle=0&showPlayTime=true", ""])
def test_watch_good_booleans(admin: TestClient, query: str) -> None:
    assert admin.get(f"/watch?ch=1&{query}").status_code == 200


def test_license_lists_the_configured_add_ons(admin: TestClient) -> None:
    lic = admin.get("/api/info?license").json()["license"]
    assert lic["extension"] == ["lprExt", "lprKiosk", "emergencyCall", "packing"]


def test_license_without_registries(client: TestClient) -> None:
    lic = client.get("/api/info?license").json()["license"]
    assert lic["extension"] == ["packing"]


# -- length limits ---------------------------------------------------------------

LONG = "x" * 5000


@pytest.mark.parametrize(
    ("item", "field"),
    [
        ({"name": "x" * 256, "source": "rtsp://127.0.0.1:9/a"}, "[0].name"),
        ({"name": "a", "source": "rtsp://127.0.0.1:9/" + LONG}, "[0].source"),
        ({"name": "a", "source": "/videos/" + LONG + ".mp4"}, "[0].source"),
        ({"name": "a", "source": "rtsp://127.0.0.1:9/a", "uid": LONG}, "[0].uid"),
        ({"name": "a", "source": "rtsp://127.0.0.1:9/a", "password": LONG}, "[0].password"),
        (
            {"name": "a", "device": {"name": LONG, "url": "onvif://127.0.0.1:8000"}},
            "[0].device.name",
        ),
        ({"name": "a", "device": {"url": "onvif://127.0.0.1:8000/" + LONG}}, "[0].device.url"),
    ],
)
def test_channel_strings_are_bounded(admin: TestClient, item: Any, field: str) -> None:
    r = admin.post("/api/channel", json=[item])
    check_400(r)
    assert field in r.json()["message"]
    assert [c["chid"] for c in admin.get("/api/vod?nameonly").json()] == [1, 2]


@pytest.mark.parametrize(
    ("item", "field"),
    [
        ({"topic": "LPR", "src": "1-1-7", "plateNo": "P" * 65}, "plateNo"),
        ({"topic": "LPR", "src": "S" * 65, "plateNo": "A1"}, "src"),
        ({"topic": "LPR", "src": "1-1-7", "plateNo": "A1", "image": "/" + LONG}, "image"),
        (
            {"topic": "emergencyCall", "src": "0000002", "event": "callStart", "device": LONG},
            "device",
        ),
        ({"topic": "packing", "chid": 1, "code": LONG, "event": "start"}, "code"),
        (
            {"topic": "object", "chid": 1, "objId": 1, "type": "face", "attributes": {"x": LONG}},
            "attributes.x",
        ),
        (
            {"topic": "object", "chid": 1, "objId": 1, "type": "face", "attributes": {LONG: 1}},
            "attributes",
        ),
    ],
)
def test_push_strings_are_bounded(admin: TestClient, item: Any, field: str) -> None:
    r = admin.post("/api/push", json=item)
    check_400(r)
    assert field in r.json()["message"]

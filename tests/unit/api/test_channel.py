"""POST /api/channel and DELETE /api/channel/{ids}: every code of the guide, and bad bodies."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from starlette.testclient import TestClient

from nvrd.events.types import ChannelStatusChanged
from tests.conftest import ADMIN, VIEWER, AppHarness

SETTINGS_USER = ("installer", "inst-pass", "Settings,Remote", False)
USERS = [ADMIN, VIEWER, SETTINGS_USER]
RTSP = {"name": "Door", "source": "rtsp://127.0.0.1:9/stream1", "uid": "admin", "password": "pw"}
ONVIF = {
    "name": "PTZ",
    "source": "rtsp://127.0.0.1:9/s",
    "substream": False,
    "device": {"name": "Cam", "url": "onvif://127.0.0.1:8000"},
}
FILE = {"name": "Clip", "source": "/nonexistent/clip.mp4", "playback": "once"}


@pytest.fixture
def admin(harness: Callable[..., AppHarness]) -> Iterator[TestClient]:
    with harness(users=USERS, server={"max_channels": 4}).client() as c:
        c.auth = (ADMIN[0], ADMIN[1])
        yield c


def test_add_three_kinds(admin: TestClient) -> None:
    r = admin.post("/api/channel", json=[RTSP, ONVIF, FILE])
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == {"code": 0, "message": "Channels were added successfully."}
    rtsp, onvif, file = body["added"]
    assert rtsp == {
        "chid": 1,
        "name": "Door",
        "type": "rtsp",
        "source": "rtsp://admin:pw@127.0.0.1:9/stream1",
        "tcp": True,
    }
    assert onvif["type"] == "onvif" and onvif["device"] == "onvif://127.0.0.1:8000"
    assert onvif["chid"] == 2 and onvif["substream"] is False and onvif["tcp"] is True
    assert file == {
        "chid": 3,
        "name": "Clip",
        "type": "file",
        "source": "/nonexistent/clip.mp4",
        "playback": "once",
    }
    listed = admin.get("/api/enum?what=channel").json()
    assert [(c["chid"], c["title"]) for c in listed] == [(1, "Door"), (2, "PTZ"), (3, "Clip")]
    assert "pw" not in admin.get("/api/enum?what=channel&staticSrc&caps").text
    assert [s["chid"] for s in admin.get("/api/status").json()] == [1, 2, 3]


def test_single_object_body_and_playback_default(admin: TestClient) -> None:
    r = admin.post("/api/channel", json={"source": "/v/a.mp4"})
    assert r.json()["added"][0]["playback"] == "repeat"


def test_credentials_echoed_only_to_admin(harness: Callable[..., AppHarness]) -> None:
    with harness(users=USERS).client() as c:
        r = c.post("/api/channel", json=[RTSP], auth=SETTINGS_USER[:2])
        assert r.status_code == 200
        assert r.json()["added"][0]["source"] == "rtsp://127.0.0.1:9/stream1"


def test_rights(harness: Callable[..., AppHarness]) -> None:
    with harness(users=USERS).client() as c:
        assert c.post("/api/channel", json=[FILE]).status_code == 401
        assert c.post("/api/channel", json=[FILE], auth=VIEWER[:2]).status_code == 403
        assert c.delete("/api/channel/1", auth=VIEWER[:2]).status_code == 403
        assert c.delete("/api/channel/1").status_code == 401


def test_auto_chid_fills_the_first_gap(admin: TestClient) -> None:
    admin.post("/api/channel", json=[{"chid": 1, **FILE}, {"chid": 3, **FILE}])
    r = admin.post("/api/channel", json=[FILE, FILE])
    assert [a["chid"] for a in r.json()["added"]] == [2, 4]


def test_item_errors_and_partial_success(admin: TestClient) -> None:
    admin.post("/api/channel", json=[{"chid": 2, **FILE}])
    r = admin.post(
        "/api/channel",
        json=[
            {"chid": 2, **FILE},  # -1 in use
            {"name": "no source"},  # -2
            {"source": "rtsp://h/s", "device": {"name": "x"}},  # -3
            FILE,  # added as 1
        ],
    )
    assert r.status_code == 200
    body = r.json()
    assert body["status"]["code"] == -5
    assert body["status"]["message"] == "Only some channels have been added."
    assert [a["chid"] for a in body["added"]] == [1]
    assert [(f["source"], f["code"]) for f in body["failed"]] == [
        ("/nonexistent/clip.mp4", -1),
        ("", -2),
        ("rtsp://h/s", -3),
    ]


def test_license_maximum(admin: TestClient) -> None:
    r = admin.post("/api/channel", json=[FILE] * 5)
    body = r.json()
    assert body["status"]["code"] == -5
    assert len(body["added"]) == 4 and [f["code"] for f in body["failed"]] == [-4]
    r = admin.post("/api/channel", json=[FILE])
    assert r.status_code == 400
    assert r.json()["status"] == {"code": -6, "message": "Channels cannot be added."}
    assert r.json()["failed"][0]["code"] == -4


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"{not json", "not valid JSON"),
        (b"[]", "no channel"),
        (b'[{"source": "/a.mp4", "colour": "red"}]', "[0].colour: unknown field"),
        (b'[{"source": "/a.mp4", "chid": "1"}]', "[0].chid: must be int"),
        (b'[{"source": "/a.mp4", "chid": true}]', "[0].chid: must be int"),
        (b'[{"source": "/a.mp4", "chid": 0}]', "[0].chid"),
        (b'[{"source": "rtsp://h/s", "tcp": "yes"}]', "[0].tcp: must be bool"),
        (b'[{"source": "/a.mp4", "playback": "twice"}]', "[0].playback"),
        (b'[{"source": "http://h/s"}]', "[0].source"),
        (b'[{"source": "rtsp://h/s", "device": {"url": 5}}]', "[0].device.url"),
        (b'[{"source": "rtsp://h/s", "device": "onvif://x"}]', "[0].device: must be dict"),
        (b"[1, 2]", "must be an object"),
        (b'"text"', "must be an object"),
        (b"\xff\xfe", "not valid JSON"),
    ],
)
def test_bad_bodies_are_400_and_change_nothing(
    admin: TestClient, body: bytes, fragment: str
) -> None:
    r = admin.post("/api/channel", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 400, r.text
    assert r.json()["code"] == -1 and fragment in r.json()["message"]
    assert admin.get("/api/enum?what=channel").json() == []


def test_too_large_body(admin: TestClient) -> None:
    r = admin.post("/api/channel", content=b"[" + b" " * (2 * 1024 * 1024) + b"]")
    assert r.status_code == 413
    assert r.json()["code"] == -6


def test_delete_codes(admin: TestClient) -> None:
    admin.post("/api/channel", json=[FILE, FILE, FILE])
    r = admin.delete("/api/channel/1")
    assert r.status_code == 200
    assert r.json() == {
        "status": {"code": 0, "message": "Channels were deleted successfully."},
        "deleted": [1],
    }
    r = admin.delete("/api/channel/2,9")
    assert r.json()["status"]["code"] == -9
    assert r.json()["deleted"] == [2] and r.json()["failed"] == [9]
    r = admin.delete("/api/channel/9")
    assert r.status_code == 404 and r.json()["status"]["code"] == -8
    r = admin.delete("/api/channel/8,9")
    assert r.status_code == 404 and r.json()["status"]["code"] == -10
    for bad in ("/api/channel/", "/api/channel/abc", "/api/channel/0", "/api/channel/1,x"):
        r = admin.delete(bad)
        assert r.status_code == 400, bad
        assert r.json()["status"]["code"] == -7
    assert admin.delete("/api/channel/all").json()["deleted"] == [3]
    assert admin.get("/api/enum?what=channel").json() == []
    assert admin.delete("/api/channel/all").json()["status"]["code"] == 0


def test_messages_follow_lang(admin: TestClient) -> None:
    r = admin.post("/api/channel?lang=vi-VN", json=[FILE])
    assert r.json()["status"]["message"] == "Đã thêm kênh thành công."


def test_status_events_are_published(admin: TestClient) -> None:
    bus = admin.app.state.services.bus  # type: ignore[attr-defined]
    sub = bus.subscribe([ChannelStatusChanged])
    admin.post("/api/channel", json=[FILE])
    import time

    deadline = time.monotonic() + 5
    codes = []
    while time.monotonic() < deadline and 1404 not in codes:
        try:
            ev = sub.get_nowait()
        except Exception:
            time.sleep(0.05)
            continue
        if isinstance(ev, ChannelStatusChanged):
            codes.append(ev.code)
    assert 1404 in codes

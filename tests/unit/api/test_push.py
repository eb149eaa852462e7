"""POST /api/push: authentication, validation, what is published on the bus, what is stored."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from nvrd.api.parking import lot_items
from nvrd.events.bus import Subscription
from nvrd.events.types import (
    LogRequested,
)
from tests.conftest import ADMIN, VIEWER, AppHarness, b64
from tests.support.pushed import KINDS, Seen, seen

CONFIG: dict[str, Any] = {
    "server": {"timezone": "America/Chicago"},
    "channel": [
        {"chid": 1, "title": "Camera1"},
        {"chid": 2, "title": "Camera2"},
        {"chid": 3, "title": ""},
    ],
    "lpr_source": [
        {
            "id": 1,
            "code": "1-1-7",
            "name": "B1 Parking Lot",
            "linked_channel": [1, 2],
            "parking_entrance": 1,
            "parking_exit": 2,
        },
        {"id": 2, "code": "F00001", "linked_channel": [2]},
        {"id": 3, "code": "GATE-IN", "parking_entrance": 1},
        {"id": 4, "code": "OFF", "tag": "NotUsed"},
    ],
    "emergency_call": [{"code": "0000002", "name": "B1 Stairs", "linked_channel": [1, 2]}],
    "parking_lot": [
        {"id": 1, "name": "B1 Parking Lot", "max_count": 2},
        {"id": 2, "name": "B2 Parking Lot", "max_count": 10},
        {"id": 3, "name": "Total", "type": "group", "member": [1, 2]},
    ],
}
WHEN = "2018-06-27T10:42:06.575-05:00"
WHEN_Q = "2018-06-27T10%3A42%3A06.575-05%3A00"
LPR = {
    "topic": "LPR",
    "src": "1-1-7",
    "plateNo": "DSP963",
    "when": WHEN,
    "timeBegin": "2018-06-27T10:42:02.573-05:00",
    "score": 98,
    "roi": {"offset": [964, 560], "size": [187, 51]},
    "direction": "entry",
    "image": "/storage/e/0/plate.jpg",
}
CALL = {
    "topic": "emergencyCall",
    "device": "Sammul/Vizufon",
    "src": "0000002",
    "event": "callStart",
    "when": "2018-06-27T10:56:16.316-05:00",
}


@pytest.fixture
def app(harness: Callable[..., AppHarness]) -> AppHarness:
    return harness(users=[ADMIN, VIEWER], **CONFIG)


@pytest.fixture
def client(app: AppHarness) -> Iterator[TestClient]:
    with app.client() as c:
        c.auth = (VIEWER[0], VIEWER[1])
        yield c


def subscribe(c: TestClient) -> Subscription:
    return c.app.state.services.bus.subscribe(KINDS)  # type: ignore[attr-defined,no-any-return]


def drain(sub: Subscription) -> list[Seen]:
    """What was published, less the sign-in entries of the event log."""
    out = []
    while not sub._queue.empty():
        event = sub.get_nowait()
        assert event is not None
        if not isinstance(event, LogRequested) or event.type == 5:
            out.append(seen(event))
    return out


def ref(chid: int, title: str, when: str | None = WHEN_Q) -> dict[str, Any]:
    src = f"/watch?ch={chid}" + (f"&when={when}" if when else "")
    name = f"CH{chid}. {title}" if title else f"CH{chid}"
    return {"chid": chid, "title": title, "displayName": name, "src": src}


def lot(i: int, name: str, count: int, max_count: int, member: list[int] | None = None) -> Any:
    doc: dict[str, Any] = {
        "id": i,
        "name": name,
        "type": "group" if member is not None else "counter",
        "count": count,
        "maxCount": max_count,
    }
    if member is not None:
        doc["member"] = member
    return doc


def test_lpr_with_basic_auth_as_in_the_guide(client: TestClient) -> None:
    sub = subscribe(client)
    r = client.post(
        "/api/push", json=LPR, headers={"Content-Type": "application/json; charset=UTF-8"}
    )
    assert r.status_code == 200, r.text
    assert r.content == b""
    lpr, count = drain(sub)
    assert lpr.topic == "LPR"
    assert lpr.data == {
        "message": {
            "timestamp": WHEN,
            "chid": ref(1, "Camera1"),
            "deviceCode": "1-1-7",
            "deviceName": "B1 Parking Lot",
            "linkedChannel": [ref(2, "Camera2")],
            "image": "/storage/e/0/plate.jpg",
            "plateNo": "DSP963",
            "score": 98,
            "roi": {"offset": [964, 560], "size": [187, 51]},
            "timeBegin": "2018-06-27T10:42:02.573-05:00",
            "topic": "LPR",
            "parkingLot": {"entrance": 1, "exit": 2},
            "direction": "entry",
        },
        "chids": [1, 2],
    }
    assert count.topic == "parkingCount"
    assert set(count.data) == {"message", "lots"}
    assert count.data["lots"] == [1, 3]
    msg = count.data["message"]
    assert set(msg) == {"timestamp", "topic", "updated"} and msg["topic"] == "parkingCount"
    assert msg["updated"] == [lot(1, "B1 Parking Lot", 1, 2), lot(3, "Total", 1, 12, [1, 2])]

    svc = client.app.state.services  # type: ignore[attr-defined]
    (rec,) = client.portal.call(svc.integrations.lprlog.between, 0, 2**62)  # type: ignore[union-attr]
    assert (rec.plate_no, rec.src_code, rec.src_name, rec.src_id) == (
        "DSP963",
        "1-1-7",
        "B1 Parking Lot",
        1,
    )
    assert (rec.chid, rec.linked, rec.score, rec.direction) == (1, (1, 2), 98.0, "entry")
    assert (rec.parking_entrance, rec.parking_exit, rec.image) == (
        1,
        2,
        ("/storage/e/0/plate.jpg",),
    )
    assert rec.when_ms - rec.time_begin_ms == 4002


def test_array_with_auth_parameter(app: AppHarness) -> None:
    with app.client() as c:
        sub = subscribe(c)
        body = [
            {"topic": "LPR", "src": "F00001", "plateNo": "55EV96"},
            {**CALL, "camera": "1,2,3"},
            {**CALL, "event": "callEnd", "camera": ""},
        ]
        r = c.post(f"/api/push?auth={b64(VIEWER[0], VIEWER[1])}", json=body)
        assert r.status_code == 200, r.text
        events = drain(sub)
    assert [e.topic for e in events] == ["LPR", "emergencyCall", "log", "emergencyCall", "log"]
    lpr = events[0].data["message"]
    assert lpr["chid"]["chid"] == 2 and lpr["linkedChannel"] == []
    assert "parkingLot" not in lpr and "direction" not in lpr and "image" not in lpr
    assert "score" not in lpr and "roi" not in lpr
    assert lpr["timeBegin"] == lpr["timestamp"]
    assert events[0].data["chids"] == [2]
    start = events[1].data
    assert start == {
        "message": {
            "timestamp": "2018-06-27T10:56:16.316-05:00",
            "caller": "0000002",
            "device": "Sammul/Vizufon",
            "event": "callStart",
            "linkedChannel": [ref(1, "Camera1", None), ref(2, "Camera2", None)],
            "name": "B1 Stairs",
            "topic": "emergencyCall",
            "camera": [1, 2, 3],
        },
        "chids": [1, 2, 3],
    }
    assert events[2].data == {
        "type": 5,
        "code": 1,
        "param": {"caller": "0000002", "name": "B1 Stairs", "device": "Sammul/Vizufon"},
        "comment": None,
        "chid": 1,
        "time_ms": 1530114976316,
    }
    assert events[3].data["message"]["camera"] == []
    assert events[3].data["message"]["event"] == "callEnd"
    assert events[4].data["code"] == 2


def test_emergency_without_camera_has_no_camera_item(client: TestClient) -> None:
    sub = subscribe(client)
    assert client.post("/api/push", json=CALL).status_code == 200
    call = drain(sub)[0]
    assert "camera" not in call.data["message"] and call.data["chids"] == [1, 2]


def test_objects_body_temperature_and_packing(client: TestClient) -> None:
    sub = subscribe(client)
    face = {
        "topic": "object",
        "chid": 1,
        "objId": 132,
        "parentId": 130,
        "type": "face",
        "likelihood": 71.1,
        "attributes": {"gender": "female", "age": "adult", "hat": True},
        "image": "/storage/face.jpg",
        "when": "2020-05-25T13:56:02.558-05:00",
    }
    temp = {
        "topic": "bodyTemperature",
        "chid": 3,
        "objId": 182,
        "likelihood": 99.6,
        "temperature": 38.4,
        "linkedChannel": [3, 1],
        "when": "2020-05-25T14:23:58.768-05:00",
    }
    pack = {"topic": "packing", "chid": 2, "code": "INV-1", "event": "start", "when": WHEN}
    r = client.post("/api/push", json=[face, temp, pack])
    assert r.status_code == 200, r.text
    obj, body, packing = drain(sub)
    assert obj.topic == "object"
    assert obj.data == {
        "message": {
            "timestamp": "2020-05-25T13:56:02.558-05:00",
            "chid": 1,
            "objId": 132,
            "parentId": 130,
            "type": "face",
            "likelihood": 71.1,
            "attributes": {"gender": "female", "age": "adult", "hat": True},
            "image": "/storage/face.jpg",
            "topic": "object",
        },
        "chids": [1],
        "objectType": "face",
    }
    assert body.topic == "bodyTemperature"
    assert body.data == {
        "message": {
            "timestamp": "2020-05-25T14:23:58.768-05:00",
            "chid": 3,
            "objId": 182,
            "type": "bodyTemperature",
            "likelihood": 99.6,
            "temperature": 38.4,
            "linkedChannel": [ref(3, "", None), ref(1, "Camera1", None)],
            "topic": "bodyTemperature",
        },
        "chids": [3, 1],
        "objectType": "bodyTemperature",
    }
    assert packing.topic == "packing"
    assert packing.data == {
        "message": {
            "timestamp": WHEN,
            "topic": "packing",
            "chid": ref(2, "Camera2"),
            "code": "INV-1",
            "event": "start",
        },
        "chids": [2],
    }


def test_sign_in_is_required(app: AppHarness) -> None:
    with app.client() as c:
        assert c.post("/api/push", json=LPR).status_code == 401
        assert c.post("/api/push", json=LPR, auth=("viewer", "wrong")).status_code == 401
        assert c.get("/api/auth", params={"auth": b64(ADMIN[0], ADMIN[1])}).status_code == 200
        assert c.post("/api/push", json=LPR).status_code == 200  # the session cookie
        assert c.get("/api/push").status_code == 405


def test_body_problems(client: TestClient) -> None:
    big = b'{"topic": "LPR", "src": "1-1-7", "plateNo": "' + b"x" * (1024 * 1024) + b'"}'
    r = client.post("/api/push", content=big)
    assert r.status_code == 413 and r.json()["code"] == -6
    r = client.post("/api/push", content=b"topic=LPR")
    assert r.status_code == 400 and r.json()["code"] == -1
    assert "not valid JSON" in r.json()["message"]
    assert client.post("/api/push", content=b"\xff\xfe").status_code == 400
    r = client.post("/api/push", json=[])
    assert r.json()["message"] == "The request body holds no event."


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"src": "1-1-7"}, "topic: this item is required."),
        ({"topic": "LPR2"}, 'topic: unknown topic "LPR2" (one of '),
        ([LPR, {**LPR, "when": "27/06/2018"}], '[1].when is not an ISO 8601 time: "27/06/2018".'),
        ({**LPR, "src": "OFF"}, 'src: the LPR source "OFF" is not in use.'),
        ({**CALL, "src": "9"}, 'src: no emergency call device with code "9".'),
        ({**LPR, "score": "high"}, "score: must be of JSON type number."),
        (
            [LPR, {"topic": "object", "chid": 9, "objId": 1, "type": "face"}],
            "[1].chid: channel 9 does not exist.",
        ),
        (
            {"topic": "bodyTemperature", "chid": 1, "objId": 1, "linkedChannel": [8]},
            "linkedChannel[0]: channel 8 does not exist.",
        ),
    ],
)
def test_bad_bodies_apply_nothing(client: TestClient, body: Any, message: str) -> None:
    sub = subscribe(client)
    r = client.post("/api/push", json=body)
    assert r.status_code == 400
    assert r.json()["code"] == -1
    assert r.json()["message"].startswith(message), r.json()["message"]
    assert drain(sub) == []
    svc = client.app.state.services  # type: ignore[attr-defined]
    assert client.portal.call(svc.integrations.lprlog.between, 0, 2**62) == []  # type: ignore[union-attr]
    assert client.get("/api/enum?what=parkingLot").json()["counter"][0]["count"] == 0


def test_error_messages_follow_lang(client: TestClient) -> None:
    r = client.post("/api/push?lang=ko-KR", json={**CALL, "src": "NOPE"})
    assert r.status_code == 400
    assert r.json()["message"] == 'src: 위치 코드가 "NOPE"인 비상 호출 장치가 없습니다.'


def test_parking_counts_follow_entries_and_exits_and_persist(app: AppHarness) -> None:
    def push(c: TestClient, src: str, direction: str | None) -> list[Seen]:
        sub = subscribe(c)
        item: dict[str, Any] = {"topic": "LPR", "src": src, "plateNo": "A1"}
        if direction:
            item["direction"] = direction
        assert c.post("/api/push", json=item).status_code == 200
        events = drain(sub)
        sub.close()
        return [e for e in events if e.topic == "parkingCount"]

    def counts(c: TestClient) -> dict[int, int]:
        doc = c.get("/api/enum?what=parkingLot").json()
        return {d["id"]: d["count"] for d in doc["counter"] + doc["group"]}

    with app.client() as c:
        c.auth = (VIEWER[0], VIEWER[1])
        assert len(push(c, "1-1-7", "entry")) == 1
        assert len(push(c, "GATE-IN", None)) == 1  # only an entrance: an entry
        (over,) = push(c, "GATE-IN", None)  # a lot may be over-full
        assert over.data["message"]["updated"][0]["count"] == 3
        assert push(c, "1-1-7", None) == []  # both entrance and exit: cannot tell
        assert push(c, "F00001", "entry") == []  # no parking lot
        assert push(c, "1-1-7", "exit") == []  # the exit of lot 2, which is empty
        assert counts(c) == {1: 3, 2: 0, 3: 3}
        svc = c.app.state.services  # type: ignore[attr-defined]
        snap = c.portal.call(svc.integrations.parking_snapshot, None)  # type: ignore[union-attr]
        assert [d.id for d in snap] == [1, 2, 3]
        only = c.portal.call(svc.integrations.parking_snapshot, {3})  # type: ignore[union-attr]
        assert lot_items(only) == [lot(3, "Total", 3, 12, [1, 2])]
    again = AppHarness(app.settings, [], [])
    with again.client() as c:
        c.auth = (VIEWER[0], VIEWER[1])
        assert counts(c) == {1: 3, 2: 0, 3: 3}
        c.post("/api/push", json={"topic": "LPR", "src": "1-1-7", "plateNo": "x"})
        assert counts(c) == {1: 3, 2: 0, 3: 3}

"""Pushed events reach /wsapi/subscribeEvents subscribers of a real server: LPR,
emergency calls, parking counts, objects; the ``ch`` and ``objectType`` filters;
a subscriber that stops reading is dropped while the others keep receiving."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.e2e.events_client import Subscriber, events_url
from tests.e2e.server import ServerProcess

CONFIG = """
[events]
subscriber_queue = 50
send_timeout_seconds = 2
[[channel]]
chid = 1
title = "Gate"
source = "/nonexistent/gate.mp4"
[[channel]]
chid = 2
title = "Lobby"
source = "/nonexistent/lobby.mp4"
[[lpr_source]]
code = "IN"
name = "Entrance"
linked_channel = [1, 2]
parking_entrance = 1
[[lpr_source]]
code = "OUT"
name = "Exit"
linked_channel = [1]
parking_exit = 1
[[emergency_call]]
code = "0000001"
name = "B1 stairs"
linked_channel = [2]
[[parking_lot]]
id = 1
name = "B1"
max_count = 50
[[parking_lot]]
id = 2
name = "B2"
max_count = 40
[[parking_lot]]
id = 3
name = "Basement"
type = "group"
member = [1, 2]
"""


@pytest.fixture
def srv(tmp_path: Path) -> Iterator[ServerProcess]:
    s = ServerProcess(tmp_path, CONFIG).start()
    yield s
    s.stop()


def push(srv: ServerProcess, body: Any) -> None:
    # A body of 1,000 events takes seconds on a loaded machine (a parking count per
    # event): more than httpx's default 5 s.
    r = httpx.post(
        srv.url + "/api/push", json=body, auth=("admin", srv.admin_password()), timeout=60
    )
    assert r.status_code == 200, r.text


def lpr(code: str, plate: str, direction: str | None = None) -> dict[str, Any]:
    item = {"topic": "LPR", "src": code, "plateNo": plate}
    if direction:
        item["direction"] = direction
    return item


def nothing_more(sub: Subscriber, seconds: float = 1.0) -> None:
    with pytest.raises(TimeoutError):
        sub.recv(seconds)


def test_lpr_and_emergency_call(srv: ServerProcess) -> None:
    both = Subscriber(events_url(srv, "topics=LPR,emergencyCall&verbose"))
    lobby = Subscriber(events_url(srv, "topics=LPR,emergencyCall&ch=2"))
    gate_calls = Subscriber(events_url(srv, "topics=emergencyCall&ch=1"))
    with both, lobby, gate_calls:
        push(
            srv,
            [
                {**lpr("IN", "DSP963"), "when": "2018-06-27T10:42:06.575-05:00", "score": 98},
                {
                    "topic": "emergencyCall",
                    "device": "vendor/device",
                    "src": "0000001",
                    "event": "callStart",
                    "camera": "2",
                    "when": "2018-02-01T14:30:15-05:00",
                },
            ],
        )
        plate = both.recv(5)
        call = both.recv(5)
        assert lobby.recv(5)["plateNo"] == "DSP963"
        assert lobby.recv(5)["topic"] == "emergencyCall"
        nothing_more(gate_calls)
    assert plate["topic"] == "LPR" and plate["plateNo"] == "DSP963" and plate["score"] == 98
    assert plate["deviceCode"] == "IN" and plate["deviceName"] == "Entrance"
    assert plate["timestamp"] == "2018-06-27T15:42:06.575+00:00"
    assert plate["chid"]["chid"] == 1 and plate["chid"]["displayName"] == "CH1. Gate"
    assert plate["chid"]["src"].startswith(srv.url + "/watch?ch=1&when=2018-06-27T15")
    assert [c["chid"] for c in plate["linkedChannel"]] == [2]
    assert plate["parkingLot"] == {"entrance": 1}
    assert call["event"] == "callStart" and call["caller"] == "0000001"
    assert call["name"] == "B1 stairs" and call["device"] == "vendor/device"
    (linked,) = call["linkedChannel"]
    assert linked["chid"] == 2 and linked["src"] == srv.url + "/watch?ch=2"
    assert {s["protocol"] for s in linked["streams"]} == {"hls", "ws"}  # verbose
    assert linked["streams"][0]["src"] == srv.url + "/hls/ch2main/index.m3u8"
    with httpx.Client(base_url=srv.url, auth=("admin", srv.admin_password())) as c:
        log = c.get("/api/find?what=eventLog&type=5").json()
    assert [d["code"] for d in log["data"]] == [1]  # call started


def test_parking_counts(srv: ServerProcess) -> None:
    with (
        Subscriber(events_url(srv, "topics=parkingCount")) as every,
        Subscriber(events_url(srv, "topics=parkingCount&ch=2")) as b2,
    ):
        snap = every.recv(5)
        assert [(u["id"], u["count"]) for u in snap["updated"]] == [(1, 0), (2, 0), (3, 0)]
        assert snap["topic"] == "parkingCount" and "timestamp" in snap
        assert [u["id"] for u in b2.recv(5)["updated"]] == [2]
        push(srv, [lpr("IN", "A1", "entry"), lpr("IN", "A2", "entry")])
        push(srv, lpr("OUT", "A1", "exit"))
        counts = [[(u["id"], u["count"]) for u in every.recv(5)["updated"]] for _ in range(3)]
        nothing_more(b2)  # lot 2 did not change
    assert counts == [[(1, 1), (3, 1)], [(1, 2), (3, 2)], [(1, 1), (3, 1)]]
    with httpx.Client(base_url=srv.url, auth=("admin", srv.admin_password())) as c:
        lots = c.get("/api/enum?what=parkingLot").json()
    assert lots["counter"][0]["count"] == 1 and lots["group"][0]["count"] == 1
    assert lots["group"][0]["maxCount"] == 90 and lots["group"][0]["member"] == [1, 2]


def test_object_type_filter(srv: ServerProcess) -> None:
    face = {"topic": "object", "chid": 1, "objId": 1, "type": "face", "likelihood": 71.1}
    human = {"topic": "object", "chid": 2, "objId": 2, "type": "human", "likelihood": 74.8}
    hot = {"topic": "bodyTemperature", "chid": 1, "objId": 3, "likelihood": 99.6}
    with (
        Subscriber(events_url(srv, "topics=object")) as objects,
        Subscriber(events_url(srv, "topics=object&objectType=face")) as faces,
        Subscriber(events_url(srv, "topics=object&objectType=bodyTemperature")) as fever,
        Subscriber(events_url(srv, "topics=object&ch=2")) as lobby,
    ):
        push(srv, [face, human, hot])
        assert [m["type"] for m in (objects.recv(5), objects.recv(5))] == ["face", "human"]
        nothing_more(objects)
        assert faces.recv(5)["objId"] == 1
        nothing_more(faces)
        got = fever.recv(5)
        assert got["objId"] == 3 and got["chid"] == 1
        nothing_more(fever)
        assert lobby.recv(5)["objId"] == 2
        nothing_more(lobby)


def stalled_subscriber(url: str) -> socket.socket:
    """A websocket client that signs in and then never reads (a tiny receive window)."""
    parts = urlsplit(url)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((parts.hostname, parts.port))
    key = "dGhlIHNhbXBsZSBub25jZQ=="
    sock.sendall(
        (
            f"GET {parts.path}?{parts.query} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    assert b" 101 " in sock.recv(200)
    return sock


@pytest.mark.serial
def test_slow_subscriber_is_dropped_and_others_get_everything(srv: ServerProcess) -> None:
    # The stalled client's kernel buffers (and the server's, up to 4 MiB) fill first;
    # then its queue (50 events here) overflows and the server drops it.
    slow = stalled_subscriber(events_url(srv, "topics=LPR,emergencyCall&verbose"))
    pad = "X" * 50
    sent = 0
    # The fast subscriber must keep reading while the test pushes: with the client's
    # default 16-message buffer it stopped reading during each 1,000-event push, and a
    # push slower than send_timeout_seconds (a loaded machine) got it dropped too.
    with Subscriber(events_url(srv, "topics=LPR"), max_queue=None) as fast:
        while "event subscriber too slow" not in srv.stderr():
            assert sent < 40_000, "the stalled subscriber was never dropped"
            push(srv, [lpr("IN", f"P{k}{pad}") for k in range(sent, sent + 1000)])
            plates = [fast.recv(10)["plateNo"] for _ in range(1000)]
            assert plates == [f"P{k}{pad}" for k in range(sent, sent + 1000)]  # all, in order
            sent += 1000
        push(srv, lpr("IN", "after"))
        assert fast.recv(10)["plateNo"] == "after"
    slow.settimeout(5)
    ended = False
    with contextlib.suppress(TimeoutError):
        while slow.recv(1 << 20):
            pass
        ended = True
    slow.close()
    assert ended, "the server did not close the stalled connection"

"""/wsapi/subscribeEvents against a real server process: handshake, sign-in, topics,
snapshots, pings, system events, channel changes."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import b64
from tests.e2e.events_client import Subscriber, close_code, events_url, raw_frames
from tests.e2e.server import ServerProcess, nvrd

ALL_TOPICS = (
    "channelStatus,emergencyCall,LPR,systemEvent,motionChanges,recordingStatus,"
    "parkingCount,packing,object,bodyTemperature"
)


CONFIG = "[events]\nping_seconds = 1\n"


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One server for the tests that add no channels (so its channel list stays empty)."""
    s = ServerProcess(tmp_path_factory.mktemp("events"), CONFIG).start()
    yield s
    s.stop()


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[ServerProcess]:
    """A server of its own, for a test that adds channels."""
    s = ServerProcess(tmp_path, CONFIG).start()
    yield s
    s.stop()


def test_handshake_lists_every_topic_and_sends_snapshots(srv: ServerProcess) -> None:
    with Subscriber(events_url(srv, f"topics={ALL_TOPICS}")) as sub:
        assert str(uuid.UUID(sub.hello["subscriberId"])) == sub.hello["subscriberId"]
        assert sub.hello["topics"] == ALL_TOPICS.split(",")
        first = [sub.recv(5) for _ in range(4)]
    assert [(m["topic"], m.get("event")) for m in first] == [
        ("channelStatus", "currentStatus"),
        ("motionChanges", None),
        ("recordingStatus", "currentStatus"),
        ("parkingCount", None),
    ]
    assert first[0]["channel"] == [] and first[1]["updated"] == []


def test_every_subscriber_gets_its_own_id(srv: ServerProcess) -> None:
    url = events_url(srv, "topics=LPR")
    with Subscriber(url) as a, Subscriber(url) as b:
        assert a.hello["subscriberId"] != b.hello["subscriberId"]
        assert a.hello["topics"] == ["LPR"]


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("topics=LPR&auth=" + b64("admin", "wrong"), 4401),
        ("topics=LPR&auth=%%%", 4400),
        ("topics=LPR", 4401),
        ("topics=LPR&session=not-a-session", 4401),
    ],
)
def test_bad_credentials_close_the_socket(srv: ServerProcess, query: str, code: int) -> None:
    url = srv.url.replace("http", "ws", 1) + "/wsapi/subscribeEvents?" + query
    got, messages = close_code(url)
    assert got == code and messages == []


@pytest.mark.parametrize(
    "query",
    ["topics=LPR,weather", "topics=", "topics=object&objectType=cat", "topics=LPR&ch=x", ""],
)
def test_unknown_topic_or_bad_parameter_closes_the_socket(srv: ServerProcess, query: str) -> None:
    got, messages = close_code(events_url(srv, query))
    assert got == 4400 and messages == []


def test_session_cookie_value_signs_in(srv: ServerProcess) -> None:
    with httpx.Client(base_url=srv.url) as c:
        r = c.get("/api/auth?login=" + b64("admin", srv.admin_password()))
        assert r.status_code == 200
        token = r.cookies["nvrd_session"]
    url = srv.url.replace("http", "ws", 1) + f"/wsapi/subscribeEvents?topics=LPR&session={token}"
    with Subscriber(url) as sub:
        assert sub.hello["topics"] == ["LPR"]


def test_server_pings(srv: ServerProcess) -> None:
    frames = raw_frames(events_url(srv, "topics=LPR"), 2.6)
    opcodes = [op for op, _ in frames]
    assert opcodes[0] == 0x1  # the subscriber id (text)
    assert opcodes.count(0x9) >= 2, opcodes  # a ping every ping_seconds (1 s here)


def test_system_events_on_sign_in_and_out(srv: ServerProcess) -> None:
    added = nvrd("user", "add", "guard", "--password", "guard-pass", "--config", str(srv.config))
    assert added.returncode == 0, added.stderr
    with Subscriber(events_url(srv, "topics=systemEvent&lang=es-ES")) as sub:
        r = httpx.get(srv.url + "/api/info?all", auth=("guard", "wrong"))
        assert r.status_code == 401
        with httpx.Client(base_url=srv.url) as c:
            assert c.get("/api/auth?login=" + b64("guard", "guard-pass")).is_success
            assert c.get("/api/auth?logout").is_success
        failed = sub.wait(lambda m: m["type"] == 1 and m["code"] == 6)
        signed_in = sub.wait(lambda m: m["type"] == 1 and m["code"] == 4)
        out = sub.wait(lambda m: m["type"] == 1 and m["code"] == 5)
    assert failed["topic"] == "systemEvent" and failed["param"]["uid"] == "guard"
    assert failed["typeName"] == "Privacidad" and out["id"] > signed_in["id"] > failed["id"]
    assert signed_in["param"] == {"uid": "guard", "client": "127.0.0.1", "via": "login"}
    assert out["param"] == {"uid": "guard"} and out["timeRange"][0].endswith("+00:00")


def test_channel_added_and_removed(fresh: ServerProcess, tmp_path: Path) -> None:
    auth = ("admin", fresh.admin_password())
    with Subscriber(events_url(fresh, "topics=channelStatus,recordingStatus&verbose")) as sub:
        assert sub.recv(5)["channel"] == []
        assert sub.recv(5)["channel"] == []
        with httpx.Client(base_url=fresh.url, auth=auth) as c:
            r = c.post("/api/channel", json=[{"name": "Gone", "source": str(tmp_path / "no.mp4")}])
            chid = r.json()["added"][0]["chid"]
            added = sub.wait(lambda m: m.get("event") == "channelAdded")
            status = sub.wait(lambda m: m.get("event") == "statusChanged" and m["chid"] == chid)
            assert c.delete(f"/api/channel/{chid}").status_code == 200
            removed = sub.wait(lambda m: m.get("event") == "channelRemoved")
    assert added["chid"] == chid == removed["chid"]
    assert added["topic"] == "channelStatus" and "timestamp" in added
    assert status["status"]["code"] in (-3, 1404) and status["status"]["message"]


def test_snapshot_respects_ch_filter(fresh: ServerProcess, tmp_path: Path) -> None:
    auth = ("admin", fresh.admin_password())
    with httpx.Client(base_url=fresh.url, auth=auth) as c:
        for name in ("A", "B", "C"):
            c.post("/api/channel", json=[{"name": name, "source": str(tmp_path / "no.mp4")}])
    with Subscriber(events_url(fresh, "topics=channelStatus,motionChanges&ch=1,3")) as sub:
        snap = sub.recv(5)
        motion = sub.recv(5)
    assert [c["chid"] for c in snap["channel"]] == [1, 3]
    assert snap["channel"][0]["displayName"] == "CH1. A" and "caps" not in snap["channel"][0]
    assert motion == {
        "topic": "motionChanges",
        "updated": [{"chid": 1, "motion": False}, {"chid": 3, "motion": False}],
    }


def test_cli_rename_and_swap_reach_subscribers(fresh: ServerProcess, tmp_path: Path) -> None:
    auth = ("admin", fresh.admin_password())
    with httpx.Client(base_url=fresh.url, auth=auth) as c:
        for name in ("A", "B"):
            c.post("/api/channel", json=[{"name": name, "source": str(tmp_path / "no.mp4")}])
    with Subscriber(events_url(fresh, "topics=channelStatus&lang=ko-KR")) as sub:
        assert [c["title"] for c in sub.recv(5)["channel"]] == ["A", "B"]
        done = nvrd("channel", "rename", "1", "Front door", "--config", str(fresh.config))
        assert done.returncode == 0, done.stderr
        renamed = sub.wait(lambda m: m.get("event") == "nameChanged")
        done = nvrd("channel", "swap", "1", "2", "--config", str(fresh.config))
        assert done.returncode == 0, done.stderr
        swapped = sub.wait(lambda m: m.get("event") == "channelSwapped")
    assert renamed["chid"] == 1 and renamed["name"] == "Front door"
    assert renamed["displayName"] == "CH1. Front door"
    assert swapped["chid"] == [1, 2]
    bad = nvrd("channel", "rename", "9", "x", "--config", str(fresh.config))
    assert bad.returncode == 2 and "no channel 9" in bad.stderr
    listed = nvrd("channel", "list", "--config", str(fresh.config)).stdout.splitlines()
    assert [json.loads(line)["title"] for line in listed] == ["B", "Front door"]
    with httpx.Client(base_url=fresh.url, auth=auth) as c:
        assert [ch["title"] for ch in c.get("/api/enum?what=channel").json()] == ["B", "Front door"]

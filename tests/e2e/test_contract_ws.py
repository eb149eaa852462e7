"""WebSocket messages recorded from a real server validated against the message schemas
(/api/messages.json): every topic of /wsapi/subscribeEvents, a data export with its
commands, and the live socket."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from tests.conftest import b64
from tests.e2e.contract_server import ROOT, basic, contract_server
from tests.e2e.server import ServerProcess
from tests.support.contract import check_message

pytestmark = pytest.mark.e2e

TOPICS = (
    "channelStatus,recordingStatus,motionChanges,systemEvent,LPR,emergencyCall,"
    "parkingCount,object,bodyTemperature,packing"
)
PUSHES: list[dict[str, Any]] = [
    {"topic": "LPR", "src": "IN", "plateNo": "12GA3456", "direction": "entry", "score": 91.5},
    {"topic": "emergencyCall", "device": "vendor/device", "src": "0000001",
     "event": "callStart", "camera": "1,2"},
    {"topic": "object", "chid": 1, "objId": 7, "type": "human", "likelihood": 0.9,
     "attributes": {"gender": "male"}},
    {"topic": "bodyTemperature", "chid": 1, "objId": 8, "temperature": 36.6},
    {"topic": "packing", "chid": 2, "code": "1", "event": "start"},
]  # fmt: skip


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory, media_dir: Path
) -> Iterator[tuple[ServerProcess, dict[str, Any]]]:
    srv, _ = contract_server(tmp_path_factory.mktemp("contract-ws"), media_dir)
    srv.start()
    try:
        yield srv, httpx.get(srv.url + "/api/messages.json", timeout=10).json()
    finally:
        srv.stop()


def ws_url(srv: ServerProcess, path: str, **q: str) -> str:
    query = urlencode({"auth": b64(*ROOT), **q})
    return srv.url.replace("http", "ws", 1) + f"{path}?{query}"


def read_all(ws: ClientConnection, quiet: float) -> list[dict[str, Any]]:
    """Text messages until none comes for ``quiet`` seconds."""
    out: list[dict[str, Any]] = []
    while True:
        try:
            frame = ws.recv(timeout=quiet)
        except TimeoutError:
            return out
        if isinstance(frame, str):
            out.append(json.loads(frame))


def test_every_topic_matches_its_schema(
    served: tuple[ServerProcess, dict[str, Any]], media_dir: Path
) -> None:
    srv, messages = served
    url = ws_url(srv, "/wsapi/subscribeEvents", topics=TOPICS, verbose="true")
    with (
        httpx.Client(base_url=srv.url, headers=basic(ROOT), timeout=20) as http,
        connect(url, open_timeout=10, max_size=None) as ws,
    ):
        hello = json.loads(ws.recv(timeout=10))
        check_message(messages, "subscribed", hello)
        pushed = http.post("/api/push", json=PUSHES)
        assert pushed.status_code == 200, pushed.text
        added = http.post(
            "/api/channel", json={"name": "Live", "source": str(media_dir / "cam1.mp4")}
        )
        assert added.status_code == 200, added.text
        chid = added.json()["added"][0]["chid"]
        deadline = time.monotonic() + 30
        seen = read_all(ws, 1.0)
        while time.monotonic() < deadline and not any(
            m.get("event") == "videoStreamReady" for m in seen
        ):
            seen += read_all(ws, 1.0)
        assert http.delete(f"/api/channel/{chid}").status_code == 200
        seen += read_all(ws, 1.5)
    for message in seen:
        check_message(messages, "event", message)
    topics = {m["topic"] for m in seen}
    assert topics == set(TOPICS.split(",")), topics
    events = {m.get("event") for m in seen if m["topic"] == "channelStatus"}
    assert {"currentStatus", "channelAdded", "videoStreamReady", "channelRemoved"} <= events


def test_live_socket_without_a_stream_closes_4404(
    served: tuple[ServerProcess, dict[str, Any]],
) -> None:
    srv, messages = served
    assert "4404" in messages["sockets"]["/wsapi/live"]["close"]
    with connect(ws_url(srv, "/wsapi/live", ch="3"), open_timeout=10) as ws:
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=5)
        assert ws.close_code == 4404


def test_live_socket_messages(
    served: tuple[ServerProcess, dict[str, Any]], media_dir: Path
) -> None:
    srv, messages = served
    with httpx.Client(base_url=srv.url, headers=basic(ROOT), timeout=20) as http:
        added = http.post(
            "/api/channel", json={"name": "Live2", "source": str(media_dir / "cam1.mp4")}
        )
        chid = added.json()["added"][0]["chid"]
        try:
            live_messages(srv, messages, chid)
        finally:
            http.delete(f"/api/channel/{chid}")


def live_messages(srv: ServerProcess, messages: dict[str, Any], chid: int) -> None:
    """The first text message of the live socket (``init``), once the channel is live."""
    text: list[dict[str, Any]] = []
    deadline = time.monotonic() + 30
    while not text and time.monotonic() < deadline:
        try:
            with connect(ws_url(srv, "/wsapi/live", ch=str(chid)), open_timeout=10) as ws:
                for _ in range(20):
                    frame = ws.recv(timeout=5)
                    if isinstance(frame, str):
                        text.append(json.loads(frame))
                        break
        except ConnectionClosed:  # 4404 until the channel's source runs
            time.sleep(0.5)
    assert text, "no init message from /wsapi/live"
    for message in text:
        check_message(messages, "liveMessage", message)
    assert text[0]["type"] == "init"


def _drive(ws: ClientConnection, task: str, commands: Iterator[list[str]]) -> list[Any]:
    """Messages until ``end``; after each ``fileEnd`` the next commands (default ``next``)."""
    got: list[dict[str, Any]] = []
    while True:
        try:
            msg = json.loads(ws.recv(timeout=30))
        except Exception:
            return got
        got.append(msg)
        if msg.get("stage") == "fileEnd":
            for cmd in next(commands, ["next"]):
                ws.send(json.dumps({"task": task, "cmd": cmd}))
        if msg.get("stage") == "end":
            return got


def test_data_export_stages_and_commands(served: tuple[ServerProcess, dict[str, Any]]) -> None:
    srv, messages = served
    q = {"ch": "1,2", "timeBegin": "2023-11-14T22:13:20Z", "timeEnd": "2023-11-14T22:13:40Z",
         "statusInterval": "1ms", "md5": "true", "subtitleFormat": "VTT"}  # fmt: skip
    got: list[dict[str, Any]] = []
    with connect(ws_url(srv, "/wsapi/dataExport", **q), open_timeout=10, max_size=2**24) as ws:
        ready = json.loads(ws.recv(timeout=30))
        got.append(ready)
        task = ready["task"]["id"]
        commands = iter([["wait", "bogus", "next"]])
        ws.send(json.dumps({"task": "someone-else", "cmd": "next"}))
        got += _drive(ws, task, commands)
    q2 = {**q, "ch": "2"}
    with connect(ws_url(srv, "/wsapi/dataExport", **q2), open_timeout=10, max_size=2**24) as ws:
        ready = json.loads(ws.recv(timeout=30))
        got.append(ready)
        got += _drive(ws, ready["task"]["id"], iter([[]]))  # no answer: the hold times out
    for msg in got:
        check_message(messages, "exportStage", msg)
    stages = {m["stage"] for m in got}
    want = {"ready", "begin", "channelBegin", "fileBegin", "fileEnd", "channelEnd", "end",
            "commandRejected", "timeoutAlert", "fileWriting"}  # fmt: skip
    assert want <= stages, want - stages
    for failure in ({"ch": "1"}, {"ch": "3", "timeBegin": q["timeBegin"], "timeEnd": q["timeEnd"]}):
        with connect(ws_url(srv, "/wsapi/dataExport", **failure), open_timeout=10) as ws:
            msg = json.loads(ws.recv(timeout=30))
        check_message(messages, "exportStage", msg)
        assert msg["stage"] == "ready" and msg["status"]["code"] in (-1, -2)
    for command in ({"task": "x", "cmd": "wait"}, {"task": "x", "cmd": "next"}):
        check_message(messages, "exportCommand", command)

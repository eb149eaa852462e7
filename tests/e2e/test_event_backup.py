"""Event backup against a real server that records a camera: PUT /api/event-videos/trigger,
the clip after postAlarm, numbered names, bad bodies, authentication, the event log."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import av
import httpx
import pytest

from tests.conftest import add_users
from tests.e2e.server import ServerProcess
from tests.integration.recorder import wait_segments

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory, media_dir: Path) -> Iterator[ServerProcess]:
    from nvrd.config import load_settings

    tmp = tmp_path_factory.mktemp("backup")
    s = ServerProcess(
        tmp,
        "[recording]\nsegment_seconds = 2\nmin_free_mb = 0\n"
        "[event_storage]\nindex_wait_seconds = 5\n"
        '[[channel]]\nchid = 1\ntitle = "Lobby"\n'
        f'source = "{media_dir / "cam1.mp4"}"\n'
        '[[channel]]\nchid = 2\ntitle = "Dark"\nsource = "/nonexistent/cam.mp4"\n',
    )
    settings = load_settings(s.config, environ={})
    settings.server.data_dir.mkdir(parents=True, exist_ok=True)
    add_users(
        settings,
        [("boss", "boss-pass", "all", True), ("guard", "guard-pass", "Playback,Remote", False)],
    )
    s.start()
    with ThreadPoolExecutor(1) as pool:
        pool.submit(wait_segments, s, 1, 2, 60).result()
    yield s
    s.stop()


def admin(srv: ServerProcess) -> tuple[str, str]:
    return ("boss", "boss-pass")


def put(srv: ServerProcess, body: Any, who: tuple[str, str] | None = None) -> httpx.Response:
    return httpx.put(
        srv.url + "/api/event-videos/trigger", json=body, auth=who or admin(srv), timeout=10
    )


def wait_file(srv: ServerProcess, url: str, timeout: float = 40) -> bytes:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = httpx.get(srv.url + url, auth=admin(srv), timeout=10)
        if r.status_code == 200:
            return r.content
        time.sleep(0.5)
    raise AssertionError(f"{url} did not appear")


def test_the_clip_spans_pre_and_post_alarm(srv: ServerProcess) -> None:
    t = time.time() - 1
    stamp = datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]  # server local
    body = {
        "chid": 1,
        "timestamp": stamp,
        "title": "fire outbreak",
        "comment": {"location": "Building 101, 5th floor", "tel": "119"},
        "tasks": [
            {"command": "presetGo", "token": "preset1"},
            {"command": "eventBackup", "preAlarm": "3s", "postAlarm": 3},
        ],
    }
    r = put(srv, body)
    assert r.status_code == 200, r.text
    answer = r.json()
    day, hms = stamp[:10].replace("-", ""), stamp[11:19].replace(":", "")
    url = f"/event-storage/e/{day}/{hms}/ch1-{day}-{hms}.mp4"
    assert answer["videoURLs"] == [url] and isinstance(answer["eventId"], int)
    again = put(srv, body).json()
    assert again["videoURLs"] == [url.replace(".mp4", "(2).mp4")]
    assert httpx.get(srv.url + url, timeout=10).status_code == 401
    data = wait_file(srv, url)
    with av.open(io.BytesIO(data), "r") as c:
        assert sum(1 for _ in c.decode(video=0)) > 100
        assert c.duration is not None
        seconds = (c.duration + (c.start_time or 0)) / 1e6
        start = datetime.fromisoformat(c.metadata["date"]).timestamp()
    assert seconds == pytest.approx(6, abs=1.0)
    assert start == pytest.approx(int(t * 1000) / 1000 - 3, abs=1.0)
    assert wait_file(srv, again["videoURLs"][0]) == data
    guard = httpx.get(srv.url + url, auth=("guard", "guard-pass"), timeout=10)
    assert guard.status_code == 200 and guard.content == data
    ranged = httpx.get(srv.url + url, auth=admin(srv), headers={"Range": "bytes=0-99"})
    assert ranged.status_code == 206 and ranged.content == data[:100]
    log = httpx.get(srv.url + "/api/find?what=eventLog&type=7", auth=admin(srv)).json()
    triggered = [
        e for e in log["data"] if e["code"] == 1 and e["param"]["eventId"] == answer["eventId"]
    ]
    assert triggered[0]["comment"] == "fire outbreak"
    assert triggered[0]["codeName"] == "Event triggered"
    assert triggered[0]["param"]["comment"] == body["comment"]
    assert triggered[0]["param"]["videoURLs"] == [url]
    saved = [
        e for e in log["data"] if e["code"] == 2 and e["param"]["eventId"] == answer["eventId"]
    ]
    assert saved and saved[0]["param"]["videoURL"] == url


def test_nothing_recorded_is_reported_not_faked(srv: ServerProcess) -> None:
    r = put(srv, {"chid": 2, "tasks": [{"command": "eventBackup", "preAlarm": 1, "postAlarm": 0}]})
    assert r.status_code == 200
    (url,) = r.json()["videoURLs"]
    event_id = r.json()["eventId"]
    deadline = time.monotonic() + 30
    missing: list[Any] = []
    while not missing and time.monotonic() < deadline:
        log = httpx.get(srv.url + "/api/find?what=eventLog&type=7", auth=admin(srv)).json()
        missing = [e for e in log["data"] if e["code"] == 3 and e["param"]["eventId"] == event_id]
        time.sleep(0.5)
    assert missing and missing[0]["codeName"] == "Event video not recorded"
    assert httpx.get(srv.url + url, auth=admin(srv)).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "x"}, "chid"),
        ({"chid": 99}, "chid"),
        ({"chid": 1, "tasks": [{"command": "eventBackup", "chids": [1, 42]}]}, "chids[1]"),
        ({"chid": 1, "tasks": [{"command": "eventBackup", "postAlarm": "61m"}]}, "postAlarm"),
        ({"chid": 1, "timestamp": "tomorrow"}, "timestamp"),
        ({"chid": 1, "tasks": [{"command": "nap"}]}, "tasks[0].command"),
        ({"chid": 1, "extra": True}, "extra"),
    ],
)
def test_bad_bodies_are_400_naming_the_field(
    srv: ServerProcess, body: dict[str, Any], field: str
) -> None:
    r = put(srv, body)
    assert r.status_code == 400
    assert r.json()["code"] == -1 and field in r.json()["message"]


def test_bad_requests(srv: ServerProcess) -> None:
    u = srv.url + "/api/event-videos/trigger"
    assert httpx.put(u, json={"chid": 1}).status_code == 401
    assert httpx.put(u, content=b"{", auth=admin(srv)).status_code == 400
    deep = b"[" * 100_000 + b"]" * 100_000
    assert httpx.put(u, content=deep, auth=admin(srv)).status_code in (400, 413)
    assert httpx.put(u, content=b"x" * 70_000, auth=admin(srv)).status_code == 413
    assert httpx.get(u, auth=admin(srv)).status_code == 405
    preset = {"chid": 1, "tasks": [{"command": "presetGo", "token": "p1"}]}
    assert put(srv, preset, ("guard", "guard-pass")).status_code == 403
    outside = httpx.get(srv.url + "/event-storage/../nvrd.db", auth=admin(srv))
    assert outside.status_code == 404

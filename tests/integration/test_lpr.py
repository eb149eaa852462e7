"""The recogniser on generated traffic, end to end: a real server reads the plates of a
channel played by a fake RTSP camera and of a file channel, logs one entry per passage with
the right text and times, stores plate images behind sign-in, publishes one LPR event per
passage and moves the parking count; the pictures come from the channel's frame source (the
camera sees one session, the worker has no connection at all) through shared memory that is
unlinked when a worker dies and when the server stops (or is killed); under overload it
drops frames, and recording and the API carry on."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from tests.e2e.events_client import Subscriber, events_url
from tests.e2e.server import ServerProcess
from tests.integration import workers
from tests.integration.recorder import admin, recording_server
from tests.integration.workers import (
    camera_sessions,
    overload_spares_recording_and_the_api,
    picture_blocks,
)
from tests.support.cameras import FileCameraServer
from tests.support.traffic import make_traffic

#: Plate times are checked to a second and the overload test loads both cores on
#: purpose: these run alone, after the parallel part of the suite.
pytestmark = pytest.mark.serial

ZONE = (960, 1080, 6720, 4320)
#: what the recogniser may be off from the truth, per the requirement
TIME_SLACK = 1.0
#: Cars in the traffic video (each ~4.8 s of it): all but one must be read right.
PLATES = 6


@pytest.fixture(scope="module")
def traffic(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    folder = tmp_path_factory.mktemp("traffic")
    return make_traffic(
        folder,
        "gate.mp4",
        seed=11,
        count=PLATES,
        crossing_seconds=4.0,
        gap_seconds=0.8,
        lead_seconds=4.0,
        zone=ZONE,
    )


@pytest.fixture
def rtsp_camera(traffic: tuple[Path, dict[str, Any]]) -> Iterator[FileCameraServer]:
    with FileCameraServer(traffic[0].parent) as server:
        yield server


def lpr_config(*sources: str, playback: str = "once", fps: float = 2.0) -> str:
    """A channel per source, each with a plate source (``GATE1``, ``GATE2``...) at the
    entrance and exit of a parking lot of its own."""
    rect = ", ".join(str(v) for v in ZONE)
    text = f"[lpr]\nfps = {fps}\n"
    for n, source in enumerate(sources, 1):
        text += (
            f'[[channel]]\ntitle = "Gate {n}"\nsource = "{source}"\nplayback = "{playback}"\n'
            f'[[parking_lot]]\nid = {n}\nname = "Lot {n}"\nmax_count = 20\n'
            f'[[lpr_source]]\ncode = "GATE{n}"\nname = "Gate {n}"\nlinked_channel = [{n}]\n'
            f"parking_entrance = {n}\nparking_exit = {n}\n"
            f'zone = {{ chid = {n}, rect = [{rect}], entry_movement = "down" }}\n'
        )
    return text


def lpr_health(c: httpx.Client, code: str = "GATE1") -> dict[str, Any]:
    items = c.get("/api/system?health=lpr").json()["lpr"]
    return next((dict(i) for i in items if i.get("code") == code), {})


def wait_anchor(c: httpx.Client, code: str = "GATE1", timeout: float = 30) -> int:
    return workers.wait_anchor(c, lambda c: lpr_health(c, code), timeout)


def ms(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


def collect_events(sub: Subscriber, want: int, seconds: float) -> list[dict[str, Any]]:
    """The LPR events of the next ``seconds`` (at most ``want``), and any duplicate after."""
    deadline = time.monotonic() + seconds
    events: list[dict[str, Any]] = []
    while len(events) < want and time.monotonic() < deadline:
        try:
            events.append(
                sub.wait(lambda m: m["topic"] == "LPR", timeout=deadline - time.monotonic())
            )
        except AssertionError:
            break
    with contextlib.suppress(AssertionError):  # anything more (a duplicate) would come now
        while True:
            events.append(sub.wait(lambda m: m["topic"] == "LPR", timeout=2))
    return events


def check_passages(
    srv: ServerProcess, n: int, anchor: float, events: list[dict[str, Any]], truth: dict[str, Any]
) -> None:
    """The log, the events, the images and the parking count of source ``GATE<n>``."""
    passages = truth["passages"]
    code = f"GATE{n}"
    events = [e for e in events if e["deviceCode"] == code]
    with admin(srv) as c:
        src = lpr_health(c, code)["src"]
        body = c.get(f"/api/find?what=carNo&sort=asc&maxCount=100&src={src}").json()
        entries = body["data"]
        health = lpr_health(c, code)
        lot = next(x for x in c.get("/api/enum?what=parkingLot").json()["counter"] if x["id"] == n)

    report = [(e["plateNo"], e["timeRange"], e.get("direction")) for e in entries]
    assert body["totalCount"] == len(passages), (report, passages, health)
    right = 0
    for entry, want in zip(entries, passages, strict=True):
        begin, end = (ms(t) for t in entry["timeRange"])
        t0, t1 = (anchor + v for v in want["inZone"])
        assert abs(begin - t0) <= TIME_SLACK and abs(end - t1) <= TIME_SLACK, (entry, want)
        right += entry["plateNo"] == want["plateNo"]
        assert entry["srcCode"] == code and entry["vod"][0]["chid"] == n
        assert 1 <= len(entry["image"]) <= 4
    assert right >= PLATES - 1, (report, [p["plateNo"] for p in passages])

    # one LPR event per passage, with the logged text
    assert [e["plateNo"] for e in events] == [e["plateNo"] for e in entries]
    assert all(e["image"].startswith(srv.url) for e in events)

    # the plate images exist and need sign-in
    for url in entries[0]["image"]:
        assert httpx.get(url, timeout=5).status_code == 401
        r = httpx.get(url, auth=("admin", srv.admin_password()), timeout=5)
        assert r.status_code == 200 and r.content[:2] == b"\xff\xd8"

    # the parking count follows entries and exits (never below 0)
    count = 0
    for entry in entries:
        if entry.get("direction") == "entry":
            count += 1
        elif entry.get("direction") == "exit":
            count = max(0, count - 1)
    assert lot["count"] == count
    good = sum(e.get("direction") == w["direction"] for e, w in zip(entries, passages, strict=True))
    assert good >= PLATES - 1


def test_plates_from_a_fake_rtsp_camera_and_a_file_channel(
    tmp_path: Path, traffic: tuple[Path, dict[str, Any]], rtsp_camera: FileCameraServer
) -> None:
    """Channel 1 plays the traffic through a fake RTSP camera, channel 2 from the file;
    both are read at the same time, each by its own plate source."""
    path, truth = traffic
    config = lpr_config(rtsp_camera.url(path.name, loop=True), str(path))
    srv = ServerProcess(tmp_path, config).start()
    try:
        with Subscriber(events_url(srv, "topics=LPR,parkingCount")) as sub:
            with admin(srv) as c:
                anchors = [wait_anchor(c, f"GATE{n}") / 1000 for n in (1, 2)]
            events = collect_events(sub, 2 * len(truth["passages"]), truth["seconds"] + 25)
            changes = [m for m in sub.seen if m["topic"] == "parkingCount"]
        for n, anchor in enumerate(anchors, 1):
            check_passages(srv, n, anchor, events, truth)
        assert {m["updated"][0]["id"] for m in changes} == {1, 2}
        # one camera connection, the recording's; the recogniser has none of its own
        with admin(srv) as c:
            health = lpr_health(c, "GATE1")
        assert health["state"] == "running" and health["stream"] == "main", health
        assert health["pictureSize"] == [1280, 720] and health["framesReceived"] > 0
        assert camera_sessions(rtsp_camera) == 1
        assert psutil.Process(health["pid"]).net_connections("inet") == []
        assert len(picture_blocks(srv)) == 2
    finally:
        srv.stop()
    assert picture_blocks(srv) == set()


def test_overload_drops_frames_and_spares_recording_and_the_api(
    tmp_path: Path, traffic: tuple[Path, dict[str, Any]]
) -> None:
    path, _ = traffic
    srv = recording_server(tmp_path, lpr_config(str(path), playback="repeat", fps=25)).start()
    try:
        overload_spares_recording_and_the_api(srv, lpr_health, "lpr worker")
    finally:
        srv.stop()

"""RTSP cameras that fail: outages, wrong passwords, bad hosts, stalls."""

from __future__ import annotations

import itertools
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.server import ServerProcess
from tests.integration.recorder import (
    add_channel,
    recording_server,
    segments,
    status,
    wait_segments,
    wait_status,
)
from tests.support.cameras import FileCameraServer, LiveCameraServer, free_port


def watch_codes(srv: ServerProcess, chid: int, stop: threading.Event, seen: list[int]) -> None:
    while not stop.is_set():
        try:
            code = status(srv, chid).get("status", {}).get("code")
        except httpx.HTTPError:  # the server is stopping
            return
        if code is not None and (not seen or seen[-1] != code):
            seen.append(code)
        time.sleep(0.1)


def test_camera_outages_show_as_gaps_and_recording_resumes(
    tmp_path: Path, file_camera: FileCameraServer
) -> None:
    srv = recording_server(tmp_path).start()
    seen: list[int] = []
    stop = threading.Event()
    watcher: threading.Thread | None = None
    try:
        chid = add_channel(srv, {"name": "Gate", "source": file_camera.url("cam1.mp4")})
        wait_status(srv, chid, {200}, 20)
        watcher = threading.Thread(target=watch_codes, args=(srv, chid, stop, seen))
        watcher.start()
        for _ in range(3):
            wait_segments(srv, chid, len(segments(srv, chid)) + 2, 20)
            file_camera.stop()
            t_down = time.time()
            wait_status(srv, chid, {404, 408}, 15)
            time.sleep(3)
            n_before = len(segments(srv, chid))
            file_camera.start()
            t_up = time.time()
            t_ok = wait_status(srv, chid, {200}, 10)
            assert t_ok - t_up <= 5
            wait_segments(srv, chid, n_before + 1, 10)
            assert t_up - t_down >= 3
    finally:
        stop.set()
        if watcher is not None:
            watcher.join()
        srv.stop()
    assert seen[0] == 200
    assert {404, 200} <= set(seen) or {408, 200} <= set(seen)
    assert -4 in seen  # reconnecting
    segs = segments(srv, chid)
    gaps = [b.start_ms - a.end_ms for a, b in itertools.pairwise(segs)]
    assert sum(1 for g in gaps if g >= 2500) >= 3, gaps  # each outage is a gap
    assert all(g >= 0 for g in gaps)  # never overlapping


def test_wrong_camera_password_is_401(tmp_path: Path, live_camera: LiveCameraServer) -> None:
    srv = recording_server(tmp_path).start()
    try:
        bad = add_channel(
            srv, {"source": live_camera.url(anonymous=True), "uid": "cam", "password": "x"}
        )
        anon = add_channel(srv, {"source": live_camera.url(anonymous=True)})
        good = add_channel(
            srv,
            {"source": live_camera.url(anonymous=True), "uid": "cam", "password": "secret"},
        )
        wait_status(srv, bad, {401}, 15)
        wait_status(srv, anon, {401}, 15)
        wait_status(srv, good, {200}, 15)
        wait_segments(srv, good, 1, 15)
        assert segments(srv, bad) == []
    finally:
        srv.stop()
    assert "secret" not in srv.stderr()  # credentials never reach the log


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A TCP port that accepts connections and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    try:
        yield int(sock.getsockname()[1])
    finally:
        sock.close()


def test_bad_hosts(tmp_path: Path, silent_port: int) -> None:
    srv = recording_server(tmp_path).start()
    try:
        refused = add_channel(srv, {"source": f"rtsp://127.0.0.1:{free_port()}/stream"})
        silent = add_channel(srv, {"source": f"rtsp://127.0.0.1:{silent_port}/stream"})
        wait_status(srv, refused, {404}, 15)
        wait_status(srv, silent, {408}, 20)
    finally:
        srv.stop()

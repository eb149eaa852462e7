"""What the plate and object recognisers' integration tests share: the pictures' shared
memory, the drops of the whole picture path, and the overload scenario (a worker asked
for far more frames than it can analyse: it drops frames and counts them, recording and
the API carry on, a killed worker is reported and started again, nothing is left in
/dev/shm)."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import psutil

from tests.e2e.server import ServerProcess
from tests.integration.recorder import admin, wait_segments, wait_status
from tests.support.cameras import FileCameraServer

Health = Callable[[httpx.Client], dict[str, Any]]


def camera_sessions(camera: FileCameraServer) -> int:
    """Established TCP connections to the camera's RTSP port."""
    assert camera.pid is not None
    root = psutil.Process(camera.pid)
    conns = [c for p in [root, *root.children(recursive=True)] for c in p.net_connections("tcp")]
    return sum(c.status == psutil.CONN_ESTABLISHED and c.laddr.port == camera.port for c in conns)


def picture_blocks(srv: ServerProcess) -> set[str]:
    """The server's shared-memory picture blocks in /dev/shm."""
    assert srv.proc is not None
    return {p.name for p in Path("/dev/shm").glob(f"nvrd-frames-{srv.proc.pid}-*")}


def dropped(health: dict[str, Any]) -> int:
    """Frames dropped in the worker's slot, and fragments left out before decoding."""
    return int(health["framesDropped"]) + int(health["sourceFragmentsDropped"])


def wait_anchor(c: httpx.Client, health: Health, timeout: float = 30) -> int:
    """The time of the first picture the worker was given."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        anchor = health(c).get("feedAnchorMs")
        if anchor:
            return int(anchor)
        time.sleep(0.2)
    raise AssertionError(f"the worker never got a frame: {health(c)}")


def overload_spares_recording_and_the_api(srv: ServerProcess, health: Health, label: str) -> None:
    """``srv`` records channel 1 (2 s segments) and runs one worker (``label``: "lpr
    worker") far above what it can analyse; ``health`` reads that worker's figures."""
    with admin(srv) as c:
        wait_anchor(c, health)
        # the worker's first picture can come before the ingest reports the channel as
        # recording (its first progress report): the overload must not change it after that
        wait_status(srv, 1, {200}, 30)
        first = health(c)
        slowest = 0.0
        for _ in range(20):
            started = time.monotonic()
            assert c.get("/api/info?apiVersion").status_code == 200
            status = c.get("/api/status?ch=1").json()[0]["status"]
            assert status["code"] == 200, status
            slowest = max(slowest, time.monotonic() - started)
            time.sleep(0.3)
        later = health(c)
    # frames are dropped in the worker's slot, or before decoding when the decoder is
    # what falls behind: the path as a whole drops more during the overload
    assert dropped(later) > dropped(first) >= 0, (first, later)
    assert later["framesDropped"] > 0 and later["framesReceived"] > later["framesAnalysed"]
    assert later["state"] == "running" and later["restarts"] == 0, later
    assert slowest < 2.0, slowest
    blocks = picture_blocks(srv)
    assert len(blocks) == 1, blocks
    # recording went on: 2-second segments keep coming
    assert len(wait_segments(srv, 1, 4, 20)) >= 4
    _killed_worker_comes_back(srv, health, label, later, blocks)
    # a server that is killed leaves nothing either (the resource tracker unlinks)
    assert srv.proc is not None
    srv.proc.kill()
    srv.proc.wait(10)
    deadline = time.monotonic() + 20
    while picture_blocks(srv) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert picture_blocks(srv) == set()


def _killed_worker_comes_back(
    srv: ServerProcess, health: Health, label: str, before: dict[str, Any], blocks: set[str]
) -> None:
    os.kill(before["pid"], signal.SIGKILL)
    with admin(srv) as c:
        deadline = time.monotonic() + 30
        back = health(c)
        while not (back["restarts"] == 1 and back["state"] == "running" and back["pid"]):
            assert time.monotonic() < deadline, back
            time.sleep(0.2)
            back = health(c)
    assert back["pid"] != before["pid"] and back["lastError"] in (
        "pipe closed",
        "pipe closed (exit code -9)",
        "exited with code -9",
    )
    assert f"{label} died" in srv.stderr()
    # the dead worker's pictures were unlinked; its successor has a block of its own
    after = picture_blocks(srv)
    assert len(after) == 1 and after != blocks, (blocks, after)

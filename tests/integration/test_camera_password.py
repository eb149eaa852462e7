"""The camera password never appears on ffmpeg's command line (/proc/<pid>/cmdline is
readable by every local user) and never reaches a plate recogniser's worker process (it
reads pictures from the server, not the camera), and recording from a camera with DIGEST
auth still works: status 200, recorded files, and 401 for a wrong password."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import psutil

from tests.e2e.server import ServerProcess
from tests.integration.recorder import add_channel, admin, recording_server, wait_status
from tests.support.cameras import LiveCameraServer


def _ffmpeg_cmdlines(pid: int) -> list[str]:
    out = []
    for child in psutil.Process(pid).children(recursive=True):
        try:
            raw = Path(f"/proc/{child.pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"ffmpeg" in raw:
            out.append(raw.replace(b"\0", b" ").decode("utf-8", "replace"))
    return out


#: a plate zone on the first channel: its recogniser must not learn the password either
LPR_ZONE = (
    '[[lpr_source]]\ncode = "GATE"\nlinked_channel = [1]\n'
    "zone = { chid = 1, rect = [0, 0, 7680, 4320] }\n"
)


def _lpr_worker(srv: ServerProcess, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with admin(srv) as c:
            items = c.get("/api/system?health=lpr").json()["lpr"]
        if items and items[0]["state"] == "running" and items[0].get("pictureSize"):
            return dict(items[0])
        time.sleep(0.5)
    raise AssertionError("the recogniser never ran")


def test_password_is_not_on_the_command_line(tmp_path: Path, live_camera: LiveCameraServer) -> None:
    password = live_camera.password or ""
    assert password
    srv = recording_server(tmp_path, LPR_ZONE).start()
    try:
        chid = add_channel(srv, {"name": "Gate", "source": live_camera.url()})
        assert chid == 1
        wait_status(srv, chid, {200}, 30)
        worker = _lpr_worker(srv)
        proc = psutil.Process(worker["pid"])
        for what in ("cmdline", "environ"):
            raw = Path(f"/proc/{proc.pid}/{what}").read_bytes()
            assert password.encode() not in raw, what
        assert proc.net_connections("inet") == []  # no camera connection of its own
        assert srv.proc is not None
        lines = _ffmpeg_cmdlines(srv.proc.pid)
        assert any("-f segment" in line for line in lines), lines  # the recorder is running
        for line in lines:
            assert password not in line, line
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            with admin(srv) as c:
                days = c.get(f"/api/find?what=recDays&ch={chid}").json()
            if days["data"]:
                break
            time.sleep(1)
        assert days["data"], "nothing recorded"
        bad = add_channel(srv, {"name": "Bad", "source": live_camera.url(password="wrong")})
        wait_status(srv, bad, {401}, 30)
        logs = srv.stdout() + srv.stderr()
        assert password not in logs
    finally:
        srv.stop()

"""Object detection in a running server: CPU per channel at 1 and 2 analysed frames a second.

A file channel plays the walking-cameraman video (tests/support/pictures.py: 1280x720,
10 fps, a person in the picture about half of the time) over and over; the motion gate is
off, so every second has its frames analysed. For each rate (and once with object
detection off, the baseline of the channel's decoder, which also makes the motion
pictures) the figures over ``SECONDS``: the worker process's CPU (% of one core), the
channel's frame decoder's (ffmpeg), the server's own, and the worker's ms per frame.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

from nvrd.media.service import default_ffmpeg
from tests.e2e.server import ServerProcess
from tests.support.pictures import make_walk

SECONDS = 20.0


def _config(video: Path, fps: float | None) -> str:
    objects = f"[objects]\nchannels = [1]\nfps = {fps}\nmotion_gate = false\n" if fps else ""
    return f'{objects}[[channel]]\ntitle = "Yard"\nsource = "{video}"\nplayback = "repeat"\n'


def _decoders(server: psutil.Process) -> list[psutil.Process]:
    return [
        p
        for p in server.children(recursive=True)
        if "ffmpeg" in p.name() and "rawvideo" in " ".join(p.cmdline())
    ]


def _cpu(procs: list[psutil.Process]) -> float:
    total = 0.0
    for p in procs:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.NoSuchProcess:
            pass
    return total


def _decoder_seconds(server: psutil.Process, seconds: float) -> float:
    """CPU seconds of the channel's decoders over ``seconds`` (polled: one may restart)."""
    first: dict[int, float] = {}
    last: dict[int, float] = {}
    deadline = time.monotonic() + seconds
    started = True
    while time.monotonic() < deadline:
        for p in _decoders(server):
            used = _cpu([p])
            first.setdefault(p.pid, used if started else 0.0)  # one started meanwhile: all
            last[p.pid] = used
        started = False
        time.sleep(0.25)
    return sum(last[pid] - first[pid] for pid in last)


def _rss(procs: list[psutil.Process]) -> int:
    try:
        return round(sum(p.memory_info().rss for p in procs) / 2**20)
    except psutil.NoSuchProcess:
        return -1  # it died (see restarts)


def _health(srv: ServerProcess) -> dict[str, Any]:
    with srv.client() as c:
        c.auth = ("admin", srv.admin_password())
        items = c.get("/api/system?health=objects").json()["objects"]
    return dict(items[0]) if items else {}


def _run(video: Path, fps: float | None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        srv = ServerProcess(Path(tmp), _config(video, fps)).start()
        try:
            assert srv.proc is not None
            server = psutil.Process(srv.proc.pid)
            deadline = time.monotonic() + 60
            worker: list[psutil.Process] = []
            while time.monotonic() < deadline:
                if fps:
                    h = _health(srv)
                    ready, pid = h.get("framesAnalysed", 0) > 0, h.get("pid")
                else:  # no object detection: no worker to wait for
                    ready, pid = True, None
                if ready and _decoders(server):
                    worker = [psutil.Process(pid)] if pid else []
                    break
                time.sleep(0.5)
            before = (_cpu(worker), _cpu([server]), time.monotonic())
            first = _health(srv) if fps else {}
            decoding = _decoder_seconds(server, SECONDS)
            after = (_cpu(worker), _cpu([server]), time.monotonic())
            rss = _rss(worker)
            last = _health(srv) if fps else {}
        finally:
            srv.stop()
    wall = after[2] - before[2]
    out = {
        "worker %": round(100 * (after[0] - before[0]) / wall, 1),
        "decoder %": round(100 * decoding / wall, 1),
        "server %": round(100 * (after[1] - before[1]) / wall, 1),
    }
    if fps:
        analysed = last["framesAnalysed"] - first["framesAnalysed"]
        out["analysed/s"] = round(analysed / wall, 2)
        out["ms/frame"] = last["msPerFrame"]
        out["dropped"] = last["framesDropped"] - first["framesDropped"]
        out["worker MB"] = rss
        out["restarts"] = last["restarts"]
        if "lastError" in last:
            out["lastError"] = last["lastError"]
    return out


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        video, _ = make_walk(default_ffmpeg(), Path(folder) / "walk.mp4")
        load = psutil.getloadavg()[0]
        print(f"load average at start {load:.2f}; {SECONDS:.0f} s per run")
        for fps in (None, 1.0, 2.0):
            label = f"{fps:g} fps" if fps else "objects off"
            print(f"{label:12} {_run(video, fps)}", flush=True)
        print(f"load average at end {psutil.getloadavg()[0]:.2f}")

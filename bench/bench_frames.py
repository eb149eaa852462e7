"""The frame source's CPU per channel, against recording that channel.

One 1080p camera (the clip of bench_recording: 25 fps, GOP 50, ~5 Mbit/s) from the RTSP file
server. Phases, one after the other on the same stream:

* ``baseline``: bare ``ffmpeg -c copy -f segment`` recording it (the reference: 1.00);
* ``idle``: an in-process media service recording it with its defaults but motion off, and
  nobody subscribed to its frame source (nothing is decoded);
* one phase per subscription: ``key 64x36`` (one gray picture per keyframe, as motion),
  ``1 fps``, ``2 fps``, ``5 fps`` (1280x720 gray, as plates would ask) and ``1 fps 640`` (640x360,
  as objects would ask). A consumer takes every picture.

Per phase: the decoder's CPU (its process, from the source's own report), nvrd's extra CPU in
its own process (the service's Python process against ``idle``: feeding the decoder, reading
the pictures), their sum per channel as % of one core and as a ratio to ``baseline``, and the
pictures delivered per second.

Environment: ``NVRD_BENCH_SECONDS`` (default 30: the measured window of each phase).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

from bench.bench_recording import baseline_argv, camera_files, make_media
from nvrd.channels.status import StatusBoard
from nvrd.core.clock import SystemClock
from nvrd.events.bus import EventBus
from nvrd.media.frames.spec import FrameSpec
from nvrd.media.service import MediaService
from nvrd.store.channels import Channel
from nvrd.store.db import Database
from nvrd.store.recordings import RecordingIndex
from tests.conftest import make_settings
from tests.support.cameras import FileCameraServer

SPECS: list[tuple[str, FrameSpec]] = [
    ("key 64x36", FrameSpec(64, 36)),
    ("1 fps", FrameSpec(1280, 720, 1)),
    ("2 fps", FrameSpec(1280, 720, 2)),
    ("5 fps", FrameSpec(1280, 720, 5)),
    ("1 fps 640", FrameSpec(640, 360, 1)),
]
WARMUP = 4.0


@dataclass
class Row:
    name: str
    decoder_s: float = 0.0
    nvrd_s: float = 0.0  # Python process CPU seconds in the window
    ingest_s: float = 0.0  # the ingest ffmpeg's CPU seconds in the window
    window: float = 0.0
    pictures: int = 0


def own_cpu() -> float:
    t = psutil.Process().cpu_times()
    return t.user + t.system


def pid_cpu(pid: int | None) -> float:
    if pid is None:
        return 0.0
    try:
        t = psutil.Process(pid).cpu_times()
    except psutil.Error:
        return 0.0
    return t.user + t.system


def baseline(url: str, work: Path, seconds: float) -> Row:
    out = work / "baseline"
    out.mkdir(parents=True)
    proc = subprocess.Popen(
        baseline_argv(url, out), stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        time.sleep(WARMUP)
        p = psutil.Process(proc.pid)
        t0 = p.cpu_times()
        time.sleep(seconds)
        t1 = p.cpu_times()
    finally:
        proc.terminate()
        proc.wait(10)
    return Row("baseline", window=seconds, ingest_s=t1.user + t1.system - t0.user - t0.system)


async def measure(media: MediaService, name: str, spec: FrameSpec | None, seconds: float) -> Row:
    source = media.frames[1]
    got = 0
    sub = None
    consumer = None
    if spec is not None:
        sub = source.subscribe(spec, maxsize=4, name=name)

        async def consume() -> None:
            nonlocal got
            while (await sub.next()) is not None:
                got += 1

        consumer = asyncio.create_task(consume())
    await asyncio.sleep(WARMUP)
    ingest = media.ingests[1].pid
    dec0 = source.stats().cpu_seconds
    py0, ing0, got0 = own_cpu(), pid_cpu(ingest), got
    await asyncio.sleep(seconds)
    dec1 = source.stats().cpu_seconds
    py1, ing1 = own_cpu(), pid_cpu(ingest)
    row = Row(name, dec1 - dec0, py1 - py0, ing1 - ing0, seconds, got - got0)
    if sub is not None:
        sub.close()
    if consumer is not None:
        await consumer
    await asyncio.sleep(1.0)
    return row


async def run_nvrd(url: str, work: Path, seconds: float) -> list[Row]:
    work.mkdir(parents=True)
    settings = make_settings(
        work,
        recording={"segment_seconds": 60, "min_free_mb": 0, "shed_load": False},
        motion={"enabled": False},
    )
    db = Database(f"sqlite+aiosqlite:///{work / 'nvrd.db'}")
    await db.open()
    board = StatusBoard()
    media = MediaService(settings, RecordingIndex(db.engine), board, EventBus(), SystemClock())
    rows: list[Row] = []
    try:
        await media.start([Channel(1, "cam", {"source": url}, "config")])
        deadline = time.monotonic() + 30
        while board.state(1).code != 200 and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        rows.append(await measure(media, "idle", None, seconds))
        for name, spec in SPECS:
            rows.append(await measure(media, name, spec, seconds))
    finally:
        await media.stop()
        await db.close()
    return rows


def main() -> None:
    seconds = float(os.environ.get("NVRD_BENCH_SECONDS", "30"))
    top = Path(tempfile.mkdtemp(prefix="nvrd-bench-frames-"))
    cam = FileCameraServer(top / "media")
    try:
        media = make_media(top / "source.mp4")
        names = camera_files(media, top / "media", 1)
        cam.start()
        url = cam.url(names[0])
        print(f"1 camera, 1080p 25 fps GOP 50; {seconds:.0f} s per phase", flush=True)
        base = baseline(url, top, seconds)
        rows = asyncio.run(run_nvrd(url, top / "nvrd", seconds))
    finally:
        cam.stop()
        shutil.rmtree(top, ignore_errors=True)
    ref = base.ingest_s / base.window * 100
    idle = rows[0]
    print(
        f"{'phase':<11}{'decoder':>9}{'nvrd+':>8}{'frames':>8}{'ingest':>8}{'ratio':>7}{'pics/s':>8}"
    )
    print(f"{'baseline':<11}{'':>9}{'':>8}{'':>8}{ref:>7.2f}%{1.0:>7.2f}")
    for r in rows:
        dec = r.decoder_s / r.window * 100
        extra = max(0.0, (r.nvrd_s - idle.nvrd_s) / r.window * 100) if r is not idle else 0.0
        frames = dec + extra
        ingest = r.ingest_s / r.window * 100
        print(
            f"{r.name:<11}{dec:>8.2f}%{extra:>7.2f}%{frames:>7.2f}%{ingest:>7.2f}%"
            f"{frames / ref if ref else 0:>7.2f}{r.pictures / r.window:>8.2f}"
        )
    print(
        "  % of one core for the one channel: decoder = the frame source's decoder process, "
        "nvrd+ = nvrd's own extra CPU against 'idle' (feeding it, reading pictures), frames = "
        "their sum; ingest = the recording ffmpeg; ratio = frames / baseline recording CPU "
        "(idle row: nvrd's recording with its live stream, against the baseline)"
    )
    print(
        f"idle: nvrd's whole cost {(idle.nvrd_s + idle.ingest_s) / idle.window * 100:.2f}% "
        f"= {(idle.nvrd_s + idle.ingest_s) / idle.window * 100 / ref if ref else 0:.2f} x baseline"
    )

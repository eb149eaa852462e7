"""Motion detection: its CPU cost per channel against the cost of recording that channel, and
how fast it reacts.

CPU: the 1080p clip of bench_recording (25 fps, GOP 50 = a keyframe every 2 s, ~5 Mbit/s,
burnt-in clock) is served as N cameras by one RTSP file server; the phases run one after the
other on the same N streams:

* ``baseline``: N bare ``ffmpeg -c copy`` segment recorders (as in bench_recording);
* ``rec``: ``nvrd serve`` recording the N channels, live outputs and motion off;
* ``keyframes``: the same with ``[motion]`` on, keyframe sampling (the default);
* ``fps2``: the same with ``sampling = "fps"``, ``fps = 2`` (every frame decoded).

CPU seconds (user + system, psutil) of nvrd's whole process tree are split into the Python
process and its ffmpeg children; the motion cost per channel is the difference to ``rec``,
reported as a ratio to ``rec`` (the recording cost of that channel in nvrd) and to
``baseline``. The detector's own cost in Python is also timed directly (one picture compared
with the one before, per picture size).

Reaction: an in-process media service records a live GStreamer camera (640x360, GOP 1 s,
then 2 s) whose scene switches between still and moving at random moments; the time from
each switch to the ``motionChanges`` event that follows it is measured, for both sampling
modes.

Environment: ``NVRD_BENCH_CAMERAS`` (default 4), ``NVRD_BENCH_SECONDS`` (default 60: the
measured window of each CPU phase), ``NVRD_BENCH_ROUNDS`` (default 8 scene switches each way),
``NVRD_BENCH_PHASES`` (default "baseline,rec,keyframes,fps2,reaction").
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import statistics
import tempfile
import time
import timeit
from dataclasses import dataclass
from pathlib import Path

import psutil

from bench.bench_recording import (
    NO_LIVE,
    CameraServer,
    Phase,
    Snapshot,
    add_cameras,
    camera_files,
    make_media,
    run_baseline,
    watch,
)
from nvrd.media.motion.detector import changed_pixels
from tests.e2e.server import ServerProcess
from tests.support.cameras import LiveCameraServer, live_camera_unavailable

MOTION = {
    "rec": "[motion]\nenabled = false\n",
    "keyframes": '[motion]\nenabled = true\nsampling = "keyframes"\n',
    "fps2": '[motion]\nenabled = true\nsampling = "fps"\nfps = 2\n',
}
PHASES = ("baseline", "rec", "keyframes", "fps2", "reaction")


@dataclass
class Result:
    phase: Phase
    motion_args_seen: int = 0  # ffmpeg processes whose argv has the motion output


def ffmpeg_children(pid: int) -> list[psutil.Process]:
    try:
        return [p for p in psutil.Process(pid).children(recursive=True) if "ffmpeg" in p.name()]
    except psutil.Error:
        return []


def run_nvrd(cam: CameraServer, names: list[str], work: Path, seconds: float, name: str) -> Result:
    n = len(names)
    phase = Phase(name, n)
    work.mkdir(parents=True)
    srv = ServerProcess(
        work,
        f'log_level = "warning"\nmax_channels = {max(16, n)}\n'
        f"[recording]\nsegment_seconds = 60\n{NO_LIVE}{MOTION[name]}",
    )
    result = Result(phase)
    try:
        srv.start(timeout=60)
        assert srv.proc is not None
        with srv.client(auth=("admin", srv.admin_password())) as client:
            add_cameras(client, cam, names, srv, phase)
        time.sleep(3)  # let start-up work (probing, first segments) settle
        result.motion_args_seen = sum(
            "rawvideo" in p.cmdline() for p in ffmpeg_children(srv.proc.pid)
        )
        start = Snapshot.take([srv.proc.pid], cam.pid)

        def check() -> str | None:
            alive = srv.proc is not None and srv.proc.poll() is None
            return None if alive else "nvrd exited during the run"

        problem = watch(seconds, check)
        end = Snapshot.take([srv.proc.pid], cam.pid)
        phase.measure(start, end)
        if problem:
            raise RuntimeError(f"{problem}:\n{srv.stderr()[-3000:]}")
    finally:
        if srv.proc is not None and srv.proc.poll() is None:
            srv.stop(timeout=120)
    return result


# -- the detector in Python -------------------------------------------------------------------


def detector_us(width: int, height: int, threshold: int = 20) -> float:
    """Microseconds to compare one picture with the one before it."""
    rng = random.Random(1)
    a = bytes(rng.randrange(256) for _ in range(width * height))
    b = bytes(rng.randrange(256) for _ in range(width * height))
    runs = 300
    return timeit.timeit(lambda: changed_pixels(a, b, threshold), number=runs) / runs * 1e6


# -- reaction -----------------------------------------------------------------------------------


async def reaction(sampling: str, rounds: int, gop: int) -> tuple[list[float], list[float], float]:
    """Seconds from scene switches to motion on / off (hold 2 s), and the time to connect."""
    from nvrd.channels.status import StatusBoard
    from nvrd.core.clock import SystemClock
    from nvrd.events.bus import EventBus
    from nvrd.events.types import MotionChanged
    from nvrd.media.service import MediaService
    from nvrd.store.channels import Channel
    from nvrd.store.db import Database
    from nvrd.store.recordings import RecordingIndex
    from tests.conftest import make_settings

    on: list[float] = []
    off: list[float] = []
    tmp = Path(tempfile.mkdtemp(prefix="nvrd-bench-motion-"))
    settings = make_settings(
        tmp,
        recording={"min_free_mb": 0},
        live={"hls": False, "lowlatency": False},
        motion={"sampling": sampling, "fps": 2, "hold_seconds": 2},
    )
    db = Database(settings.db_url)
    await db.open()
    board = StatusBoard()
    media = MediaService(settings, RecordingIndex(db.engine), board, EventBus(), SystemClock())
    sub = media.bus.subscribe([MotionChanged], name="bench")

    async def next_change(want: bool) -> float:
        while True:
            event = await asyncio.wait_for(sub.get(), timeout=30)
            assert event is not None
            if isinstance(event, MotionChanged) and any(m is want for _, m in event.updated):
                return time.monotonic()

    try:
        with LiveCameraServer(user=None, password=None, gop=gop) as cam:
            await asyncio.to_thread(cam.set_scene, "still")
            t0 = time.monotonic()
            await media.start([Channel(1, "cam", {"source": cam.url()})])
            while board.state(1).code != 200:
                await asyncio.sleep(0.05)
            connect = time.monotonic() - t0
            await asyncio.sleep(2)
            jitter = random.Random(5)
            for _ in range(rounds):
                # switch at a random moment between keyframes, not in step with them
                await asyncio.sleep(1 + jitter.random())
                switched = time.monotonic()
                await asyncio.to_thread(cam.set_scene, "moving")
                on.append(await next_change(True) - switched)
                await asyncio.sleep(2 + jitter.random())
                switched = time.monotonic()
                await asyncio.to_thread(cam.set_scene, "still")
                off.append(await next_change(False) - switched)
    finally:
        await media.stop()
        await db.close()
        shutil.rmtree(tmp, ignore_errors=True)
    return on, off, connect


# -- reporting ----------------------------------------------------------------------------------


def report(results: dict[str, Result]) -> None:
    print(
        f"{'phase':<10}{'window':>7}{'%/ch all':>9}{'python':>8}{'ffmpeg':>8}{'motion ffmpeg':>15}"
    )
    for name, res in results.items():
        p = res.phase
        py = p.pct(p.cpu.root) if name != "baseline" else 0.0
        ff = p.pct(p.cpu.below) if name != "baseline" else p.per_stream
        seen = f"{res.motion_args_seen}/{p.cams}" if name != "baseline" else "-"
        print(f"{name:<10}{p.window_s:>6.0f}s{p.per_stream:>8.2f}%{py:>7.2f}%{ff:>7.2f}%{seen:>15}")
        for note in p.notes:
            print(f"     {name}: {note}")
    rec = results.get("rec")
    base = results.get("baseline")
    for name in ("keyframes", "fps2"):
        motion = results.get(name)
        if motion is None or rec is None or rec.phase.per_stream <= 0:
            continue
        extra = motion.phase.per_stream - rec.phase.per_stream
        extra_ff = motion.phase.pct(motion.phase.cpu.below) - rec.phase.pct(rec.phase.cpu.below)
        extra_py = motion.phase.pct(motion.phase.cpu.root) - rec.phase.pct(rec.phase.cpu.root)
        line = (
            f"motion ({name}): +{extra:.2f}% of a core per channel (ffmpeg {extra_ff:+.2f}, "
            f"python {extra_py:+.2f}) = {extra / rec.phase.per_stream:.2f}x nvrd's recording "
            f"cost of the channel"
        )
        if base is not None and base.phase.per_stream > 0:
            line += f", {extra / base.phase.per_stream:.2f}x a bare ffmpeg -c copy"
        print(
            f"  {line}; with motion nvrd costs "
            f"{motion.phase.per_stream / rec.phase.per_stream:.2f}x recording alone"
        )


def main() -> None:
    n = int(os.environ.get("NVRD_BENCH_CAMERAS", "4"))
    seconds = float(os.environ.get("NVRD_BENCH_SECONDS", "60"))
    rounds = int(os.environ.get("NVRD_BENCH_ROUNDS", "8"))
    chosen = os.environ.get("NVRD_BENCH_PHASES", ",".join(PHASES)).replace(" ", "").split(",")
    unknown = set(chosen) - set(PHASES)
    if unknown:
        raise SystemExit(f"NVRD_BENCH_PHASES: unknown {sorted(unknown)} ({', '.join(PHASES)})")

    print("detector in Python (pure, one comparison):")
    for w, h in ((64, 36), (96, 54)):
        us = detector_us(w, h)
        print(
            f"  {w}x{h}: {us:.0f} us per picture = {us * 0.5 / 1e4:.4f}% of a core per channel "
            f"at a keyframe every 2 s, {us * 2 / 1e4:.4f}% at 2 pictures a second"
        )

    top = Path(tempfile.mkdtemp(prefix="nvrd-bench-motion-"))
    results: dict[str, Result] = {}
    try:
        cpu_phases = [p for p in chosen if p != "reaction"]
        if cpu_phases:
            media = make_media(top / "source.mp4")
            print(f"{n} cameras, 1080p 25 fps GOP 50, {seconds:.0f} s per phase", flush=True)
            cam = CameraServer(top / "media", n)
            try:
                names = camera_files(media, top / "media", n)
                cam.start()
                for name in cpu_phases:
                    print(f"-- {name}...", flush=True)
                    if name == "baseline":
                        results[name] = Result(run_baseline(cam, names, top / "b", seconds))
                    else:
                        results[name] = run_nvrd(cam, names, top / name, seconds, name)
            finally:
                cam.stop()
            report(results)
    finally:
        shutil.rmtree(top, ignore_errors=True)

    if "reaction" in chosen:
        reason = live_camera_unavailable()
        if reason is not None:
            print(f"reaction: skipped ({reason})")
            return
        print(f"reaction (live camera 640x360 25 fps, hold 2 s, {rounds} rounds):", flush=True)
        for sampling, gop in (("keyframes", 25), ("fps", 25), ("keyframes", 50), ("fps", 50)):
            on, off, connect = asyncio.run(reaction(sampling, rounds, gop))
            print(
                f"  {sampling:<9} GOP {gop / 25:g} s: motion on after "
                f"{statistics.median(on):.2f} s median "
                f"(max {max(on):.2f}), off after {statistics.median(off):.2f} s "
                f"(max {max(off):.2f}; hold 2 s); connected {connect:.2f} s after start"
            )
    print(
        "  %/ch: CPU % of one core per channel (python = the nvrd process, ffmpeg = its "
        "children); motion ffmpeg: processes running with the motion output"
    )

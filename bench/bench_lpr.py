"""Licence-plate recognition: accuracy per format, throughput per core, CPU per LPR channel.

Accuracy: for each format (US, EU, UK, KR) a generated set of passages (``plan_traffic``
with ``hard`` looks: plates 110-200 px wide in 1280x720, tilt up to 8°, blur up to 1.6 px,
sensor noise up to 10 levels, six Latin fonts, Noto Sans CJK for Hangul). Two figures:

* ``frame``: one picture per plate (the middle of its time in the zone) read by the
  ``PlateReader``; the best-scored read is the answer;
* ``passage``: the recogniser loop (``Recogniser``: reader + tracker) over the passage's
  frames at 2 analysed frames a second, as the server runs it; one log entry per passage.

Exact match is the share of plates read exactly; character accuracy is ``1 - edit distance /
length`` (a missed plate counts 0). Throughput: frames and plates read per CPU second of one
core (``threads = 1``) over the frame set, and text detection alone on an empty zone.

CPU per channel: ``nvrd serve`` records the generated gate video (1280x720, 15 fps) as a file
channel, first without and then with its LPR zone (2 fps); CPU seconds over the window of the
worker process and of the channel's frame decoder (the ffmpeg that turns the live stream into
the worker's pictures), and what the server spends more, as a ratio to those of the channel's
recording ffmpeg (and to the Python server process).

Environment: ``NVRD_BENCH_PLATES`` (default 60 per format), ``NVRD_BENCH_PASSAGES`` (default
20 per format), ``NVRD_BENCH_SECONDS`` (default 40: the CPU window), ``NVRD_BENCH_PHASES``
(default "accuracy,cpu").
"""

from __future__ import annotations

import os
import random
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import psutil

from nvrd.core.plates import parse_formats
from nvrd.media.frames.pictures import FeedCounters, Frame
from nvrd.media.service import default_ffmpeg
from nvrd.media.traffic.scene import TrafficPlan, plan_traffic
from nvrd.media.traffic.video import write_traffic_video
from nvrd.recognition.geometry import zone_pixels
from nvrd.recognition.lpr.hangul import HangulReader
from nvrd.recognition.lpr.reader import PlateReader
from nvrd.recognition.lpr.settings import ReaderSettings, WorkerConfig
from nvrd.recognition.lpr.worker import Recogniser
from tests.e2e.server import ServerProcess

FORMATS = ("US", "EU", "UK", "KR")
ZONE = (960, 1080, 6720, 4320)


def char_accuracy(got: str, want: str) -> float:
    if not got:
        return 0.0
    # plain edit distance: every change costs 1 here
    a, b = got, want
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j - 1] + (ca != cb), prev[j] + 1, cur[j - 1] + 1)
        prev = cur
    return max(0.0, 1 - prev[-1] / max(len(want), 1))


def bgr(frame: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(frame[:, :, ::-1])


def frame_set(plan: TrafficPlan) -> list[tuple[str, np.ndarray]]:
    """(truth, the picture in the middle of the plate's time in the zone) per passage."""
    wanted = {}
    for truth in plan.truth():
        b, e = truth["inZone"]
        wanted[round((b + e) / 2 * plan.fps)] = truth["plateNo"]
    out = []
    for n, frame in enumerate(plan.frames()):
        if n in wanted:
            out.append((wanted[n], bgr(frame)))
    return out


def read_frames(reader: PlateReader, frames: list[tuple[str, np.ndarray]]) -> dict[str, Any]:
    zone = zone_pixels(ZONE, 1280, 720)
    exact = chars = plates = 0.0
    cpu = time.process_time()
    for want, image in frames:
        reads = sorted(reader.read(image, zone), key=lambda r: -r.score)
        got = reads[0].text if reads else ""
        plates += len(reads)
        exact += got == want
        chars += char_accuracy(got, want)
    cpu = time.process_time() - cpu
    n = len(frames)
    return {"n": n, "exact": exact / n, "chars": chars / n, "cpu": cpu, "reads": plates}


class PlanFrames:
    """The plan's frames at ``fps`` analysed frames a second, video time as wall time."""

    def __init__(self, plan: TrafficPlan, fps: float) -> None:
        self._it = plan.frames()
        self._step = max(1, round(plan.fps / fps))
        self._n = 0
        self._fps = plan.fps

    def get(self, timeout: float) -> Frame | None:
        for image in self._it:
            n, self._n = self._n, self._n + 1
            if n % self._step == 0:
                return Frame(bgr(image), round(n * 1000 / self._fps))
        return None

    def counters(self) -> FeedCounters:
        return FeedCounters(self._n, 0)

    def close(self) -> None:
        pass


def read_passages(reader: PlateReader, plan: TrafficPlan, tmp: Path) -> dict[str, Any]:
    cfg = WorkerConfig(1, "B", ZONE, 2, FORMATS, str(tmp))
    feed = PlanFrames(plan, 2)
    rec = Recogniser(cfg, feed, reader)
    found = []
    while True:
        frame = feed.get(0)
        if frame is None:
            break
        rec.frames = _One(frame)
        found += rec.step(0)
    found += rec.tracker.expire(0, everything=True)
    truth = plan.truth()
    exact = chars = 0.0
    for t in truth:
        b, e = (v * 1000 for v in t["inZone"])
        near = [p for p in found if p.time_begin_ms <= e + 1000 and p.time_end_ms >= b - 1000]
        got = near[0].text if near else ""
        exact += got == t["plateNo"]
        chars += char_accuracy(got, t["plateNo"])
    n = len(truth)
    return {"n": n, "exact": exact / n, "chars": chars / n, "entries": len(found)}


class _One:
    def __init__(self, frame: Frame) -> None:
        self._frame: Frame | None = frame

    def get(self, timeout: float) -> Frame | None:
        frame, self._frame = self._frame, None
        return frame

    def counters(self) -> FeedCounters:
        return FeedCounters(0, 0)

    def close(self) -> None:
        pass


def accuracy(per_format: int, passages: int) -> None:
    reader = PlateReader(parse_formats(FORMATS), ReaderSettings(threads=1), HangulReader())
    empty = np.full((720, 1280, 3), 92, np.uint8)
    zone = zone_pixels(ZONE, 1280, 720)
    cpu = time.process_time()
    for _ in range(10):
        reader.read(empty, zone)
    det_ms = (time.process_time() - cpu) / 10 * 1000
    total_cpu = total_frames = total_reads = 0.0
    print("format  frame-exact  frame-chars  passage-exact  passage-chars  (plates, passages)")
    with tempfile.TemporaryDirectory(prefix="nvrd-bench-lpr-") as tmp:
        for n, region in enumerate(FORMATS):
            plan = plan_traffic(
                [region], per_format, seed=100 + n, hard=True, crossing_seconds=2.0, gap_seconds=0.2
            )
            f = read_frames(reader, frame_set(plan))
            total_cpu += f["cpu"]
            total_frames += f["n"]
            total_reads += f["reads"]
            moving = plan_traffic(
                [region], passages, seed=200 + n, hard=True, crossing_seconds=4.0, gap_seconds=1.0
            )
            p = read_passages(reader, moving, Path(tmp))
            print(
                f"{region:6}  {f['exact']:10.1%}  {f['chars']:11.1%}  {p['exact']:13.1%}  "
                f"{p['chars']:13.1%}  ({f['n']}, {p['n']}; {p['entries']} entries)",
                flush=True,
            )
    print(
        f"throughput, one core: {total_frames / total_cpu:.1f} frames/s with a plate, "
        f"{total_reads / total_cpu:.1f} plates/s; text detection on an empty zone "
        f"{det_ms:.0f} ms ({1000 / det_ms:.1f} frames/s)"
    )


def tree_cpu(pid: int) -> dict[str, float]:
    """CPU seconds of the server process, its recording ffmpeg, its frame decoder ffmpeg and
    its LPR workers."""
    out = {"server": 0.0, "ffmpeg": 0.0, "decoder": 0.0, "lpr": 0.0}
    root = psutil.Process(pid)
    for proc in [root, *root.children(recursive=True)]:
        try:
            t = proc.cpu_times()
            name = proc.name()
            cmd = " ".join(proc.cmdline())
        except psutil.Error:
            continue
        spent = t.user + t.system
        if proc.pid == pid:
            out["server"] += spent
        elif "ffmpeg" in name and "rawvideo" in cmd:
            out["decoder"] += spent
        elif "ffmpeg" in name:
            out["ffmpeg"] += spent
        elif "multiprocessing" in cmd or "spawn" in cmd:
            out["lpr"] += spent
    return out


def run_server(video: Path, with_lpr: bool, seconds: float, work: Path) -> dict[str, float]:
    zone = ", ".join(str(v) for v in ZONE)
    lpr = (
        '[[lpr_source]]\ncode = "GATE"\nlinked_channel = [1]\n'
        f'zone = {{ chid = 1, rect = [{zone}], entry_movement = "down" }}\n'
        if with_lpr
        else ""
    )
    toml = (
        "[live]\nhls = false\nlowlatency = false\n[motion]\nenabled = false\n"
        "[lpr]\nfps = 2\n"
        f'[[channel]]\ntitle = "Gate"\nsource = "{video}"\nplayback = "repeat"\n{lpr}'
    )
    work.mkdir(parents=True, exist_ok=True)
    srv = ServerProcess(work, toml).start()
    try:
        time.sleep(8)  # the worker loads its models; the recording settles
        assert srv.proc is not None
        before = tree_cpu(srv.proc.pid)
        time.sleep(seconds)
        after = tree_cpu(srv.proc.pid)
        with srv.client(auth=("admin", srv.admin_password())) as c:
            health = c.get("/api/system?health=lpr").json()["lpr"]
    finally:
        srv.stop()
    used = {k: (after[k] - before[k]) / seconds for k in before}
    if health:
        used["reads"] = health[0]["reads"]
        used["dropped"] = health[0]["framesDropped"]
    return used


def cpu(seconds: float) -> None:
    with tempfile.TemporaryDirectory(prefix="nvrd-bench-lpr-") as tmp:
        video = Path(tmp) / "gate.mp4"
        plan = plan_traffic(
            ["US", "EU", "UK", "KR"], 16, seed=2024, fps=15, crossing_seconds=4.5, gap_seconds=1.0
        )
        write_traffic_video(default_ffmpeg(), plan, video)
        rec = run_server(video, False, seconds, Path(tmp) / "rec")
        lpr = run_server(video, True, seconds, Path(tmp) / "lpr")
    print(f"recording only: server {rec['server']:.1%} of a core, ffmpeg {rec['ffmpeg']:.1%}")
    print(
        f"with LPR at 2 fps: worker {lpr['lpr']:.1%} of a core, frame decoder "
        f"{lpr['decoder']:.1%}, recording ffmpeg {lpr['ffmpeg']:.1%}, server {lpr['server']:.1%};"
        f" reads {lpr.get('reads', 0)}, frames dropped {lpr.get('dropped', 0)}"
    )
    extra = lpr["lpr"] + lpr["decoder"] + max(0.0, lpr["server"] - rec["server"])
    base = max(rec["ffmpeg"], 1e-6)
    print(
        f"CPU per LPR channel (worker + decoder + server's extra): {extra:.1%} of a core, "
        f"{extra / base:.0f}x the recording ffmpeg of that channel, "
        f"{extra / max(rec['ffmpeg'] + rec['server'], 1e-6):.0f}x recording it in nvrd "
        "(ffmpeg + server)"
    )


def main() -> None:
    phases = os.environ.get("NVRD_BENCH_PHASES", "accuracy,cpu").split(",")
    random.seed(0)
    if "accuracy" in phases:
        accuracy(
            int(os.environ.get("NVRD_BENCH_PLATES", "60")),
            int(os.environ.get("NVRD_BENCH_PASSAGES", "20")),
        )
    if "cpu" in phases:
        cpu(float(os.environ.get("NVRD_BENCH_SECONDS", "40")))

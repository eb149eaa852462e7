"""Recorder CPU cost: nvrd recording N 1080p RTSP cameras against N bare ffmpeg processes.

One 1080p test video (25 fps, GOP 50, ~5 Mbit/s, burnt-in clock) is served as N cameras
(``cam1.mp4`` .. ``camN.mp4``, hardlinks of one file) by ONE pure-Python ``FileCameraServer``
on 127.0.0.1, looping forever in real time. Two phases run one after the other, same N:

* baseline: N ``ffmpeg -rtsp_transport tcp -i URL -map 0:v:0 -c copy -f segment ...``
  processes writing 60 s MP4 segments;
* nvrd: a real ``nvrd serve`` (60 s segments, SQLite index) with the N channels added
  through ``POST /api/channel``.

CPU seconds (user + system, psutil) of the recorder's whole process tree (children that
exited and were reaped included) are taken from the moment every stream is connected to the
end of the window; per-stream CPU % is ``cpu_s / window / N * 100`` (100 % = one core). The
camera server's CPU is measured separately, as is the whole box. Whether the cameras kept up
is judged from the media actually recorded against the wall time it covers (1.00 = real
time). After a graceful stop (SIGTERM) every nvrd segment file must have an index row, and
``nvrd check`` must find nothing.

Environment: ``NVRD_BENCH_CAMERAS`` (default "16"; a comma list such as "4,16,24" runs each),
``NVRD_BENCH_SECONDS`` (default 120: the measured window of each phase).
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil

from tests.e2e.server import ServerProcess
from tests.support.cameras import FileCameraServer
from tests.support.media import ffmpeg_exe, probe

SIZE = (1920, 1080)
FPS = 25
GOP = 50
MEDIA_SECONDS = 30
BITRATE = "5M"
SEGMENT_SECONDS = 60
CONNECT_TIMEOUT = 90.0
STOP_TIMEOUT = 120.0
#: A phase whose recorded media falls this much behind the wall clock: cameras did not keep up.
KEPT_UP = 0.97
#: The file server is one Python process (one GIL): this busy, it is the bottleneck.
CAMERA_SATURATED = 0.90


# -- measuring --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cpu:
    """CPU seconds of a process tree: the root itself (``main`` = its main thread only) and
    everything below it (live descendants plus the children it has already reaped)."""

    root: float = 0.0
    main: float = 0.0
    below: float = 0.0

    @property
    def total(self) -> float:
        return self.root + self.below

    def __sub__(self, other: Cpu) -> Cpu:
        return Cpu(self.root - other.root, self.main - other.main, self.below - other.below)

    def __add__(self, other: Cpu) -> Cpu:
        return Cpu(self.root + other.root, self.main + other.main, self.below + other.below)


def tree_cpu(pid: int | None) -> Cpu:
    if pid is None:
        return Cpu()
    try:
        root = psutil.Process(pid)
        t = root.cpu_times()
        main = next((th.user_time + th.system_time for th in root.threads() if th.id == pid), 0.0)
        kids = root.children(recursive=True)
    except psutil.Error:
        return Cpu()
    below = t.children_user + t.children_system
    for kid in kids:
        with contextlib.suppress(psutil.Error):  # it may end between listing and reading
            k = kid.cpu_times()
            below += k.user + k.system + k.children_user + k.children_system
    return Cpu(t.user + t.system, main, below)


def procs_cpu(pids: Iterable[int | None]) -> Cpu:
    total = Cpu()
    for pid in pids:
        total = total + tree_cpu(pid)
    return total


@dataclass(frozen=True)
class Box:
    busy: float
    total: float
    steal: float

    @staticmethod
    def now() -> Box:
        t = psutil.cpu_times()
        parts = ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal")
        total = sum(getattr(t, p, 0.0) for p in parts)
        idle = t.idle + getattr(t, "iowait", 0.0)
        return Box(total - idle, total, getattr(t, "steal", 0.0))


@dataclass
class Snapshot:
    at: float
    recorder: Cpu
    camera: Cpu
    box: Box

    @staticmethod
    def take(recorder_pids: list[int | None], camera_pid: int | None) -> Snapshot:
        return Snapshot(time.monotonic(), procs_cpu(recorder_pids), tree_cpu(camera_pid), Box.now())


@dataclass
class Phase:
    name: str
    cams: int
    window_s: float = 0.0
    cpu: Cpu = field(default_factory=Cpu)
    camera_cpu_s: float = 0.0
    box_busy: float = 0.0  # fraction of all cores
    box_steal: float = 0.0
    segments: int = 0
    media_ratios: list[float] = field(default_factory=list)  # per stream: media / wall
    media_s: float = 0.0
    wall_s: float = 0.0
    notes: list[str] = field(default_factory=list)

    def measure(self, start: Snapshot, end: Snapshot) -> None:
        self.window_s = end.at - start.at
        self.cpu = end.recorder - start.recorder
        self.camera_cpu_s = (end.camera - start.camera).total
        span = end.box.total - start.box.total
        if span > 0:
            self.box_busy = (end.box.busy - start.box.busy) / span
            self.box_steal = (end.box.steal - start.box.steal) / span

    @property
    def per_stream(self) -> float:
        """CPU % of one core per stream."""
        return self.cpu.total / self.window_s / self.cams * 100 if self.window_s else 0.0

    @property
    def camera_core(self) -> float:
        return self.camera_cpu_s / self.window_s if self.window_s else 0.0

    @property
    def kept_up(self) -> bool:
        return bool(self.media_ratios) and min(self.media_ratios) >= KEPT_UP


def watch(seconds: float, check: Callable[[], str | None]) -> str | None:
    """Sleep ``seconds`` (bounded), calling ``check`` every second; stop early with its
    complaint."""
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        time.sleep(min(1.0, left))
        problem = check()
        if problem:
            return problem
    return None


# -- the cameras ------------------------------------------------------------------------------


DEJAVU_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def clock_filter(height: int) -> str:
    """Burn in the stream time (drawtext), or nothing when the font is missing."""
    if not DEJAVU_FONT.is_file():
        return "null"
    return (
        f"drawtext=fontfile={DEJAVU_FONT}:text='%{{pts\\:hms}}'"
        f":fontsize={max(16, height // 12)}:fontcolor=white:box=1:boxcolor=black@0.6"
        ":boxborderw=8:x=(w-text_w)/2:y=h-text_h-20"
    )


def make_media(path: Path) -> Path:
    """A 1080p H.264 clip with a clock, fixed GOP, no B-frames, constrained to ~BITRATE."""
    width, height = SIZE
    cmd = [
        ffmpeg_exe(),
        "-hide_banner",
        "-loglevel",
        "error",
        "-y",
        "-f",
        "lavfi",
        "-i",
        f"testsrc2=size={width}x{height}:rate={FPS}:duration={MEDIA_SECONDS}",
        "-vf",
        clock_filter(height),
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-profile:v",
        "main",
        "-pix_fmt",
        "yuv420p",
        "-bf",
        "0",
        "-g",
        str(GOP),
        "-keyint_min",
        str(GOP),
        "-sc_threshold",
        "0",
        "-b:v",
        BITRATE,
        "-maxrate",
        BITRATE,
        "-bufsize",
        BITRATE,
        "-r",
        str(FPS),
        "-an",
        "-movflags",
        "+faststart",
        str(path),
    ]
    subprocess.run(cmd, capture_output=True, check=True, timeout=120)
    return path


def camera_files(media: Path, media_dir: Path, n: int) -> list[str]:
    media_dir.mkdir(parents=True, exist_ok=True)
    names = [f"cam{i}.mp4" for i in range(1, n + 1)]
    for name in names:
        target = media_dir / name
        try:
            os.link(media, target)
        except OSError:
            shutil.copyfile(media, target)
    return names


# -- baseline: bare ffmpeg --------------------------------------------------------------------


def baseline_argv(url: str, out_dir: Path) -> list[str]:
    return [
        ffmpeg_exe(),
        "-hide_banner",
        "-nostdin",
        "-loglevel",
        "warning",
        "-rtsp_transport",
        "tcp",
        "-i",
        url,
        "-map",
        "0:v:0",
        "-c",
        "copy",
        "-f",
        "segment",
        "-segment_time",
        str(SEGMENT_SECONDS),
        "-segment_format",
        "mp4",
        "-reset_timestamps",
        "1",
        str(out_dir / "%05d.mp4"),
    ]


def end_processes(procs: list[subprocess.Popen[bytes]], timeout: float = 15.0) -> None:
    """SIGINT (ffmpeg finishes its file), then SIGKILL whatever is still there."""
    for p in procs:
        if p.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                p.send_signal(signal.SIGINT)
    deadline = time.monotonic() + timeout
    for p in procs:
        try:
            p.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=5)


def run_baseline(cam: FileCameraServer, names: list[str], work: Path, seconds: float) -> Phase:
    n = len(names)
    phase = Phase("baseline", n)
    procs: list[subprocess.Popen[bytes]] = []
    outs = [work / f"b{i}" for i in range(1, n + 1)]
    try:
        for name, out in zip(names, outs, strict=True):
            out.mkdir(parents=True)
            with (work / f"{out.name}.log").open("wb") as log:
                procs.append(
                    subprocess.Popen(
                        baseline_argv(cam.url(name), out),
                        stdin=subprocess.DEVNULL,
                        stdout=subprocess.DEVNULL,
                        stderr=log,
                    )
                )
        # connected = the first segment file has data in it; note when, per stream
        first_seen: dict[int, float] = {}
        deadline = time.monotonic() + CONNECT_TIMEOUT
        while len(first_seen) < n and time.monotonic() < deadline:
            for i, out in enumerate(outs):
                if i not in first_seen and any(f.stat().st_size > 0 for f in out.glob("*.mp4")):
                    first_seen[i] = time.time()
            if any(p.poll() is not None for p in procs):
                break
            time.sleep(0.1)
        if len(first_seen) < n:
            dead = sum(p.poll() is not None for p in procs)
            raise RuntimeError(
                f"baseline: only {len(first_seen)}/{n} ffmpeg connected ({dead} exited); "
                f"see {work}/b*.log"
            )
        pids: list[int | None] = [p.pid for p in procs]
        start = Snapshot.take(pids, cam.pid)

        def check() -> str | None:
            dead = [i + 1 for i, p in enumerate(procs) if p.poll() is not None]
            return f"ffmpeg of cam{dead} exited early" if dead else None

        problem = watch(seconds, check)
        end = Snapshot.take(pids, cam.pid)
        stopped = time.time()
        phase.measure(start, end)
        if problem:
            phase.notes.append(problem)
    finally:
        end_processes(procs)
    for i, out in enumerate(outs):
        files = sorted(out.glob("*.mp4"))
        phase.segments += len(files)
        media = 0.0
        for f in files:
            with contextlib.suppress(Exception):  # an unfinished file counts as nothing
                media += float(probe(f)["duration"])
        wall = stopped - first_seen[i]
        phase.media_s += media
        phase.wall_s += wall
        phase.media_ratios.append(media / wall if wall > 0 else 0.0)
    return phase


# -- nvrd -------------------------------------------------------------------------------------


def wait_connected(client: httpx.Client, n: int, srv: ServerProcess) -> dict[int, int]:
    deadline = time.monotonic() + CONNECT_TIMEOUT
    codes: dict[int, int] = {}
    while time.monotonic() < deadline:
        if srv.proc is not None and srv.proc.poll() is not None:
            raise RuntimeError(f"nvrd exited:\n{srv.stderr()[-3000:]}")
        body = client.get("/api/status").json()
        codes = {int(item["chid"]): int(item["status"]["code"]) for item in body}
        if len(codes) == n and all(c == 200 for c in codes.values()):
            return codes
        time.sleep(0.5)
    raise RuntimeError(f"nvrd: not every channel connected in {CONNECT_TIMEOUT:.0f} s: {codes}")


def log_summary(text: str) -> list[str]:
    """The nvrd log's warnings and errors, grouped by message."""
    counts: collections.Counter[str] = collections.Counter()
    for line in text.splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            if line.strip():
                counts[line.strip()[:120]] += 1
            continue
        if isinstance(rec, dict):
            level = str(rec.get("level") or rec.get("levelname") or "?")
            msg = str(rec.get("message") or rec.get("msg") or rec.get("event") or line)
            counts[f"{level}: {msg[:100]}"] += 1
    return [f"{c} x {m}" for m, c in counts.most_common(6)]


def check_storage(phase: Phase, srv: ServerProcess, stopped: float) -> None:
    db_path = srv.data_dir / "nvrd.db"
    with contextlib.closing(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)) as db:
        rows = db.execute(
            "SELECT chid, root, rel_path, start_ms, end_ms FROM recordings"
        ).fetchall()
    indexed = {(Path(root) / rel).resolve() for _, root, rel, _, _ in rows}
    files = {f.resolve() for f in (srv.data_dir / "recordings").rglob("*.mp4")}
    phase.segments = len(files)
    lost = files - indexed
    missing = indexed - files
    phase.notes.append(
        f"segment files {len(files)}, index rows {len(rows)}, "
        f"files without a row (lost) {len(lost)}, rows without a file {len(missing)}"
    )
    for f in sorted(lost)[:5]:
        phase.notes.append(f"  lost: {f.relative_to(srv.data_dir)} ({f.stat().st_size} bytes)")
    by_ch: dict[int, list[tuple[int, int, str]]] = collections.defaultdict(list)
    for chid, _, rel, start, end in rows:
        by_ch[int(chid)].append((int(start), int(end), str(rel)))
    runs = 0
    for segs in by_ch.values():
        segs.sort()
        media = sum(e - s for s, e, _ in segs) / 1000
        wall = stopped - segs[0][0] / 1000
        phase.media_s += media
        phase.wall_s += wall
        phase.media_ratios.append(media / wall if wall > 0 else 0.0)
        runs += len({re.sub(r"^.*-([A-Za-z0-9]+)\.mp4$", r"\1", rel) for _, _, rel in segs})
    if len(by_ch) < phase.cams:
        phase.notes.append(f"only {len(by_ch)}/{phase.cams} channels have any index row")
    if runs > len(by_ch):
        phase.notes.append(f"ffmpeg restarts: {runs - len(by_ch)} (runs {runs} > channels)")


def run_nvrd(cam: FileCameraServer, names: list[str], work: Path, seconds: float) -> Phase:
    n = len(names)
    phase = Phase("nvrd", n)
    work.mkdir(parents=True)
    srv = ServerProcess(
        work,
        f'log_level = "warning"\nmax_channels = {max(16, n)}\n'
        f"[recording]\nsegment_seconds = {SEGMENT_SECONDS}\n",
    )
    try:
        srv.start(timeout=60)
        assert srv.proc is not None
        with srv.client(auth=("admin", srv.admin_password())) as client:
            items = [{"name": f"cam{i}", "source": cam.url(nm)} for i, nm in enumerate(names, 1)]
            r = client.post("/api/channel", json=items)
            if r.status_code != 200 or r.json().get("failed"):
                raise RuntimeError(f"adding channels failed: {r.status_code} {r.text[:500]}")
            wait_connected(client, n, srv)
            pids: list[int | None] = [srv.proc.pid]
            start = Snapshot.take(pids, cam.pid)

            def check() -> str | None:
                alive = srv.proc is not None and srv.proc.poll() is None
                return None if alive else "nvrd exited during the run"

            problem = watch(seconds, check)
            end = Snapshot.take(pids, cam.pid)
            phase.measure(start, end)
            if problem:
                raise RuntimeError(f"{problem}:\n{srv.stderr()[-3000:]}")
            body = client.get("/api/status?recordingStatus").json()
            bad = [i["chid"] for i in body if i["status"]["code"] != 200]
            if bad:
                phase.notes.append(f"channels not connected at the end: {bad}")
        stopped = time.time()
        t = time.monotonic()
        rc = srv.stop(timeout=STOP_TIMEOUT)
        phase.notes.append(f"graceful stop: exit code {rc} after {time.monotonic() - t:.1f} s")
        check_storage(phase, srv, stopped)
        res = subprocess.run(
            [sys.executable, "-m", "nvrd", "check", "--config", str(srv.config)],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        last = (res.stdout.strip().splitlines() or [res.stderr.strip()[-200:]])[-1]
        phase.notes.append(f"nvrd check: {last}")
        for line in log_summary(srv.stderr() + srv.stdout()):
            phase.notes.append(f"log: {line}")
    finally:
        if srv.proc is not None and srv.proc.poll() is None:
            srv.stop(timeout=STOP_TIMEOUT)
    return phase


# -- reporting --------------------------------------------------------------------------------

HEAD = (
    f"{'cams':>4} {'phase':<9}{'window':>7}{'CPU s':>8}{'%/stream':>9}{'(py main/all':>14}"
    f"{'ffmpeg)':>8}{'camera':>8}{'box':>6}{'media/wall':>12}{'min':>6}{'segs':>6}"
)


def row(p: Phase) -> str:
    split = ""
    if p.name == "nvrd":
        split = (
            f"{p.cpu.main / p.window_s / p.cams * 100:>7.2f}/"
            f"{p.cpu.root / p.window_s / p.cams * 100:<6.2f}"
            f"{p.cpu.below / p.window_s / p.cams * 100:>8.2f}"
        )
    else:
        split = f"{'':>14}{'':>8}"
    ratio = p.media_s / p.wall_s if p.wall_s else 0.0
    low = min(p.media_ratios) if p.media_ratios else 0.0
    return (
        f"{p.cams:>4} {p.name:<9}{p.window_s:>6.0f}s{p.cpu.total:>8.1f}{p.per_stream:>8.2f}%"
        f"{split}{p.camera_core * 100:>7.0f}%{p.box_busy * 100:>5.0f}%"
        f"{ratio:>12.3f}{low:>6.3f}{p.segments:>6}"
    )


def verdict(base: Phase, ours: Phase) -> list[str]:
    out: list[str] = []
    if base.per_stream > 0:
        ratio = ours.per_stream / base.per_stream
        mark = "OK" if ratio <= 1.2 else "ABOVE TARGET"
        out.append(f"CPU ratio nvrd/baseline = {ratio:.2f} (target <= 1.2: {mark})")
    for p in (base, ours):
        keep = "kept up" if p.kept_up else "DID NOT keep up"
        sat = " (camera server saturated)" if p.camera_core >= CAMERA_SATURATED else ""
        out.append(
            f"{p.name}: cameras {keep}{sat}; media {p.media_s:.0f} s over {p.wall_s:.0f} s "
            f"of stream-wall time; camera {p.camera_core * 100:.0f}% of a core, "
            f"box {p.box_busy * 100:.0f}% of {psutil.cpu_count()} cores"
            + (f", steal {p.box_steal * 100:.0f}%" if p.box_steal > 0.02 else "")
        )
        out.extend(f"{p.name}: {note}" for note in p.notes)
    return out


def camera_counts() -> list[int]:
    raw = os.environ.get("NVRD_BENCH_CAMERAS", "16")
    return [int(v) for v in raw.replace(" ", "").split(",") if v]


def main() -> None:
    counts = camera_counts()
    seconds = float(os.environ.get("NVRD_BENCH_SECONDS", "120"))
    top = Path(tempfile.mkdtemp(prefix="nvrd-bench-rec-"))
    results: list[tuple[Phase, Phase]] = []
    try:
        media = make_media(top / "source.mp4")
        rate = media.stat().st_size * 8 / MEDIA_SECONDS / 1e6
        print(
            f"source: {SIZE[0]}x{SIZE[1]} {FPS} fps GOP {GOP} {rate:.1f} Mbit/s, "
            f"{MEDIA_SECONDS} s looped; {seconds:.0f} s per phase; segments {SEGMENT_SECONDS} s"
        )
        for n in counts:
            work = top / f"n{n}"
            cam = FileCameraServer(work / "media")
            try:
                names = camera_files(media, work / "media", n)
                cam.start()
                print(f"-- {n} cameras: baseline (bare ffmpeg)...", flush=True)
                base = run_baseline(cam, names, work / "baseline", seconds)
                print(f"-- {n} cameras: nvrd...", flush=True)
                ours = run_nvrd(cam, names, work / "nvrd", seconds)
            finally:
                cam.stop()
                shutil.rmtree(work, ignore_errors=True)
            results.append((base, ours))
            print(HEAD)
            print(row(base))
            print(row(ours))
            for line in verdict(base, ours):
                print(f"     {line}")
            print(flush=True)
    finally:
        shutil.rmtree(top, ignore_errors=True)
    if len(results) > 1:
        print("summary")
        print(HEAD)
        for base, ours in results:
            print(row(base))
            print(row(ours))
    print(
        "  %/stream: CPU of one core per camera (py main/all: nvrd's main thread / whole "
        "Python process; ffmpeg: its ingest processes); camera: the RTSP file server's CPU "
        "(one core = 100%); box: all cores busy; media/wall: recorded media over the wall time "
        "it covers (all streams, and the worst one)"
    )

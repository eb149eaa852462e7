"""Recorder CPU cost: nvrd recording N 1080p RTSP cameras against N bare ffmpeg processes.

One 1080p test video (25 fps, GOP 50, ~5 Mbit/s, burnt-in clock) is served as N cameras
(``cam1.mp4`` .. ``camN.mp4``, hardlinks of one file) by ONE pure-Python RTSP file server
(aio-rtsp-toolkit, as ``FileCameraServer``; see ``CameraServer`` for its thread pool) on
127.0.0.1, looping forever in real time. The phases run one after the other, same N:

* baseline: N ``ffmpeg -rtsp_transport tcp -i URL -map 0:v:0 -c copy -f segment ...``
  processes writing 60 s MP4 segments, run first and again last (``baseline2``): the ratios
  are against the mean of the two, as the machine's speed drifts during a run;
* nvrd: a real ``nvrd serve`` (60 s segments, SQLite index) with the N channels added
  through ``POST /api/channel``, once with its defaults (``nvrd``: the ingest ffmpeg also
  writes the fragmented MP4 that nvrd reads from a pipe for live HLS, the low-latency
  stream and motion, whose frame source decodes the keyframes) and once with
  ``[live] hls = false, lowlatency = false``, ``[motion] enabled = false`` and ``[lpr] enabled
  = false`` (``nvrd-rec``: recording only, no live output, the same work as the baseline plus
  nvrd's own).

CPU seconds (user + system, psutil) of the recorder's whole process tree (children that
exited and were reaped included) are taken from the moment every stream is connected to the
end of the window; per-stream CPU % is ``cpu_s / window / N * 100`` (100 % = one core). The
camera server's CPU is measured separately, as is the whole box. Whether the cameras kept up
is judged from the media actually recorded against the wall time it covers. After a graceful
stop (SIGTERM) every nvrd segment file must have an index row, and ``nvrd check`` must find
nothing.

Environment: ``NVRD_BENCH_CAMERAS`` (default "16"; a comma list such as "4,16,24" runs each),
``NVRD_BENCH_SECONDS`` (default 120: the measured window of each phase),
``NVRD_BENCH_VARIANTS`` (default "live,rec": which nvrd phases run),
``NVRD_BENCH_SHED=1`` (leave nvrd's load shedding on, as by default: for the saturation runs;
without it the server gets ``shed_load = false`` so that the CPU figures are those of every
default feature running, even when other processes load the machine),
``NVRD_BENCH_STOCK_CAMERA=1`` (serve with the unmodified FileCameraServer: 6 sessions at most
on 2 cores, see ``CameraServer``), ``NVRD_BENCH_CAMERA=gst`` (serve the clip, repeated into
one long file, from GStreamer's RTSP server as ``SharedFileCameraServer``: one shared
pipeline, about 26 % of a core for 64 cameras where the Python server needs about 2 % a
camera, so that 64 cameras fit the machine; its RTP packets are larger, so ffmpeg's own cost
a stream is about half the Python server's).
"""

from __future__ import annotations

import collections
import contextlib
import json
import operator
import os
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import astuple, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import psutil

from nvrd.media.testpattern import DEJAVU_FONT, make_pattern_video
from tests.e2e.server import ServerProcess
from tests.support.cameras import HOST, PARENT_WATCH, FileCameraServer, SharedFileCameraServer
from tests.support.media import ffmpeg_exe, probe

Camera = FileCameraServer | SharedFileCameraServer

SIZE = (1920, 1080)
FPS = 25
GOP = 50
MEDIA_SECONDS = 30
BITRATE = "5M"
SEGMENT_SECONDS = 60
CONNECT_TIMEOUT = 60.0
STOP_TIMEOUT = 120.0
#: Recorded media may fall this far behind the wall time it covers before the cameras count as
#: not keeping up: a fixed allowance (start-up, one GOP lost at a stop) plus a share of the time.
LAG_ALLOWANCE_S = 3.0
LAG_ALLOWANCE = 0.02
#: The file server is one Python process (one GIL): this busy, it is the bottleneck.
CAMERA_SATURATED = 0.90
TARGET_RATIO = 1.2
NO_LIVE = "[live]\nhls = false\nlowlatency = false\n"
#: No live output at all: nothing wants the live stream (the plate recogniser would, even with
#: no plate zone configured).
RECORDING_ONLY = NO_LIVE + "[motion]\nenabled = false\n[lpr]\nenabled = false\n"


# -- measuring --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cpu:
    """CPU seconds of a process tree: the root itself (``main`` = its main thread only) and
    everything below it (live descendants plus the children it has already reaped), of which
    ``decode`` is what the live frame decoders took (motion's; ``rawvideo`` outputs)."""

    root: float = 0.0
    main: float = 0.0
    below: float = 0.0
    decode: float = 0.0

    @property
    def total(self) -> float:
        return self.root + self.below

    def __sub__(self, other: Cpu) -> Cpu:
        return Cpu(*map(operator.sub, astuple(self), astuple(other)))

    def __add__(self, other: Cpu) -> Cpu:
        return Cpu(*map(operator.add, astuple(self), astuple(other)))


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
    decode = 0.0
    for kid in kids:
        with contextlib.suppress(psutil.Error):  # it may end between listing and reading
            k = kid.cpu_times()
            spent = k.user + k.system + k.children_user + k.children_system
            below += spent
            if "rawvideo" in kid.cmdline():
                decode += spent
    return Cpu(t.user + t.system, main, below, decode)


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
    media: list[float] = field(default_factory=list)  # per stream: seconds of media recorded
    wall: list[float] = field(default_factory=list)  # per stream: wall seconds it covers
    notes: list[str] = field(default_factory=list)
    index_equals_disk: bool | None = None  # after the clean stop (nvrd phases)

    def measure(self, start: Snapshot, end: Snapshot) -> None:
        self.window_s = end.at - start.at
        self.cpu = end.recorder - start.recorder
        self.camera_cpu_s = (end.camera - start.camera).total
        span = end.box.total - start.box.total
        if span > 0:
            self.box_busy = (end.box.busy - start.box.busy) / span
            self.box_steal = (end.box.steal - start.box.steal) / span

    def pct(self, cpu_s: float) -> float:
        """CPU seconds as % of one core per stream over the window."""
        return cpu_s / self.window_s / self.cams * 100 if self.window_s else 0.0

    @property
    def per_stream(self) -> float:
        return self.pct(self.cpu.total)

    @property
    def camera_core(self) -> float:
        return self.camera_cpu_s / self.window_s if self.window_s else 0.0

    @property
    def others_cores(self) -> float:
        """Cores busy with anything but the recorder and the camera (other users, the bench)."""
        if not self.window_s:
            return 0.0
        ours = (self.cpu.total + self.camera_cpu_s) / self.window_s
        return max(0.0, self.box_busy * (psutil.cpu_count() or 1) - ours)

    @property
    def media_ratio(self) -> float:
        return sum(self.media) / sum(self.wall) if sum(self.wall) > 0 else 0.0

    @property
    def worst_lag(self) -> float:
        """The largest shortfall of one stream's recorded media against its wall time (s)."""
        return max((w - m for m, w in zip(self.media, self.wall, strict=True)), default=0.0)

    @property
    def kept_up(self) -> bool:
        return len(self.media) == self.cams and all(
            w - m <= LAG_ALLOWANCE_S + LAG_ALLOWANCE * w
            for m, w in zip(self.media, self.wall, strict=True)
        )


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


def make_media(path: Path) -> Path:
    """A 1080p H.264 clip with a clock, fixed GOP, no B-frames, constrained to ~BITRATE."""
    width, height = SIZE
    return make_pattern_video(
        ffmpeg_exe(),
        path,
        seconds=MEDIA_SECONDS,
        size=f"{width}x{height}",
        fps=FPS,
        gop=GOP,
        clock=DEJAVU_FONT.is_file(),
        preset="veryfast",
        bitrate=BITRATE,
        tune=None,
    )


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


# The stock FileCameraServer runs each session's file reader through asyncio's default thread
# pool: min(32, cores + 4) threads, so 6 sessions on 2 cores. A 7th camera sends nothing until
# another session finishes a pass through its file (30 s); nvrd's ffmpeg (-timeout 5 s) gives
# up on it (status 408) and retries for ever. This boot runs the same server (aio-rtsp-toolkit)
# with one pool thread per camera, so that the server's CPU is what limits it.
CAMERA_BOOT = (
    PARENT_WATCH
    + """\
import asyncio, concurrent.futures
import aio_sockets as aio
import aio_rtsp_toolkit.server as server
from log_util import config_logger, logger
aio.aio_sockets.logger = logger
server.logger = logger
config_logger(logger, "warning")
media_dir, host, port, control_port, workers = sys.argv[1:6]
async def serve():
    pool = concurrent.futures.ThreadPoolExecutor(int(workers), thread_name_prefix="camera")
    asyncio.get_running_loop().set_default_executor(pool)
    await server.serve(media_dir, host, int(port), control_port=int(control_port))
asyncio.run(serve())
"""
)


class CameraServer(FileCameraServer):
    """FileCameraServer with a thread pool big enough for ``sessions`` cameras."""

    def __init__(self, media_dir: Path, sessions: int) -> None:
        super().__init__(media_dir)
        self.workers = sessions + 8

    def _command(self) -> list[str]:
        args = [str(self.media_dir), HOST, str(self.port), str(self.control_port)]
        return [sys.executable, "-c", CAMERA_BOOT, *args, str(self.workers)]


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
    """SIGINT once (ffmpeg finishes its file), then SIGKILL whatever is still there."""
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


def run_baseline(
    cam: Camera, names: list[str], work: Path, seconds: float, name: str = "baseline"
) -> Phase:
    n = len(names)
    phase = Phase(name, n)
    procs: list[subprocess.Popen[bytes]] = []
    outs = [work / f"b{i}" for i in range(1, n + 1)]
    # Media starts right after the launch (ffmpeg keeps the packets it reads while probing the
    # stream), so each stream's wall time counts from its launch.
    launched: list[float] = []
    try:
        for name, out in zip(names, outs, strict=True):
            out.mkdir(parents=True)
            launched.append(time.time())
            with (work / f"{out.name}.log").open("wb") as log:
                procs.append(
                    subprocess.Popen(
                        baseline_argv(cam.url(name), out),
                        stdin=subprocess.DEVNULL,
                        stdout=subprocess.DEVNULL,
                        stderr=log,
                    )
                )
        # connected = its first segment file has data in it
        connected: set[int] = set()
        deadline = time.monotonic() + CONNECT_TIMEOUT
        while len(connected) < n and time.monotonic() < deadline:
            for i, out in enumerate(outs):
                if i not in connected and any(f.stat().st_size > 0 for f in out.glob("*.mp4")):
                    connected.add(i)
            if any(p.poll() is not None for p in procs):
                break
            time.sleep(0.1)
        if len(connected) < n:
            dead = sum(p.poll() is not None for p in procs)
            phase.notes.append(
                f"NOT ALL CONNECTED: {len(connected)}/{n} ffmpeg writing after "
                f"{CONNECT_TIMEOUT:.0f} s ({dead} exited); measured anyway"
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
        phase.media.append(media)
        phase.wall.append(stopped - launched[i])
    return phase


# -- nvrd -------------------------------------------------------------------------------------


def add_cameras(client: Any, cam: Any, names: list[str], srv: Any, phase: Any) -> None:
    """Add one channel per camera stream and wait until they are connected."""
    items = [{"name": f"cam{i}", "source": cam.url(nm)} for i, nm in enumerate(names, 1)]
    r = client.post("/api/channel", json=items)
    if r.status_code != 200 or r.json().get("failed"):
        raise RuntimeError(f"adding channels failed: {r.status_code} {r.text[:500]}")
    problem = wait_connected(client, len(names), srv)
    if problem:
        phase.notes.append(problem)


def wait_connected(client: httpx.Client, n: int, srv: ServerProcess) -> str | None:
    """Wait until every channel reports 200; on timeout, say what the statuses were."""
    deadline = time.monotonic() + CONNECT_TIMEOUT
    codes: collections.Counter[int] = collections.Counter()
    while time.monotonic() < deadline:
        if srv.proc is not None and srv.proc.poll() is not None:
            raise RuntimeError(f"nvrd exited:\n{srv.stderr()[-3000:]}")
        body = client.get("/api/status").json()
        codes = collections.Counter(int(item["status"]["code"]) for item in body)
        if codes[200] == n:
            return None
        time.sleep(0.5)
    return (
        f"NOT ALL CONNECTED: {codes[200]}/{n} channels at 200 after {CONNECT_TIMEOUT:.0f} s "
        f"(status codes {dict(codes)}); measured anyway"
    )


def log_summary(text: str) -> list[str]:
    """The nvrd log's warnings and errors, grouped by message."""
    counts: collections.Counter[str] = collections.Counter()
    for line in text.splitlines():
        if "password" in line or "first administrator created" in line:
            continue  # the expected first start: nothing to report, no secret to print
        try:
            rec = json.loads(line)
        except ValueError:
            if line.strip():
                counts[line.strip()[:120]] += 1
            continue
        if isinstance(rec, dict):
            level = str(rec.get("level") or rec.get("levelname") or "?")
            msg = str(rec.get("message") or rec.get("msg") or rec.get("event") or line)
            if rec.get("task"):  # a supervised task: which one, and why
                exc = str(rec.get("exc") or "").strip()
                msg += f" [{rec['task']}: {exc.splitlines()[-1][:120] if exc else '?'}]"
            counts[f"{level}: {msg[:240]}"] += 1
    return [f"{c} x {m}" for m, c in counts.most_common(6)]


def has_trailer(path: Path) -> bool:
    """Whether ffmpeg finished the fragmented MP4 (it ends with ``mfra``/``mfro``)."""
    with path.open("rb") as f:
        f.seek(max(0, path.stat().st_size - 16))
        return f.read(16)[4:8] == b"mfro"


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
    phase.index_equals_disk = not lost and not missing
    phase.notes.append(
        f"segment files {len(files)}, index rows {len(rows)}, "
        f"files without a row (lost) {len(lost)}, rows without a file {len(missing)}"
        + ("" if phase.index_equals_disk else "  <-- INDEX DIFFERS FROM DISK")
    )
    for f in sorted(lost)[:5]:
        phase.notes.append(f"  lost: {f.relative_to(srv.data_dir)} ({f.stat().st_size} bytes)")
    by_ch: dict[int, list[tuple[int, int, Path]]] = collections.defaultdict(list)
    for chid, root, rel, start, end in rows:
        by_ch[int(chid)].append((int(start), int(end), Path(root) / rel))
    runs = 0
    tails: list[float] = []
    aborted = 0
    for segs in by_ch.values():
        segs.sort()
        phase.media.append(sum(e - s for s, e, _ in segs) / 1000)
        phase.wall.append(stopped - segs[0][0] / 1000)
        tails.append(stopped - segs[-1][1] / 1000)
        last = segs[-1][2]
        if last.is_file() and not has_trailer(last):
            aborted += 1
        runs += len({p.stem.rsplit("-", 1)[-1] for _, _, p in segs})
    total = sum(phase.media)
    phase.notes.append(
        f"indexed media {total:.0f} s over {sum(phase.wall):.0f} s of recording time "
        f"(sum over {len(by_ch)} channels, {total / max(1, len(by_ch)):.1f} s each)"
    )
    if tails:
        phase.notes.append(
            f"stop signal minus end of the last indexed segment: mean {statistics.mean(tails):.2f}"
            f" s, max {max(tails):.2f} s; final segments without ffmpeg's trailer (ffmpeg "
            f"aborted, file cut back to its last whole fragment): {aborted}/{len(by_ch)}"
        )
    if len(by_ch) < phase.cams:
        phase.notes.append(f"only {len(by_ch)}/{phase.cams} channels have any index row")
    if runs > len(by_ch):
        phase.notes.append(f"ffmpeg restarts: {runs - len(by_ch)} (runs {runs} > channels)")


class ShedWatch:
    """What the server's load shedding had shed while the run went on, read from
    ``/api/system?health=recording`` every few seconds (a cheap request)."""

    EVERY = 5

    def __init__(self, client: httpx.Client) -> None:
        self.client = client
        self.calls = 0
        self.started = time.monotonic()
        self.first: dict[str, float] = {}  # level -> seconds into the run it was first seen
        self.last: tuple[str, ...] = ()

    def sample(self) -> None:
        self.calls += 1
        if self.calls % self.EVERY:
            return
        with contextlib.suppress(httpx.HTTPError, KeyError, ValueError):
            body = self.client.get("/api/system?health=recording", timeout=5).json()
            self.last = tuple(body["recording"]["shed"])
            for level in self.last:
                self.first.setdefault(level, time.monotonic() - self.started)

    def summary(self) -> str:
        if not self.first:
            return "load shedding: nothing shed"
        seen = ", ".join(f"{level} (from {at:.0f} s)" for level, at in self.first.items())
        return f"load shedding: shed {seen}; at the end: {', '.join(self.last) or 'nothing'}"


def run_nvrd(cam: Camera, names: list[str], work: Path, seconds: float, live: bool) -> Phase:
    n = len(names)
    phase = Phase("nvrd" if live else "nvrd-rec", n)
    work.mkdir(parents=True)
    srv = ServerProcess(
        work,
        f'log_level = "warning"\nmax_channels = {max(16, n)}\n'
        f"[recording]\nsegment_seconds = {SEGMENT_SECONDS}\n"
        + ("" if os.environ.get("NVRD_BENCH_SHED") == "1" else "shed_load = false\n")
        + ("" if live else RECORDING_ONLY),
    )
    try:
        srv.start(timeout=60)
        assert srv.proc is not None
        with srv.client(auth=("admin", srv.admin_password())) as client:
            add_cameras(client, cam, names, srv, phase)
            pids: list[int | None] = [srv.proc.pid]
            start = Snapshot.take(pids, cam.pid)

            shed = ShedWatch(client)

            def check() -> str | None:
                alive = srv.proc is not None and srv.proc.poll() is None
                shed.sample()
                return None if alive else "nvrd exited during the run"

            problem = watch(seconds, check)
            phase.notes.append(shed.summary())
            end = Snapshot.take(pids, cam.pid)
            phase.measure(start, end)
            if problem:
                raise RuntimeError(f"{problem}:\n{srv.stderr()[-3000:]}")
            body = client.get("/api/status").json()
            bad = {i["chid"]: i["status"]["code"] for i in body if i["status"]["code"] != 200}
            if bad:
                phase.notes.append(f"channels not at 200 at the end (chid: code): {bad}")
        stopped = time.time()
        t = time.monotonic()
        rc = srv.stop(timeout=STOP_TIMEOUT)
        took = time.monotonic() - t
        phase.notes.append(f"graceful stop (SIGTERM): exit code {rc} after {took:.1f} s")
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
        logged = log_summary(srv.stderr() + srv.stdout())
        phase.notes.extend(f"log: {line}" for line in logged)
        if not logged:
            phase.notes.append("log: no warnings or errors")
    finally:
        if srv.proc is not None and srv.proc.poll() is None:
            srv.stop(timeout=STOP_TIMEOUT)
    return phase


# -- reporting --------------------------------------------------------------------------------

HEAD = (
    f"{'cams':>4} {'phase':<9}{'window':>7}{'CPU s':>8}{'%/stream':>9}"
    f"{'py main':>8}{'py all':>8}{'ffmpeg':>8}{'decode':>8}{'camera':>8}{'box':>6}"
    f"{'media/wall':>11}{'lag max':>8}{'segs':>6}"
)


def row(p: Phase) -> str:
    if p.name.startswith("nvrd"):
        ingest = p.cpu.below - p.cpu.decode
        split = f"{p.pct(p.cpu.main):>7.2f}%{p.pct(p.cpu.root):>7.2f}%{p.pct(ingest):>7.2f}%"
        split += f"{p.pct(p.cpu.decode):>7.2f}%"
    else:
        split = f"{'':>16}{p.pct(p.cpu.total):>7.2f}%{'':>8}"
    return (
        f"{p.cams:>4} {p.name:<9}{p.window_s:>6.0f}s{p.cpu.total:>8.1f}{p.per_stream:>8.2f}%"
        f"{split}{p.camera_core * 100:>7.0f}%{p.box_busy * 100:>5.0f}%"
        f"{p.media_ratio:>11.3f}{p.worst_lag:>7.1f}s{p.segments:>6}"
    )


def is_baseline(p: Phase) -> bool:
    return p.name.startswith("baseline")


def verdict(phases: list[Phase]) -> list[str]:
    """The ratios against the mean of the baselines run before and after the nvrd phases (the
    machine's speed drifts by 10 % and more over a run), and what each phase saw."""
    bases = [p.per_stream for p in phases if is_baseline(p) and p.per_stream > 0]
    base = statistics.fmean(bases) if bases else 0.0
    out = [f"baseline: {' and '.join(f'{b:.2f}%' for b in bases)} per stream, mean {base:.2f}%"]
    for p in phases:
        if not is_baseline(p) and base > 0 and p.per_stream > 0:
            ratio = p.per_stream / base
            mark = "OK" if ratio <= TARGET_RATIO else "ABOVE TARGET"
            out.append(
                f"CPU ratio {p.name}/baseline = {ratio:.2f} (target <= {TARGET_RATIO}: {mark})"
            )
    for p in phases:
        keep = "kept up" if p.kept_up else "DID NOT keep up"
        sat = " (camera server saturated)" if p.camera_core >= CAMERA_SATURATED else ""
        others = p.others_cores
        out.append(
            f"{p.name}: cameras {keep}{sat}; camera {p.camera_core * 100:.0f}% of a core, "
            f"box {p.box_busy * 100:.0f}% of {psutil.cpu_count()} cores"
            + (f" ({others:.2f} cores used by other processes)" if others > 0.1 else "")
            + (f", steal {p.box_steal * 100:.0f}%" if p.box_steal > 0.02 else "")
        )
        out.extend(f"{p.name}: {note}" for note in p.notes)
    return out


def camera_counts() -> list[int]:
    raw = os.environ.get("NVRD_BENCH_CAMERAS", "16")
    return [int(v) for v in raw.replace(" ", "").split(",") if v]


def variants() -> list[bool]:
    """nvrd configurations: ``live`` (defaults: live HLS, the low-latency stream and motion
    on) and ``rec`` (live and motion off: recording only)."""
    raw = os.environ.get("NVRD_BENCH_VARIANTS", "live,rec").replace(" ", "").split(",")
    unknown = set(raw) - {"live", "rec"}
    if unknown:
        raise SystemExit(f"NVRD_BENCH_VARIANTS: unknown {sorted(unknown)} (live, rec)")
    return [v == "live" for v in raw]


def long_media(media: Path, path: Path, seconds: float) -> Path:
    """``media`` repeated into one file of at least ``seconds`` (timestamps continuous)."""
    loops = int(seconds // MEDIA_SECONDS) + 1
    subprocess.run(
        [
            *(ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y"),
            *("-stream_loop", str(loops - 1), "-i", str(media), "-c", "copy", str(path)),
        ],
        check=True,
        timeout=300,
    )
    return path


def camera_for(media: Path, work: Path, n: int, seconds: float) -> Camera:
    """The cameras ``NVRD_BENCH_CAMERA`` asks for (see the module's docstring)."""
    kind = os.environ.get("NVRD_BENCH_CAMERA", "python")
    if kind == "gst":
        # a phase is connecting, the window and stopping; each phase starts the file anew
        return SharedFileCameraServer(long_media(media, work / "long.mp4", seconds + 240))
    if kind != "python":
        raise SystemExit(f"NVRD_BENCH_CAMERA: unknown {kind!r} (python, gst)")
    stock = os.environ.get("NVRD_BENCH_STOCK_CAMERA", "") not in ("", "0")
    return FileCameraServer(work / "media") if stock else CameraServer(work / "media", n)


def run_count(media: Path, work: Path, n: int, seconds: float) -> list[Phase]:
    work.mkdir(parents=True, exist_ok=True)
    cam = camera_for(media, work, n, seconds)
    phases: list[Phase] = []

    def attempt(phase: Phase, run: Callable[[], Phase]) -> None:
        try:
            phases.append(run())
        except Exception as exc:  # report it with the other figures, go on with the next
            phase.notes.append(f"FAILED: {exc}"[:3000])
            phases.append(phase)

    try:
        names = camera_files(media, work / "media", n)
        cam.start()
        print(f"-- {n} cameras: baseline (bare ffmpeg)...", flush=True)
        attempt(Phase("baseline", n), lambda: run_baseline(cam, names, work / "b", seconds))
        for live in variants():
            name = "nvrd" if live else "nvrd-rec"
            label = "defaults: live and motion on" if live else "recording only"
            print(f"-- {n} cameras: nvrd ({label})...", flush=True)
            attempt(Phase(name, n), partial(run_nvrd, cam, names, work / name, seconds, live))
        print(f"-- {n} cameras: baseline again (the machine's speed drifts)...", flush=True)
        again = partial(run_baseline, cam, names, work / "b2", seconds, "baseline2")
        attempt(Phase("baseline2", n), again)
        return phases
    finally:
        cam.stop()
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    counts = camera_counts()
    seconds = float(os.environ.get("NVRD_BENCH_SECONDS", "120"))
    variants()  # complain early
    top = Path(tempfile.mkdtemp(prefix="nvrd-bench-rec-"))
    results: list[list[Phase]] = []
    try:
        media = make_media(top / "source.mp4")
        rate = media.stat().st_size * 8 / MEDIA_SECONDS / 1e6
        print(
            f"source: {SIZE[0]}x{SIZE[1]} {FPS} fps GOP {GOP} {rate:.1f} Mbit/s, "
            f"{MEDIA_SECONDS} s looped; {seconds:.0f} s per phase; segments {SEGMENT_SECONDS} s"
        )
        for n in counts:
            phases = run_count(media, top / f"n{n}", n, seconds)
            results.append(phases)
            print(HEAD)
            for p in phases:
                print(row(p))
            for line in verdict(phases):
                print(f"     {line}")
            print(flush=True)
    finally:
        shutil.rmtree(top, ignore_errors=True)
    differs = [f"{p.cams} {p.name}" for r in results for p in r if p.index_equals_disk is False]
    if len(results) > 1:
        print("summary")
        print(HEAD)
        for phases in results:
            for p in phases:
                print(row(p))
    print(
        "  %/stream: CPU % of one core per camera (nvrd: py main = its main thread, py all = "
        "the whole Python process, ffmpeg = its ingest processes, decode = motion's keyframe "
        "decoders); camera: the RTSP file "
        "server (100% = one core, its ceiling); box: all cores busy, any process; "
        "media/wall: recorded media over the wall time it covers, all streams; lag max: the "
        "largest shortfall of one stream (s)"
    )
    if differs:  # after a clean stop the index must equal the disk, at any camera count
        raise SystemExit(f"index differs from disk after a clean stop: {', '.join(differs)}")

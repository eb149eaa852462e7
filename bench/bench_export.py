"""Evidence export: speed and CPU of exporting 1 h of 1080p, time to first byte of a 1 h
``/api/view.mp4``, and recording 16 channels while 4 exports run.

Setup: one 60 s 1080p test video (25 fps, GOP 50, ~5 Mbit/s, burnt-in clock), looped into
one hour of 60 s segments by ffmpeg's segment muxer with the recorder's options and indexed
as channel 1 of a SQLite index (``tests/support/recordings.py``).

* export: the export pipeline (fragment tables, rebuilt ``moof``s, one 2 GiB file at most)
  writes the hour to disk, against the baseline ``ffmpeg -f concat -c copy`` of the same
  segments into one MP4; speed is media seconds per wall second, CPU is user+system seconds.
  The recording cost of one channel is a bare recorder ffmpeg (``record_args``, ``-re``) for
  ``NVRD_BENCH_REC_SECONDS`` (default 30); the export's CPU is given per hour of video
  against that channel's CPU per hour.
* ttfb: a real ``nvrd serve`` on the indexed hour; ``GET /api/view.mp4`` for the whole hour,
  time to the first body byte (first request after start, then the median of 5), against
  ``GET /storage/...`` of one segment file on the same server.
* load: the same server records 16 file cameras (the 1080p clip, ``-re``, 10 s segments)
  while 4 ``/wsapi/dataExport`` clients export the hour each (``max_concurrent = 4``). Over
  the window: recorded media against wall time per channel, and gaps between consecutive
  segments of a channel (a lost segment shows as one), against the same window measured
  just before without exports.

Environment: ``NVRD_BENCH_EXPORT_LOAD_SECONDS`` (default 60).
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import resource
import sqlite3
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import psutil

from nvrd.config import load_settings
from nvrd.core.clock import utc_from_ms
from nvrd.export.assemble import Source, export_parts, export_runs
from nvrd.export.files import Member, Progress, write_member
from nvrd.export.segment import SegmentCache
from nvrd.media.ffargs import Source as MediaSource
from nvrd.media.ffargs import record_args
from nvrd.media.testpattern import make_pattern_video
from tests.conftest import add_users
from tests.e2e.server import ServerProcess
from tests.support.media import ffmpeg_exe
from tests.support.recordings import record

T0 = 1_700_000_000_000
HOUR_S = 3600


def _cpu_self() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _cpu_children() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def export_hour(sources: list[Source], out: Path) -> tuple[float, float, int]:
    """(wall s, cpu s, bytes) of exporting the hour with nvrd's pipeline."""
    cache = SegmentCache()
    cpu0, t0 = _cpu_self(), time.perf_counter()
    runs = export_runs(sources, T0, T0 + HOUR_S * 1000, cache)
    size = 0
    for run in runs:
        for i, part in enumerate(export_parts(run, 2 << 30, lambda ms: (str(ms), "CH1"))):
            size += write_member(Member(f"p{i}.mp4", plan=part.plan), out, Progress(), False).size
    return time.perf_counter() - t0, _cpu_self() - cpu0, size


def ffmpeg_concat(files: list[Path], out: Path) -> tuple[float, float]:
    listing = out.with_suffix(".txt")
    listing.write_text("".join(f"file '{f}'\n" for f in files))
    cpu0, t0 = _cpu_children(), time.perf_counter()
    subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-f", "concat", "-safe", "0",
         "-i", str(listing), "-c", "copy", str(out)],
        check=True,
    )  # fmt: skip
    return time.perf_counter() - t0, _cpu_children() - cpu0


def record_one_channel(video: Path, folder: Path, seconds: float) -> float:
    """CPU seconds per media second of the recorder's ffmpeg on one 1080p channel."""
    argv = record_args(
        ffmpeg_exe(), MediaSource("file", str(video)), str(folder / "%Y%m%dT%H%M%SZ.mp4"), 60
    )
    argv = [a for a in argv if a not in ("-progress",)]
    argv = [a for a in argv if a != "pipe:1"]
    proc = psutil.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(seconds)
    t = proc.cpu_times()
    cpu = t.user + t.system
    proc.terminate()
    proc.wait(10)
    return cpu / seconds


def ttfb(url: str, auth: tuple[str, str]) -> float:
    t0 = time.perf_counter()
    with httpx.stream("GET", url, auth=auth, timeout=60) as r:
        assert r.status_code == 200, r.status_code
        for _ in r.iter_raw(1):
            break
    return time.perf_counter() - t0


def iso(ms: int) -> str:
    return utc_from_ms(ms).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def run_export_client(srv: ServerProcess, out: list[dict[str, Any]]) -> None:
    from websockets.sync.client import connect

    auth = base64.b64encode(b"root:root-pass").decode()
    url = (f"ws://127.0.0.1:{srv.port}/wsapi/dataExport?auth={auth}&ch=1"
           f"&timeBegin={iso(T0)}&timeEnd={iso(T0 + HOUR_S * 1000)}")  # fmt: skip
    t0 = time.perf_counter()
    files = 0
    with connect(url, open_timeout=30) as ws:
        task = ""
        while True:
            msg = json.loads(ws.recv(timeout=600))
            if msg.get("stage") == "ready":
                task = msg["task"]["id"]
            if msg.get("stage") == "fileEnd":
                files += 1
                ws.send(json.dumps({"task": task, "cmd": "next"}))
            if msg.get("stage") == "end":
                out.append({"code": msg["status"]["code"], "files": files,
                            "seconds": time.perf_counter() - t0})  # fmt: skip
                return


def recording_health(db: Path, chids: range, since_ms: int) -> tuple[float, int, float]:
    """(worst recorded/wall ratio, gaps over 1 s between consecutive segments, wall s)."""
    con = sqlite3.connect(db)
    try:
        # segments (10 s) are indexed when they end: judge up to 12 s ago
        now_ms = int(time.time() * 1000) - 12_000
        worst, gaps = 1e9, 0
        for chid in chids:
            rows = con.execute(
                "SELECT start_ms, end_ms FROM recordings"
                " WHERE chid=? AND end_ms>? ORDER BY start_ms",
                (chid, since_ms),
            ).fetchall()
            media = sum(max(0, min(e, now_ms) - max(s, since_ms)) for s, e in rows)
            worst = min(worst, media / max(1, now_ms - since_ms))
            gaps += sum(1 for (_, b), (c, _) in itertools.pairwise(rows) if c - b > 1000)
        return worst, gaps, (now_ms - since_ms) / 1000
    finally:
        con.close()


def main() -> None:
    load_s = float(os.environ.get("NVRD_BENCH_EXPORT_LOAD_SECONDS", "60"))
    with tempfile.TemporaryDirectory(prefix="nvrd-bench-export-") as tmp_name:
        tmp = Path(tmp_name)
        clip = tmp / "hd.mp4"
        make_pattern_video(ffmpeg_exe(), clip, seconds=60, size="1920x1080", fps=25, gop=50,
                           bitrate="5M", label="bench")  # fmt: skip
        (tmp / "srv").mkdir()
        srv = ServerProcess(
            tmp / "srv",
            "[recording]\nsegment_seconds = 10\nmin_free_mb = 0\n"
            "[export]\nmax_concurrent = 4\n[live]\nhls = false\nlowlatency = false\n"
            "[motion]\nenabled = false\n"
            + "".join(f'[[channel]]\nchid = {100 + i}\nsource = "{clip}"\n' for i in range(16)),
        )  # fmt: skip
        settings = load_settings(srv.config, environ={})
        settings.server.data_dir.mkdir(parents=True, exist_ok=True)
        add_users(settings, [("root", "root-pass", "all", True)])
        rec = record(settings, 1, clip, T0, HOUR_S, 60)
        sources = [Source(r.path, r.start_ms, r.end_ms) for r in rec]
        size = sum(r.path.stat().st_size for r in rec)
        print(f"setup: 1 h of 1080p25 GOP 50 ~5 Mbit/s, {len(rec)} segments, {size / 1e9:.2f} GB")

        out = tmp / "out"
        out.mkdir()
        base_wall, base_cpu = ffmpeg_concat([r.path for r in rec], tmp / "concat.mp4")
        (tmp / "concat.mp4").unlink()
        wall, cpu, written = export_hour(sources, out)
        for f in out.iterdir():
            f.unlink()
        wall2, cpu2, _ = export_hour(sources, out)
        for f in out.iterdir():
            f.unlink()
        best = min(wall, wall2)
        print(
            f"export: nvrd {HOUR_S / best:.0f}x real time ({best:.2f} s wall, "
            f"{min(cpu, cpu2):.2f} s CPU, {written / 1e9:.2f} GB); "
            f"runs {wall:.2f} s, {wall2:.2f} s"
        )
        print(f"export: baseline ffmpeg concat -c copy {HOUR_S / base_wall:.0f}x real time "
              f"({base_wall:.2f} s wall, {base_cpu:.2f} s CPU); nvrd/ffmpeg speed ratio "
              f"{base_wall / best:.2f}")  # fmt: skip
        per_s = record_one_channel(clip, tmp, float(os.environ.get("NVRD_BENCH_REC_SECONDS", "30")))
        rec_hour = per_s * HOUR_S
        print(f"export: recording one 1080p channel costs {rec_hour:.1f} CPU s per hour; "
              f"exporting that hour costs {min(cpu, cpu2):.2f} CPU s = "
              f"{min(cpu, cpu2) / rec_hour:.3f} of recording it")  # fmt: skip

        srv.start(timeout=60)
        try:
            auth = ("root", "root-pass")
            view = (
                f"{srv.url}/api/view.mp4?ch=1&timeBegin={iso(T0)}&timeEnd={iso(T0 + HOUR_S * 1000)}"
            )
            httpx.get(f"{srv.url}/api/info?all", auth=auth)  # sign-in (scrypt) done once
            first = ttfb(view, auth)
            warm = statistics.median(ttfb(view, auth) for _ in range(5))
            seg = httpx.get(f"{srv.url}/api/vod?ch=1&when={iso(T0)}", auth=auth).json()
            file_url = seg[0]["src"][0]["src"]
            file_ttfb = statistics.median(ttfb(file_url, auth) for _ in range(5))
            print(f"ttfb: view.mp4 of 1 h: first {first * 1000:.0f} ms, then median "
                  f"{warm * 1000:.0f} ms; one /storage/ file {file_ttfb * 1000:.0f} ms "
                  f"(ratio {warm / file_ttfb:.1f})")  # fmt: skip

            time.sleep(15)  # the 16 cameras connect and start writing
            db = settings.server.data_dir / "nvrd.db"
            base_since = int(time.time() * 1000)
            time.sleep(load_s + 12)
            b_worst, b_gaps, b_window = recording_health(db, range(100, 116), base_since)
            print(
                f"load: baseline, 16 channels recording, no export, over {b_window:.0f} s: "
                f"worst channel recorded {b_worst * 100:.1f}% of wall time, {b_gaps} gap(s)"
            )
            since = int(time.time() * 1000)
            results: list[dict[str, Any]] = []
            box0 = psutil.cpu_times()
            threads = [threading.Thread(target=run_export_client, args=(srv, results))
                       for _ in range(4)]  # fmt: skip
            for t in threads:
                t.start()
            time.sleep(load_s)
            for t in threads:
                t.join(900)
            box1 = psutil.cpu_times()
            busy = (box1.user + box1.system - box0.user - box0.system) / max(
                1e-9, sum(box1) - sum(box0)
            )
            worst, gaps, window = recording_health(db, range(100, 116), since)
            done = [(r["code"], r["files"], round(r["seconds"], 1)) for r in results]
            print(f"load: 4 exports of 1 h each (end code, files, seconds): {done}")
            print(
                f"load: with 4 exports, over {window:.0f} s: worst channel recorded "
                f"{worst * 100:.1f}% of wall time, {gaps} gap(s) > 1 s between segments; "
                f"box CPU busy {busy * 100:.0f}%"
            )
        finally:
            srv.stop()

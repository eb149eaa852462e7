"""Live video: latency of the WebSocket and HLS paths, and the CPU cost of viewers.

Latency is measured frame by frame against a bare ffmpeg reading the same
live camera (Debian's gst-rtsp-server, shared stream) in the same script:
each coded picture is identified by a hash of its bytes, so "extra latency"
is when it reached our client through nvrd minus when it reached the direct
client. For HLS, a picture is available once the part holding it is listed
in the playlist and downloaded.

CPU: nvrd (and its ffmpeg children) over NVRD_BENCH_SECONDS with 0 viewers
(recording alone), then 1, 10 and 50 WebSocket viewers (run in a separate
client process), as ratios to recording alone.

Environment: NVRD_BENCH_SECONDS (default 30), NVRD_BENCH_VIEWERS ("1,10,50").
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psutil

from nvrd.media.live.fmp4 import boxes, find
from nvrd.media.service import default_ffmpeg
from tests.conftest import b64
from tests.integration.live_client import DirectClient, ws_receive
from tests.integration.recorder import add_channel, recording_server, wait_status
from tests.support.cameras import LiveCameraServer


def sample_keys(fragment: bytes) -> list[str]:
    """Hashes of each sample's bytes (a ``moof``+``mdat`` may hold many)."""
    trun = find(fragment, [b"moof", b"traf", b"trun"])
    mdat = find(fragment, [b"mdat"])
    if trun is None or mdat is None:
        return []
    body = trun[0]
    flags = int.from_bytes(fragment[body + 1 : body + 4], "big")
    count = struct.unpack_from(">I", fragment, body + 4)[0]
    pos = body + 8 + (4 if flags & 0x01 else 0) + (4 if flags & 0x04 else 0)
    sizes = []
    for _ in range(count):
        if flags & 0x100:
            pos += 4
        size = struct.unpack_from(">I", fragment, pos)[0] if flags & 0x200 else 0
        pos += 4 if flags & 0x200 else 0
        pos += 4 if flags & 0x400 else 0
        pos += 4 if flags & 0x800 else 0
        sizes.append(size)
    keys, at = [], mdat[0]
    for size in sizes:
        keys.append(hashlib.sha1(fragment[at : at + size]).hexdigest())
        at += size
    return keys


def direct_keys(direct: DirectClient) -> dict[str, float]:
    return direct.arrivals


def pct(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))] * 1000


async def hls_arrivals(base: str, auth: str, seconds: float) -> dict[str, float]:
    got: dict[str, float] = {}
    seen: set[str] = set()
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient(base_url=base, params={"auth": auth}, timeout=5) as c:
        # Parts already listed when we start were made before we measure: skip them.
        seen.update(
            ln for ln in (await c.get("index.m3u8")).text.splitlines() if ln.endswith(".m4s")
        )
        while time.monotonic() < deadline:
            text = (await c.get("index.m3u8")).text
            for line in text.splitlines():
                if line.endswith(".m4s") and line not in seen:
                    seen.add(line)
                    data = (await c.get(line)).content
                    now = time.time()
                    for kind, start, end in boxes(data):
                        if kind == b"moof":
                            moof_start = start - 8
                        if kind == b"mdat":
                            for key in sample_keys(data[moof_start:end]):
                                got.setdefault(key, now)
            await asyncio.sleep(0.05)
    return got


def tree_cpu(pid: int) -> float:
    total = 0.0
    procs = [psutil.Process(pid)]
    procs += procs[0].children(recursive=True)
    for p in procs:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.NoSuchProcess:
            pass
    return total


VIEWER_SCRIPT = """
import asyncio, sys, time, websockets
async def one(url, until):
    n = 0
    async with websockets.connect(url, max_size=None) as ws:
        while time.monotonic() < until:
            await ws.recv(); n += 1
    return n
async def main():
    url, n, secs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    until = time.monotonic() + secs
    counts = await asyncio.gather(*(one(url, until) for _ in range(n)))
    print(min(counts), max(counts))
asyncio.run(main())
"""


def main() -> None:
    seconds = float(os.environ.get("NVRD_BENCH_SECONDS", "30"))
    viewer_counts = [int(v) for v in os.environ.get("NVRD_BENCH_VIEWERS", "1,10,50").split(",")]
    with (
        tempfile.TemporaryDirectory() as tmp,
        LiveCameraServer(user="cam", password="secret", size="1280x720", fps=25, gop=25) as camera,
    ):
        srv = recording_server(Path(tmp), segment_seconds=60).start()
        direct = None
        try:
            chid = add_channel(
                srv, {"source": camera.url(anonymous=True), "uid": "cam", "password": "secret"}
            )
            wait_status(srv, chid, {200}, 30)
            auth = b64("admin", srv.admin_password())
            ws_url = srv.url.replace("http", "ws") + f"/wsapi/live?ch={chid}&auth={auth}"
            direct = DirectClient(default_ffmpeg(), camera.url())
            time.sleep(2)
            got = asyncio.run(ws_receive(ws_url, min(seconds, 20)))
            hls = asyncio.run(hls_arrivals(f"{srv.url}/hls/ch{chid}main/", auth, min(seconds, 20)))
            base = direct.arrivals
            ws_d = sorted(got.arrivals[k] - base[k] for k in got.arrivals.keys() & base.keys())
            hls_d = sorted(hls[k] - base[k] for k in hls.keys() & base.keys())
            print("latency beyond a direct camera client (ms):")
            print(
                f"  websocket  frames={len(ws_d):5d}  p50={pct(ws_d, 0.5):7.1f}  "
                f"p95={pct(ws_d, 0.95):7.1f}  max={pct(ws_d, 1):7.1f}"
            )
            print(
                f"  hls        frames={len(hls_d):5d}  p50={pct(hls_d, 0.5):7.1f}  "
                f"p95={pct(hls_d, 0.95):7.1f}  max={pct(hls_d, 1):7.1f}"
            )
            direct.stop()
            direct = None
            assert srv.proc is not None
            pid = srv.proc.pid
            time.sleep(2)
            c0, t0 = tree_cpu(pid), time.monotonic()
            time.sleep(seconds)
            base_cpu = (tree_cpu(pid) - c0) / (time.monotonic() - t0)
            print(f"CPU, recording alone: {base_cpu * 100:6.1f} % of one core")
            for n in viewer_counts:
                client = subprocess.Popen(
                    [sys.executable, "-c", VIEWER_SCRIPT, ws_url, str(n), str(seconds + 3)],
                    stdout=subprocess.PIPE,
                    text=True,
                )
                time.sleep(3)
                c0, t0 = tree_cpu(pid), time.monotonic()
                client_c0 = tree_cpu(client.pid)
                time.sleep(seconds - 0.5)
                cpu = (tree_cpu(pid) - c0) / (time.monotonic() - t0)
                client_cpu = (tree_cpu(client.pid) - client_c0) / (time.monotonic() - t0)
                out, _ = client.communicate(timeout=30)
                lo, hi = (int(x) for x in out.split())
                print(
                    f"CPU with {n:3d} viewers: {cpu * 100:6.1f} %  ratio {cpu / base_cpu:5.2f}x"
                    f"  (clients {client_cpu * 100:5.1f} %; messages per viewer {lo}..{hi})"
                )
        finally:
            if direct is not None:
                direct.stop()
            srv.stop()
    print(f"stats: websocket median {statistics.median(ws_d) * 1000:.1f} ms")

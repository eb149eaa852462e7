"""Clients that receive live video and note when each frame arrived (tests and benchmarks)."""

from __future__ import annotations

import asyncio
import hashlib
import io
import subprocess
import threading
import time
from dataclasses import dataclass, field

import websockets

from nvrd.media.ffargs import per_frame_fmp4_output
from nvrd.media.live.fmp4 import BoxSplitter, find


def frame_key(fragment: bytes) -> str:
    """A frame's identity across paths: the hash of its mdat payload (the coded picture)."""
    span = find(fragment, [b"mdat"])
    payload = fragment[span[0] : span[1]] if span else fragment
    return hashlib.sha1(payload).hexdigest()


@dataclass
class Received:
    header: dict[str, object] = field(default_factory=dict)
    init: bytes = b""
    fragments: list[bytes] = field(default_factory=list)
    arrivals: dict[str, float] = field(default_factory=dict)
    close_code: int | None = None


async def ws_receive(url: str, seconds: float, max_fragments: int = 10**9) -> Received:
    import json

    got = Received()
    deadline = time.monotonic() + seconds
    async with websockets.connect(url, max_size=None) as ws:
        try:
            while time.monotonic() < deadline and len(got.fragments) < max_fragments:
                msg = await asyncio.wait_for(
                    ws.recv(), timeout=max(0.1, deadline - time.monotonic())
                )
                now = time.time()
                if isinstance(msg, str):
                    doc = json.loads(msg)
                    if doc.get("type") == "init":
                        got.header = doc
                elif not got.init:
                    got.init = msg
                else:
                    got.fragments.append(msg)
                    got.arrivals.setdefault(frame_key(msg), now)
        except (TimeoutError, websockets.ConnectionClosed) as exc:
            if isinstance(exc, websockets.ConnectionClosed) and exc.rcvd is not None:
                got.close_code = exc.rcvd.code
    return got


class DirectClient:
    """A bare ffmpeg reading the camera itself: the baseline for latency."""

    def __init__(self, ffmpeg: str, url: str):
        self.arrivals: dict[str, float] = {}
        self.proc = subprocess.Popen(
            [
                ffmpeg,
                "-loglevel",
                "error",
                "-rtsp_transport",
                "tcp",
                "-i",
                url,
                *per_frame_fmp4_output("pipe:1"),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
        )
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        stdout = self.proc.stdout
        assert isinstance(stdout, io.BufferedReader)  # a pipe with the default buffering
        splitter = BoxSplitter()
        while chunk := stdout.read1(65536):
            now = time.time()
            for piece in splitter.feed(chunk):
                if piece.kind == "fragment":
                    self.arrivals.setdefault(frame_key(piece.data), now)

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()
        self._thread.join(5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


def extra_latency(direct: dict[str, float], via: dict[str, float]) -> list[float]:
    """Seconds each frame arrived later through nvrd than straight from the camera."""
    return sorted(via[k] - direct[k] for k in via.keys() & direct.keys())

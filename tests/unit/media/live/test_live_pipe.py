"""The ingest's live output never stops the recording (real ffmpeg).

Regression: the live stream went straight into a pipe; when nvrd did not read it (its
event loop starved on a saturated box) ffmpeg blocked on the write and the recording output
of the same process stopped too — a stall, a restart, on every camera at once.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import termios
import time
from pathlib import Path

from nvrd.media.ffargs import Source, live_pipe_output, record_args
from nvrd.media.live.fmp4 import BoxSplitter
from nvrd.media.service import default_ffmpeg
from nvrd.media.testpattern import make_pattern_video


def unread(fd: int) -> int:
    """Bytes waiting in the pipe (FIONREAD)."""
    buf = bytearray(4)
    fcntl.ioctl(fd, termios.FIONREAD, buf)
    return int.from_bytes(buf, "little")


def recorded(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.glob("seg-*.mp4"))


def test_recording_goes_on_while_nobody_reads_the_live_pipe(tmp_path: Path) -> None:
    src = make_pattern_video(
        default_ffmpeg(), tmp_path / "src.mp4", seconds=2, size="320x180", gop=25, clock=False
    )
    r, w = os.pipe()
    pattern = str(tmp_path / "seg-%06d.mp4")
    argv = record_args(
        default_ffmpeg(), Source("file", str(src), loop=True), pattern, 2, 5, live_pipe_output(w)
    )
    proc = subprocess.Popen(
        argv, pass_fds=[w], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    os.close(w)
    try:
        # nobody reads the pipe: wait until it is full, ffmpeg writing no more into it (its
        # pieces come 25 times a second; a full pipe holds less than its 64 KiB of them)
        deadline = time.monotonic() + 30
        held, still = unread(r), 0
        while held == 0 or still < 10:
            assert time.monotonic() < deadline, "the live pipe never filled up"
            time.sleep(0.05)
            now = unread(r)
            held, still = now, (still + 1 if now == held else 0)
        before = recorded(tmp_path)
        # the recording goes on (its next 2 s segment is written) with the pipe still full
        while recorded(tmp_path) <= before + 50_000:
            assert time.monotonic() < deadline, "the recording stopped with the live pipe"
            time.sleep(0.05)
        assert unread(r) == held
        pieces = BoxSplitter().feed(os.read(r, 1 << 20))  # what is there is still whole fMP4
        assert pieces and pieces[0].kind == "init"
    finally:
        proc.kill()
        proc.wait()
        os.close(r)

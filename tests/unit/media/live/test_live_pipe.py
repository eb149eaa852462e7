"""The ingest's live output never stops the recording (real ffmpeg).

Regression: the live stream went straight into a pipe; when nvrd did not read it (its
event loop starved on a saturated box) ffmpeg blocked on the write and the recording output
of the same process stopped too — a stall, a restart, on every camera at once.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from nvrd.media.ffargs import Source, live_pipe_output, record_args
from nvrd.media.live.fmp4 import BoxSplitter
from nvrd.media.service import default_ffmpeg
from nvrd.media.testpattern import make_pattern_video


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
        time.sleep(1.5)
        before = sum(f.stat().st_size for f in tmp_path.glob("seg-*.mp4"))
        time.sleep(3.0)  # the pipe (64 KiB) is full long before this: nobody reads it
        after = sum(f.stat().st_size for f in tmp_path.glob("seg-*.mp4"))
        assert after > before + 50_000, "the recording stopped with the live pipe"
        pieces = BoxSplitter().feed(os.read(r, 1 << 20))  # what is there is still whole fMP4
        assert pieces and pieces[0].kind == "init"
    finally:
        proc.kill()
        proc.wait()
        os.close(r)

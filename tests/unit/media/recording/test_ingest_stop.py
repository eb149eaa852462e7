"""Stopping an ingest interrupts its process exactly once (a second SIGINT makes ffmpeg
abort mid-file), even when the stop, a storage switch and the watchdog all end it at once.
A real process (a Python stand-in that counts SIGINTs) through the real launcher."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

from nvrd.channels.status import StatusBoard
from nvrd.config import RecordingSettings
from nvrd.core.channelspec import ChannelSpec
from nvrd.core.clock import SystemClock
from nvrd.core.supervisor import Supervisor
from nvrd.media.recording.ingest import ChannelIngest, IngestContext
from nvrd.media.recording.launcher import FfmpegLauncher, Process
from nvrd.store.recordings import RecordingIndex

COUNTER = """
import signal, sys, time
hits = []
signal.signal(signal.SIGINT, lambda *a: hits.append(1))
open(sys.argv[2], "w").close()
deadline = time.monotonic() + 5
while time.monotonic() < deadline and not hits:
    time.sleep(0.01)
time.sleep(0.5)  # like ffmpeg finishing its file; a second SIGINT would arrive now
open(sys.argv[1], "w").write(str(len(hits)))
"""


class CounterLauncher:
    """Starts the SIGINT counter instead of ffmpeg."""

    def __init__(self, out: Path, ready: Path):
        self.out, self.ready = out, ready

    async def launch(self, argv: Sequence[str], pass_fds: Sequence[int] = ()) -> Process:
        cmd = [sys.executable, "-c", COUNTER, str(self.out), str(self.ready)]
        return await FfmpegLauncher().launch(cmd, pass_fds)


async def test_concurrent_stops_send_one_sigint(tmp_path: Path, index: RecordingIndex) -> None:
    out, ready = tmp_path / "hits", tmp_path / "ready"
    clock = SystemClock()
    ctx = IngestContext(
        ffmpeg="ffmpeg",
        settings=RecordingSettings(),
        launcher=CounterLauncher(out, ready),
        clock=clock,
        index=index,
        board=StatusBoard(),
        writable_root=lambda: tmp_path / "rec",
        supervisor=Supervisor(clock),
    )
    ingest = ChannelIngest(1, ChannelSpec("rtsp", "rtsp://cam/s"), ctx, lambda code: None)
    ingest.start()
    # the stand-in has started and the ingest knows its process (a loaded machine may
    # take seconds to start an interpreter)
    for _ in range(3000):
        if ready.exists() and ingest.pid is not None:
            break
        await asyncio.sleep(0.01)
    assert ready.exists() and ingest.pid is not None, (ready.exists(), ingest.pid)
    ingest.switch_root()  # the watchdog ends the run ...
    await asyncio.gather(ingest.stop(), ingest.stop())  # ... and two stops at the same time
    assert out.read_text() == "1"

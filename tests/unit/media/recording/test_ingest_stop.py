"""Stopping an ingest interrupts its ffmpeg exactly once (a second SIGINT aborts mid-file)."""

import asyncio
import sys
from pathlib import Path

from nvrd.channels.status import StatusBoard
from nvrd.config import RecordingSettings
from nvrd.core.channelspec import ChannelSpec
from nvrd.core.clock import SystemClock
from nvrd.media.recording.ingest import ChannelIngest

COUNTER = """
import signal, sys, time
hits = []
signal.signal(signal.SIGINT, lambda *a: hits.append(1))
print("ready", flush=True)
deadline = time.monotonic() + 5
while time.monotonic() < deadline and not hits:
    time.sleep(0.01)
time.sleep(0.5)  # like ffmpeg finishing its file; a second SIGINT would arrive now
open(sys.argv[1], "w").write(str(len(hits)))
"""


async def test_concurrent_stops_send_one_sigint(tmp_path: Path) -> None:
    ingest = ChannelIngest(
        1,
        ChannelSpec("file", "/x.mp4"),
        ffmpeg="ffmpeg",
        settings=RecordingSettings(),
        writable_root=lambda: None,
        index=None,  # type: ignore[arg-type]
        board=StatusBoard(),
        clock=SystemClock(),
        on_status=lambda code: None,
    )
    out = tmp_path / "hits"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", COUNTER, str(out), stdout=asyncio.subprocess.PIPE
    )
    assert proc.stdout is not None
    await proc.stdout.readline()
    ingest._proc = proc
    # stop() and the watchdog both end the process at the same time
    await asyncio.gather(ingest._end_process(), ingest._end_process())
    assert out.read_text() == "1"

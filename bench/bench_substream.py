"""What a camera's sub stream costs, and what it saves analytics.

One camera from the RTSP file server with two streams: main, the 1080p clip of
bench_recording (25 fps, GOP 50, ~5 Mbit/s), and sub, the same pattern at 640x360 (25 fps,
GOP 50, ~0.8 Mbit/s). An in-process media service records the main stream with its
defaults (live HLS and low latency on, motion on keyframes). Two phases on the same camera:

* ``main only``: no sub stream; the frame source decodes the main stream;
* ``with sub``: the sub stream ingested (live only, not recorded); the frame source decodes it.

In each phase one extra analytics subscription (5 pictures a second at 320x180 gray, which
decodes every frame of its stream) runs for the second half of the window. Per phase: the
main ingest ffmpeg, the sub ingest ffmpeg, the frame decoder (keyframes only, then every
frame), nvrd's own Python process, each in % of one core; and the total.

Environment: ``NVRD_BENCH_SECONDS`` (default 20: each half of each phase).
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.bench_frames import own_cpu, pid_cpu
from bench.bench_recording import FPS, GOP, camera_files, make_media
from nvrd.channels.status import StatusBoard
from nvrd.core.channelspec import ChannelSpec
from nvrd.core.clock import SystemClock
from nvrd.events.bus import EventBus
from nvrd.media.frames.spec import FrameSpec
from nvrd.media.service import MediaService
from nvrd.media.testpattern import DEJAVU_FONT, make_pattern_video
from nvrd.store.channels import Channel
from nvrd.store.db import Database
from nvrd.store.recordings import RecordingIndex
from tests.conftest import make_settings
from tests.support.cameras import FileCameraServer
from tests.support.media import ffmpeg_exe

WARMUP = 5.0
ANALYTICS = FrameSpec(320, 180, 5)


@dataclass
class Half:
    main_s: float = 0.0
    sub_s: float = 0.0
    decoder_s: float = 0.0
    nvrd_s: float = 0.0
    window: float = 0.0

    def pct(self, cpu_s: float) -> float:
        return cpu_s / self.window * 100 if self.window else 0.0


async def sample(media: MediaService, seconds: float) -> Half:
    main = media.ingests[1].pid
    sub_ingest = media.sub_ingests.get(1)
    sub = sub_ingest.pid if sub_ingest is not None else None
    source = media.frames[1]
    m0, s0, d0, p0 = pid_cpu(main), pid_cpu(sub), source.stats().cpu_seconds, own_cpu()
    await asyncio.sleep(seconds)
    m1, s1, d1, p1 = pid_cpu(main), pid_cpu(sub), source.stats().cpu_seconds, own_cpu()
    return Half(m1 - m0, s1 - s0, d1 - d0, p1 - p0, seconds)


async def phase(work: Path, main_url: str, sub_url: str | None, seconds: float) -> list[Half]:
    work.mkdir(parents=True)
    settings = make_settings(
        work, recording={"segment_seconds": 60, "min_free_mb": 0, "shed_load": False}
    )
    db = Database(f"sqlite+aiosqlite:///{work / 'nvrd.db'}")
    await db.open()

    def resolve_sub(chid: int, spec: ChannelSpec) -> ChannelSpec | None:
        return dataclasses.replace(spec, source=sub_url) if sub_url else None

    board = StatusBoard()
    media = MediaService(
        settings, RecordingIndex(db.engine), board, EventBus(), SystemClock(),
        resolve_sub=resolve_sub,
    )  # fmt: skip
    try:
        await media.start([Channel(1, "cam", {"source": main_url}, "config")])
        deadline = time.monotonic() + 30
        while board.state(1).code != 200 and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        await asyncio.sleep(WARMUP)
        quiet = await sample(media, seconds)
        sub = media.frames[1].subscribe(ANALYTICS, maxsize=4, name="analytics")
        got = 0

        async def consume() -> None:
            nonlocal got
            while (await sub.next()) is not None:
                got += 1

        consumer = asyncio.create_task(consume())
        await asyncio.sleep(WARMUP)
        busy = await sample(media, seconds)
        sub.close()
        await consumer
    finally:
        await media.stop()
        await db.close()
    return [quiet, busy]


def main() -> None:
    seconds = float(os.environ.get("NVRD_BENCH_SECONDS", "20"))
    top = Path(tempfile.mkdtemp(prefix="nvrd-bench-sub-"))
    cam = FileCameraServer(top / "media")
    try:
        names = camera_files(make_media(top / "main.mp4"), top / "media", 1)
        small = make_pattern_video(
            ffmpeg_exe(), top / "media" / "sub.mp4", seconds=30, size="640x360", fps=FPS,
            gop=GOP, clock=DEJAVU_FONT.is_file(), preset="veryfast", bitrate="800k", tune=None,
        )  # fmt: skip
        cam.start()
        main_url, sub_url = cam.url(names[0]), cam.url(small.name)
        print(f"1 camera: main 1080p, sub 640x360, 25 fps GOP 50; {seconds:.0f} s per half")
        rows = [
            ("main only", asyncio.run(phase(top / "a", main_url, None, seconds))),
            ("with sub", asyncio.run(phase(top / "b", main_url, sub_url, seconds))),
        ]
    finally:
        cam.stop()
        shutil.rmtree(top, ignore_errors=True)
    print(f"{'phase':<30}{'main':>8}{'sub':>8}{'decoder':>9}{'nvrd':>8}{'total':>8}")
    for name, halves in rows:
        for label, h in zip(("motion (keyframes)", "+ 5 fps 320x180"), halves, strict=True):
            total = h.main_s + h.sub_s + h.decoder_s + h.nvrd_s
            print(
                f"{name + ', ' + label:<30}{h.pct(h.main_s):>7.2f}%{h.pct(h.sub_s):>7.2f}%"
                f"{h.pct(h.decoder_s):>8.2f}%{h.pct(h.nvrd_s):>7.2f}%{h.pct(total):>7.2f}%"
            )
    print(
        "  % of one core: main/sub = the ingest ffmpeg of each stream (-c copy), decoder = "
        "the frame source's decoder (on the sub stream when there is one), nvrd = the "
        "service's Python process (live hubs, HLS, feeding the decoder)"
    )

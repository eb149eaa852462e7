"""Test media: generate small H.264 MP4 files with ffmpeg and probe recorded files with PyAV."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import imageio_ffmpeg

from nvrd.media.testpattern import make_pattern_video


def ffmpeg_exe() -> str:
    """Path of the static ffmpeg binary shipped by imageio-ffmpeg."""
    return str(imageio_ffmpeg.get_ffmpeg_exe())


def make_test_video(
    path: Path,
    seconds: float = 10,
    size: str = "640x360",
    fps: int = 25,
    gop: int = 25,
    clock: bool = True,
) -> Path:
    """An H.264 MP4 of `testsrc2` (no B-frames, fixed GOP) with the stream time burnt in."""
    return make_pattern_video(
        ffmpeg_exe(), Path(path), seconds=seconds, size=size, fps=fps, gop=gop, clock=clock
    )


def probe(path: Path | str) -> dict[str, Any]:
    """Describe the first video stream of a media file, measured from its packets.

    Returns ``codec``, ``width``, ``height``, ``duration`` (seconds: last pts + its duration
    minus first pts) and ``frames`` (number of video packets).
    """
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        time_base: Fraction = stream.time_base or Fraction(1, 90000)
        first: int | None = None
        end: int | None = None
        frames = 0
        for packet in container.demux(stream):
            if packet.size == 0:
                continue
            pts = packet.pts if packet.pts is not None else packet.dts
            if pts is None:
                continue
            frames += 1
            first = pts if first is None else min(first, pts)
            last_end = pts + (packet.duration or 0)
            end = last_end if end is None else max(end, last_end)
        duration = (
            float((end - first) * time_base) if first is not None and end is not None else 0.0
        )
        return {
            "codec": stream.codec_context.name,
            "width": stream.codec_context.width,
            "height": stream.codec_context.height,
            "duration": duration,
            "frames": frames,
        }

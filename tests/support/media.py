"""Test media: generate small H.264 MP4 files with ffmpeg and probe recorded files with PyAV."""

from __future__ import annotations

import subprocess
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import imageio_ffmpeg

DEJAVU_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def ffmpeg_exe() -> str:
    """Path of the static ffmpeg binary shipped by imageio-ffmpeg."""
    return str(imageio_ffmpeg.get_ffmpeg_exe())


def _clock_filter(height: int) -> str:
    if not DEJAVU_FONT.is_file():
        raise FileNotFoundError(f"{DEJAVU_FONT} is missing: run scripts/system-deps.sh")
    size = max(16, height // 8)
    return (
        f"drawtext=fontfile={DEJAVU_FONT}:text='%{{pts\\:hms}}'"
        f":fontsize={size}:fontcolor=white:box=1:boxcolor=black@0.6:boxborderw=8"
        ":x=(w-text_w)/2:y=h-text_h-20"
    )


def make_test_video(
    path: Path,
    seconds: float = 10,
    size: str = "640x360",
    fps: int = 25,
    gop: int = 25,
    clock: bool = True,
) -> Path:
    """Write an H.264 (baseline-compatible main, no B-frames) MP4 of `testsrc2` to `path`.

    With `clock`, the stream time (``HH:MM:SS.mmm``) is burnt in with drawtext. Every `gop`
    frames is a keyframe (fixed GOP, no scene-cut keyframes); the moov atom is at the front.
    """
    width, height = (int(v) for v in size.lower().split("x"))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    vf = _clock_filter(height) if clock else "null"
    cmd = [
        ffmpeg_exe(),
        "-hide_banner",
        "-loglevel",
        "error",
        "-y",
        "-f",
        "lavfi",
        "-i",
        f"testsrc2=size={width}x{height}:rate={fps}:duration={seconds}",
        "-vf",
        vf,
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-tune",
        "zerolatency",
        "-profile:v",
        "main",
        "-pix_fmt",
        "yuv420p",
        "-bf",
        "0",
        "-g",
        str(gop),
        "-keyint_min",
        str(gop),
        "-sc_threshold",
        "0",
        "-r",
        str(fps),
        "-an",
        "-movflags",
        "+faststart",
        str(path),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"ffmpeg failed ({proc.returncode}): {proc.stderr.strip()}")
    return path


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

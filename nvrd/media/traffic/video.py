"""Encode a :class:`~nvrd.media.traffic.scene.TrafficPlan` as an H.264 MP4 (with ffmpeg),
next to a JSON file of its truth (``<name>.truth.json``); ``write_video`` encodes any
sequence of RGB frames the same way (the object detection tests' scenes)."""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

import numpy as np

from nvrd.media.traffic.scene import TrafficPlan


class VideoShape(Protocol):
    @property
    def width(self) -> int: ...
    @property
    def height(self) -> int: ...
    @property
    def fps(self) -> int: ...


def encoder_args(ffmpeg: str, plan: VideoShape, path: Path, preset: str = "veryfast") -> list[str]:
    """ffmpeg reading raw RGB frames on stdin; H.264 without B-frames, a keyframe a second."""
    return [
        ffmpeg,
        "-hide_banner",
        "-loglevel",
        "error",
        "-y",
        "-f",
        "rawvideo",
        "-pix_fmt",
        "rgb24",
        "-s",
        f"{plan.width}x{plan.height}",
        "-r",
        str(plan.fps),
        "-i",
        "-",
        "-c:v",
        "libx264",
        "-preset",
        preset,
        "-crf",
        "20",
        "-profile:v",
        "main",
        "-pix_fmt",
        "yuv420p",
        "-bf",
        "0",
        "-g",
        str(plan.fps),
        "-keyint_min",
        str(plan.fps),
        "-sc_threshold",
        "0",
        "-an",
        "-movflags",
        "+faststart",
        str(path),
    ]


def truth_path(video: Path) -> Path:
    return video.with_name(video.stem + ".truth.json")


def write_video(ffmpeg: str, shape: VideoShape, frames: Iterable[np.ndarray], path: Path) -> Path:
    """Encode RGB ``frames`` of ``shape`` to ``path`` (returned: the temporary file, which
    the caller renames into place)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.stem + ".part" + path.suffix)
    with tempfile.TemporaryFile() as errors:
        proc = subprocess.Popen(
            encoder_args(ffmpeg, shape, tmp), stdin=subprocess.PIPE, stderr=errors
        )
        assert proc.stdin is not None
        try:
            for frame in frames:
                proc.stdin.write(frame.tobytes())
            proc.stdin.close()
            proc.wait(timeout=300)
        except BaseException:
            proc.kill()
            proc.wait()
            tmp.unlink(missing_ok=True)
            raise
        if proc.returncode != 0:
            tmp.unlink(missing_ok=True)
            errors.seek(0)
            text = errors.read().decode(errors="replace")
            raise RuntimeError(f"ffmpeg failed ({proc.returncode}): {text}")
    return tmp


def write_traffic_video(ffmpeg: str, plan: TrafficPlan, path: Path) -> Path:
    """Write the video atomically (a temporary file renamed into place) and its truth."""
    tmp = write_video(ffmpeg, plan, plan.frames(), path)
    doc = {
        "width": plan.width,
        "height": plan.height,
        "fps": plan.fps,
        "seconds": plan.seconds,
        "zone": list(plan.zone),
        "passages": plan.truth(),
    }
    truth_path(path).write_text(json.dumps(doc, indent=1, ensure_ascii=False), "utf-8")
    tmp.replace(path)
    return path

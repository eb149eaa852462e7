"""Test-pattern videos with a burnt-in clock: the demo's cameras and the tests' media.

``pattern_args`` builds the ffmpeg command line (pure); ``make_pattern_video``
runs it. H.264 without B-frames, a fixed GOP (a keyframe every ``gop``
frames, no scene-cut keyframes) and the ``moov`` at the front, like a
typical camera stream.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

DEJAVU_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def clock_filter(height: int, label: str = "", font: Path = DEJAVU_FONT) -> str:
    """drawtext showing ``label`` and the stream time, sized for ``height``."""
    size = max(16, height // 12)
    text = (label + " " if label else "") + r"%{pts\:hms}"
    return (
        f"drawtext=fontfile={font}:text='{text}'"
        f":fontsize={size}:fontcolor=white:box=1:boxcolor=black@0.6:boxborderw=8"
        ":x=(w-text_w)/2:y=h-text_h-20"
    )


def pattern_args(
    ffmpeg: str,
    path: Path,
    *,
    seconds: float = 10,
    size: str = "640x360",
    fps: int = 25,
    gop: int = 25,
    clock: bool = True,
    label: str = "",
    pattern: str = "testsrc2",
    preset: str = "ultrafast",
    bitrate: str | None = None,
    tune: str | None = "zerolatency",
) -> list[str]:
    width, height = (int(v) for v in size.lower().split("x"))
    rate = ["-b:v", bitrate, "-maxrate", bitrate, "-bufsize", bitrate] if bitrate else []
    tuning = ["-tune", tune] if tune else []
    return [
        ffmpeg,
        "-hide_banner",
        "-loglevel",
        "error",
        "-y",
        "-f",
        "lavfi",
        "-i",
        f"{pattern}=size={width}x{height}:rate={fps}:duration={seconds}",
        "-vf",
        clock_filter(height, label) if clock else "null",
        "-c:v",
        "libx264",
        "-preset",
        preset,
        *tuning,
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
        *rate,
        "-an",
        "-movflags",
        "+faststart",
        str(path),
    ]


def make_pattern_video(ffmpeg: str, path: Path, **options: object) -> Path:
    """Write the video (atomically: a temporary file renamed into place)."""
    if options.get("clock", True) and not DEJAVU_FONT.is_file():
        raise FileNotFoundError(f"{DEJAVU_FONT} is missing (Debian package fonts-dejavu-core)")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.stem + ".part" + path.suffix)
    argv = pattern_args(ffmpeg, tmp, **options)  # type: ignore[arg-type]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False)
    if proc.returncode != 0:
        tmp.unlink(missing_ok=True)
        raise RuntimeError(f"ffmpeg failed ({proc.returncode}): {proc.stderr.strip()}")
    tmp.replace(path)
    return path

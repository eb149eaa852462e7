"""Generate the demo channels' videos (a test pattern with a burnt-in clock) if missing.

Run by `make run` with the project's virtual environment; uses the ffmpeg
that nvrd itself uses (from the imageio-ffmpeg package).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import imageio_ffmpeg

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
VIDEOS = {
    "cam1.mp4": ("testsrc2", "1280x720", "Demo camera 1"),
    "cam2.mp4": ("smptehdbars", "1280x720", "Demo camera 2"),
}


def make(path: Path, pattern: str, size: str, label: str) -> None:
    text = label + r" %{pts\:hms}"
    draw = (
        f"drawtext=fontfile={FONT}:text='{text}':fontsize=40:fontcolor=white"
        ":box=1:boxcolor=black@0.6:boxborderw=10:x=20:y=h-text_h-20"
    )
    tmp = path.with_suffix(".tmp.mp4")
    subprocess.run(
        [
            imageio_ffmpeg.get_ffmpeg_exe(),
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            f"{pattern}=size={size}:rate=25:duration=60",
            "-vf",
            draw if FONT.is_file() else "null",
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-pix_fmt",
            "yuv420p",
            "-g",
            "25",
            "-keyint_min",
            "25",
            "-sc_threshold",
            "0",
            "-bf",
            "0",
            "-movflags",
            "+faststart",
            str(tmp),
        ],
        check=True,
    )
    tmp.replace(path)


def main(folder: str) -> int:
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    for name, (pattern, size, label) in VIDEOS.items():
        target = out / name
        if not target.exists():
            print(f"making demo video {target}", flush=True)
            make(target, pattern, size, label)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "demo/media"))

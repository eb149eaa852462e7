"""Generate the demo channels' videos (a test pattern with a burnt-in clock) if missing.

Run by `make run` with the project's virtual environment; uses the ffmpeg
that nvrd itself uses (from the imageio-ffmpeg package).
"""

from __future__ import annotations

import sys
from pathlib import Path

from nvrd.media.service import default_ffmpeg
from nvrd.media.testpattern import make_pattern_video

VIDEOS = {
    "cam1.mp4": ("testsrc2", "Demo camera 1"),
    "cam2.mp4": ("smptehdbars", "Demo camera 2"),
}


def main(folder: str) -> int:
    out = Path(folder)
    for name, (pattern, label) in VIDEOS.items():
        target = out / name
        if not target.exists():
            print(f"making demo video {target}", flush=True)
            make_pattern_video(
                default_ffmpeg(),
                target,
                seconds=60,
                size="1280x720",
                pattern=pattern,
                label=label,
                preset="veryfast",
            )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "demo/media"))

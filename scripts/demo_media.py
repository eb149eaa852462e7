"""Generate the demo channels' videos if missing: two test patterns with a burnt-in clock,
and a gate camera with generated traffic (plates of several countries driving through the
recognition zone of demo/nvrd.toml), and a yard camera in which a person walks across,
then a motorcycle rides across (for object detection, channel 4 of demo/nvrd.toml; made
again when its scene changed).

Run by `make run` with the project's virtual environment; uses the ffmpeg
that nvrd itself uses (from the imageio-ffmpeg package).
"""

from __future__ import annotations

import sys
from pathlib import Path

from nvrd.media.service import default_ffmpeg
from nvrd.media.testpattern import make_pattern_video
from nvrd.media.traffic.scene import plan_traffic
from nvrd.media.traffic.video import write_traffic_video
from nvrd.media.traffic.yard import Yard, is_made, make_yard

VIDEOS = {
    "cam1.mp4": ("testsrc2", "Demo camera 1"),
    "cam2.mp4": ("smptehdbars", "Demo camera 2"),
}
TRAFFIC = "gate.mp4"
YARD = "yard.mp4"
#: The recognition zone of the demo gate (7680x4320 logical coordinates), as in demo/nvrd.toml.
GATE_ZONE = (960, 1080, 6720, 4320)


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
    target = out / TRAFFIC
    if not target.exists():
        print(f"making demo video {target} (generated traffic with plates)", flush=True)
        plan = plan_traffic(
            ["US", "EU", "UK", "KR"],
            16,
            seed=2024,
            fps=15,
            crossing_seconds=4.5,
            gap_seconds=1.0,
            lead_seconds=2.0,
            zone=GATE_ZONE,
        )
        write_traffic_video(default_ffmpeg(), plan, target)
    target, yard = out / YARD, Yard()
    if not is_made(target, yard):
        print(f"making demo video {target} (a person walks, then a motorcycle rides)", flush=True)
        make_yard(default_ffmpeg(), target, yard)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "demo/media"))

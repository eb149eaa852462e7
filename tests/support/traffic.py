"""Generated traffic videos for the recogniser's tests: plates of several formats, fonts,
sizes, tilts, blur and noise on cars driving through a zone (nvrd.media.traffic)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from nvrd.media.traffic.scene import plan_traffic
from nvrd.media.traffic.video import truth_path, write_traffic_video
from tests.support.media import ffmpeg_exe


def make_traffic(
    folder: Path,
    name: str,
    *,
    seed: int,
    count: int = 10,
    regions: tuple[str, ...] = ("US", "EU", "UK"),
    **plan: Any,
) -> tuple[Path, dict[str, Any]]:
    """Write ``folder/name`` (H.264 MP4) once; return it with its truth document."""
    path = folder / name
    if not path.exists():
        traffic = plan_traffic(list(regions), count, seed=seed, **plan)
        write_traffic_video(ffmpeg_exe(), traffic, path)
    return path, json.loads(truth_path(path).read_text("utf-8"))

"""Recorded segments made fast: real ffmpeg with the recorder's segment options, indexed.

The recorder pulls cameras in real time; export tests need minutes of
recording in seconds. This runs the same muxer settings (``-c copy``,
segment muxer, ``-reset_timestamps 1``, ``FRAGMENT_FLAGS``) over a test
video without ``-re``, measures each segment's media duration from its
fragments, and indexes the segments edge to edge from ``start_ms`` in the
real recording index, as the recorder's indexer would for one run.
"""

from __future__ import annotations

import asyncio
import subprocess
from dataclasses import dataclass
from pathlib import Path

from nvrd.config import Settings
from nvrd.export.segment import scan
from nvrd.media.ffargs import FRAGMENT_FLAGS
from nvrd.store.db import Database
from nvrd.store.recordings import NewSegment, RecordingIndex
from tests.support.media import ffmpeg_exe


@dataclass(frozen=True)
class Recorded:
    path: Path
    start_ms: int
    end_ms: int
    file_id: int


def make_segments(
    video: Path, folder: Path, seconds: float, segment_seconds: float, prefix: str
) -> list[tuple[Path, int]]:
    """Segment files of ``seconds`` of ``video`` (looped) and their media durations (ms)."""
    folder.mkdir(parents=True, exist_ok=True)
    loops = int(seconds // 2) + 1
    subprocess.run(
        [
            ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
            "-stream_loop", str(loops), "-i", str(video), "-t", f"{seconds:g}",
            "-map", "0:v:0", "-c", "copy", "-f", "segment",
            "-segment_time", f"{segment_seconds:g}", "-reset_timestamps", "1",
            "-segment_format", "mp4", "-segment_format_options", FRAGMENT_FLAGS,
            str(folder / f"{prefix}-%04d.mp4"),
        ],
        check=True,
        timeout=300,
    )  # fmt: skip
    out: list[tuple[Path, int]] = []
    for path in sorted(folder.glob(f"{prefix}-*.mp4")):
        table = scan(path)
        media = sum(f.duration for f in table.fragments)
        out.append((path, round(media * 1000 / table.timescale)))
    return out


def record(
    settings: Settings,
    chid: int,
    video: Path,
    start_ms: int,
    seconds: float,
    segment_seconds: float = 10,
    root: Path | None = None,
) -> list[Recorded]:
    """Record ``seconds`` of ``video`` as channel ``chid`` from ``start_ms`` (one run)."""
    storage = root or settings.storage_paths[0].path
    folder = storage / f"ch{chid}" / "fast"
    files = make_segments(video, folder, seconds, segment_seconds, f"r{start_ms}")

    async def index() -> list[Recorded]:
        db = Database(settings.db_url)
        await db.open()
        try:
            idx = RecordingIndex(db.engine)
            t = start_ms
            out: list[Recorded] = []
            for path, dur in files:
                rel = str(path.relative_to(storage))
                seg = NewSegment(chid, str(storage), rel, t, t + dur, path.stat().st_size, "h264")
                out.append(Recorded(path, t, t + dur, await idx.add(seg)))
                t += dur
            return out
        finally:
            await db.close()

    return asyncio.run(index())

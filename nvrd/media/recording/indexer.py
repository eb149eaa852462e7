"""Turning a finished segment file into an index row, in the crash-safe order.

1. the file is complete (ffmpeg closed it, or a cut-off file was truncated
   back to its last whole fragment) and fsynced;
2. a file from ``writing/`` is renamed to its final name (its start time),
   and both directories are fsynced (the name is durable);
3. only then is the row committed.

A row therefore always points at a durable, playable file; a file without a
row is found and indexed (or removed) by the consistency check.
"""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from nvrd.media.recording.mp4 import truncate_to_complete
from nvrd.media.recording.probe import MediaInfo, probe
from nvrd.media.recording.segments import channel_dir, final_name, fsync_dir, fsync_file
from nvrd.store.recordings import NewSegment, RecordingIndex

log = logging.getLogger("nvrd.recorder")


@dataclass(frozen=True)
class Finished:
    chid: int
    root: Path
    path: Path  # absolute: where the file is now
    start_ms: int
    duration_ms: int | None  # None: measure it from the file (a cut-off or last segment)
    #: The run that wrote it, when it is still under its ``writing/`` name: it is then
    #: renamed to its final name before the row is committed.
    run: str | None = None
    stream: str = "main"


def _final_path(job: Finished) -> Path:
    """The file's final path; the next free millisecond if another file already has it."""
    start = job.start_ms
    while True:
        dest = channel_dir(job.root, job.chid, job.stream) / final_name(start, job.run or "")
        if not dest.exists():
            return dest
        start += 1


def _rename(job: Finished) -> Path:
    dest = _final_path(job)
    made_day = not dest.parent.exists()
    dest.parent.mkdir(parents=True, exist_ok=True)
    os.rename(job.path, dest)
    fsync_dir(dest.parent)
    fsync_dir(job.path.parent)
    if made_day:
        fsync_dir(dest.parent.parent)
    return dest


def _prepare(job: Finished) -> tuple[MediaInfo, int, Path] | None:
    """Blocking part: make the file whole and durable, read what is in it, name it."""
    if not job.path.exists():
        return None
    if job.duration_ms is None:
        layout = truncate_to_complete(job.path)
        if layout.complete == 0:
            job.path.unlink(missing_ok=True)
            fsync_dir(job.path.parent)
            return None
        info = probe(job.path, count_packets=True)
    else:
        info = probe(job.path, count_packets=False)
    duration = info.duration_ms if job.duration_ms is None else job.duration_ms
    if duration <= 0:
        # One whole fragment whose packet carries no duration (the last frame before a
        # stop): still a picture worth keeping, one frame long.
        duration = max(1, info.frame_ms)
    fsync_file(job.path)
    if job.run is not None:
        return info, duration, _rename(job)
    fsync_dir(job.path.parent)
    return info, duration, job.path


async def index_finished(index: RecordingIndex, job: Finished) -> int | None:
    """Index one segment; returns its fileId, or None when nothing playable was left."""
    try:
        prepared = await asyncio.to_thread(_prepare, job)
    except Exception as exc:  # PyAV raises several kinds for a corrupt file
        log.error("segment unreadable", extra={"path": str(job.path), "error": str(exc)})
        return None
    if prepared is None:
        log.info("segment dropped (nothing playable)", extra={"path": str(job.path)})
        return None
    info, duration, path = prepared
    size = (await asyncio.to_thread(path.stat)).st_size
    return await index.add(
        NewSegment(
            chid=job.chid,
            root=str(job.root),
            rel_path=path.relative_to(job.root).as_posix(),
            start_ms=job.start_ms,
            end_ms=job.start_ms + duration,
            size=size,
            codec=info.codec,
            width=info.width,
            height=info.height,
            stream=job.stream,
        )
    )

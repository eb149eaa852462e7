"""Where segment files live, how they are named, and the journal that survives a crash.

Layout under a storage root::

    ch<N>/writing/<run>-<n>.mp4                       being written by ffmpeg
    ch<N>/<YYYY-MM-DD>/<YYYYmmddTHHMMSS.mmm>Z-<run>.mp4  finished and indexed
    ch<N>/<run>.journal                               segment starts of a running run
    ch<N>sub/...                                      the same for a recorded sub stream

ffmpeg numbers a run's segments (``<n>``: 6 digits, from 0); when a segment
is finished, the indexer renames it to its start time to the millisecond
(UTC, from the wall-clock anchor) in its UTC day directory, so no two files
collide — not across DST changes, not between two segments of one run that
opened within the same second, not between two runs (``<run>`` identifies
the ffmpeg process). Names of older versions, to the second
(``<YYYYmmddTHHMMSS>Z-<run>.mp4``), are still read.

Each run keeps a journal with one line per segment as it starts: its
``writing/`` path and the best wall-clock estimate of its first frame.
After a crash it gives the start of a segment that never got its index row;
a run that ends normally deletes its journal once every segment is indexed.
"""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from nvrd.core.clock import ms_from_datetime, utc_from_ms

_NAME = re.compile(r"^(?P<ts>\d{8}T\d{6})(?:\.(?P<ms>\d{3}))?Z-(?P<run>[A-Za-z0-9]+)\.mp4$")
_WRITING = re.compile(r"^(?P<run>[A-Za-z0-9]+)-(?P<n>\d{6,})\.mp4$")
JOURNAL_SUFFIX = ".journal"
WRITING_DIR = "writing"


def channel_dir(root: Path, chid: int, stream: str = "main") -> Path:
    """Where a channel's stream is recorded: ``ch<N>`` (main) or ``ch<N>sub``."""
    return root / (f"ch{chid}" if stream == "main" else f"ch{chid}{stream}")


def writing_dir(chdir: Path) -> Path:
    return chdir / WRITING_DIR


def writing_template(chdir: Path, run: str) -> str:
    """ffmpeg's output pattern of one run's segments (``%06d``: the segment number)."""
    return f"{writing_dir(chdir)}/{run}-%06d.mp4"


def final_name(start_ms: int, run: str) -> str:
    """``<UTC day>/<UTC time to the ms>Z-<run>.mp4``, relative to the channel directory."""
    at = utc_from_ms(start_ms)
    return f"{at:%Y-%m-%d}/{at:%Y%m%dT%H%M%S}.{at.microsecond // 1000:03d}Z-{run}.mp4"


def run_of(path: Path) -> str | None:
    """The run a segment file belongs to, from either kind of name."""
    m = _NAME.match(path.name) or _WRITING.match(path.name)
    return m.group("run") if m else None


def name_time_ms(path: Path) -> int | None:
    """The UTC start a finished segment's name says (to the ms, or to the second)."""
    m = _NAME.match(path.name)
    if not m:
        return None
    moment = datetime.strptime(m.group("ts"), "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
    return ms_from_datetime(moment) + int(m.group("ms") or 0)


def is_segment_name(path: Path) -> bool:
    """A finished segment's name (in a day directory)."""
    return _NAME.match(path.name) is not None


def is_writing_name(path: Path) -> bool:
    """A name ffmpeg writes to (in ``writing/``)."""
    return path.parent.name == WRITING_DIR and _WRITING.match(path.name) is not None


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def prepare_run_dirs(chdir: Path) -> None:
    """The directory ffmpeg writes into, made durable before the run starts (blocking)."""
    writing_dir(chdir).mkdir(parents=True, exist_ok=True)
    fsync_dir(chdir)


class Journal:
    """Append-only record of the segment starts of one run. Blocking: call from a thread."""

    def __init__(self, chdir: Path, run: str):
        self.path = chdir / f"{run}{JOURNAL_SUFFIX}"

    @staticmethod
    def all_in(chdir: Path) -> list[Path]:
        return sorted(chdir.glob(f"*{JOURNAL_SUFFIX}"))

    @staticmethod
    def read_file(path: Path) -> dict[str, int]:
        """Segment path -> start ms, from a journal file (lines cut by a crash are skipped)."""
        out: dict[str, int] = {}
        try:
            text = path.read_text("utf-8")
        except FileNotFoundError:
            return out
        for line in text.splitlines():
            try:
                doc: Any = json.loads(line)
                out[str(doc["path"])] = int(doc["start_ms"])
            except (ValueError, KeyError, TypeError):
                continue
        return out

    def append(self, rel_path: str, start_ms: int) -> None:
        line = json.dumps({"path": rel_path, "start_ms": start_ms}) + "\n"
        with self.path.open("a", encoding="utf-8") as f:
            f.write(line)
            f.flush()
            os.fsync(f.fileno())

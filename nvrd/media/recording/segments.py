"""Where segment files live, and the journal that survives a crash.

Layout under a storage root: ``ch<N>/<YYYY-MM-DD>/<YYYYmmddTHHMMSSZ>-<run>.mp4``,
all UTC, so no two files collide across DST changes and a run (one ffmpeg
process) never overwrites another's files.

Each run keeps a journal (``ch<N>/<run>.journal``) with one line per segment
as it starts: its path and the best wall-clock estimate of its first frame.
After a crash it gives the start of a segment that never got its index row;
a run that ends normally deletes its journal once every segment is indexed.
"""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from nvrd.core.clock import ms_from_datetime

_NAME = re.compile(r"^(?P<ts>\d{8}T\d{6}Z)-(?P<run>[A-Za-z0-9]+)\.mp4$")
JOURNAL_SUFFIX = ".journal"


def channel_dir(root: Path, chid: int) -> Path:
    return root / f"ch{chid}"


def ensure_day_dirs(chdir: Path, now: datetime) -> None:
    """The UTC day directories ffmpeg will write into today and tomorrow."""
    for delta in (0, 1):
        day = (now.astimezone(UTC) + timedelta(days=delta)).strftime("%Y-%m-%d")
        (chdir / day).mkdir(parents=True, exist_ok=True)


def name_time_ms(path: Path) -> int | None:
    """The UTC second a segment file was opened, from its name."""
    m = _NAME.match(path.name)
    if not m:
        return None
    moment = datetime.strptime(m.group("ts"), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    return ms_from_datetime(moment)


def is_segment_name(path: Path) -> bool:
    return _NAME.match(path.name) is not None


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


class Journal:
    """Append-only record of the segment starts of one run."""

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

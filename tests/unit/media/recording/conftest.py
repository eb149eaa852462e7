"""Fixtures of the recording unit tests: real segment files made once by real ffmpeg, and a
migrated SQLite index."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from nvrd.media.ffargs import FRAGMENT_FLAGS
from nvrd.store.db import Database
from nvrd.store.recordings import RecordingIndex
from tests.support.media import ffmpeg_exe, make_test_video


@pytest.fixture(scope="session")
def segment_files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Three fragmented-MP4 segments of 1 s each (320x180, 10 fps, a keyframe a second),
    cut by ffmpeg's segment muxer exactly as the ingest has it cut."""
    root = tmp_path_factory.mktemp("segments")
    src = make_test_video(root / "src.mp4", seconds=3, size="320x180", fps=10, gop=10)
    pattern = str(root / "seg-%06d.mp4")
    subprocess.run(
        [
            *(ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-i", str(src)),
            *("-map", "0:v:0", "-c", "copy", "-f", "segment", "-segment_time", "1"),
            *("-reset_timestamps", "1", "-segment_format", "mp4"),
            *("-segment_format_options", FRAGMENT_FLAGS, pattern),
        ],
        check=True,
        timeout=60,
    )
    files = sorted(root.glob("seg-*.mp4"))
    assert len(files) == 3, files
    return files


@pytest.fixture
async def index(tmp_path: Path, template_db: Path) -> AsyncIterator[RecordingIndex]:
    """A recording index on a copy of the session's migrated SQLite database."""
    target = tmp_path / "index.db"
    shutil.copyfile(template_db, target)
    db = Database(f"sqlite+aiosqlite:///{target}")
    await db.open()
    yield RecordingIndex(db.engine)
    await db.close()

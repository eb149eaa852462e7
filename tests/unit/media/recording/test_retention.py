"""Retention on real files and a real index, with the disk's free space injected."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from pathlib import Path

from nvrd.config import StorageSettings
from nvrd.core.clock import FakeClock
from nvrd.media.recording.indexer import Finished, index_finished
from nvrd.media.recording.retention import RetentionPool, Usage
from nvrd.store.recordings import RecordingIndex

START = 1_772_366_400_000
MB = 1024 * 1024


class Disk:
    """A disk per path whose free space is ``empty[path]`` less the files on it now."""

    def __init__(self) -> None:
        self.empty: dict[str, int] = {}

    def __call__(self, path: str) -> Usage:
        used = sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file())
        free = self.empty.get(path, 10_000 * MB) - used
        return Usage(20_000 * MB, used, free)


async def fill(root: Path, src: Path, index: RecordingIndex, n: int) -> None:
    d = root / "ch1" / "2026-03-01"
    d.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        f = d / f"20260301T1200{i:02d}Z-r.mp4"
        shutil.copyfile(src, f)
        await index_finished(index, Finished(1, root, f, START + 1000 * i, 1000))


def pool(
    paths: list[StorageSettings], index: RecordingIndex, disk: Disk, events: list[str]
) -> RetentionPool:
    return RetentionPool(paths, index, 100 * MB, lambda path: events.append("storageFull"), disk)


async def test_overwrite_deletes_the_oldest_but_never_the_newest(
    tmp_path: Path, segment_files: list[Path], index: RecordingIndex
) -> None:
    tmp_path = tmp_path / "rec"  # the index database lives beside it, not on it
    await fill(tmp_path, segment_files[0], index, 5)
    size = segment_files[0].stat().st_size
    disk = Disk()
    disk.empty[str(tmp_path)] = 100 * MB + 3 * size  # two segments short
    p = pool([StorageSettings(path=tmp_path, usage=2)], index, disk, [])
    await p.check()
    rows = sorted(r.start_ms for r in await index.in_root(str(tmp_path)))
    assert rows == [START + 2000, START + 3000, START + 4000] and p.deleted_segments == 2
    assert len(list(tmp_path.rglob("*.mp4"))) == 3  # the files went too
    disk.empty[str(tmp_path)] = 0  # far too full: everything but the newest goes
    await p.check()
    assert [r.start_ms for r in await index.in_root(str(tmp_path))] == [START + 4000]


async def test_quota_and_write_once_move_recording_on(
    tmp_path: Path, segment_files: list[Path], index: RecordingIndex
) -> None:
    once, over, ro = tmp_path / "once", tmp_path / "over", tmp_path / "ro"
    await fill(once, segment_files[0], index, 3)
    quota = 2 * segment_files[0].stat().st_size / MB
    paths = [
        StorageSettings(path=ro, usage=0),
        StorageSettings(path=once, usage=1, quota_mb=quota),
        StorageSettings(path=over, usage=2),
    ]
    events: list[str] = []
    p = pool(paths, index, Disk(), events)
    assert p.writable_root() == once
    assert await p.check() is True  # over its quota: full, recording moves on
    assert p.writable_root() == over and events == ["storageFull"]
    assert len(await index.in_root(str(once))) == 3  # write-once: nothing deleted
    assert await p.check() is False and events == ["storageFull"]


async def test_the_loop_runs_on_the_injected_clock(tmp_path: Path, index: RecordingIndex) -> None:
    clock = FakeClock()
    changes: list[int] = []
    p = pool([StorageSettings(path=tmp_path, usage=2)], index, Disk(), [])
    calls = 0
    real_check = p.check

    async def check() -> bool:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise OSError("disk vanished")  # one failed pass: logged, the loop goes on
        if calls == 4:
            raise asyncio.CancelledError
        return await real_check() or calls == 3

    p.check = check  # type: ignore[method-assign]
    with contextlib.suppress(asyncio.CancelledError):
        await p.run(5, lambda: changes.append(calls), clock)
    assert clock.slept == [5, 5, 5] and changes == [3]

"""The index worker: jobs in order, journals removed after the last row, retries."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from nvrd.core.clock import FakeClock
from nvrd.core.supervisor import Supervisor
from nvrd.media.recording import indexworker
from nvrd.media.recording.indexer import Finished
from nvrd.media.recording.indexworker import IndexWorker, JournalLine, RunEnded
from nvrd.media.recording.segments import Journal, writing_dir
from nvrd.store.recordings import NewSegment, RecordingIndex


async def test_jobs_run_in_order_and_the_journal_goes_last(
    tmp_path: Path, segment_files: list[Path], index: RecordingIndex
) -> None:
    chdir = tmp_path / "ch1"
    writing_dir(chdir).mkdir(parents=True)
    j = Journal(chdir, "r1")
    seen: list[tuple[int, int]] = []
    worker = IndexWorker(index, lambda chid, fid: seen.append((chid, fid)))
    sup = Supervisor(FakeClock())
    task = sup.spawn("index", worker.run)
    for n, src in enumerate(segment_files):
        f = writing_dir(chdir) / f"r1-{n:06d}.mp4"
        shutil.copyfile(src, f)
        worker.put(JournalLine(j, f.relative_to(tmp_path).as_posix(), 1000 * n))
        worker.put(Finished(1, tmp_path, f, 1000 * n, 1000 if n < 2 else None, run="r1"))
    await worker.idle()
    assert j.path.exists() and len(Journal.read_file(j.path)) == 3
    worker.put(RunEnded(j))
    worker.close()
    await task.join()
    assert not j.path.exists()
    assert [chid for chid, _ in seen] == [1, 1, 1] and worker.indexed == 3
    with pytest.raises(RuntimeError):
        worker.put(RunEnded(j))


class FlakyIndex:
    """A database that fails the first ``fails`` inserts (a restarting PostgreSQL)."""

    def __init__(self, real: RecordingIndex, fails: int):
        self.real = real
        self.fails = fails

    async def add(self, seg: NewSegment) -> int:
        if self.fails:
            self.fails -= 1
            raise ConnectionError("database unreachable")
        return await self.real.add(seg)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


async def test_a_failing_database_is_retried_with_backoff(
    tmp_path: Path, segment_files: list[Path], index: RecordingIndex
) -> None:
    clock = FakeClock()
    failures: list[int] = []
    sup = Supervisor(clock, lambda name, exc, n: failures.append(n))
    worker = IndexWorker(FlakyIndex(index, 2))  # type: ignore[arg-type]
    f = tmp_path / "ch1" / "2026-03-01" / "20260301T120000Z-r.mp4"
    f.parent.mkdir(parents=True)
    shutil.copyfile(segment_files[0], f)
    task = sup.spawn("index", worker.run)
    worker.put(Finished(1, tmp_path, f, 0, 1000))
    worker.close()
    await task.join()
    assert failures == [1, 2] and clock.slept == [0.5, 1.0]
    assert worker.indexed == 1 and len(await index.in_root(str(tmp_path))) == 1


async def test_a_job_that_always_fails_is_given_up(
    tmp_path: Path, segment_files: list[Path], index: RecordingIndex
) -> None:
    clock = FakeClock()
    worker = IndexWorker(FlakyIndex(index, 100))  # type: ignore[arg-type]
    f = tmp_path / "ch1" / "2026-03-01" / "20260301T120000Z-r.mp4"
    f.parent.mkdir(parents=True)
    shutil.copyfile(segment_files[0], f)
    task = Supervisor(clock).spawn("index", worker.run)
    worker.put(Finished(1, tmp_path, f, 0, 1000))
    worker.put(Finished(1, tmp_path, f, 0, 1000))
    worker.close()
    await task.join()
    assert worker.skipped == 2 and task.restarts == 2 * (indexworker.MAX_ATTEMPTS - 1)
    assert f.exists()  # left for the consistency check

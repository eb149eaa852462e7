"""The ingest's supervision loop and runs, with a scripted ffmpeg on a fake clock.

The process is :class:`tests.support.fake_ffmpeg.FakeProcess` (real ffmpeg is in
tests/integration); the files it "writes" are real segments, indexed in a real
SQLite index, so the end state on disk and in the index is checked for real.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from pathlib import Path

from nvrd.channels.status import StatusBoard
from nvrd.config import RecordingSettings
from nvrd.core.channelspec import ChannelSpec
from nvrd.core.ratelimit import StartLimiter
from nvrd.core.statuscodes import ChannelStatus
from nvrd.core.supervisor import Supervisor
from nvrd.media.recording.ingest import ChannelIngest, IngestContext
from nvrd.media.recording.launcher import FfmpegLauncher, Launcher
from nvrd.store.recordings import RecordingIndex, Segment
from tests.support.fake_ffmpeg import (
    Exit,
    FakeLauncher,
    Hang,
    Progress,
    Sleep,
    Step,
)
from tests.support.fake_ffmpeg import (
    Segment as Seg,
)
from tests.support.simclock import SimClock


class Harness:
    def __init__(
        self,
        root: Path,
        index: RecordingIndex,
        launcher: Launcher,
        clock: SimClock,
        limiter: StartLimiter | None = None,
    ):
        self.root = root
        self.index = index
        self.clock = clock
        self.board = StatusBoard()
        self.codes: list[int] = []
        self.failures: list[str] = []
        ctx = IngestContext(
            ffmpeg="ffmpeg",
            settings=RecordingSettings(segment_seconds=2, stall_seconds=10),
            launcher=launcher,
            clock=clock,
            index=index,
            board=self.board,
            writable_root=lambda: root,
            supervisor=Supervisor(clock),
            limiter=limiter,
        )
        self.ingest = ChannelIngest(
            1,
            ChannelSpec("rtsp", "rtsp://cam/s"),
            ctx,
            self.codes.append,
            on_failure=lambda name, exc, n: self.failures.append(f"{name}: {exc}"),
        )

    async def until(self, cond: Callable[[], bool]) -> None:
        await self.clock.run_until(cond)

    async def stop(self) -> None:
        """Stop the ingest while the clock keeps running (the stop waits on it)."""
        stopping = asyncio.ensure_future(self.ingest.stop())
        await self.clock.run_until(stopping.done)
        await stopping

    async def rows(self) -> list[Segment]:
        return sorted(await self.index.in_root(str(self.root)), key=lambda s: s.start_ms)

    def on_disk(self) -> list[str]:
        return sorted(
            p.relative_to(self.root).as_posix() for p in (self.root / "ch1").rglob("*.mp4")
        )


def recording(files: list[Path], then: Sequence[Step] = (Exit(255),)) -> list[Step]:
    """Three 1 s segments, progress every 0.5 s, then wait for the stop."""
    steps: list[Step] = []
    for n, f in enumerate(files):
        steps += [Seg(n, float(n), f), Progress(n * 1000 + 500), Sleep(0.5)]
        steps += [Progress(n * 1000 + 1000), Sleep(0.5)]
    return [*steps, Hang(live=0.5), *then]


async def test_a_run_records_and_a_clean_stop_leaves_index_equal_to_disk(
    tmp_path: Path, segment_files: list[Path], index: RecordingIndex
) -> None:
    clock = SimClock()
    launcher = FakeLauncher(lambda n, argv: recording(segment_files), clock)
    h = Harness(tmp_path, index, launcher, clock)
    h.ingest.start()
    await h.until(lambda: h.ingest.worker.indexed == 2)
    assert h.codes == [ChannelStatus.CONNECTING, ChannelStatus.CONNECTED]
    assert h.board.state(1).streaming and h.board.state(1).recording
    await h.stop()
    proc = launcher.processes[0]
    assert proc.interrupts == 1 and not proc.killed
    rows = await h.rows()
    assert [r.end_ms - r.start_ms for r in rows] == [1000, 1000, 1000]
    assert rows[0].end_ms == rows[1].start_ms and rows[1].end_ms == rows[2].start_ms
    assert h.on_disk() == sorted(r.rel_path for r in rows)  # nothing left in writing/
    assert not list((tmp_path / "ch1").glob("*.journal"))
    assert len(launcher.processes) == 1


async def test_a_slow_stop_still_indexes_the_last_segment(
    tmp_path: Path, segment_files: list[Path], index: RecordingIndex
) -> None:
    clock = SimClock()
    # after the SIGINT ffmpeg takes longer than its grace: it is killed, and the last
    # segment (whole: the fake wrote it entirely) is still indexed
    launcher = FakeLauncher(lambda n, argv: recording(segment_files, [Sleep(30)]), clock)
    h = Harness(tmp_path, index, launcher, clock)
    h.ingest.start()
    await h.until(lambda: h.ingest.worker.indexed == 2)
    await h.stop()
    assert launcher.processes[0].killed
    rows = await h.rows()
    assert len(rows) == 3 and h.on_disk() == sorted(r.rel_path for r in rows)


async def test_a_stalled_stream_is_restarted_with_status_408(
    tmp_path: Path, segment_files: list[Path], index: RecordingIndex
) -> None:
    clock = SimClock()

    def script(n: int, argv: Sequence[str]) -> list[Step]:
        if n == 0:  # connects, then the camera sends nothing more
            return [Seg(0, 0.0, segment_files[0]), Progress(500), Hang(), Exit(255)]
        return recording(segment_files[1:])

    launcher = FakeLauncher(script, clock)
    h = Harness(tmp_path, index, launcher, clock)
    started = clock.monotonic()
    h.ingest.start()
    await h.until(lambda: len(launcher.processes) == 2)
    assert launcher.processes[0].killed
    assert clock.monotonic() - started >= 10  # the stall time, on the fake clock
    await h.until(lambda: h.codes[-1] == ChannelStatus.CONNECTED)
    assert h.codes == [-3, 200, 408, -4, 200]
    await h.stop()
    rows = await h.rows()
    assert len(rows) == 3 and h.on_disk() == sorted(r.rel_path for r in rows)


async def test_failed_runs_back_off_and_restarts_share_a_global_limit(
    tmp_path: Path, index: RecordingIndex
) -> None:
    clock = SimClock()
    refused: list[Step] = [Sleep(0.1), Progress(0, frames=0), Exit(1)]
    launcher = FakeLauncher(lambda n, argv: list(refused), clock)
    limiter = StartLimiter(clock, rate=1, burst=1)
    h = Harness(tmp_path, index, launcher, clock, limiter)
    t0 = clock.monotonic()
    h.ingest.start()
    await h.until(lambda: len(launcher.processes) >= 5)
    await h.stop()
    assert h.codes[:2] == [-3, ChannelStatus.SERVICE_FAILURE]  # no messages: 503
    starts = [round(p.started_at - t0, 3) for p in launcher.processes]
    # each run fails after 0.1 s; backoff 0.5, 1, 2, 2 s (max_backoff_seconds); the
    # second start waits for its token (1 a second) until 1.0
    assert starts == [0.0, 1.0, 2.1, 4.2, 6.3]
    assert limiter.waited == 1


async def test_a_missing_ffmpeg_is_a_supervised_failure(
    tmp_path: Path, index: RecordingIndex
) -> None:
    clock = SimClock()
    h = Harness(tmp_path, index, FfmpegLauncher(), clock)
    h.ingest.ctx = IngestContext(**{**h.ingest.ctx.__dict__, "ffmpeg": str(tmp_path / "nope")})
    h.ingest.start()
    await h.until(lambda: len(h.failures) >= 2)
    assert "No such file" in h.failures[0] and h.failures[0].startswith("ingest-ch1")
    assert h.board.state(1).code == ChannelStatus.SERVICE_FAILURE
    await h.stop()


async def test_a_stop_does_not_wait_for_its_turn_at_the_start_limit(
    tmp_path: Path, index: RecordingIndex
) -> None:
    clock = SimClock()
    limiter = StartLimiter(clock, rate=0.001, burst=1)  # one start, then one every 1000 s
    launcher = FakeLauncher(lambda n, argv: [Exit(1)], clock)
    h = Harness(tmp_path, index, launcher, clock, limiter)
    h.ingest.start()
    await h.until(lambda: len(launcher.processes) == 1 and limiter.waited == 1)
    t0 = clock.monotonic()
    await h.stop()
    assert clock.monotonic() - t0 < 10 and len(launcher.processes) == 1

"""One channel's ingest: a supervised ffmpeg process that records segment files.

The runner starts ffmpeg, reads its progress (stdout) and messages
(stderr), reports the guide's status codes, hands every finished segment to
the indexer, restarts a dead or stalled process with backoff, and never
leaves the process behind (it dies with nvrd: ``PR_SET_PDEATHSIG``).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import os
import shutil
import signal
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from nvrd.channels.status import StatusBoard
from nvrd.config import RecordingSettings
from nvrd.core.channelspec import ChannelSpec
from nvrd.core.clock import Clock
from nvrd.core.statuscodes import ChannelStatus
from nvrd.media.ffargs import (
    Source,
    classify_failure,
    live_args,
    parse_segment_start,
    record_args,
    redact,
    segment_template,
)
from nvrd.media.live.hub import LiveHub
from nvrd.media.motion.board import MotionFeed
from nvrd.media.pipes import read_pipe
from nvrd.media.recording.anchor import Anchor
from nvrd.media.recording.indexer import Finished, index_finished
from nvrd.media.recording.segments import Journal, channel_dir, ensure_day_dirs
from nvrd.store.recordings import RecordingIndex

log = logging.getLogger("nvrd.ingest")

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # runs in the child between fork and exec
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _run_id(now_ms: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    n, out = now_ms, ""
    while n:
        n, r = divmod(n, 36)
        out = digits[r] + out
    return out or "0"


@dataclass
class _Current:
    path: Path
    media_s: float
    start_ms: int


@dataclass
class _Run:
    root: Path
    chdir: Path
    journal: Journal
    anchor: Anchor = field(default_factory=Anchor)
    current: _Current | None = None
    last_end_ms: int | None = None
    connected: bool = False
    last_advance: float = 0.0
    last_media_ms: int = -1
    errors: deque[str] = field(default_factory=lambda: deque(maxlen=40))


class ChannelIngest:
    def __init__(
        self,
        chid: int,
        spec: ChannelSpec,
        *,
        ffmpeg: str,
        settings: RecordingSettings,
        writable_root: Callable[[], Path | None],
        index: RecordingIndex,
        board: StatusBoard,
        clock: Clock,
        on_status: Callable[[int], None],
        on_segment: Callable[[int, int], None] | None = None,
        live: LiveHub | None = None,
        hls_dir: Path | None = None,
        hls_seconds: float = 1.0,
        motion: MotionFeed | None = None,
    ):
        self.chid = chid
        self.spec = spec
        self.ffmpeg = ffmpeg
        self.settings = settings
        self.writable_root = writable_root
        self.index = index
        self.board = board
        self.clock = clock
        self.on_status = on_status
        self.on_segment = on_segment
        self.live = live
        self.hls_dir = hls_dir
        self.hls_seconds = hls_seconds
        self.motion = motion
        self._task: asyncio.Task[None] | None = None
        self._proc: asyncio.subprocess.Process | None = None
        self._interrupted: asyncio.subprocess.Process | None = None
        self._stopping = False
        self._jobs: asyncio.Queue[Finished | None] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None
        self._restart_run = asyncio.Event()
        self._stop_event = asyncio.Event()

    # -- lifecycle ---------------------------------------------------------

    def start(self) -> None:
        self._worker = asyncio.create_task(self._index_worker(), name=f"index-ch{self.chid}")
        self._task = asyncio.create_task(self._supervise(), name=f"ingest-ch{self.chid}")

    async def stop(self) -> None:
        """End the process gracefully and index what it wrote, then stop."""
        self._stopping = True
        self._stop_event.set()
        self._restart_run.set()
        await self._end_process()
        if self._task:
            try:
                await asyncio.wait_for(asyncio.shield(self._task), timeout=10)
            except TimeoutError:
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
        await self._jobs.put(None)
        if self._worker:
            await self._worker

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop_event.wait(), timeout=seconds)

    def switch_root(self) -> None:
        """End the current run so that the next one writes to the newly chosen root."""
        self._restart_run.set()

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc and self._proc.returncode is None else None

    # -- status --------------------------------------------------------------

    def _now_ms(self) -> int:
        return self.clock.now_ms()

    def _set_status(self, code: int) -> None:
        state = self.board.state(self.chid)
        if state.code != code:
            state.code = code
            self.on_status(code)

    def _set_recording(self, streaming: bool, recording: bool, failed: bool = False) -> None:
        failed_at = self.clock.now() if failed else None
        self.board.set_recording(self.chid, streaming, recording, failed_at)

    # -- supervision -----------------------------------------------------------

    async def _supervise(self) -> None:
        attempt = 0
        first = True
        while not self._stopping:
            root = self.writable_root()
            if root is None:
                self._set_recording(False, False, failed=True)
                log.error("no writable storage", extra={"chid": self.chid})
                await self._sleep(self.settings.max_backoff_seconds)
                continue
            if self.spec.kind == "file" and not Path(self.spec.source).is_file():
                self._set_status(ChannelStatus.NO_FILE)
                await self._sleep(max(1.0, self.settings.max_backoff_seconds))
                continue
            self._set_status(ChannelStatus.CONNECTING if first else ChannelStatus.RECONNECTING)
            first = False
            code, connected = await self._run_once(root)
            if self._stopping:
                break
            if connected:
                attempt = 0
            if code == ChannelStatus.PLAYBACK_COMPLETE:
                self._set_status(code)
                return
            if code is not None:
                self._set_status(code)
                self._set_recording(False, False, failed=True)
                delay = min(self.settings.max_backoff_seconds, 0.5 * (2**attempt))
                attempt += 1
                await self._sleep(delay)

    async def _run_once(self, root: Path) -> tuple[int | None, bool]:
        """Run one ffmpeg process; return (failure status or None, whether it connected)."""
        now_ms = self._now_ms()
        run_id = _run_id(now_ms)
        chdir = channel_dir(root, self.chid)
        ensure_day_dirs(chdir, self.clock.now())
        run = _Run(root=root, chdir=chdir, journal=Journal(chdir, run_id))
        src = Source(
            self.spec.kind,
            self.spec.url_with_credentials(),
            self.spec.tcp,
            self.spec.playback == "repeat",
        )
        live_r, live_w = os.pipe() if self.live is not None else (None, None)
        motion = self.motion if self.motion is not None and self.motion.usable else None
        motion_r, motion_w = os.pipe() if motion is not None else (None, None)
        if self.hls_dir is not None:
            shutil.rmtree(self.hls_dir, ignore_errors=True)
            self.hls_dir.mkdir(parents=True, exist_ok=True)
        argv = record_args(
            self.ffmpeg,
            src,
            segment_template(str(chdir), run_id),
            self.settings.segment_seconds,
            self.settings.io_timeout_seconds,
            live_args(
                str(self.hls_dir) if self.hls_dir is not None else None,
                live_w,
                self.hls_seconds,
            )
            + (motion.output_args(motion_w) if motion and motion_w is not None else []),
            motion.input_args() if motion is not None else (),
        )
        log.info(
            "ingest starting",
            extra={"chid": self.chid, "source": redact(src.url), "run": run_id, "root": str(root)},
        )
        self._restart_run.clear()
        try:
            self._proc = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                preexec_fn=_die_with_parent,
                start_new_session=True,
                pass_fds=tuple(fd for fd in (live_w, motion_w) if fd is not None),
            )
        finally:
            for fd in (live_w, motion_w):
                if fd is not None:
                    os.close(fd)
        live_done = await self._open_live(live_r)
        motion_done = await motion.open(motion_r) if motion and motion_r is not None else None
        proc = self._proc
        run.last_advance = time.monotonic()
        readers = [
            asyncio.create_task(self._read_progress(proc, run)),
            asyncio.create_task(self._read_messages(proc, run)),
        ]
        watchdog = asyncio.create_task(self._watch(proc, run))
        stalled = False
        try:
            await proc.wait()
        finally:
            watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                stalled = await watchdog
            await asyncio.gather(*readers, return_exceptions=True)
            for done in (live_done, motion_done):
                if done is not None:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(done, timeout=5)
        self._finish_run(run)
        self._set_recording(False, False)
        rc = proc.returncode
        log.info(
            "ingest ended",
            extra={"chid": self.chid, "run": run_id, "returncode": rc, "stalled": stalled},
        )
        if self.live is not None:
            self.live.end_stream(self.board.state(self.chid).code)
        if motion is not None and not run.connected:
            motion.run_failed(run.errors)
        if self._stopping or (self._restart_run.is_set() and not stalled):
            return None, run.connected
        if self.spec.kind == "file" and self.spec.playback == "once" and rc == 0:
            return ChannelStatus.PLAYBACK_COMPLETE, run.connected
        if stalled:
            return ChannelStatus.TIMEOUT, run.connected
        return classify_failure(run.errors, self.spec.kind), run.connected

    async def _open_live(self, fd: int | None) -> asyncio.Future[None] | None:
        """Feed the low-latency stream from ``fd`` into the hub until ffmpeg closes it."""
        if fd is None or self.live is None:
            return None
        self.live.start_stream()
        return await read_pipe(fd, _LiveFeed(self.live))

    async def _watch(self, proc: asyncio.subprocess.Process, run: _Run) -> bool:
        """Kill a process whose media time stops advancing; end it for a root switch."""
        while proc.returncode is None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._restart_run.wait(), timeout=0.5)
            if self._restart_run.is_set():
                await self._end_process()
                return False
            if time.monotonic() - run.last_advance > self.settings.stall_seconds:
                log.warning("stream stalled; restarting", extra={"chid": self.chid})
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                return True
        return False

    async def _end_process(self) -> None:
        """Ask ffmpeg to finish (once: a second SIGINT makes it abort mid-file) and wait."""
        proc = self._proc
        if proc is None or proc.returncode is not None:
            return
        if self._interrupted is not proc:
            self._interrupted = proc
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGINT)  # ffmpeg closes the segment properly
        try:
            await asyncio.wait_for(proc.wait(), timeout=5)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()

    # -- ffmpeg output ---------------------------------------------------------

    async def _read_progress(self, proc: asyncio.subprocess.Process, run: _Run) -> None:
        assert proc.stdout is not None
        block: dict[str, str] = {}
        async for raw in proc.stdout:
            key, _, value = raw.decode("utf-8", "replace").strip().partition("=")
            if key != "progress":
                block[key] = value
                continue
            self._on_progress(block, run)
            block = {}

    def _on_progress(self, block: dict[str, str], run: _Run) -> None:
        try:
            media_ms = int(block.get("out_time_us", "N/A")) // 1000
            frames = int(block.get("frame", "0"))
        except ValueError:
            return
        if frames <= 0 or media_ms < 0:
            return
        run.anchor.observe(self._now_ms(), media_ms)
        if media_ms > run.last_media_ms:
            run.last_media_ms = media_ms
            run.last_advance = time.monotonic()
        if not run.connected:
            run.connected = True
            self._set_status(ChannelStatus.CONNECTED)
            log.info("stream connected", extra={"chid": self.chid})
        self._set_recording(True, run.current is not None)

    async def _read_messages(self, proc: asyncio.subprocess.Process, run: _Run) -> None:
        assert proc.stderr is not None
        async for raw in proc.stderr:
            line = raw.decode("utf-8", "replace").rstrip()
            started = parse_segment_start(line)
            if started is not None:
                self._on_segment_start(run, Path(started.path), started.stream_time)
            elif line and not line.startswith(("frame=", "  ")):
                run.errors.append(line)

    def _on_segment_start(self, run: _Run, path: Path, media_s: float) -> None:
        path = path.absolute()  # storage roots are absolute; this only guards a bad config
        start_ms = run.anchor.wall_ms(media_s * 1000) if run.anchor.known else self._now_ms()
        prev = run.current
        if prev is not None:
            duration_ms = round((media_s - prev.media_s) * 1000)
            self._queue_finished(run, prev, duration_ms)
        run.current = _Current(path, media_s, start_ms)
        run.journal.append(path.relative_to(run.root).as_posix(), start_ms)
        ensure_day_dirs(run.chdir, self.clock.now())
        self._set_recording(run.connected, True)
        if self.writable_root() != run.root:
            self._restart_run.set()

    def _queue_finished(self, run: _Run, seg: _Current, duration_ms: int | None) -> None:
        start_ms = seg.start_ms
        if run.anchor.known:
            start_ms = run.anchor.wall_ms(seg.media_s * 1000)
        # Within one run the media is continuous: keep segments edge to edge
        # unless the clocks have drifted apart by more than a second.
        if run.last_end_ms is not None and abs(start_ms - run.last_end_ms) < 1000:
            start_ms = run.last_end_ms
        if duration_ms is not None:
            run.last_end_ms = start_ms + duration_ms
        self._jobs.put_nowait(Finished(self.chid, run.root, seg.path, start_ms, duration_ms))

    def _finish_run(self, run: _Run) -> None:
        if run.current is not None:
            self._queue_finished(run, run.current, None)
            run.current = None
        self._jobs.put_nowait(Finished(self.chid, run.root, run.journal.path, 0, -1))

    async def _index_worker(self) -> None:
        while True:
            job = await self._jobs.get()
            if job is None:
                return
            if job.duration_ms == -1:  # end of a run: its journal is no longer needed
                job.path.unlink(missing_ok=True)
                continue
            try:
                file_id = await index_finished(self.index, job)
            except Exception:
                log.exception("indexing failed", extra={"path": str(job.path)})
                continue
            if file_id is not None and self.on_segment is not None:
                self.on_segment(self.chid, file_id)


class _LiveFeed:
    """Hands the live pipe's bytes to the hub as they arrive (no copies, no waiting)."""

    def __init__(self, hub: LiveHub):
        self.hub = hub
        self.broken = False

    def __call__(self, data: bytes) -> None:
        if self.broken:
            return
        try:
            self.hub.feed(data)
        except ValueError:
            self.broken = True
            log.error("corrupt live stream; live view stops until the next run")

"""One run of a channel's ingest: one ffmpeg process, from its start to its end.

The run builds the command line, starts the process through the
:class:`~.launcher.Launcher`, reads its progress (stdout) and messages
(stderr), turns them into segment times (:class:`~.timeline.RunTimeline`)
and queues the jobs for the channel's index worker; a watchdog kills a
process whose media time stops advancing. Nothing here blocks the event
loop: directories are made in a thread, and journal lines and index rows are
written by the index worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from nvrd.core.clock import wait_set, within
from nvrd.core.statuscodes import ChannelStatus
from nvrd.media.ffargs import (
    Source,
    classify_failure,
    concat_script,
    has_credentials,
    live_only_args,
    live_pipe_output,
    parse_segment_start,
    record_args,
    redact,
)
from nvrd.media.live.hub import LiveHub
from nvrd.media.pipes import read_pipe_paced
from nvrd.media.recording.indexer import Finished
from nvrd.media.recording.indexworker import JournalLine, RunEnded
from nvrd.media.recording.launcher import Process
from nvrd.media.recording.segments import Journal, channel_dir, prepare_run_dirs, writing_template
from nvrd.media.recording.timeline import Cut, RunTimeline

if TYPE_CHECKING:
    from nvrd.media.recording.ingest import ChannelIngest

log = logging.getLogger("nvrd.ingest")

#: How often the watchdog looks at the media time (and at a restart request).
WATCH_INTERVAL = 1.0
#: A watchdog wake-up this much later than asked means a starved event loop, not a
#: stalled camera: the lateness is not counted as stall time.
LATE_WAKEUP = 0.25
#: How long ffmpeg gets to close its files after the SIGINT before it is killed.
STOP_GRACE_SECONDS = 5.0
#: How long the end of the live pipe is waited for after the process ended.
PIPE_END_SECONDS = 5.0


def run_id(now_ms: int) -> str:
    """Base 36 of the start time in ms: short, unique per channel, sorted by time."""
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    n, out = now_ms, ""
    while n:
        n, r = divmod(n, 36)
        out = digits[r] + out
    return out or "0"


#: The concat script is written into the pipe before ffmpeg starts: at most one pipe buffer.
MAX_SCRIPT = 32 * 1024


@dataclass(frozen=True)
class RunResult:
    failure: int | None  # the status code of a failed run; None: ended on purpose
    connected: bool


class Run:
    def __init__(self, ingest: ChannelIngest, root: Path):
        self.ingest = ingest
        self.ctx = ingest.ctx
        self.chid = ingest.chid
        self.root = root
        self.run_id = run_id(self.ctx.clock.now_ms())
        self.chdir = channel_dir(root, self.chid, self.ctx.stream)
        self.journal = Journal(self.chdir, self.run_id)
        self.timeline = RunTimeline()
        self.errors: deque[str] = deque(maxlen=40)
        self.connected = False
        self.started = False
        self.stalled = False
        self.last_advance = self.ctx.clock.monotonic()
        self._proc: Process | None = None
        self._interrupted = False
        self._restart = asyncio.Event()

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def request_restart(self) -> None:
        """End this run (a new storage root); the supervision loop starts the next."""
        self._restart.set()

    # -- the process -----------------------------------------------------------

    def _source(self) -> Source:
        spec = self.ingest.spec
        return Source(spec.kind, spec.url_with_credentials(), spec.tcp, spec.playback == "repeat")

    def _argv(self, live_w: int | None, script_fd: int | None) -> list[str]:
        src = self._source()
        extra = live_pipe_output(live_w) if live_w is not None else []
        log.info(
            "ingest starting",
            extra={
                "chid": self.chid,
                "stream": self.ctx.stream,
                "source": redact(src.url),
                "run": self.run_id,
                "root": str(self.root) if self.ctx.record else "",
            },
        )
        if not self.ctx.record:
            assert live_w is not None, "an ingest that does not record feeds a live hub"
            return live_only_args(
                self.ctx.ffmpeg, src, live_w, self.ctx.settings.io_timeout_seconds, script_fd
            )
        return record_args(
            self.ctx.ffmpeg,
            src,
            writing_template(self.chdir, self.run_id),
            self.ctx.settings.segment_seconds,
            self.ctx.settings.io_timeout_seconds,
            extra,
            script_fd=script_fd,
        )

    def _script_pipe(self) -> int | None:
        """A pipe holding the concat script of a source with a password (its read end), so
        that the password is not on ffmpeg's command line; None for other sources."""
        src = self._source()
        if not has_credentials(src):
            return None
        data = concat_script(src, self.ctx.settings.io_timeout_seconds).encode("utf-8")
        if len(data) > MAX_SCRIPT:  # would not fit the pipe's buffer at once
            log.warning("source URL too long for a concat script", extra={"chid": self.chid})
            return None
        read, write = os.pipe()
        try:
            os.write(write, data)
        except BaseException:
            os.close(read)
            raise
        finally:
            os.close(write)
        return read

    def _prepare_dirs(self) -> None:
        prepare_run_dirs(self.chdir)

    async def execute(self) -> RunResult:
        hub = self.ingest.hub
        if self.ctx.record:
            await asyncio.to_thread(self._prepare_dirs)
        live_r, live_w = os.pipe() if hub is not None else (None, None)
        script = self._script_pipe()
        try:
            argv = self._argv(live_w, script)
            passed = tuple(fd for fd in (live_w, script) if fd is not None)
            self._proc = await self.ctx.launcher.launch(argv, passed)
        except BaseException:
            if live_r is not None:
                os.close(live_r)
            raise
        finally:
            for fd in (live_w, script):
                if fd is not None:
                    os.close(fd)
        self.started = True
        live = await self._open_live(hub, live_r)
        return await self._follow(self._proc, [] if live is None else [live])

    async def _follow(self, proc: Process, pipes: list[asyncio.Future[None]]) -> RunResult:
        readers = [
            asyncio.create_task(self._read_progress(proc)),
            asyncio.create_task(self._read_messages(proc)),
        ]
        watchdog = asyncio.create_task(self._watch(proc))
        try:
            await proc.wait()
        finally:
            watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watchdog
            await asyncio.gather(*readers, return_exceptions=True)
            for done in pipes:
                await within(self.ctx.clock, asyncio.shield(done), PIPE_END_SECONDS)
            self._finish()
        return self._result(proc.returncode)

    def _result(self, rc: int | None) -> RunResult:
        ing = self.ingest
        log.info(
            "ingest ended",
            extra={
                "chid": self.chid,
                "run": self.run_id,
                "returncode": rc,
                "stalled": self.stalled,
            },
        )
        if ing._stopping or (self._restart.is_set() and not self.stalled):
            return RunResult(None, self.connected)
        if ing.spec.kind == "file" and ing.spec.playback == "once" and rc == 0:
            return RunResult(ChannelStatus.PLAYBACK_COMPLETE, self.connected)
        if self.stalled:
            return RunResult(ChannelStatus.TIMEOUT, self.connected)
        return RunResult(classify_failure(self.errors, ing.spec.kind), self.connected)

    async def _open_live(self, hub: LiveHub | None, fd: int | None) -> asyncio.Future[None] | None:
        """Feed the low-latency stream from ``fd`` into the hub until ffmpeg closes it."""
        if fd is None or hub is None:
            return None
        hub.start_stream()
        eager = functools.partial(_watched, hub)
        return asyncio.ensure_future(
            read_pipe_paced(fd, _LiveFeed(hub), eager, self.ctx.clock.sleep)
        )

    async def _watch(self, proc: Process) -> None:
        """Kill a process whose media time stops advancing; end it for a restart."""
        clock = self.ctx.clock
        stall = self.ctx.settings.stall_seconds
        while proc.returncode is None:
            before = clock.monotonic()
            if await wait_set(clock, self._restart, WATCH_INTERVAL):  # at once, not a second on
                await self.end()
                return
            late = clock.monotonic() - before - WATCH_INTERVAL
            if late > LATE_WAKEUP:
                self.last_advance += late
            if clock.monotonic() - self.last_advance > stall:
                log.warning("stream stalled; restarting", extra={"chid": self.chid})
                self.stalled = True
                proc.kill()
                return

    async def end(self) -> None:
        """Ask ffmpeg to finish (once: a second SIGINT makes it abort mid-file) and wait;
        kill it when it does not finish in time. Before the start: end it once started."""
        self._restart.set()
        proc = self._proc
        if proc is None or proc.returncode is not None:
            return
        if not self._interrupted:
            self._interrupted = True
            proc.interrupt()  # ffmpeg closes the segment properly
        done, _ = await within(self.ctx.clock, proc.wait(), STOP_GRACE_SECONDS)
        if not done:
            proc.kill()
            await proc.wait()

    # -- ffmpeg output ---------------------------------------------------------

    async def _read_progress(self, proc: Process) -> None:
        block: dict[str, str] = {}
        async for line in proc.stdout_lines():
            key, _, value = line.strip().partition("=")
            if key != "progress":
                block[key] = value
                continue
            self._on_progress(block)
            block = {}

    def _on_progress(self, block: dict[str, str]) -> None:
        try:
            media_ms = int(block.get("out_time_us", "N/A")) // 1000
            frames = int(block.get("frame", "0"))
        except ValueError:
            return
        if frames <= 0 or media_ms < 0:
            return
        clock = self.ctx.clock
        if self.timeline.progress(clock.now_ms(), media_ms):
            self.last_advance = clock.monotonic()
        if not self.connected:
            self.connected = True
            self.ingest._set_status(ChannelStatus.CONNECTED)
            log.info("stream connected", extra={"chid": self.chid})
        self.ingest._set_recording(True, self.timeline.recording)

    async def _read_messages(self, proc: Process) -> None:
        async for line in proc.stderr_lines():
            started = parse_segment_start(line)
            if started is not None:
                self._on_segment_start(Path(started.path), started.stream_time)
            elif line and not line.startswith(("frame=", "  ")):
                self.errors.append(line)

    def _on_segment_start(self, path: Path, media_s: float) -> None:
        path = path.absolute()  # storage roots are absolute; this only guards a bad config
        worker = self.ingest.worker
        start, cut = self.timeline.segment_started(
            path, round(media_s * 1000), self.ctx.clock.now_ms()
        )
        if cut is not None:
            worker.put(self._finished(cut))
        worker.put(JournalLine(self.journal, path.relative_to(self.root).as_posix(), start))
        self.ingest._set_recording(self.connected, True)
        if self.ctx.writable_root() != self.root:
            self._restart.set()

    def _finished(self, cut: Cut) -> Finished:
        return Finished(
            self.chid,
            self.root,
            cut.path,
            cut.start_ms,
            cut.duration_ms,
            run=self.run_id,
            stream=self.ctx.stream,
        )

    def _finish(self) -> None:
        """The process is gone: queue its last segment, then the end of the run."""
        cut = self.timeline.ended()
        if cut is not None:
            self.ingest.worker.put(self._finished(cut))
        self.ingest.worker.put(RunEnded(self.journal))


def _watched(hub: LiveHub) -> bool:
    """Low-latency viewers wait for every frame; HLS and the frame source do not."""
    return hub.viewer_count > 0


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

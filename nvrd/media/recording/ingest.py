"""One channel's ingest: the supervision loop around its ffmpeg runs.

:meth:`ChannelIngest._supervise` starts one run after another (a run is one
ffmpeg process, :mod:`.run`), sets the guide's status codes and waits with
backoff between failed runs. It and the channel's :class:`IndexWorker` run
under the service's :class:`~nvrd.core.supervisor.Supervisor`: an unexpected
error (ffmpeg missing, storage unwritable) is logged, reported (status 503 on
the channel, a system event) and the loop starts again after a backoff,
never dying silently. A global :class:`~nvrd.core.ratelimit.StartLimiter`
spreads process starts out so that many failing channels cannot start a
restart storm.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from nvrd.channels.status import StatusBoard
from nvrd.config import RecordingSettings
from nvrd.core.channelspec import ChannelSpec
from nvrd.core.clock import Clock, wait_set, within
from nvrd.core.ratelimit import StartLimiter
from nvrd.core.statuscodes import ChannelStatus
from nvrd.core.supervisor import Reporter, Supervised, Supervisor
from nvrd.media.live.hub import LiveHub
from nvrd.media.recording.indexworker import IndexWorker
from nvrd.media.recording.launcher import Launcher
from nvrd.media.recording.run import Run, RunResult
from nvrd.store.recordings import RecordingIndex

log = logging.getLogger("nvrd.ingest")

#: How long a stop waits for the runs to end before it gives up on them.
STOP_LIMIT_SECONDS = 60.0


@dataclass(frozen=True)
class IngestContext:
    """What every channel's ingest shares."""

    ffmpeg: str
    settings: RecordingSettings
    launcher: Launcher
    clock: Clock
    index: RecordingIndex
    board: StatusBoard
    writable_root: Callable[[], Path | None]
    supervisor: Supervisor
    limiter: StartLimiter | None = None
    on_segment: Callable[[int, int], None] | None = None
    #: Which of the channel's streams this ingest pulls (``main`` or ``sub``), and whether
    #: it records it (a sub stream that is not recorded only feeds its live hub).
    stream: str = "main"
    record: bool = True


class ChannelIngest:
    def __init__(
        self,
        chid: int,
        spec: ChannelSpec,
        ctx: IngestContext,
        on_status: Callable[[int], None],
        hub: LiveHub | None = None,
        on_failure: Reporter | None = None,
    ):
        self.chid = chid
        self.spec = spec
        self.ctx = ctx
        self.on_status = on_status
        #: Where the run's second output goes: the live stream (low latency, HLS, and the
        #: frame source of analytics); None: recording only.
        self.hub = hub
        self.on_failure = on_failure
        self.worker = IndexWorker(ctx.index, ctx.on_segment)
        self.runs = 0
        self._run: Run | None = None
        self._stopping = False
        self._stop_event = asyncio.Event()
        self._tasks: list[Supervised] = []

    @property
    def name(self) -> str:
        """``ch<N>``, or ``ch<N>sub`` for a sub stream (task names, logs)."""
        stream = self.ctx.stream
        return f"ch{self.chid}" if stream == "main" else f"ch{self.chid}{stream}"

    # -- lifecycle ---------------------------------------------------------

    def start(self) -> None:
        sup = self.ctx.supervisor
        self._tasks = [
            sup.spawn(f"index-{self.name}", self.worker.run, reporter=self.on_failure),
            sup.spawn(f"ingest-{self.name}", self._supervise, reporter=self._failed),
        ]

    async def stop(self) -> None:
        """End the process gracefully and index what it wrote, then stop.

        The run is never cancelled: its end queues the last segment, and the stop
        waits for that row (bounded: the process is killed when it does not finish).
        """
        self._stopping = True
        self._stop_event.set()
        index_task, ingest_task = self._tasks or (None, None)
        if ingest_task is not None:
            ingest_task.finish()
        if self._run is not None:
            await self._run.end()
        if ingest_task is not None:
            done, _ = await within(self.ctx.clock, ingest_task.join(), STOP_LIMIT_SECONDS)
            if not done:
                log.error("ingest did not stop; abandoned", extra={"chid": self.chid})
                await ingest_task.cancel()
        self.worker.close()
        if index_task is not None:
            index_task.finish()
            await index_task.join()
        for task in self._tasks:  # done: gone from the supervisor's list
            if self.ctx.supervisor.get(task.name) is task:
                await self.ctx.supervisor.cancel(task.name)

    def switch_root(self) -> None:
        """End the current run so that the next one writes to the newly chosen root."""
        if self._run is not None:
            self._run.request_restart()

    @property
    def pid(self) -> int | None:
        return self._run.pid if self._run is not None else None

    # -- status --------------------------------------------------------------

    def _set_status(self, code: int) -> None:
        state = self.ctx.board.state(self.chid)
        if state.code != code:
            state.code = code
            self.on_status(code)

    def _set_recording(self, streaming: bool, recording: bool, failed: bool = False) -> None:
        failed_at = self.ctx.clock.now() if failed else None
        self.ctx.board.set_recording(self.chid, streaming, recording, failed_at)

    def _failed(self, name: str, exc: BaseException, restarts: int) -> None:
        """The supervision loop itself failed: show it on the channel, tell the owner."""
        self._run = None
        self._set_status(ChannelStatus.SERVICE_FAILURE)
        self._set_recording(False, False, failed=True)
        if self.on_failure is not None:
            self.on_failure(name, exc, restarts)

    async def _sleep(self, seconds: float) -> None:
        await wait_set(self.ctx.clock, self._stop_event, seconds)

    # -- supervision -----------------------------------------------------------

    async def _supervise(self) -> None:
        attempt = 0
        first = True
        settings = self.ctx.settings
        while not self._stopping:
            root = self.ctx.writable_root()
            if root is None and not self.ctx.record:
                root = Path(".")  # nothing is written
            if root is None:
                self._set_recording(False, False, failed=True)
                log.error("no writable storage", extra={"chid": self.chid})
                await self._sleep(settings.max_backoff_seconds)
                continue
            if self.spec.kind == "file" and not Path(self.spec.source).is_file():
                self._set_status(ChannelStatus.NO_FILE)
                await self._sleep(max(1.0, settings.max_backoff_seconds))
                continue
            self._set_status(ChannelStatus.CONNECTING if first else ChannelStatus.RECONNECTING)
            first = False
            result = await self._run_once(root)
            if self._stopping:
                break
            if result.connected:
                attempt = 0
            code = result.failure
            if code == ChannelStatus.PLAYBACK_COMPLETE:
                self._set_status(code)
                return
            if code is not None:
                self._set_status(code)
                self._set_recording(False, False, failed=True)
                delay = min(settings.max_backoff_seconds, 0.5 * (2**attempt))
                attempt += 1
                await self._sleep(delay)

    async def _start_token(self) -> bool:
        """Wait for the global start limit; False when the ingest is stopped meanwhile (a
        stop must not wait behind every other channel's turn)."""
        assert self.ctx.limiter is not None
        token = asyncio.ensure_future(self.ctx.limiter.acquire())
        stop = asyncio.ensure_future(self._stop_event.wait())
        try:
            await asyncio.wait((token, stop), return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
            if not token.done():
                token.cancel()
        return token.done() and not token.cancelled() and not self._stopping

    async def _run_once(self, root: Path) -> RunResult:
        if self.ctx.limiter is not None and not await self._start_token():
            return RunResult(None, False)
        run = Run(self, root)
        self._run = run
        self.runs += 1
        try:
            return await run.execute()
        finally:
            self._run = None
            self._set_recording(False, False)
            hub = self.hub
            if hub is not None and run.started:
                hub.end_stream(self.ctx.board.state(self.chid).code)

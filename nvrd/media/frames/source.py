"""One channel's frame source: decoded pictures for whoever subscribes (docs/design/frames.md).

The source listens to the channel's live hub (the fragmented MP4 that the
ingest's ffmpeg already writes for the live stream: no second camera
connection) and, while at least one subscriber wants pictures, runs one
decoder process that turns those fragments into raw pictures of each
distinct size, format and rate asked for. Nothing is decoded while nobody
subscribes. With keyframe-only subscribers (motion) only keyframes are fed.

Nothing here can slow the recording or the event loop: fragments are
written to the decoder without waiting, and when the decoder falls behind
(more than :data:`INPUT_LIMIT` bytes waiting) fragments are dropped until
the next keyframe; a subscriber that does not take its pictures loses the
oldest (it keeps at most ``maxsize``). :meth:`FrameSource.stats` reports
what it costs: fragments fed and dropped, pictures made and dropped, the
decoder's CPU seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import psutil

from nvrd.core.clock import Clock, wait_set, within
from nvrd.core.supervisor import Supervised, Supervisor
from nvrd.media.frames.spec import FrameSpec, decoder_args, keyframes_only
from nvrd.media.live.fmp4 import Piece
from nvrd.media.live.hub import LiveHub
from nvrd.media.motion.detector import FrameSplitter
from nvrd.media.pipes import read_pipe
from nvrd.media.recording.launcher import die_with_parent

log = logging.getLogger("nvrd.frames")

#: Bytes that may wait for the decoder before fragments are dropped (a few GOPs of 1080p).
INPUT_LIMIT = 8 * 1024 * 1024
#: How long a decoder gets to finish after its input is closed.
END_GRACE_SECONDS = 2.0
#: How often the decoder's CPU time is sampled.
CPU_SAMPLE_SECONDS = 1.0


@dataclass(frozen=True)
class Frame:
    data: bytes
    spec: FrameSpec
    wall_ms: int  # when the decoder handed it over
    seq: int  # per source, counting every picture made


class FrameSubscription:
    """Pictures of one spec: to ``on_frame`` as they come, or queued (newest ``maxsize``)."""

    def __init__(
        self,
        source: FrameSource,
        spec: FrameSpec,
        *,
        on_frame: Callable[[Frame], None] | None = None,
        on_error: Callable[[Iterable[str]], None] | None = None,
        maxsize: int = 2,
        optional: bool = False,
        name: str = "",
    ):
        self.source = source
        self.spec = spec
        self.on_frame = on_frame
        self.on_error = on_error
        self.optional = optional  # shed first when the box is saturated
        self.name = name
        self.received = 0
        self.dropped = 0
        self._queue: deque[Frame] = deque(maxlen=max(1, maxsize))
        self._ready = asyncio.Event()
        self.closed = False

    def deliver(self, frame: Frame) -> None:
        self.received += 1
        if self.on_frame is not None:
            self.on_frame(frame)
            return
        if len(self._queue) == self._queue.maxlen:
            self.dropped += 1
        self._queue.append(frame)
        self._ready.set()

    async def next(self) -> Frame | None:
        """The oldest queued picture, waiting for one; None once closed."""
        while not self._queue:
            if self.closed:
                return None
            self._ready.clear()
            await self._ready.wait()
        return self._queue.popleft()

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._ready.set()
            self.source.unsubscribe(self)


@dataclass
class FrameStats:
    decoding: bool = False
    specs: list[FrameSpec] = field(default_factory=list)
    decoder_starts: int = 0
    fed_fragments: int = 0
    dropped_fragments: int = 0
    frames: int = 0
    dropped_frames: int = 0
    cpu_seconds: float = 0.0


class FrameSource:
    def __init__(
        self,
        chid: int,
        hub: LiveHub,
        ffmpeg: str,
        clock: Clock,
        supervisor: Supervisor,
        tag: str = "",
    ):
        self.chid = chid
        self.tag = tag  # tells apart the supervised decoders of two sources of one channel
        self.hub = hub
        self.ffmpeg = ffmpeg
        self.clock = clock
        self.supervisor = supervisor
        self.shed = False  # optional subscribers paused (box saturated)
        self._subs: list[FrameSubscription] = []
        self._running: tuple[FrameSpec, ...] = ()
        self._proc: asyncio.subprocess.Process | None = None
        self._skipping = True  # dropping until the next keyframe
        self._stale = False  # the stream changed under the running decoder
        self._changed = asyncio.Event()
        self._closed = False
        self._seq = 0
        self._cpu_done = 0.0
        self._cpu_now = 0.0
        self._stats = FrameStats()
        self._task: Supervised | None = None
        hub.taps.append(self._on_piece)

    # -- subscribers ---------------------------------------------------------

    def subscribe(
        self,
        spec: FrameSpec,
        *,
        on_frame: Callable[[Frame], None] | None = None,
        on_error: Callable[[Iterable[str]], None] | None = None,
        maxsize: int = 2,
        optional: bool = False,
        name: str = "",
    ) -> FrameSubscription:
        """Pictures of ``spec`` from now on (see :class:`FrameSubscription`)."""
        if self._closed:
            raise RuntimeError("frame source closed")
        sub = FrameSubscription(
            self,
            spec,
            on_frame=on_frame,
            on_error=on_error,
            maxsize=maxsize,
            optional=optional,
            name=name,
        )
        self._subs.append(sub)
        if self._task is None:
            self._task = self.supervisor.spawn(self._task_name, self._run)
        self._changed.set()
        return sub

    def unsubscribe(self, sub: FrameSubscription) -> None:
        if sub in self._subs:
            self._subs.remove(sub)
            self._changed.set()

    def move_to(self, hub: LiveHub) -> None:
        """Take the pictures from another stream of the channel (its camera's sub stream
        came or went): the decoder starts again on that stream; subscribers stay."""
        if hub is self.hub or self._closed:
            return
        with contextlib.suppress(ValueError):
            self.hub.taps.remove(self._on_piece)
        self.hub = hub
        hub.taps.append(self._on_piece)
        self._stale = True
        self._changed.set()

    def set_shed(self, shed: bool) -> None:
        if shed != self.shed:
            self.shed = shed
            self._changed.set()

    @property
    def _task_name(self) -> str:
        return f"frames-ch{self.chid}" + (f"-{self.tag}" if self.tag else "")

    def wanted(self) -> tuple[FrameSpec, ...]:
        """The distinct specs to decode now (in subscription order)."""
        out: list[FrameSpec] = []
        for s in self._subs:
            if (self.shed and s.optional) or s.spec in out:
                continue
            out.append(s.spec)
        return tuple(out)

    def stats(self) -> FrameStats:
        st = self._stats
        st.decoding = self._proc is not None and self._proc.returncode is None
        st.specs = list(self._running)
        st.dropped_frames = sum(s.dropped for s in self._subs)
        st.cpu_seconds = self._cpu_done + self._cpu_now
        return st

    async def close(self) -> None:
        self._closed = True
        self._changed.set()
        with contextlib.suppress(ValueError):
            self.hub.taps.remove(self._on_piece)
        task, self._task = self._task, None
        if task is not None:
            task.finish()
            await within(self.clock, task.join(), END_GRACE_SECONDS + 3)
            await self.supervisor.cancel(self._task_name)  # gone from the supervisor
        for s in list(self._subs):
            s.close()

    # -- input ------------------------------------------------------------------

    def _on_piece(self, piece: Piece) -> None:
        if piece.kind != "fragment":  # a new stream, or its end: the decoder must restart,
            self._stale = True  # and gets nothing of the new stream meanwhile
            self._changed.set()
            return
        proc = self._proc
        if proc is None or proc.stdin is None or proc.stdin.is_closing() or self._stale:
            return
        if not piece.keyframe and keyframes_only(self._running):
            return
        if piece.keyframe:
            transport = proc.stdin.transport
            self._skipping = transport.get_write_buffer_size() > INPUT_LIMIT
        if self._skipping:
            self._stats.dropped_fragments += 1
            return
        self._stats.fed_fragments += 1
        proc.stdin.write(piece.data)

    # -- the decoder ------------------------------------------------------------

    async def _run(self) -> None:
        """Keep a decoder running for what is wanted; raise when one fails (supervised)."""
        while not self._closed:
            self._changed.clear()
            want = self.wanted()
            if not want or self.hub.init is None:
                await wait_set(self.clock, self._changed, 3600)
                continue
            await self._decode(want)

    async def _decode(self, want: tuple[FrameSpec, ...]) -> None:
        pipes = [os.pipe() for _ in want]
        try:
            proc = await asyncio.create_subprocess_exec(
                *decoder_args(self.ffmpeg, want, [w for _, w in pipes]),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
                preexec_fn=die_with_parent,
                start_new_session=True,
                pass_fds=[w for _, w in pipes],
            )
        except BaseException:
            for r, _ in pipes:
                os.close(r)
            raise
        finally:
            for _, w in pipes:
                os.close(w)
        self._proc, self._running = proc, want
        self._stats.decoder_starts += 1
        log.info("frame decoder started", extra={"chid": self.chid, "specs": len(want)})
        outputs = [await self._read(r, spec) for (r, _), spec in zip(pipes, want, strict=True)]
        self._start_feed(proc)
        errors = asyncio.ensure_future(_tail(proc.stderr))
        try:
            await self._follow(proc)
        finally:
            if proc.returncode is None:
                proc.kill()
            await proc.wait()
            for done in outputs:
                await within(self.clock, asyncio.shield(done), END_GRACE_SECONDS)
            self._proc, self._running = None, ()
            self._cpu_done += self._cpu_now
            self._cpu_now = 0.0
        lines = await errors
        if proc.returncode not in (0, None) and not self._changed.is_set() and not self._closed:
            for s in list(self._subs):
                if s.on_error is not None:
                    s.on_error(lines)
            raise RuntimeError(f"frame decoder exited with {proc.returncode}: {' | '.join(lines)}")

    def _start_feed(self, proc: asyncio.subprocess.Process) -> None:
        """The init segment and the fragments since the last keyframe: decoding starts now."""
        assert proc.stdin is not None and self.hub.init is not None
        proc.stdin.write(self.hub.init)
        self._skipping = True
        self._stale = False
        for data, keyframe in self.hub.gop():
            self._on_piece(Piece("fragment", data, keyframe))

    async def _follow(self, proc: asyncio.subprocess.Process) -> None:
        """Until the process ends, or what is wanted changes (then end it gracefully)."""
        while proc.returncode is None:
            self._sample_cpu(proc.pid)
            if await wait_set(self.clock, self._changed, CPU_SAMPLE_SECONDS):
                same = self.wanted() == self._running and self.hub.init is not None
                same = same and not self._stale
                if same and not self._closed:
                    self._changed.clear()
                    continue
                if proc.stdin is not None:
                    proc.stdin.close()
                await within(self.clock, proc.wait(), END_GRACE_SECONDS)
                return

    def _sample_cpu(self, pid: int) -> None:
        with contextlib.suppress(psutil.Error):
            t = psutil.Process(pid).cpu_times()
            self._cpu_now = t.user + t.system

    async def _read(self, fd: int, spec: FrameSpec) -> asyncio.Future[None]:
        splitter = FrameSplitter(spec.frame_size)

        def on_data(data: bytes) -> None:
            for picture in splitter.push(data):
                self._seq += 1
                self._stats.frames += 1
                frame = Frame(picture, spec, self.clock.now_ms(), self._seq)
                for s in list(self._subs):
                    if s.spec == spec and not (self.shed and s.optional):
                        s.deliver(frame)

        return await read_pipe(fd, on_data)


async def _tail(stream: asyncio.StreamReader | None, keep: int = 20) -> list[str]:
    lines: deque[str] = deque(maxlen=keep)
    if stream is not None:
        async for raw in stream:
            lines.append(raw.decode("utf-8", "replace").rstrip())
    return list(lines)

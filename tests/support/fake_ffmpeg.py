"""A scripted stand-in for the ingest's ffmpeg process, for unit tests of the ingest.

It implements :class:`nvrd.media.recording.launcher.Process`: it plays a script
of steps — progress reports on stdout, messages on stderr, segment files
copied into the run's ``writing/`` pattern (announced the way ffmpeg's
segment muxer announces them), waits on the injected clock — and reacts to
``interrupt`` (the rest of the script runs: the last segment is finished)
and ``kill`` (it ends at once). Real ffmpeg is tested in tests/integration;
this one makes the supervision, timing and stop paths deterministic.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from nvrd.core.clock import Clock


@dataclass(frozen=True)
class Progress:
    """One ``-progress`` block: media time reached, frames so far."""

    media_ms: int
    frames: int = 25


@dataclass(frozen=True)
class Err:
    line: str


@dataclass(frozen=True)
class Segment:
    """ffmpeg opens segment ``n`` (its file a copy of ``source``) at media time ``media_s``."""

    n: int
    media_s: float
    source: Path


@dataclass(frozen=True)
class Sleep:
    seconds: float


@dataclass(frozen=True)
class Hang:
    """Wait until interrupted (then go on with the script) or killed; with ``live``, keep
    reporting progress every ``live`` seconds meanwhile, as a camera that keeps sending."""

    live: float | None = None


@dataclass(frozen=True)
class Exit:
    code: int = 0


Step = Progress | Err | Segment | Sleep | Hang | Exit
Script = Callable[[int, Sequence[str]], list[Step]]


def output_pattern(argv: Sequence[str]) -> str:
    """The segment pattern of an ingest command line (``.../writing/<run>-%06d.mp4``; ""
    for an ingest that does not record)."""
    return next((a for a in argv if a.endswith("-%06d.mp4")), "")


class FakeProcess:
    _next_pid = 90_000

    def __init__(self, argv: Sequence[str], script: list[Step], clock: Clock):
        FakeProcess._next_pid += 1
        self.argv = list(argv)
        self.clock = clock
        self.input = ""  # the URL opened (set by the launcher)
        self.interrupts = 0
        self.killed = False
        self.media_ms = 0
        self.started_at = clock.monotonic()
        self._pid = FakeProcess._next_pid
        self._rc: int | None = None
        self._out: asyncio.Queue[str | None] = asyncio.Queue()
        self._err: asyncio.Queue[str | None] = asyncio.Queue()
        self._signal = asyncio.Event()
        self._done = asyncio.Event()
        self._player = asyncio.create_task(self._play(script))

    @property
    def pid(self) -> int | None:
        return self._pid if self._rc is None else None

    @property
    def returncode(self) -> int | None:
        return self._rc

    async def _lines(self, queue: asyncio.Queue[str | None]) -> AsyncIterator[str]:
        while (line := await queue.get()) is not None:
            yield line

    def stdout_lines(self) -> AsyncIterator[str]:
        return self._lines(self._out)

    def stderr_lines(self) -> AsyncIterator[str]:
        return self._lines(self._err)

    async def wait(self) -> int:
        await self._done.wait()
        assert self._rc is not None
        return self._rc

    def interrupt(self) -> None:
        self.interrupts += 1
        self._signal.set()

    def kill(self) -> None:
        if self._rc is None:
            self.killed = True
            self._player.cancel()
            self._end(-9)

    def _end(self, code: int) -> None:
        if self._rc is not None:
            return
        self._rc = code
        self._out.put_nowait(None)
        self._err.put_nowait(None)
        self._done.set()

    def _progress(self, media_ms: int, frames: int) -> None:
        self.media_ms = max(self.media_ms, media_ms)
        for line in (f"frame={frames}", f"out_time_us={media_ms * 1000}", "progress=continue"):
            self._out.put_nowait(line)

    async def _hang(self, live: float | None) -> None:
        """Media time follows the clock, as a real-time camera's does (other tasks sleeping
        on a fake clock move it too)."""
        last = self.clock.monotonic()
        while not self._signal.is_set():
            if live is None:
                await self._signal.wait()
                return
            await self.clock.sleep(live)
            now = self.clock.monotonic()
            self._progress(self.media_ms + round((now - last) * 1000), 25)
            last = now

    async def _play(self, script: list[Step]) -> None:
        pattern = output_pattern(self.argv)
        for step in script:
            if isinstance(step, Progress):
                self._progress(step.media_ms, step.frames)
            elif isinstance(step, Err):
                self._err.put_nowait(step.line)
            elif isinstance(step, Segment):
                path = pattern % step.n
                shutil.copyfile(step.source, path)
                self._err.put_nowait(
                    f"[segment @ 0x5581] segment:'{path}' starts with packet stream:0 "
                    f"pts:{round(step.media_s * 90000)} pts_time:{step.media_s:g}"
                )
            elif isinstance(step, Sleep):
                await self.clock.sleep(step.seconds)
            elif isinstance(step, Hang):
                await self._hang(step.live)
            else:
                self._end(step.code)
                return
            await asyncio.sleep(0)
        self._end(0)


class FakeLauncher:
    """Starts :class:`FakeProcess` es; ``script(n, argv)`` gives the steps of launch ``n``."""

    def __init__(self, script: Script, clock: Clock):
        self.script = script
        self.clock = clock
        self.processes: list[FakeProcess] = []

    async def launch(self, argv: Sequence[str], pass_fds: Sequence[int] = ()) -> FakeProcess:
        proc = FakeProcess(argv, self.script(len(self.processes), argv), self.clock)
        proc.input = opened_input(argv, pass_fds)
        self.processes.append(proc)
        return proc


def opened_input(argv: Sequence[str], pass_fds: Sequence[int]) -> str:
    """What ffmpeg would open: the ``-i`` argument, or the URL of the ffconcat script a
    source with a password is handed through (``-f concat ... -i pipe:N``, N passed)."""
    given = argv[argv.index("-i") + 1] if "-i" in argv else ""
    fd = int(given[5:]) if given.startswith("pipe:") and given[5:].isdigit() else -1
    if fd not in pass_fds or "concat" not in argv:
        return given
    script = os.read(fd, 1 << 16).decode("utf-8")
    line = next(x for x in script.splitlines() if x.startswith("file '"))
    return line[len("file '") : -1].replace("'\\''", "'")

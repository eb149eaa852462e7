"""Starting the ingest's ffmpeg, behind a small protocol that tests can replace.

:class:`FfmpegLauncher` starts the real process: no shell, stdin closed, in
its own session (a terminal's Ctrl-C reaches only nvrd, which then stops
ffmpeg with one SIGINT so that it closes its segment), and with
``PR_SET_PDEATHSIG=SIGKILL`` so that it dies with nvrd even when nvrd is
killed. The ingest sees only :class:`Process`: two line streams, ``wait``,
``interrupt`` and ``kill``.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import signal
from collections.abc import AsyncIterator, Sequence
from typing import Protocol

_PR_SET_PDEATHSIG = 1


class Process(Protocol):
    @property
    def pid(self) -> int | None: ...

    @property
    def returncode(self) -> int | None: ...

    def stdout_lines(self) -> AsyncIterator[str]:
        """Progress lines (``key=value``), until the process closes its stdout."""
        ...

    def stderr_lines(self) -> AsyncIterator[str]:
        """Message lines, until the process closes its stderr."""
        ...

    async def wait(self) -> int: ...

    def interrupt(self) -> None:
        """Ask it to finish (ffmpeg: close the files properly and exit)."""
        ...

    def kill(self) -> None: ...


class Launcher(Protocol):
    async def launch(self, argv: Sequence[str], pass_fds: Sequence[int] = ()) -> Process:
        """Start ``argv``; ``pass_fds`` stay open in the child. Raises ``OSError`` when the
        program cannot be started (missing, not executable)."""
        ...


def die_with_parent() -> None:  # runs in the child between fork and exec
    """``PR_SET_PDEATHSIG=SIGKILL``: the child dies with nvrd (``preexec_fn``)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


async def _lines(stream: asyncio.StreamReader | None) -> AsyncIterator[str]:
    if stream is None:
        return
    async for raw in stream:
        yield raw.decode("utf-8", "replace").rstrip("\r\n")


class OsProcess:
    def __init__(self, proc: asyncio.subprocess.Process):
        self._proc = proc

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc.returncode is None else None

    @property
    def returncode(self) -> int | None:
        return self._proc.returncode

    def stdout_lines(self) -> AsyncIterator[str]:
        return _lines(self._proc.stdout)

    def stderr_lines(self) -> AsyncIterator[str]:
        return _lines(self._proc.stderr)

    async def wait(self) -> int:
        return await self._proc.wait()

    def interrupt(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self._proc.send_signal(signal.SIGINT)

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self._proc.kill()


class FfmpegLauncher:
    async def launch(self, argv: Sequence[str], pass_fds: Sequence[int] = ()) -> Process:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            preexec_fn=die_with_parent,
            start_new_session=True,
            pass_fds=tuple(pass_fds),
        )
        return OsProcess(proc)

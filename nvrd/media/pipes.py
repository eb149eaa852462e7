"""Reading a pipe from a child process in the event loop, without copies or waiting."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Awaitable, Callable


class _PipeReader(asyncio.Protocol):
    def __init__(
        self,
        on_data: Callable[[bytes], None],
        on_end: Callable[[], None] | None,
        done: asyncio.Future[None],
    ):
        self.on_data = on_data
        self.on_end = on_end
        self.done = done

    def data_received(self, data: bytes) -> None:
        self.on_data(data)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.on_end is not None:
            self.on_end()
        if not self.done.done():
            self.done.set_result(None)


async def read_pipe(
    fd: int, on_data: Callable[[bytes], None], on_end: Callable[[], None] | None = None
) -> asyncio.Future[None]:
    """Hand what arrives on ``fd`` to ``on_data`` as it arrives; ``on_end`` runs when the
    writer closes it, and the returned future is then done. ``fd`` is taken over."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[None] = loop.create_future()
    await loop.connect_read_pipe(
        lambda: _PipeReader(on_data, on_end, done), os.fdopen(fd, "rb", buffering=0)
    )
    return done


async def _readable(loop: asyncio.AbstractEventLoop, fd: int) -> None:
    ready: asyncio.Future[None] = loop.create_future()

    def wake() -> None:
        if not ready.done():
            ready.set_result(None)

    loop.add_reader(fd, wake)
    try:
        await ready
    finally:
        loop.remove_reader(fd)


#: ``fcntl.F_SETPIPE_SZ`` (Linux): how many bytes a pipe holds.
_F_SETPIPE_SZ = 1031
PIPE_BYTES = 1 << 20


def _enlarge(fd: int) -> None:
    import fcntl

    # above /proc/sys/fs/pipe-max-size for this user: the default size stays
    with contextlib.suppress(OSError):
        fcntl.fcntl(fd, _F_SETPIPE_SZ, PIPE_BYTES)


async def read_pipe_paced(
    fd: int,
    on_data: Callable[[bytes], None],
    eager: Callable[[], bool],
    sleep: Callable[[float], Awaitable[None]],
    idle_seconds: float = 0.25,
) -> None:
    """Read ``fd`` until its writer closes it: at once while ``eager()`` (someone waits for
    every byte as it comes), else every ``idle_seconds`` in one go (a few reads a second
    instead of one per write). The writer must not mind waiting that long: the ingest's live
    output queues in ffmpeg (``ffargs.live_pipe_output``). ``fd`` is taken over."""
    loop = asyncio.get_running_loop()
    os.set_blocking(fd, False)
    _enlarge(fd)
    try:
        while True:
            while True:
                try:
                    data = os.read(fd, PIPE_BYTES)
                except BlockingIOError:
                    break
                if not data:
                    return
                on_data(data)
            if eager():
                await _readable(loop, fd)
            else:
                await sleep(idle_seconds)
    finally:
        os.close(fd)

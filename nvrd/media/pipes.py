"""Reading a pipe from a child process in the event loop, without copies or waiting."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable


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

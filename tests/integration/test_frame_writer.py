"""The server's websocket frame writer (``nvrd.frame_writer``), on a real uvicorn server with
nvrd's websocket protocol and a real websocket client: frames it writes arrive whole, it
refuses before the handshake is accepted, while the client does not read (the buffer is
full) and after the socket closed."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
import uvicorn
from websockets.asyncio.client import connect

from nvrd.api.fanout import FRAME_WRITER, text_frame
from nvrd.cli.protocols import BoundedWebSocketProtocol


class App:
    """Accepts a websocket, then does what the test asks through ``orders``."""

    def __init__(self) -> None:
        self.writers: asyncio.Queue[Any] = asyncio.Queue()
        self.closed = asyncio.Event()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        assert scope["type"] == "websocket"
        writer = scope["extensions"][FRAME_WRITER]
        await receive()  # websocket.connect
        before = writer(text_frame("too early"))
        await send({"type": "websocket.accept"})
        await self.writers.put((writer, before))
        while (await receive())["type"] != "websocket.disconnect":
            pass
        self.closed.set()


@pytest.fixture
async def served() -> AsyncIterator[tuple[App, str]]:
    app = App()
    config = uvicorn.Config(
        app, "127.0.0.1", 0, ws=BoundedWebSocketProtocol, lifespan="off", log_level="error"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield app, f"ws://127.0.0.1:{port}/"
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 10)


async def test_written_frames_arrive_whole_and_in_order(served: tuple[App, str]) -> None:
    app, url = served
    async with connect(url) as client:
        writer, before = await asyncio.wait_for(app.writers.get(), 5)
        assert before is False  # not accepted yet
        texts = ["a", "é" * 100, "x" * 70_000, "{}"]  # 7-bit, 16-bit and 64-bit lengths
        assert all(writer(text_frame(t)) for t in texts)
        got = [await asyncio.wait_for(client.recv(), 5) for _ in texts]
        assert got == texts
        # several frames in one write (the fan-out's batch) are as many messages
        assert writer(b"".join(text_frame(t) for t in texts))
        got = [await asyncio.wait_for(client.recv(), 5) for _ in texts]
        assert got == texts
    await asyncio.wait_for(app.closed.wait(), 5)
    assert writer(text_frame("gone")) is False


async def test_a_client_that_does_not_read_fills_the_buffer_and_is_refused(
    served: tuple[App, str],
) -> None:
    app, url = served
    async with connect(url, max_queue=1, max_size=None, close_timeout=0.5) as client:
        writer, _ = await asyncio.wait_for(app.writers.get(), 5)
        frame = text_frame("y" * 65_536)
        written = 0
        while writer(frame):
            written += 1
            assert written < 2_000, "the socket never refused (128 MB written)"
            if written % 16 == 0:
                await asyncio.sleep(0.01)  # let the kernel and the client's reader run
        assert written > 0
        await asyncio.sleep(0.2)
        assert writer(frame) is False  # still full: nobody reads
        client.transport.abort()  # no closing handshake through full buffers

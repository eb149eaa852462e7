"""One worker process seen from the server: what its pipe says (a real pipe)."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

import pytest

from nvrd.media.frames.feed import PictureFeed
from nvrd.recognition.pipe import MessagePipe, frame
from nvrd.recognition.process import WorkerProcess


def never(*args: Any) -> None:
    raise AssertionError("not started here")


def no_feed(notify_fd: int, on_block: Callable[[str], None]) -> PictureFeed:
    raise AssertionError("no pictures here")


async def test_a_message_that_fails_is_no_dead_worker_and_eof_is(
    caplog: pytest.LogCaptureFixture,
) -> None:
    got: list[str] = []

    def on_message(kind: str, body: dict[str, Any]) -> None:
        if body.get("bad"):
            raise KeyError("objId")
        got.append(kind)

    log = logging.getLogger("test.process")
    proc = WorkerProcess("test worker", "t", never, (), no_feed, on_message, log, {})
    server, worker = multiprocessing.Pipe()
    proc.pipe = MessagePipe(server, proc._received, proc._pipe_ended)
    worker.send(("ready", {}))
    worker.send(("stats", {"uptimeSeconds": 1.0, "cpuSeconds": 0.5}))
    worker.send(("object", {"bad": True}))
    worker.send(("object", {}))
    worker.send(("stats", {"uptimeSeconds": 3.0, "cpuSeconds": 1.5}))
    with caplog.at_level(logging.ERROR, "test.process"):
        assert proc.drain() is True
    assert got == ["object"] and proc.state == "running" and proc.cpu_percent == 50.0
    assert "message not handled" in caplog.text
    worker.close()
    assert proc.drain() is False  # the worker is gone


BIG = 3 << 20  # a crop's message far larger than the socket holds


def slow_big_worker(conn: Connection, notified: Connection) -> None:
    """A worker (spawned) that says it is ready, then writes a large message slowly."""
    conn.send(("ready", {}))
    data = frame(("object", {"jpeg": b"j" * BIG}))
    for i in range(0, len(data), 128 << 10):
        os.write(conn.fileno(), data[i : i + (128 << 10)])
        time.sleep(0.02)
    conn.recv()  # "stop"


class NoPictures:
    """The worker's picture feed: this worker reads no pictures (the feed has its own tests)."""

    last_error = ""

    def refresh(self) -> None: ...
    def close(self) -> None: ...
    def stats(self) -> dict[str, Any]:
        return {}

    def anchor_ms(self) -> int | None:
        return None


async def test_a_large_message_written_slowly_is_no_death_and_does_not_stall_the_loop() -> None:
    got: list[int] = []
    log = logging.getLogger("test.process")
    proc = WorkerProcess(
        "test worker",
        "t",
        slow_big_worker,
        (),
        lambda fd, on_block: NoPictures(),  # type: ignore[arg-type,return-value]
        lambda kind, body: got.append(len(body["jpeg"])),
        log,
        {},
    )
    proc.spawn(multiprocessing.get_context("spawn"))
    ticks_while_reading = 0
    async with asyncio.timeout(60):
        while not got:
            if proc.state == "running":
                ticks_while_reading += 1
            await asyncio.sleep(0.005)
    assert got == [BIG] and proc.restarts == 0 and proc.state == "running"
    assert ticks_while_reading > 10  # the loop ran on while the message came in
    await proc.stop()
    assert proc.state == "stopped" and proc.restarts == 0

"""A worker's control pipe on the server's side: framing (property-based), large messages
in pieces, a socket made non-blocking, broken frames, a worker that takes nothing.
Real socket pairs; the worker's end is a plain multiprocessing Connection."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import struct
import threading
from multiprocessing.connection import Connection
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nvrd.recognition.pipe import MAX_PENDING_BYTES, MessagePipe, PipeError, Unframer, frame


@given(
    st.lists(st.binary(max_size=300), max_size=8),
    st.lists(st.integers(min_value=1, max_value=50), min_size=1, max_size=20),
)
def test_any_cut_of_the_bytes_gives_the_same_messages(bodies: list[bytes], cuts: list[int]) -> None:
    wire = b"".join(frame(b) for b in bodies)
    u = Unframer()
    out: list[bytes] = []
    i = 0
    for step in cuts * (len(wire) // max(1, sum(cuts)) + 1):
        out += u.push(wire[i : i + step])
        i += step
    out += u.push(wire[i:])
    import pickle

    assert [pickle.loads(p) for p in out] == bodies
    assert u.pending == 0


@given(st.binary(max_size=64))
def test_garbage_is_a_pipe_error_or_waits_never_a_crash(data: bytes) -> None:
    u = Unframer(max_bytes=1000)
    try:
        out = u.push(data)
    except PipeError:
        return
    assert all(len(p) <= 1000 for p in out) and u.pending <= len(data)


def test_a_length_over_the_limit_is_refused() -> None:
    with pytest.raises(PipeError, match="limit"):
        Unframer(max_bytes=10).push(struct.pack("!i", 11))
    with pytest.raises(PipeError):
        Unframer().push(struct.pack("!i", -5))
    with pytest.raises(PipeError):
        Unframer(max_bytes=10).push(struct.pack("!iQ", -1, 1 << 40))


def test_the_frames_are_what_a_connection_reads() -> None:
    a, b = multiprocessing.Pipe()
    try:
        os.write(a.fileno(), frame(("ready", {"x": 1})))
        assert b.recv() == ("ready", {"x": 1})
    finally:
        a.close()
        b.close()


async def _until(cond: Any, seconds: float = 10.0) -> None:
    async with asyncio.timeout(seconds):
        while not cond():
            await asyncio.sleep(0.01)


async def test_a_large_message_written_slowly_arrives_whole_without_waiting() -> None:
    server, worker = multiprocessing.Pipe()
    got: list[object] = []
    ended: list[str] = []
    pipe = MessagePipe(server, got.append, ended.append)
    big = ("object", {"jpeg": os.urandom(3 << 20)})  # far more than the socket holds
    data = frame(big)

    def write_slowly(conn: Connection) -> None:
        for i in range(0, len(data), 256 << 10):
            os.write(conn.fileno(), data[i : i + (256 << 10)])
            threading.Event().wait(0.02)

    writer = threading.Thread(target=write_slowly, args=(worker,))
    writer.start()
    ticks = 0

    async def tick() -> None:  # the loop keeps running while the message comes in
        nonlocal ticks
        while not got:
            ticks += 1
            await asyncio.sleep(0.005)

    await asyncio.wait_for(tick(), 20)
    writer.join()
    assert got == [big] and ended == [] and ticks > 5
    worker.send(("stats", {}))  # the worker's Connection still works both ways
    await _until(lambda: len(got) == 2)
    pipe.send("stop")
    assert worker.poll(5) and worker.recv() == "stop"
    worker.close()
    await _until(lambda: ended)
    assert ended == ["pipe closed"] and pipe.closed


async def test_a_broken_frame_ends_the_pipe_and_a_broken_pickle_is_one_message() -> None:
    server, worker = multiprocessing.Pipe()
    got: list[object] = []
    ended: list[str] = []
    MessagePipe(server, got.append, ended.append)
    os.write(worker.fileno(), struct.pack("!i", 5) + b"nope!")
    worker.send("after")
    await _until(lambda: len(got) == 2)
    assert isinstance(got[0], PipeError) and got[1] == "after"
    os.write(worker.fileno(), struct.pack("!i", 1 << 30))  # over the limit
    await _until(lambda: ended)
    assert "limit" in ended[0]
    worker.close()


async def test_a_worker_that_takes_nothing_ends_the_pipe_instead_of_filling_memory() -> None:
    server, worker = multiprocessing.Pipe()
    ended: list[str] = []
    pipe = MessagePipe(server, lambda m: None, ended.append)
    chunk = b"x" * (256 << 10)
    for _ in range(2 * MAX_PENDING_BYTES // len(chunk) + 4):
        pipe.send(chunk)
        if ended:
            break
    assert ended and "took nothing" in ended[0] and pipe.closed
    worker.close()


def test_the_same_on_uvloop_whose_add_reader_makes_the_socket_non_blocking() -> None:
    """The server runs on uvloop (uvicorn picks it): libuv's poll handle turns
    O_NONBLOCK on for the fd it watches, which broke a blocking ``Connection.recv``."""
    import uvloop  # installed with uvicorn[standard]

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(test_a_large_message_written_slowly_arrives_whole_without_waiting())

"""Pictures in shared memory: the newest one is read, the others counted as dropped, a
picture overwritten while it is copied is never returned, and the block leaves nothing in
/dev/shm once closed."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import struct
import time
from collections.abc import Iterator
from multiprocessing.connection import Connection
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nvrd.media.frames.shared import HEAD_BYTES, SharedFrameReader, SharedFrameWriter

SIZE = 64


def picture(seq: int, size: int = SIZE) -> bytes:
    return bytes([seq % 251]) * size


@pytest.fixture
def pipe() -> Iterator[tuple[int, int]]:
    r, w = os.pipe()
    os.set_blocking(w, False)
    yield r, w
    for fd in (r, w):
        with contextlib.suppress(OSError):
            os.close(fd)


def shm_files() -> set[str]:
    """This process's picture blocks (other test processes may hold their own)."""
    return {p.name for p in Path("/dev/shm").glob(f"nvrd-frames-{os.getpid()}-*")}


def test_the_newest_picture_with_its_time_and_the_rest_dropped(pipe: tuple[int, int]) -> None:
    r, w = pipe
    writer = SharedFrameWriter(8, 8, SIZE, w, slots=3)
    reader = SharedFrameReader(writer.name, r)
    try:
        assert (reader.width, reader.height, reader.frame_size) == (8, 8, SIZE)
        assert reader.get(0.05) is None  # nothing yet: waits, then None
        writer.write(picture(1), 1000)
        got = reader.get(1)
        assert got is not None and (got.seq, got.wall_ms, bytes(got.data)) == (1, 1000, picture(1))
        assert reader.get(0.01) is None  # taken already
        for seq in range(2, 7):
            writer.write(picture(seq), 1000 + seq)
        got = reader.get(1)
        assert got is not None and (got.seq, bytes(got.data)) == (6, picture(6))
        assert (reader.taken, reader.dropped, reader.torn) == (2, 4, 0)
    finally:
        reader.close()
        writer.close()


def test_a_torn_read_is_skipped_and_counted(pipe: tuple[int, int]) -> None:
    r, w = pipe
    writer = SharedFrameWriter(8, 8, SIZE, w, slots=2)
    reader = SharedFrameReader(writer.name, r)
    try:
        writer.write(picture(1), 1)
        writer.write(picture(2), 2)
        # the writer has begun overwriting slot 0 (seq 2) with seq 4, not finished
        assert writer._shm is not None and writer._shm.buf is not None
        off = HEAD_BYTES + 0 * (HEAD_BYTES + SIZE)
        struct.pack_into("<Q", writer._shm.buf, off, 4)
        assert reader.get(0.05) is None
        assert (reader.taken, reader.dropped, reader.torn) == (0, 2, 1)
        writer.write(picture(3), 3)
        got = reader.get(1)
        assert got is not None and got.seq == 3 and (reader.taken, reader.dropped) == (1, 2)
    finally:
        reader.close()
        writer.close()


def test_wrong_sizes_and_blocks_are_refused(pipe: tuple[int, int]) -> None:
    r, w = pipe
    with pytest.raises(ValueError):
        SharedFrameWriter(8, 8, SIZE, w, slots=0)
    with pytest.raises(ValueError):
        SharedFrameWriter(7680, 4320, 7680 * 4320 * 3, w, slots=3)  # > 256 MiB
    writer = SharedFrameWriter(8, 8, SIZE, w)
    try:
        with pytest.raises(ValueError):
            writer.write(b"short", 1)
        assert writer._shm is not None and writer._shm.buf is not None
        writer._shm.buf[0:4] = b"junk"
        with pytest.raises(ValueError):
            SharedFrameReader(writer.name, r)
    finally:
        writer.close()


def test_close_unlinks_and_a_closed_pair_is_quiet(pipe: tuple[int, int]) -> None:
    r, w = pipe
    before = shm_files()
    writer = SharedFrameWriter(8, 8, SIZE, w)
    reader = SharedFrameReader(writer.name, r)
    assert shm_files() - before == {f"nvrd-frames-{os.getpid()}-{writer.name.split('-')[-1]}"}
    writer.close()
    writer.close()
    writer.write(picture(1), 1)  # after close: nothing, no error
    assert shm_files() == before
    reader.close()
    assert reader.get(0.01) is None
    with pytest.raises(FileNotFoundError):
        SharedFrameReader(writer.name, r)


def test_a_reader_without_a_writer_waits_its_timeout(pipe: tuple[int, int]) -> None:
    r, w = pipe
    writer = SharedFrameWriter(8, 8, SIZE, w)
    reader = SharedFrameReader(writer.name, r)
    os.close(w)  # the writer's end of the pipe is gone (EOF): no busy loop
    started = time.monotonic()
    assert reader.get(0.2) is None
    assert time.monotonic() - started >= 0.19
    reader.close()
    writer.close()


def test_a_full_pipe_leaves_out_wake_ups_not_pictures(pipe: tuple[int, int]) -> None:
    r, w = pipe
    writer = SharedFrameWriter(8, 8, SIZE, w)
    reader = SharedFrameReader(writer.name, r)
    try:
        n = 70_000  # more wake-ups than a pipe holds (64 KiB)
        for seq in range(1, n + 1):
            writer.write(picture(seq), seq)
        assert writer.wakeups_left_out > 0
        got = reader.get(1)
        assert got is not None and got.seq == n and reader.dropped == n - 1
    finally:
        reader.close()
        writer.close()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["write", "read"]), max_size=60), st.integers(1, 4))
def test_reads_follow_the_newest_picture_model(ops: list[str], slots: int) -> None:
    """Against a model: each read gives the newest picture written since the last read
    (or none), and every picture is either taken or dropped."""
    r, w = os.pipe()
    os.set_blocking(w, False)
    writer = SharedFrameWriter(4, 4, 16, w, slots=slots)
    reader = SharedFrameReader(writer.name, r)
    try:
        written, last_taken, taken = 0, 0, 0
        for op in ops:
            if op == "write":
                written += 1
                writer.write(picture(written, 16), written * 10)
                continue
            got = reader.get(0)
            if written > last_taken:
                assert got is not None and got.seq == written and got.wall_ms == written * 10
                assert bytes(got.data) == picture(written, 16)
                last_taken, taken = written, taken + 1
            else:
                assert got is None
        assert reader.taken == taken and reader.taken + reader.dropped == last_taken
    finally:
        reader.close()
        writer.close()
        os.close(r)
        os.close(w)


def _write_fast(name_conn: Connection, notify: Connection, count: int) -> None:
    os.set_blocking(notify.fileno(), False)
    writer = SharedFrameWriter(256, 256, 256 * 256, notify.fileno(), slots=2)
    name_conn.send(writer.name)
    name_conn.recv()  # the reader is attached
    time.sleep(0.2)
    for seq in range(1, count + 1):
        writer.write(picture(seq, 256 * 256), seq)
    name_conn.send(writer.seq)
    name_conn.recv()
    writer.close()


def test_a_reader_in_another_process_never_sees_a_torn_picture() -> None:
    """A writer process overwrites a two-slot ring as fast as it can; every picture the
    reader returns is whole (one value throughout, the one of its sequence number)."""
    ctx = multiprocessing.get_context("spawn")
    here, there = ctx.Pipe()
    notified, notify = ctx.Pipe(duplex=False)
    before = shm_files()
    proc = ctx.Process(target=_write_fast, args=(there, notify, 20_000))
    proc.start()
    notify.close()
    try:
        reader = SharedFrameReader(here.recv(), notified.fileno())
        here.send("go")
        started = time.monotonic()
        first = reader.get(10)  # woken by the other process's first picture
        assert first is not None and time.monotonic() - started < 5
        whole = 1
        while not here.poll():
            got = reader.get(0.05)
            if got is not None:
                assert got.data == bytearray(picture(got.seq, 256 * 256))
                whole += 1
        last = here.recv()
        got = reader.get(0.05)
        whole += got is not None
        assert whole == reader.taken and reader.taken + reader.dropped == last == 20_000
        reader.close()
        here.send("done")
        proc.join(10)
        assert proc.exitcode == 0
        assert shm_files() == before
    finally:
        if proc.is_alive():
            proc.kill()
        notified.close()

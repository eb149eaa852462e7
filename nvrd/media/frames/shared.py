"""Pictures for another process: the newest ones in shared memory, a wake-up over a pipe.

A :class:`SharedFrameWriter` (in the server) owns a block of shared memory
(``multiprocessing.shared_memory``, a file in ``/dev/shm``) holding a small
ring of ``slots`` pictures of one size; :meth:`~SharedFrameWriter.write`
copies a picture into the next slot with its sequence number and wall time
and writes one byte to a non-blocking pipe (when the pipe is full the reader
has wake-ups waiting anyway: the byte is left out, the picture is not).
Nothing queues: a picture that the reader did not take before a newer one
came is lost, and counted.

A :class:`SharedFrameReader` (in the worker process) attaches to the block
by name, waits on the pipe and copies out the newest picture. Each slot
carries its sequence number twice, written before and after the picture;
the reader copies the picture between reading the second and the first,
so a picture overwritten while it was being copied (a torn read: the reader
fell a whole ring behind in the middle of a copy) shows as a mismatch and
is skipped (counted as ``torn``, and as dropped).

Layout (little-endian): a 64-byte header (magic, version, slots, width,
height, bytes per picture, newest sequence number), then per slot a 64-byte
head (sequence number begin, sequence number end, wall ms) and the picture.

The writer unlinks the block when closed; the multiprocessing resource
tracker (shared by spawned children) unlinks it should the server die first.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import select
import struct
import time
from dataclasses import dataclass
from multiprocessing import shared_memory

MAGIC = 0x4E565246  # "NVRF"
VERSION = 1
HEADER = struct.Struct("<IIIIIQQ")  # magic, version, slots, width, height, size, newest
#: Where the newest sequence number is in the header (its last field).
NEWEST_AT = HEADER.size - 8
#: A slot's head: sequence number begin, sequence number end, wall ms (u64, u64, i64).
BEGIN_AT, END_AT, WALL_AT = 0, 8, 16
HEAD_BYTES = 64
#: Blocks are named ``nvrd-frames-<pid of the server>-<random>`` (a leak is easy to find).
PREFIX = "nvrd-frames-"
#: At most this many bytes of shared memory per block (two 8K RGB pictures and more).
MAX_BYTES = 256 * 1024 * 1024


def _block_size(slots: int, frame_size: int) -> int:
    return HEAD_BYTES + slots * (HEAD_BYTES + frame_size)


def _mem(shm: shared_memory.SharedMemory) -> memoryview:
    buf = shm.buf
    assert buf is not None  # open
    return buf


def _slot_offset(slot: int, frame_size: int) -> int:
    return HEAD_BYTES + slot * (HEAD_BYTES + frame_size)


@dataclass(frozen=True)
class SharedFrame:
    data: bytearray  # a copy of the slot, the reader's own
    wall_ms: int
    seq: int


class SharedFrameWriter:
    """The server's side: one block of ``slots`` pictures of ``frame_size`` bytes."""

    def __init__(
        self, width: int, height: int, frame_size: int, notify_fd: int, slots: int = 2
    ) -> None:
        if not 1 <= slots <= 16 or frame_size <= 0:
            raise ValueError("bad slot count or picture size")
        size = _block_size(slots, frame_size)
        if size > MAX_BYTES:
            raise ValueError(f"{size} bytes of shared memory is too much")
        self.width, self.height, self.frame_size, self.slots = width, height, frame_size, slots
        self._notify = notify_fd
        self._shm: shared_memory.SharedMemory | None = shared_memory.SharedMemory(
            name=f"{PREFIX}{os.getpid()}-{secrets.token_hex(6)}", create=True, size=size
        )
        self.name = self._shm.name
        self.seq = 0
        self.wakeups_left_out = 0
        HEADER.pack_into(_mem(self._shm), 0, MAGIC, VERSION, slots, width, height, frame_size, 0)

    def write(self, data: bytes, wall_ms: int) -> None:
        """Copy in a picture (the oldest slot's is overwritten) and wake the reader."""
        shm = self._shm
        if shm is None:
            return
        if len(data) != self.frame_size:
            raise ValueError(f"picture of {len(data)} bytes, not {self.frame_size}")
        self.seq += 1
        seq, buf = self.seq, _mem(shm)
        off = _slot_offset(seq % self.slots, self.frame_size)
        struct.pack_into("<Q", buf, off + BEGIN_AT, seq)  # the slot is being written
        buf[off + HEAD_BYTES : off + HEAD_BYTES + self.frame_size] = data
        struct.pack_into("<Qq", buf, off + END_AT, seq, wall_ms)  # it is whole
        struct.pack_into("<Q", buf, NEWEST_AT, seq)
        try:
            os.write(self._notify, b"\x01")
        except BlockingIOError:
            self.wakeups_left_out += 1
        except OSError:  # the reader is gone; the server will notice on its own pipe
            pass

    def close(self) -> None:
        """Unmap and unlink the block (idempotent)."""
        shm, self._shm = self._shm, None
        if shm is not None:
            shm.close()
            with contextlib.suppress(FileNotFoundError):
                shm.unlink()


class SharedFrameReader:
    """The worker's side: the newest picture of a block, waiting on the pipe for one."""

    def __init__(self, name: str, notify_fd: int) -> None:
        self._shm: shared_memory.SharedMemory | None = shared_memory.SharedMemory(name=name)
        self.name = name
        self._notify = notify_fd
        magic, version, slots, width, height, size, _ = HEADER.unpack_from(_mem(self._shm), 0)
        if magic != MAGIC or version != VERSION or not 1 <= slots <= 16:
            self.close()
            raise ValueError(f"{name} is not a picture block")
        if self._shm.size < _block_size(slots, size):
            self.close()
            raise ValueError(f"{name} is too small")
        self.slots, self.width, self.height, self.frame_size = slots, width, height, size
        self.last = 0  # the newest sequence number taken or passed over
        self.taken = 0
        self.dropped = 0
        self.torn = 0

    @property
    def newest(self) -> int:
        shm = self._shm
        return int(struct.unpack_from("<Q", _mem(shm), NEWEST_AT)[0]) if shm else 0

    def get(self, timeout: float) -> SharedFrame | None:
        """The newest picture not taken yet, waiting up to ``timeout`` seconds for one."""
        deadline = time.monotonic() + timeout
        while self._shm is not None:
            frame = self._take()
            if frame is not None:
                return frame
            left = deadline - time.monotonic()
            if left <= 0 or not self._wait(left):
                return None
        return None

    def _wait(self, timeout: float) -> bool:
        """Wait for a wake-up and swallow those waiting; False if none came (or the pipe
        has no writer any more: then the rest of the timeout is slept away)."""
        ready, _, _ = select.select([self._notify], [], [], timeout)
        if not ready:
            return False
        try:
            got = os.read(self._notify, 4096)
        except BlockingIOError:
            return True
        if not got:  # no writer any more: nothing will come
            time.sleep(timeout)
            return False
        return True

    def _take(self) -> SharedFrame | None:
        shm = self._shm
        if shm is None:
            return None
        buf = _mem(shm)
        while (seq := self.newest) > self.last:
            off = _slot_offset(seq % self.slots, self.frame_size)
            end = struct.unpack_from("<Q", buf, off + END_AT)[0]
            data = bytearray(buf[off + HEAD_BYTES : off + HEAD_BYTES + self.frame_size])
            wall_ms = struct.unpack_from("<q", buf, off + WALL_AT)[0]
            begin = struct.unpack_from("<Q", buf, off + BEGIN_AT)[0]
            if begin != seq or end != seq:  # overwritten while copied: try the newer one
                self.torn += 1
                self.dropped += seq - self.last
                self.last = seq
                continue
            self.dropped += seq - self.last - 1
            self.last = seq
            self.taken += 1
            return SharedFrame(data, int(wall_ms), int(seq))
        return None

    def close(self) -> None:
        """Unmap the block (the writer unlinks it)."""
        shm, self._shm = self._shm, None
        if shm is not None:
            shm.close()

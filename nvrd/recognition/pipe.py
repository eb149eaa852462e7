"""The server's end of a worker's control pipe, read and written in the event loop.

The worker side is a plain :class:`multiprocessing.connection.Connection`; this
end speaks the same framing (a 4-byte big-endian length, or ``-1`` and an
8-byte length, then a pickle) on its own non-blocking socket, so nothing ever
waits: a large message (the JPEG of a crop) that arrives in pieces is kept
until it is whole, and what the worker cannot take yet waits in a bounded
buffer. A blocking ``Connection.recv`` on the loop would stall the server
while a message is written, and fails (``BlockingIOError``) once anything
makes the socket non-blocking.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pickle
import socket
import struct
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.reduction import ForkingPickler

#: the largest message taken from a worker (a crop's JPEG is far smaller)
MAX_MESSAGE_BYTES = 64 << 20
#: what may wait to be written to a worker before it counts as stuck
MAX_PENDING_BYTES = 4 << 20
#: read at most this much per wake-up, so one busy worker cannot hold the loop
READ_BYTES = 1 << 20
READS_PER_WAKE = 8


class PipeError(Exception):
    """The pipe is unusable: closed, a broken frame, or a worker that takes nothing."""


def frame(obj: object) -> bytes:
    """``obj`` framed as ``Connection.send`` frames it."""
    body = bytes(ForkingPickler.dumps(obj))
    n = len(body)
    head = struct.pack("!i", n) if n <= 0x7FFFFFFF else struct.pack("!iQ", -1, n)
    return head + body


class Unframer:
    """Bytes in, whole messages out (pure)."""

    def __init__(self, max_bytes: int = MAX_MESSAGE_BYTES) -> None:
        self.max_bytes = max_bytes
        self._buf = bytearray()

    def push(self, data: bytes) -> list[bytes]:
        """The payloads completed by ``data``; :class:`PipeError` on a bad length."""
        self._buf += data
        out: list[bytes] = []
        while len(self._buf) >= 4:
            (size,) = struct.unpack_from("!i", self._buf)
            head = 4
            if size == -1:
                if len(self._buf) < 12:
                    break
                (size,) = struct.unpack_from("!Q", self._buf, 4)
                head = 12
            if size < 0 or size > self.max_bytes:
                raise PipeError(f"message of {size} bytes (the limit is {self.max_bytes})")
            if len(self._buf) < head + size:
                break
            out.append(bytes(self._buf[head : head + size]))
            del self._buf[: head + size]
        return out

    @property
    def pending(self) -> int:
        return len(self._buf)


class MessagePipe:
    """Messages from a worker go to ``on_message`` as they are whole; ``on_closed`` runs
    once when the pipe ends (the worker closed it or died, or a frame was broken), with
    why. ``conn`` is taken over."""

    def __init__(
        self,
        conn: Connection,
        on_message: Callable[[object], None],
        on_closed: Callable[[str], None],
    ) -> None:
        self._loop = asyncio.get_running_loop()
        self._sock = socket.socket(fileno=os.dup(conn.fileno()))
        conn.close()
        self._sock.setblocking(False)
        self._fd = self._sock.fileno()
        self._on_message, self._on_closed = on_message, on_closed
        self._in = Unframer()
        self._out = bytearray()
        self._closed = False
        self._loop.add_reader(self._fd, self._readable)

    @property
    def closed(self) -> bool:
        return self._closed

    def send(self, obj: object) -> None:
        """Queue ``obj`` for the worker (written at once when it can take it)."""
        if self._closed:
            return
        data = frame(obj)
        if len(self._out) + len(data) > MAX_PENDING_BYTES:
            self._end(f"the worker took nothing of {len(self._out)} bytes")
            return
        waiting = bool(self._out)
        self._out += data
        if not waiting:
            self._write()

    def read(self, max_reads: int = READS_PER_WAKE) -> bool:
        """Take what has arrived, in up to ``max_reads`` reads (also when the loop did not
        wake us); False once the pipe has ended."""
        for _ in range(max_reads):
            try:
                data = self._sock.recv(READ_BYTES)
            except (BlockingIOError, InterruptedError):
                return True
            except OSError as exc:
                self._end(f"pipe failed: {exc!r}")
                return False
            if not data:
                self._end("pipe closed")
                return False
            try:
                payloads = self._in.push(data)
            except PipeError as exc:
                self._end(str(exc))
                return False
            for payload in payloads:
                self._deliver(payload)
                if self._closed:
                    return False
        return not self._closed

    def close(self) -> None:
        """Close without calling ``on_closed``."""
        if not self._closed:
            self._closed = True
            self._detach()

    def _readable(self) -> None:
        self.read()

    def _deliver(self, payload: bytes) -> None:
        try:
            msg = pickle.loads(payload)
        except Exception as exc:  # a broken pickle is one lost message
            self._on_message(PipeError(f"message not read: {exc!r}"))
            return
        self._on_message(msg)

    def _write(self) -> None:
        while self._out:
            try:
                sent = self._sock.send(self._out)
            except (BlockingIOError, InterruptedError):
                self._loop.add_writer(self._fd, self._write)
                return
            except OSError as exc:
                self._end(f"pipe failed: {exc!r}")
                return
            del self._out[:sent]
        with contextlib.suppress(ValueError, OSError):
            self._loop.remove_writer(self._fd)

    def _end(self, why: str) -> None:
        if not self._closed:
            self._closed = True
            self._detach()
            self._on_closed(why)

    def _detach(self) -> None:
        with contextlib.suppress(ValueError, OSError):
            self._loop.remove_reader(self._fd)
        with contextlib.suppress(ValueError, OSError):
            self._loop.remove_writer(self._fd)
        self._sock.close()
        self._out.clear()

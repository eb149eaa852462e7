"""An analysing worker's frame input (the plate recogniser's, the object detector's):
decoded pictures with their wall-clock time.

In the worker process the pictures come from the channel's analytics frame
source in the server (``feed.py``), through shared memory
(:mod:`nvrd.media.frames.shared`): :class:`SharedFrames` reads the newest
picture of the block the server names, so a slow worker never makes
frames queue up (the pictures it had no time for are counted as dropped).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Protocol

import numpy as np

from nvrd.media.frames.shared import SharedFrameReader

log = logging.getLogger("nvrd.frames.pictures")


@dataclass(frozen=True)
class Frame:
    #: Height x width x 3, BGR, uint8: the whole picture of the channel.
    image: np.ndarray
    #: When it was taken, epoch milliseconds (UTC).
    time_ms: int


@dataclass(frozen=True)
class FeedCounters:
    #: pictures the server handed over
    received: int
    #: of those, never read (a newer one came first, or it was overwritten while read)
    dropped: int
    #: of the dropped, overwritten while being read (torn reads)
    torn: int = 0


class FrameInput(Protocol):
    """What a worker reads frames from."""

    def get(self, timeout: float) -> Frame | None:
        """The newest frame not taken yet, waiting up to ``timeout`` seconds."""
        ...

    def counters(self) -> FeedCounters: ...

    def close(self) -> None: ...


class SharedFrames:
    """A :class:`FrameInput` over the server's shared-memory pictures, woken through
    ``notify_fd``. The server names the block (``attach``) when it subscribes, and a new
    one when the picture size changes; counters add up over the blocks."""

    def __init__(self, notify_fd: int) -> None:
        self._notify = notify_fd
        self._reader: SharedFrameReader | None = None
        self._done = FeedCounters(0, 0, 0)
        self._closed = False

    def attach(self, name: str) -> None:
        self._detach()
        if self._closed:
            return
        try:
            self._reader = SharedFrameReader(name, self._notify)
        except (OSError, ValueError) as exc:  # gone already: a newer block is on its way
            log.warning("picture block not attached: %s", exc)

    def _detach(self) -> None:
        reader, self._reader = self._reader, None
        if reader is not None:
            self._done = _add(self._done, _counters(reader))
            reader.close()

    def get(self, timeout: float) -> Frame | None:
        reader = self._reader
        if reader is None:
            time.sleep(min(timeout, 0.1))  # the block is named over the control pipe
            return None
        got = reader.get(timeout)
        if got is None:
            return None
        image = np.frombuffer(got.data, np.uint8).reshape(reader.height, reader.width, 3)
        return Frame(image, got.wall_ms)

    def counters(self) -> FeedCounters:
        reader = self._reader
        return _add(self._done, _counters(reader)) if reader is not None else self._done

    def close(self) -> None:
        self._closed = True
        self._detach()


def _counters(reader: SharedFrameReader) -> FeedCounters:
    return FeedCounters(reader.newest, reader.dropped, reader.torn)


def _add(a: FeedCounters, b: FeedCounters) -> FeedCounters:
    return FeedCounters(a.received + b.received, a.dropped + b.dropped, a.torn + b.torn)


def take_orders(conn: Connection, frames: SharedFrames) -> bool:
    """Carry out what the server said over the control pipe (``("frames", name)``: the
    pictures' new block); False when told to stop."""
    while conn.poll():
        msg = conn.recv()
        if msg == "stop":
            return False
        if isinstance(msg, tuple) and len(msg) == 2 and msg[0] == "frames":
            frames.attach(str(msg[1]))
    return True

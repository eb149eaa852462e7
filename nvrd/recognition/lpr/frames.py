"""The recogniser's frame input: decoded pictures with their wall-clock time.

Whatever produces frames (the channel's analytics frame source, or for now
the interim decoder in ``interim_feed.py``) offers them to a
:class:`LatestFrame`, a one-picture slot: a frame that arrives before the
previous one was taken replaces it and is counted as dropped, so a slow
recogniser never makes frames queue up.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Protocol

import numpy as np


@dataclass(frozen=True)
class Frame:
    #: Height x width x 3, BGR, uint8: the whole picture of the channel.
    image: np.ndarray
    #: When it was taken, epoch milliseconds (UTC).
    time_ms: int


@dataclass(frozen=True)
class FeedCounters:
    received: int
    dropped: int


class FrameInput(Protocol):
    """What the recogniser reads frames from."""

    def get(self, timeout: float) -> Frame | None:
        """The newest frame not taken yet, waiting up to ``timeout`` seconds."""
        ...

    def counters(self) -> FeedCounters: ...

    def close(self) -> None: ...


class LatestFrame:
    """A thread-safe one-frame slot (producer: ``offer``; consumer: ``get``)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._frame: Frame | None = None
        self._received = 0
        self._dropped = 0
        self._closed = False

    def offer(self, frame: Frame) -> None:
        with self._cond:
            if self._frame is not None:
                self._dropped += 1
            self._frame = frame
            self._received += 1
            self._cond.notify()

    def get(self, timeout: float) -> Frame | None:
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._frame is None and not self._closed:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._cond.wait(left)
            frame, self._frame = self._frame, None
            return frame

    def counters(self) -> FeedCounters:
        with self._cond:
            return FeedCounters(self._received, self._dropped)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    @property
    def closed(self) -> bool:
        return self._closed

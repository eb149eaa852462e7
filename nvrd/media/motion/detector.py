"""Motion detection on small gray pictures (pure).

The channel's ffmpeg hands over pictures of ``width x height`` 8-bit luma
bytes, shrunk with area averaging (which also averages sensor and coding
noise away). Each picture is compared with the one before it: a pixel has
changed when its brightness moved by more than ``threshold``; the picture
moved when at least ``min_changed`` of its pixels changed. Motion is on from
the first picture that moved until ``hold_seconds`` after the last one, read
on the injected monotonic clock, so that motion does not flicker between
samples; the hold is stretched to 1.5 sampling intervals when pictures come
further apart than that (keyframes of a long GOP). The first picture after a
(re)start is only a reference.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from nvrd.config import MotionSettings


@dataclass(frozen=True)
class MotionParams:
    width: int = 64
    height: int = 36
    threshold: int = 20
    min_changed: float = 0.005
    hold_seconds: float = 5.0

    @staticmethod
    def from_settings(s: MotionSettings) -> MotionParams:
        return MotionParams(s.width, s.height, s.threshold, s.min_changed, s.hold_seconds)

    @property
    def frame_size(self) -> int:
        return self.width * self.height


def changed_pixels(prev: bytes, cur: bytes, threshold: int) -> int:
    """How many pixels moved by more than ``threshold`` between two pictures."""
    n = 0
    for a, b in zip(prev, cur, strict=True):
        if a - b > threshold or b - a > threshold:
            n += 1
    return n


class MotionDetector:
    """One channel's motion state from its pictures, with a hold time."""

    def __init__(self, params: MotionParams, monotonic: Callable[[], float]):
        self.params = params
        self.monotonic = monotonic
        self._prev: bytes | None = None
        self._last_moved: float | None = None
        self._last_seen: float | None = None
        self._interval = 0.0
        self.analysed = 0

    def feed(self, frame: bytes) -> bool:
        """Take the next picture; returns whether it moved against the one before."""
        if len(frame) != self.params.frame_size:
            raise ValueError(f"picture of {len(frame)} bytes, expected {self.params.frame_size}")
        now = self.monotonic()
        prev, self._prev = self._prev, frame
        if self._last_seen is not None:
            self._interval = now - self._last_seen
        self._last_seen = now
        self.analysed += 1
        if prev is None:
            return False
        changed = changed_pixels(prev, frame, self.params.threshold)
        moved = changed >= self.params.min_changed * self.params.frame_size
        if moved:
            self._last_moved = now
        return moved

    @property
    def hold(self) -> float:
        """How long motion lasts after the last picture that moved."""
        return max(self.params.hold_seconds, 1.5 * self._interval)

    @property
    def active(self) -> bool:
        """Whether there is motion now: a picture moved within the hold time."""
        if self._last_moved is None:
            return False
        return self.monotonic() - self._last_moved <= self.hold

    def reset(self) -> None:
        """Forget everything (the stream ended): no motion, the next picture is a reference."""
        self._prev = None
        self._last_moved = None
        self._last_seen = None
        self._interval = 0.0


class FrameSplitter:
    """Cuts a byte stream into pictures of a fixed size."""

    def __init__(self, size: int):
        if size <= 0:
            raise ValueError("picture size must be positive")
        self.size = size
        self._buf = bytearray()

    def push(self, data: bytes) -> list[bytes]:
        """Add bytes; returns the pictures completed by them, in order."""
        self._buf += data
        n = len(self._buf) // self.size
        if n == 0:
            return []
        cut = n * self.size
        out = [bytes(self._buf[i : i + self.size]) for i in range(0, cut, self.size)]
        del self._buf[:cut]
        return out

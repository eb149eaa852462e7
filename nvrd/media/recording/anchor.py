"""Mapping a stream's media time to the wall clock (pure; times are injected).

Each progress report says: at wall time W the muxer had reached media time
T. Packets can only be late, never early, so ``W - T`` over-estimates when
media time 0 happened, by the current lag. The smallest value seen in a
sliding window is the best estimate; the window lets it follow a camera
clock that drifts against ours.

Only the observations that can still be the smallest are kept (a sliding
window minimum): one that is not smaller than a later one never will be, as
the later one stays in the window longer. So a stream observed at every
frame keeps a handful of entries, not two minutes of frames, and the
estimate is the first entry's.
"""

from __future__ import annotations

from collections import deque


class Anchor:
    def __init__(self, window_ms: int = 120_000):
        self.window_ms = window_ms
        #: (wall_ms, wall_ms - media_ms), the offsets increasing: the first is the smallest
        self._obs: deque[tuple[int, int]] = deque()

    def observe(self, wall_ms: int, media_ms: int) -> None:
        offset = wall_ms - media_ms
        while self._obs and self._obs[-1][1] >= offset:
            self._obs.pop()
        self._obs.append((wall_ms, offset))
        while self._obs[0][0] < wall_ms - self.window_ms:
            self._obs.popleft()

    @property
    def known(self) -> bool:
        return bool(self._obs)

    def wall_ms(self, media_ms: float) -> int:
        """Wall-clock ms of ``media_ms`` (raises if nothing was observed yet)."""
        if not self._obs:
            raise LookupError("no progress observed yet")
        return self._obs[0][1] + round(media_ms)

"""Where each segment of one run lies on the wall clock (pure: every time is passed in).

One run is one ffmpeg process. Its media time is continuous, so the run needs
one mapping from media time to wall time, the :class:`~.anchor.Anchor`, fed
by the progress reports. A segment's start is the anchor applied to the
media time at which ffmpeg says it starts; its duration is the media-time
difference to the next segment's start (exact), or unknown for the last one
(the indexer measures it from the file). Consecutive segments are kept edge
to edge unless the two estimates differ by a second or more (the camera's
clock jumped, or ours did), so a run shows no invented gaps and a real jump
is not smoothed over. Before the first progress report the wall clock at
the segment's start stands in for the anchor.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from nvrd.media.recording.anchor import Anchor

#: Two estimates of one edge closer than this are the same edge.
EDGE_TOLERANCE_MS = 1000


@dataclass(frozen=True)
class Cut:
    """A finished segment: where its file is, when it starts, how long it is."""

    path: Path
    start_ms: int
    duration_ms: int | None  # None: measure it from the file


@dataclass
class _Open:
    path: Path
    media_ms: int
    start_ms: int  # estimate when it started, replaced once the anchor is known


class RunTimeline:
    def __init__(self, anchor: Anchor | None = None):
        self.anchor = anchor or Anchor()
        self._open: _Open | None = None
        self._last_end_ms: int | None = None
        self.last_media_ms = -1

    @property
    def recording(self) -> bool:
        """Whether a segment is open."""
        return self._open is not None

    def progress(self, wall_ms: int, media_ms: int) -> bool:
        """A progress report; True when the media time moved forward."""
        self.anchor.observe(wall_ms, media_ms)
        if media_ms > self.last_media_ms:
            self.last_media_ms = media_ms
            return True
        return False

    def segment_started(self, path: Path, media_ms: int, wall_ms: int) -> tuple[int, Cut | None]:
        """ffmpeg opened ``path`` at ``media_ms``: the new segment's start estimate, and the
        segment this one ends (None for the first of the run)."""
        start = self.anchor.wall_ms(media_ms) if self.anchor.known else wall_ms
        prev = self._open
        cut = self._cut(prev, media_ms - prev.media_ms) if prev is not None else None
        self._open = _Open(path, media_ms, start)
        return start, cut

    def ended(self) -> Cut | None:
        """The run ended: its open segment, of unknown duration (None: none was open)."""
        prev, self._open = self._open, None
        return self._cut(prev, None) if prev is not None else None

    def _cut(self, seg: _Open, duration_ms: int | None) -> Cut:
        start = self.anchor.wall_ms(seg.media_ms) if self.anchor.known else seg.start_ms
        last = self._last_end_ms
        if last is not None and abs(start - last) < EDGE_TOLERANCE_MS:
            start = last
        if duration_ms is not None:
            self._last_end_ms = start + duration_ms
        return Cut(seg.path, start, duration_ms)

"""INTERIM FEED: the recogniser's own decoder, until the channel's analytics frame source
exists (``nvrd/media/frames/``). It will then be replaced by an adapter of that source
to :class:`~nvrd.recognition.lpr.frames.FrameInput`, and this module deleted.

A thread opens the channel's RTSP URL or video file with PyAV, decodes it,
and offers a frame to a :class:`LatestFrame` at most ``fps`` times a second
(frames in between are only decoded, never converted). An RTSP frame's
time is its media time from the earliest arrival seen for it (the smallest
``arrival - media time`` of the last minute: a camera that sends a burst
when a session starts, or a network hiccup, does not shift the clock); a
file is paced in real time from when it was opened, and played again from
the start when ``repeat`` (as file channels are recorded). A source that
fails is opened again after a pause that grows up to ``max_backoff`` seconds.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import av

from nvrd.recognition.lpr.frames import FeedCounters, Frame, LatestFrame
from nvrd.recognition.lpr.settings import FeedSource

log = logging.getLogger("nvrd.lpr.feed")


class InterimFeed:
    """Decodes ``source`` in a thread; read it through ``get``/``counters`` (FrameInput)."""

    def __init__(
        self,
        source: FeedSource,
        fps: float,
        wall_ms: Callable[[], int] | None = None,
        max_backoff: float = 5.0,
    ) -> None:
        self.source = source
        self.interval_ms = 1000.0 / fps
        self._wall_ms = wall_ms or (lambda: time.time_ns() // 1_000_000)
        self._slot = LatestFrame()
        self._stop = threading.Event()
        self._backoff = max_backoff
        self.errors = 0
        #: wall-clock ms of media time 0 of the file play (or stream) now decoded
        self.anchor_ms: int | None = None
        self._thread = threading.Thread(target=self._run, name="lpr-feed", daemon=True)
        self._thread.start()

    def get(self, timeout: float) -> Frame | None:
        return self._slot.get(timeout)

    def counters(self) -> FeedCounters:
        return self._slot.counters()

    def close(self) -> None:
        self._stop.set()
        self._slot.close()
        self._thread.join(timeout=5)

    def _options(self) -> dict[str, str]:
        if self.source.is_file:
            return {}
        timeout_us = str(int(self.source.io_timeout_seconds * 1_000_000))
        opts = {"timeout": timeout_us, "stimeout": timeout_us}
        if self.source.tcp:
            opts["rtsp_transport"] = "tcp"
        return opts

    def _run(self) -> None:
        pause = 0.2
        while not self._stop.is_set():
            try:
                played = self._play_once()
            except (av.FFmpegError, OSError, ValueError) as exc:
                self.errors += 1
                log.warning("lpr feed failed: %s", exc, extra={"source": self._shown()})
                played = False
            if self._stop.is_set():
                return
            if self.source.is_file and played and not self.source.repeat:
                return
            if not played:
                self._stop.wait(pause)
                pause = min(pause * 2, self._backoff)
            else:
                pause = 0.2

    def _shown(self) -> str:
        url = self.source.url
        if "@" in url and "://" in url:
            scheme, rest = url.split("://", 1)
            return f"{scheme}://***@{rest.split('@', 1)[1]}"
        return url

    def _play_once(self) -> bool:
        """Decode the source to its end (or until stopped); True if any frame came."""
        got = False
        with av.open(
            self.source.url, options=self._options(), timeout=self.source.io_timeout_seconds
        ) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            next_due = 0.0
            first_pts: float | None = None
            clock = _StreamClock(None)
            opened_ms = self._wall_ms()
            for frame in container.decode(stream):
                if self._stop.is_set():
                    return got
                if frame.pts is None or frame.time_base is None:
                    continue
                t = float(frame.pts * frame.time_base)
                if first_pts is None:
                    first_pts = t
                    clock = _StreamClock(opened_ms if self.source.is_file else None)
                media_ms = (t - first_pts) * 1000.0
                if self.source.is_file:
                    self._pace(opened_ms + media_ms)
                when = clock.time_of(media_ms, self._wall_ms())
                self.anchor_ms = clock.anchor
                if media_ms + 1e-6 < next_due:
                    continue
                next_due = max(next_due + self.interval_ms, media_ms)
                self._slot.offer(Frame(frame.to_ndarray(format="bgr24"), when))
                got = True
        return got

    def _pace(self, due_ms: float) -> None:
        wait = (due_ms - self._wall_ms()) / 1000.0
        if wait > 0:
            self._stop.wait(wait)


class _StreamClock:
    """Wall-clock times of a stream's media times: ``anchor + media``, the anchor being the
    smallest ``arrival - media`` over the current and the previous minute (a fixed anchor
    for a file)."""

    WINDOW_MS = 60_000

    def __init__(self, fixed: int | None) -> None:
        self._fixed = fixed
        self.anchor: int | None = fixed
        self._current: float | None = None
        self._previous: float | None = None
        self._window_end: float | None = None

    def time_of(self, media_ms: float, arrival_ms: int) -> int:
        if self._fixed is not None:
            return round(self._fixed + media_ms)
        offset = arrival_ms - media_ms
        if self._window_end is None or arrival_ms >= self._window_end:
            self._previous, self._current = self._current, offset
            self._window_end = arrival_ms + self.WINDOW_MS
        else:
            self._current = min(self._current if self._current is not None else offset, offset)
        best = min(o for o in (self._current, self._previous) if o is not None)
        self.anchor = round(best)
        return round(best + media_ms)

"""Live HLS built from the fragments the live hub already reads (no second muxer).

The ingest's ffmpeg writes one fragmented-MP4 stream (one fragment per
frame) into a pipe for the hub. :class:`HlsWindow` groups those fragments
into HLS parts — a part starts at the first keyframe at least
``target_seconds`` after the previous part's start, as ffmpeg's HLS muxer
cuts them — and keeps the newest :data:`KEEP` parts in memory. The playlist
and the parts are made when a player asks, from bytes already in memory:
nothing is written to disk and nothing is done for a stream nobody watches
beyond keeping references to the fragments. Durations come from the
fragments' decode times (``tfdt``) and the track's timescale, so they are
exact; ``EXT-X-PROGRAM-DATE-TIME`` is the wall time the part's first
fragment arrived.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass, field

from nvrd.core.clock import utc_from_ms
from nvrd.media.live.fmp4 import find

#: Parts kept (and listed in the playlist).
KEEP = 5
#: While shedding load, parts are still made for a stream whose playlist was asked for
#: this recently (ms).
WATCHED_MS = 60_000


def timescale(init: bytes) -> int:
    """The first track's media timescale (``mdhd``), 90 kHz when it cannot be read."""
    mdhd = find(init, [b"moov", b"trak", b"mdia", b"mdhd"])
    if mdhd is None:
        return 90_000
    body = mdhd[0]
    off = body + (20 if init[body] == 1 else 12)
    value = int(struct.unpack_from(">I", init, off)[0])
    return value or 90_000


def decode_time(fragment: bytes) -> int | None:
    """The ``tfdt`` base media decode time of a fragment (``moof`` first)."""
    tfdt = find(fragment, [b"moof", b"traf", b"tfdt"])
    if tfdt is None:
        return None
    body = tfdt[0]
    if fragment[body] == 1:
        return int(struct.unpack_from(">Q", fragment, body + 4)[0])
    return int(struct.unpack_from(">I", fragment, body + 4)[0])


@dataclass
class Part:
    seq: int
    start: int  # decode time, in timescale units
    wall_ms: int
    fragments: list[bytes] = field(default_factory=list)
    duration: float = 0.0  # seconds, set when the part is closed
    _data: bytes | None = None

    def data(self) -> bytes:
        if self._data is None:
            self._data = b"".join(self.fragments)
            self.fragments = [self._data]
        return self._data


class HlsWindow:
    def __init__(self, target_seconds: float = 1.0, keep: int = KEEP):
        self.target_seconds = target_seconds
        self.keep = keep
        self.init: bytes | None = None
        self.timescale = 90_000
        self.parts: list[Part] = []  # closed, oldest first
        self._open: Part | None = None
        self._next_seq = 0
        #: Set while the box sheds load: no parts for a stream nobody asked for lately.
        self.paused = False
        self._asked_ms: int | None = None

    def requested(self, now_ms: int) -> None:
        """A player asked for the playlist."""
        self._asked_ms = now_ms

    def on_init(self, init: bytes) -> None:
        """A new stream (a new ffmpeg run): what was kept belongs to the old one."""
        self.init = init
        self.timescale = timescale(init)
        self.parts = []
        self._open = None

    def on_fragment(self, fragment: bytes, keyframe: bool, wall_ms: int) -> None:
        if self.init is None:
            return
        if self.paused and (self._asked_ms is None or wall_ms - self._asked_ms > WATCHED_MS):
            if self.parts or self._open is not None:
                self.parts, self._open = [], None
            return
        ts = decode_time(fragment)
        if ts is None:
            return
        cur = self._open
        if keyframe and (cur is None or ts - cur.start >= self.target_seconds * self.timescale):
            if cur is not None:
                self._close(cur, ts)
            cur = self._open = Part(self._next_seq, ts, wall_ms)
            self._next_seq += 1
        if cur is not None:
            cur.fragments.append(fragment)

    def _close(self, part: Part, end_ts: int) -> None:
        part.duration = (end_ts - part.start) / self.timescale
        self.parts.append(part)
        del self.parts[: -self.keep]

    def end(self) -> None:
        """The stream ended: the open part (of unknown length) is dropped."""
        self.init = None
        self._open = None
        self.parts = []

    def playlist(self) -> str | None:
        if self.init is None or not self.parts:
            return None
        target = max(1, max(math.floor(p.duration + 0.5) for p in self.parts))
        lines = [
            "#EXTM3U",
            "#EXT-X-VERSION:7",
            f"#EXT-X-TARGETDURATION:{target}",
            f"#EXT-X-MEDIA-SEQUENCE:{self.parts[0].seq}",
            "#EXT-X-INDEPENDENT-SEGMENTS",
            '#EXT-X-MAP:URI="init.mp4"',
        ]
        for p in self.parts:
            at = utc_from_ms(p.wall_ms)
            lines.append(f"#EXT-X-PROGRAM-DATE-TIME:{at:%Y-%m-%dT%H:%M:%S}.{p.wall_ms % 1000:03d}Z")
            lines.append(f"#EXTINF:{p.duration:.6f},")
            lines.append(f"seg_{p.seq:06d}.m4s")
        return "\n".join(lines) + "\n"

    def part(self, seq: int) -> bytes | None:
        for p in self.parts:
            if p.seq == seq:
                return p.data()
        return None

"""One passage per vehicle: plate reads of successive frames grouped into tracks (pure).

A read joins the open track whose text is alike (confusion-aware similarity,
:mod:`nvrd.core.platesim`) and whose last box is near; otherwise it opens a
new track. The text of a track is the one with the highest summed score
over its reads; its ``score`` the best score of a read of that text, its
``box`` that read's box; the ``max_images`` best reads keep their pictures.

* ``driving``: a track ends when no read joined it for ``gap_ms``; if it had
  ``min_reads`` reads (or one read of at least ``single_read_score``) it
  becomes one :class:`Passage` (``done``).
* ``parking``: a track is announced (``parked``) as soon as it has
  ``min_reads`` reads, with ``time_begin`` when it was first read, and
  ends (``left``) when the car has not been read for ``gap_ms`` — one entry
  per parked car, however long it stays.

A track keeps at most ``MAX_READS`` reads (the votes count them all), and
in ``driving`` mode ends after ``max_track_ms`` even if its plate is still
read (a car waiting at a barrier, a sign in the zone): memory stays bounded
and a car that stays is logged again after that long.

``direction`` is the zone's fixed one, or comes from the movement of the
plate between its first and last read (``entry_movement``: the way a car
going in moves in the picture), or is ``None``.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from nvrd.core.platesim import similarity
from nvrd.recognition.geometry import Box, centre

Movement = Literal["up", "down", "left", "right"]
_OPPOSITE = {"up": "down", "down": "up", "left": "right", "right": "left"}
MAX_READS = 256


@dataclass(frozen=True)
class Read:
    text: str
    score: float
    box: Box
    time_ms: int
    #: the picture kept for the plate images (opaque here)
    picture: Any = None


@dataclass(frozen=True)
class TrackerSettings:
    mode: Literal["driving", "parking"] = "driving"
    gap_ms: int = 1500
    min_reads: int = 2
    #: ... or one read at least this sure (a car seen in one analysed frame only)
    single_read_score: float = 0.9
    max_images: int = 4
    #: reads at least this alike (0..1) belong to the same plate
    same_plate: float = 0.7
    direction: str | None = None
    entry_movement: Movement | None = None
    max_track_ms: int = 120_000


@dataclass(frozen=True)
class Passage:
    key: str
    kind: Literal["done", "parked", "left"]
    text: str
    score: float
    box: Box
    time_begin_ms: int
    time_end_ms: int
    direction: str | None
    #: the best reads, best first (their pictures become the plate images)
    best: tuple[Read, ...] = ()
    reads: int = 0


@dataclass
class _Track:
    key: str
    first: Read
    last: Read
    reads: list[Read] = field(default_factory=list)
    votes: dict[str, float] = field(default_factory=dict)
    announced: bool = False
    count: int = 0

    def add(self, read: Read, max_images: int) -> None:
        self.last = read
        self.count += 1
        self.votes[read.text] = self.votes.get(read.text, 0.0) + read.score
        self.reads.append(read)
        if len(self.reads) > MAX_READS:
            # drop the weakest of the older reads (the last one stays: it is the track's end)
            weakest = min(range(len(self.reads) - 1), key=lambda i: self.reads[i].score)
            del self.reads[weakest]
        # keep all reads' text/score/box but only the best pictures
        kept = sorted((r for r in self.reads if r.picture is not None), key=lambda r: -r.score)
        drop = {id(r) for r in kept[max_images * 2 :]}
        if drop:
            self.reads = [
                r if id(r) not in drop else Read(r.text, r.score, r.box, r.time_ms)
                for r in self.reads
            ]

    @property
    def text(self) -> str:
        return max(self.votes.items(), key=lambda kv: (kv[1], kv[0]))[0]


def _near(a: Box, b: Box) -> bool:
    (ax, ay), (bx, by) = centre(a), centre(b)
    reach = 3 * max(a[2] - a[0], b[2] - b[0], 1)
    return abs(ax - bx) <= reach and abs(ay - by) <= reach


class PassageTracker:
    def __init__(self, settings: TrackerSettings, key_prefix: str = "") -> None:
        self.settings = settings
        self._tracks: list[_Track] = []
        self._ids = itertools.count(1)
        self._prefix = key_prefix

    @property
    def open_tracks(self) -> int:
        return len(self._tracks)

    def update(self, now_ms: int, reads: Sequence[Read]) -> list[Passage]:
        """Add the reads of one frame (taken at ``now_ms``); return what ended or began."""
        out: list[Passage] = []
        for read in sorted(reads, key=lambda r: -r.score):
            track = self._match(read)
            if track is None:
                track = _Track(f"{self._prefix}{next(self._ids)}", read, read)
                self._tracks.append(track)
            track.add(read, self.settings.max_images)
            if (
                self.settings.mode == "parking"
                and not track.announced
                and track.count >= self.settings.min_reads
            ):
                track.announced = True
                out.append(self._passage(track, "parked"))
        out.extend(self.expire(now_ms))
        return out

    def expire(self, now_ms: int, everything: bool = False) -> list[Passage]:
        """End the tracks not read for ``gap_ms`` (all of them with ``everything``)."""
        out: list[Passage] = []
        keep: list[_Track] = []
        for track in self._tracks:
            too_long = (
                self.settings.mode == "driving"
                and track.last.time_ms - track.first.time_ms >= self.settings.max_track_ms
            )
            if (
                not everything
                and not too_long
                and now_ms - track.last.time_ms <= self.settings.gap_ms
            ):
                keep.append(track)
                continue
            if self.settings.mode == "parking":
                if track.announced:
                    out.append(self._passage(track, "left"))
            elif self._enough(track):
                out.append(self._passage(track, "done"))
        self._tracks = keep
        return out

    def _enough(self, track: _Track) -> bool:
        s = self.settings
        best = max(r.score for r in track.reads)
        return track.count >= s.min_reads or best >= s.single_read_score

    def _match(self, read: Read) -> _Track | None:
        best: tuple[float, _Track] | None = None
        for track in self._tracks:
            alike = max(similarity(read.text, t) for t in track.votes)
            if alike < self.settings.same_plate or not _near(read.box, track.last.box):
                continue
            if best is None or alike > best[0]:
                best = (alike, track)
        return best[1] if best else None

    def _direction(self, track: _Track) -> str | None:
        s = self.settings
        if s.direction is not None:
            return s.direction
        if s.entry_movement is None:
            return None
        (x0, y0), (x1, y1) = centre(track.first.box), centre(track.last.box)
        dx, dy = x1 - x0, y1 - y0
        height = max(track.first.box[3] - track.first.box[1], 1)
        if max(abs(dx), abs(dy)) < height:
            return None
        moved = (
            ("right" if dx > 0 else "left") if abs(dx) > abs(dy) else ("down" if dy > 0 else "up")
        )
        if moved == s.entry_movement:
            return "entry"
        return "exit" if moved == _OPPOSITE[s.entry_movement] else None

    def _passage(self, track: _Track, kind: Literal["done", "parked", "left"]) -> Passage:
        text = track.text
        of_text = [r for r in track.reads if r.text == text]
        top = max(of_text, key=lambda r: r.score)
        pictures = sorted(
            (r for r in track.reads if r.picture is not None),
            key=lambda r: (r.text != text, -r.score),
        )
        return Passage(
            key=track.key,
            kind=kind,
            text=text,
            score=top.score,
            box=top.box,
            time_begin_ms=track.first.time_ms,
            time_end_ms=track.last.time_ms,
            direction=self._direction(track),
            best=tuple(pictures[: self.settings.max_images]),
            reads=track.count,
        )

"""Objects followed across frames: one object id per track (pure, no models).

Each analysed frame's detections are matched to the open tracks of the same
kind: a pair whose boxes overlap (IoU at least ``min_iou``) is matched first,
best overlap first; a pair that does not overlap enough but whose centres are
within ``max_shift`` of the larger box's longer side (a fast object at a low
frame rate) is matched after those, the nearer first. A track is compared at
its last box and at where it is expected: moved on by its last movement per
frame (for every frame since it was last matched), or, for a face, by the
movement of its person in this frame (people are matched first: a small face
moves further than its own size between two analysed frames while the
person's box still overlaps). An unmatched detection opens a track; a track
not matched in more than ``max_missed`` frames in a row ends.

A track counts (``started``) once ``min_hits`` frames matched it — a box seen
once is noise more often than an object — and is reported ``ended`` when it
ends; a track that never counted ends silently.

* a ``face`` is linked to the person (``human`` track matched in the same frame)
  whose box holds it (``face_inside`` of the face's area), the tightest such box
  if several: ``parent_id``, kept once set (the guide's ``parentId`` "exists only
  when two objects are detected simultaneously");
* a ``bag`` is not tracked: it counts for the person whose box (grown by a
  sixth) holds most of it (``bag_hits``);
* a ``vehicle``'s type is the one with the highest summed score over its
  frames (a car read as a truck once stays a car);
* the best picture of a track is the crop (with a ``crop_margin``) of its
  detection with the highest score x box area: sure and large (a detection
  with a crop beats one without; ``score`` and ``best_box`` are that
  detection's).

This is the same job as the plate tracker's in :mod:`nvrd.recognition.lpr.tracker`
only in its outline; plates are matched by their text, objects by their boxes.
The box arithmetic is shared (:mod:`nvrd.recognition.geometry`).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nvrd.recognition.geometry import Box, area, centre, clip, inside, iou
from nvrd.recognition.objects.images import as_bgr
from nvrd.recognition.objects.types import Detection, Kind, VehicleType

#: Open tracks at most (of all kinds); detections beyond open none.
MAX_TRACKS = 512


@dataclass(frozen=True)
class TrackerSettings:
    min_iou: float = 0.3
    #: centres this far apart (times the larger box's longer side) still match
    max_shift: float = 0.5
    #: a track ends after this many analysed frames in a row without its object
    max_missed: int = 5
    #: frames that must match a track before it counts
    min_hits: int = 2
    #: part of a face's area that must lie in a person's box to link them
    face_inside: float = 0.8
    #: part of a bag's area that must lie in a person's (grown) box
    bag_inside: float = 0.5
    #: margin of the kept crop (of the box's width and height, each side)
    crop_margin: float = 0.1

    def __post_init__(self) -> None:
        if self.max_missed < 0 or self.min_hits < 1:
            raise ValueError("max_missed must be >= 0 and min_hits >= 1")


@dataclass(frozen=True)
class TrackedObject:
    obj_id: int
    kind: Kind
    #: the box of the last frame that matched
    box: Box
    #: the best detection's score (0..1) and box
    score: float
    best_box: Box
    time_begin_ms: int
    time_end_ms: int
    hits: int
    vehicle_type: VehicleType | None = None
    parent_id: int | None = None
    #: frames in which a bag was seen with this person
    bag_hits: int = 0
    #: the best detection's picture (BGR, with a margin), when frames were given
    crop: np.ndarray | None = field(default=None, compare=False, repr=False)
    #: where ``best_box`` lies in ``crop`` (its pixels)
    crop_box: Box | None = None


@dataclass(frozen=True)
class TrackerUpdate:
    #: tracks that counted in this frame (``min_hits`` reached)
    started: list[TrackedObject]
    #: counted tracks that ended
    ended: list[TrackedObject]


@dataclass
class _Track:
    obj_id: int
    kind: Kind
    box: Box
    first_ms: int
    last_ms: int
    score: float = 0.0
    best_box: Box = (0, 0, 0, 0)
    quality: float = -1.0
    crop: np.ndarray | None = None
    crop_box: Box | None = None
    hits: int = 0
    missed: int = 0
    votes: dict[VehicleType, float] = field(default_factory=dict)
    parent_id: int | None = None
    bag_hits: int = 0
    #: the movement of the box's centre per analysed frame, over the last match
    step: tuple[float, float] = (0.0, 0.0)

    def guess(self, shift: tuple[float, float] | None = None) -> Box:
        """Where the box is expected in this frame: moved by ``shift`` (its person's
        movement), else by its own last movement for every frame since."""
        frames = self.missed + 1
        dx, dy = shift or (self.step[0] * frames, self.step[1] * frames)
        x0, y0, x1, y1 = self.box
        return (round(x0 + dx), round(y0 + dy), round(x1 + dx), round(y1 + dy))

    def add(self, det: Detection, now_ms: int, image: np.ndarray | None, margin: float) -> None:
        if self.hits:
            (x0, y0), (x1, y1) = centre(self.box), centre(det.box)
            frames = self.missed + 1
            self.step = ((x1 - x0) / frames, (y1 - y0) / frames)
        self.box, self.last_ms = det.box, now_ms
        self.hits += 1
        self.missed = 0
        if det.vehicle_type is not None:
            self.votes[det.vehicle_type] = self.votes.get(det.vehicle_type, 0.0) + det.score
        self._best(det, image, margin)

    def _best(self, det: Detection, image: np.ndarray | None, margin: float) -> None:
        """Keep ``det`` as the best detection if it is surer x larger; one with a picture
        beats one without (a frame that was no picture, a box outside it)."""
        quality = det.score * area(det.box)
        if quality <= self.quality and (self.crop is not None or image is None):
            return
        cut = _crop(image, det.box, margin) if image is not None else None
        if (cut is not None, quality) <= (self.crop is not None, self.quality):
            return
        self.quality, self.score, self.best_box = quality, det.score, det.box
        self.crop, self.crop_box = cut if cut is not None else (None, None)

    def snapshot(self) -> TrackedObject:
        vehicle = max(self.votes.items(), key=lambda kv: kv[1])[0] if self.votes else None
        return TrackedObject(
            obj_id=self.obj_id,
            kind=self.kind,
            box=self.box,
            score=self.score,
            best_box=self.best_box,
            time_begin_ms=self.first_ms,
            time_end_ms=self.last_ms,
            hits=self.hits,
            vehicle_type=vehicle,
            parent_id=self.parent_id,
            bag_hits=self.bag_hits,
            crop=self.crop,
            crop_box=self.crop_box,
        )


def _crop(image: np.ndarray, box: Box, margin: float) -> tuple[np.ndarray, Box] | None:
    """The picture of ``box`` grown by ``margin`` of its size on each side, within the
    frame, and where ``box`` lies in it; None when nothing of it is in the frame (a box
    of another frame size)."""
    h, w = image.shape[:2]
    bx0, by0, bx1, by1 = box
    dx, dy = round((bx1 - bx0) * margin), round((by1 - by0) * margin)
    x0, y0, x1, y1 = clip((bx0 - dx, by0 - dy, bx1 + dx, by1 + dy), w, h)
    if x1 <= x0 or y1 <= y0:
        return None
    return image[y0:y1, x0:x1].copy(), (bx0 - x0, by0 - y0, bx1 - x0, by1 - y0)


def _affinity(track: Box, det: Box, s: TrackerSettings) -> float:
    """How well a detection continues a track: its IoU when enough, a value below
    ``min_iou`` for a near centre, 0 for no match."""
    overlap = iou(track, det)
    if overlap >= s.min_iou:
        return overlap
    (tx, ty), (dx, dy) = centre(track), centre(det)
    side = max(track[2] - track[0], track[3] - track[1], det[2] - det[0], det[3] - det[1], 1)
    reach = s.max_shift * side
    distance = float(np.hypot(tx - dx, ty - dy))
    larger, smaller = max(area(track), area(det), 1), max(min(area(track), area(det)), 1)
    if distance > reach or larger > 4 * smaller:
        return 0.0
    return s.min_iou * 0.99 * (1 - distance / reach) + 1e-6


class ObjectTracker:
    """Detections of successive frames of one camera -> tracks with object ids."""

    def __init__(
        self, settings: TrackerSettings | None = None, ids: Callable[[], int] | None = None
    ) -> None:
        self.settings = settings or TrackerSettings()
        counter: Iterator[int] = itertools.count(1)
        self._next_id = ids or (lambda: next(counter))
        self._tracks: list[_Track] = []

    @property
    def tracks(self) -> list[TrackedObject]:
        """The open tracks that count."""
        return [t.snapshot() for t in self._tracks if t.hits >= self.settings.min_hits]

    def update(
        self, now_ms: int, detections: Sequence[Detection], image: Any = None
    ) -> TrackerUpdate:
        """Add one analysed frame's detections (``image``: the frame, for the crops)."""
        frame = as_bgr(image) if image is not None else None
        s = self.settings
        counted = {id(t) for t in self._tracks if t.hits >= s.min_hits}
        matched: dict[int, tuple[_Track, Detection]] = {}
        moved: dict[int, tuple[float, float]] = {}
        for kind in ("human", "vehicle", "face"):
            of_kind = [d for d in detections if d.kind == kind]
            for track, det in self._match(kind, of_kind, now_ms, moved):
                (x0, y0), (x1, y1) = centre(track.box), centre(det.box)
                if track.kind == "human" and track.hits:
                    moved[track.obj_id] = (x1 - x0, y1 - y0)
                track.add(det, now_ms, frame, s.crop_margin)
                matched[id(track)] = (track, det)
        people = [(t, d) for t, d in matched.values() if t.kind == "human"]
        for track, det in matched.values():
            if track.kind == "face" and track.parent_id is None:
                track.parent_id = _holder(det.box, people, s.face_inside, grow=0.0)
        for bag in (d for d in detections if d.kind == "bag"):
            holder = _holder(bag.box, people, s.bag_inside, grow=1 / 6)
            for track, _ in people:
                if track.obj_id == holder:
                    track.bag_hits += 1
        started = [
            t.snapshot()
            for t in self._tracks
            if id(t) in matched and id(t) not in counted and t.hits >= s.min_hits
        ]
        ended = self._age(set(matched))
        return TrackerUpdate(started, ended)

    def flush(self) -> list[TrackedObject]:
        """End every open track; the counted ones."""
        ended = [t.snapshot() for t in self._tracks if t.hits >= self.settings.min_hits]
        self._tracks = []
        return ended

    def _match(
        self,
        kind: str,
        detections: list[Detection],
        now_ms: int,
        moved: dict[int, tuple[float, float]],
    ) -> list[tuple[_Track, Detection]]:
        tracks = [t for t in self._tracks if t.kind == kind]
        s = self.settings
        where = [
            (t.box, t.guess(moved.get(t.parent_id) if t.parent_id is not None else None))
            for t in tracks
        ]
        pairs = sorted(
            (
                (a, ti, di)
                for ti, (last, guess) in enumerate(where)
                for di, d in enumerate(detections)
                if (a := max(_affinity(last, d.box, s), _affinity(guess, d.box, s))) > 0
            ),
            key=lambda p: -p[0],
        )
        used_t: set[int] = set()
        used_d: set[int] = set()
        out: list[tuple[_Track, Detection]] = []
        for _, ti, di in pairs:
            if ti in used_t or di in used_d:
                continue
            used_t.add(ti)
            used_d.add(di)
            out.append((tracks[ti], detections[di]))
        for di, det in enumerate(detections):
            if di in used_d or len(self._tracks) >= MAX_TRACKS:
                continue
            track = _Track(self._next_id(), det.kind, det.box, now_ms, now_ms)
            self._tracks.append(track)
            out.append((track, det))
        return out

    def _age(self, matched: set[int]) -> list[TrackedObject]:
        ended: list[TrackedObject] = []
        keep: list[_Track] = []
        for track in self._tracks:
            if id(track) not in matched:
                track.missed += 1
            if track.missed <= self.settings.max_missed:
                keep.append(track)
            elif track.hits >= self.settings.min_hits:
                ended.append(track.snapshot())
        self._tracks = keep
        return ended


def _holder(
    box: Box, people: list[tuple[_Track, Detection]], needed: float, grow: float
) -> int | None:
    """The id of the person whose box (grown by ``grow``) holds at least ``needed`` of
    ``box``: the one holding most of it, the smaller box on a tie."""
    best: tuple[float, int, int] | None = None
    for track, det in people:
        x0, y0, x1, y1 = det.box
        dx, dy = int((x1 - x0) * grow), int((y1 - y0) * grow)
        held = inside(box, (x0 - dx, y0 - dy, x1 + dx, y1 + dy))
        if held < needed:
            continue
        key = (held, -area(det.box), track.obj_id)
        if best is None or key[:2] > best[:2]:
            best = key
    return best[2] if best else None

"""The demo's yard camera: the cameraman walks across the gravel (as in :mod:`.people`),
then a motorcycle rides across it, as an H.264 video. The motorcycle is a rectangle cut
of the scikit-image wheel's ``motorcycle_left.png`` (it faces right, so it rides to the
right); nothing is downloaded.

The cut is NanoDet's box of the motorcycle in that picture with about 3 % more on each
side (a little of the garage floor and shelves), pasted 280 px high (447 wide) on the
1280x720 gravel. Measured with NanoDet at 34 places across the frame (25 px apart, top
at 360 and 420), at the frame's size and at 960x540 (what the object service analyses):
a ``vehicle`` of type ``motorcycle`` every time (scores 0.57-0.70) and nothing else; in
every frame of the default yard at 960x540 too (0.60-0.74). The same cut 200 px high was
missed at 4 places in 13, 320 px high it gave a second detection at 2 places in 31; cuts
with 10-20 % more of the garage were taken for a bus, truck or bicycle at some places
(160-240 px high). The colour named from the crop is ``gray`` (the red tank and mudguards
are about a sixth of its middle; the floor, engine and tyres are gray).

The default yard is 17.6 s at 10 fps, 2.4 MB, made in about 2 s. Played by the demo
server (channel 4, 2 frames a second analysed), each of its first three passes gave one
person with his face and one motorcycle (likelihood 74.1).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from nvrd.media.traffic.people import (
    MAN,
    MAN_TOP,
    Walk,
    background,
    left_edge,
    picture,
    walker,
)
from nvrd.media.traffic.video import truth_path, write_video

#: Where the motorcycle is in ``motorcycle_left.png`` (x0, y0, x1, y1; 741x500 pixels).
CUT = (82, 72, 704, 462)
#: The motorcycle's height and top edge in a 1280x720 frame, and its width.
BIKE_HEIGHT = 280
BIKE_TOP = 400
BIKE_WIDTH = round((CUT[2] - CUT[0]) * BIKE_HEIGHT / (CUT[3] - CUT[1]))

Box = tuple[int, int, int, int]


def motorcycle() -> np.ndarray:
    """The cut of the motorcycle, BIKE_WIDTH x BIKE_HEIGHT BGR."""
    x0, y0, x1, y1 = CUT
    cut = picture("motorcycle_left.png")[y0:y1, x0:x1]
    return cv2.resize(cut, (BIKE_WIDTH, BIKE_HEIGHT), interpolation=cv2.INTER_AREA)


@dataclass(frozen=True)
class Props:
    """The pictures a yard is made of (BGR): the gravel, the man, the motorcycle."""

    gravel: np.ndarray
    man: np.ndarray
    bike: np.ndarray


def props() -> Props:
    return Props(background(), walker(), motorcycle())


@dataclass(frozen=True)
class Yard:
    width: int = 1280
    height: int = 720
    fps: int = 10
    #: empty gravel before the man walks
    lead_seconds: float = 3.0
    #: the man walks from x = 40 to x = 880, as in :class:`Walk`
    walk_seconds: float = 5.6
    #: empty gravel between the man and the motorcycle
    gap_seconds: float = 2.0
    #: the motorcycle rides from x = 40 to x = 793 (251 px a second by default)
    ride_seconds: float = 3.0
    #: empty gravel after it
    trail_seconds: float = 4.0

    @property
    def walk(self) -> Walk:
        """The man's part of the yard (the rest of the video is his trail)."""
        rest = self.gap_seconds + self.ride_seconds + self.trail_seconds
        return Walk(
            self.width,
            self.height,
            self.fps,
            lead_seconds=self.lead_seconds,
            trail_seconds=rest,
            walk_seconds=self.walk_seconds,
        )

    @property
    def ride_begins(self) -> float:
        return self.lead_seconds + self.walk_seconds + self.gap_seconds

    @property
    def seconds(self) -> float:
        return self.ride_begins + self.ride_seconds + self.trail_seconds

    def ride(self, t: float) -> int | None:
        """The motorcycle's left edge at ``t`` seconds (None: not in the picture)."""
        return left_edge(t, self.ride_begins, self.ride_seconds, 1280 - 80 - BIKE_WIDTH)

    def boxes(self, t: float) -> dict[str, Box]:
        """What is in the picture at ``t`` seconds and where (1280x720 pixels, x1 and y1
        exclusive): ``human`` and ``vehicle``."""
        out: dict[str, Box] = {}
        x = self.walk.position(t)
        if x is not None:
            out["human"] = (x, MAN_TOP, x + MAN, MAN_TOP + MAN)
        x = self.ride(t)
        if x is not None:
            out["vehicle"] = (x, BIKE_TOP, x + BIKE_WIDTH, BIKE_TOP + BIKE_HEIGHT)
        return out

    def frame(self, t: float, parts: Props) -> np.ndarray:
        """The 1280x720 BGR picture at ``t`` seconds."""
        frame = parts.gravel.copy()
        for kind, (x0, y0, x1, y1) in self.boxes(t).items():
            frame[y0:y1, x0:x1] = parts.man if kind == "human" else parts.bike
        return frame

    def frames(self) -> Iterator[np.ndarray]:
        """RGB frames (what the encoder reads)."""
        parts = props()
        for n in range(round(self.seconds * self.fps)):
            yield cv2.cvtColor(self.frame(n / self.fps, parts), cv2.COLOR_BGR2RGB)

    def truth(self) -> dict[str, Any]:
        """When (seconds from the start) the man and the motorcycle are in the picture."""
        walk_ends = self.lead_seconds + self.walk_seconds
        return {
            "seconds": self.seconds,
            "fps": self.fps,
            "human": [self.lead_seconds, walk_ends],
            "vehicle": [self.ride_begins, self.ride_begins + self.ride_seconds],
            "vehicleCut": list(CUT),
            "vehicleSize": [BIKE_WIDTH, BIKE_HEIGHT],
        }


def is_made(path: Path, yard: Yard) -> bool:
    """Whether ``path`` is this yard's video (its truth file says so)."""
    try:
        return path.exists() and json.loads(truth_path(path).read_text("utf-8")) == yard.truth()
    except (OSError, ValueError):
        return False


def make_yard(ffmpeg: str, path: Path, yard: Yard | None = None) -> tuple[Path, dict[str, Any]]:
    """``path`` (H.264 MP4) with its truth next to it (``<name>.truth.json``); made again
    only when it is not this yard's (:func:`is_made`). Returns it with the truth."""
    yard = yard or Yard()
    truth = yard.truth()
    if not is_made(path, yard):
        tmp = write_video(ffmpeg, yard, yard.frames(), path)
        truth_path(path).write_text(json.dumps(truth, indent=1), "utf-8")
        tmp.replace(path)
    return path, truth

"""A person walking across gravel, as an H.264 video (the object detection tests and the
demo's channel for it): the cameraman of the scikit-image wheel's data pictures,
which ship inside that package (``make install`` installs it); nothing is downloaded."""

from __future__ import annotations

import importlib.metadata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from nvrd.media.traffic.video import write_video


class PicturesMissing(RuntimeError):
    """The scikit-image package (which holds the pictures) is not installed."""


def picture(name: str) -> np.ndarray:
    """A picture of the scikit-image wheel (BGR; grey ones stay grey)."""
    try:
        dist = importlib.metadata.distribution("scikit-image")
    except importlib.metadata.PackageNotFoundError:
        raise PicturesMissing(
            "the pictures come with scikit-image: pip install scikit-image"
        ) from None
    path = str(dist.locate_file(f"skimage/data/{name}"))
    image = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if image is None:
        raise PicturesMissing(f"{path} is missing or unreadable")
    return np.asarray(image)


#: The walking cameraman's size (pixels of a 1280x720 frame).
MAN = 358
#: His top edge while he walks.
MAN_TOP = 150


def background() -> np.ndarray:
    """Blurred gravel, 1280x720 BGR."""
    frame = cv2.resize(picture("gravel.png"), (1280, 720))
    return cv2.GaussianBlur(cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR), (0, 0), 3)


def walker() -> np.ndarray:
    man = cv2.cvtColor(picture("camera.png"), cv2.COLOR_GRAY2BGR)
    return cv2.resize(man, (MAN, MAN), interpolation=cv2.INTER_AREA)


def left_edge(t: float, begins: float, seconds: float, travel: int) -> int | None:
    """The left edge at ``t`` seconds of what crosses the picture from x = 40, ``travel``
    pixels in ``seconds`` from ``begins`` (None: not in the picture)."""
    into = t - begins
    if into < 0 or into > seconds:
        return None
    return round(40 + travel * into / seconds)


def walk_frame(base: np.ndarray, man: np.ndarray, x: int, y: int) -> np.ndarray:
    frame = base.copy()
    frame[y : y + MAN, x : x + MAN] = man
    return frame


@dataclass(frozen=True)
class Walk:
    width: int = 1280
    height: int = 720
    fps: int = 10
    #: empty gravel before and after the walk
    lead_seconds: float = 3.0
    trail_seconds: float = 3.0
    #: the man walks from x = 40 to x = 880 (150 px a second by default)
    walk_seconds: float = 5.6

    @property
    def seconds(self) -> float:
        return self.lead_seconds + self.walk_seconds + self.trail_seconds

    def position(self, t: float) -> int | None:
        """The man's left edge at ``t`` seconds (None: not in the picture)."""
        return left_edge(t, self.lead_seconds, self.walk_seconds, 840)

    def frames(self) -> Iterator[np.ndarray]:
        """RGB frames (what the encoder reads)."""
        base, man = background(), walker()
        for n in range(round(self.seconds * self.fps)):
            x = self.position(n / self.fps)
            frame = base if x is None else walk_frame(base, man, x, MAN_TOP)
            yield cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)


def make_walk(ffmpeg: str, path: Path, walk: Walk | None = None) -> tuple[Path, dict[str, Any]]:
    """``path`` (H.264 MP4): one person walking across; made once. Returns it with the
    times (seconds from the start) when the person is in the picture."""
    walk = walk or Walk()
    truth = {
        "seconds": walk.seconds,
        "inPicture": [walk.lead_seconds, walk.lead_seconds + walk.walk_seconds],
        "people": 1,
    }
    if not path.exists():
        write_video(ffmpeg, walk, walk.frames(), path).replace(path)
    return path, truth

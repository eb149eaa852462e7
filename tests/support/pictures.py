"""Pictures for the object detectors (tests and benchmark), from the scikit-image wheel's
data folder (people, a face, a motorcycle, a cup of coffee, a cat, a rocket), a 1280x720
scene made of them, and the cameraman walking across (frames, or an H.264 video for a
file channel). Nothing is downloaded."""

from __future__ import annotations

import importlib.metadata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from nvrd.media.traffic.video import write_video
from nvrd.recognition.geometry import Box

#: What is no picture: the detectors find nothing in it, and do not fail.
BAD: list[Any] = [
    None,
    "frame",
    np.zeros((0, 0, 3), np.uint8),
    np.zeros((720, 0, 3), np.uint8),
    np.zeros((7, 7, 3), np.uint8),
    np.zeros((1, 1280, 3), np.uint8),
    np.zeros((720, 1280, 5), np.uint8),
    np.zeros((720, 1280, 2), np.uint8),
    np.zeros((2, 720, 1280, 3), np.uint8),
    np.zeros((720, 1280, 3), np.float32),
    np.zeros((720, 1280, 3), np.int64),
]


def picture(name: str) -> np.ndarray:
    """A picture of the scikit-image wheel (BGR; grey ones stay grey)."""
    dist = importlib.metadata.distribution("scikit-image")
    path = str(dist.locate_file(f"skimage/data/{name}"))
    image = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    assert image is not None, path
    return image


@dataclass(frozen=True)
class Scene:
    image: np.ndarray
    #: where the people and the motorcycle were put (frame pixels)
    astronaut: Box
    cameraman: Box
    motorcycle: Box


def _paste(frame: np.ndarray, image: np.ndarray, x: int, y: int, scale: float) -> Box:
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    small = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    h, w = small.shape[:2]
    frame[y : y + h, x : x + w] = small
    return (x, y, x + w, y + h)


def make_scene(width: int = 1280, height: int = 720) -> Scene:
    """The astronaut and the cameraman side by side and a motorcycle, on blurred gravel."""
    frame = cv2.resize(picture("gravel.png"), (1280, 720))
    frame = cv2.GaussianBlur(cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR), (0, 0), 3)
    astronaut = _paste(frame, picture("astronaut.png"), 100, 50, 0.7)
    cameraman = _paste(frame, picture("camera.png"), 600, 100, 0.7)
    motorcycle = _paste(frame, picture("motorcycle_left.png"), 1280 - 445, 720 - 300, 0.6)
    if (width, height) == (1280, 720):
        return Scene(frame, astronaut, cameraman, motorcycle)
    sx, sy = width / 1280, height / 720

    def scaled(b: Box) -> Box:
        return (int(b[0] * sx), int(b[1] * sy), int(b[2] * sx), int(b[3] * sy))

    resized = cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA)
    return Scene(resized, scaled(astronaut), scaled(cameraman), scaled(motorcycle))


#: The walking cameraman's size (pixels of a 1280x720 frame).
MAN = 358


def background() -> np.ndarray:
    """Blurred gravel, 1280x720 BGR."""
    frame = cv2.resize(picture("gravel.png"), (1280, 720))
    return cv2.GaussianBlur(cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR), (0, 0), 3)


def walker() -> np.ndarray:
    man = cv2.cvtColor(picture("camera.png"), cv2.COLOR_GRAY2BGR)
    return cv2.resize(man, (MAN, MAN), interpolation=cv2.INTER_AREA)


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
        into = t - self.lead_seconds
        if into < 0 or into > self.walk_seconds:
            return None
        return round(40 + 840 * into / self.walk_seconds)

    def frames(self) -> Iterator[np.ndarray]:
        """RGB frames (what the encoder reads)."""
        base, man = background(), walker()
        for n in range(round(self.seconds * self.fps)):
            x = self.position(n / self.fps)
            frame = base if x is None else walk_frame(base, man, x, 150)
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

"""Pictures for the object detectors (tests and benchmark), from the scikit-image wheel's
data folder (people, a face, a motorcycle, a cup of coffee, a cat, a rocket), a 1280x720
scene made of them, and the cameraman walking across (frames, or an H.264 video for a
file channel). Nothing is downloaded."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from nvrd.media.traffic.people import (
    MAN,
    Walk,
    background,
    make_walk,
    picture,
    walk_frame,
    walker,
)
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


__all__ = ["BAD", "MAN", "Scene", "Walk", "background", "make_scene", "make_walk", "picture"]
__all__ += ["walk_frame", "walker"]


def face_crop(image: np.ndarray, margin: float = 0.1) -> np.ndarray:
    """The face as the tracker keeps it: the detector's box with a margin."""
    from nvrd.recognition.objects.faces import FaceDetector
    from nvrd.recognition.objects.tracker import _crop

    found = FaceDetector().detect(image)
    assert len(found) == 1
    cut = _crop(image, found[0].box, margin)
    assert cut is not None
    return cut[0]

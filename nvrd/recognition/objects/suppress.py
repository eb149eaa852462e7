"""What both people/vehicle networks do with their boxes: the COCO-80 classes nvrd reports
(:data:`.types.COCO_CLASSES`) above a score, overlapping boxes of one kind merged
(non-maximum suppression per kind, so a bag stays next to the person carrying it), and
nested boxes of one kind one object (:func:`merge_nested`): a network often finds a
person's upper body, or a motorcycle's middle, as a second object inside the first."""

from __future__ import annotations

import cv2
import numpy as np

from nvrd.recognition.geometry import Box, area, clip, inside
from nvrd.recognition.objects.types import COCO_CLASSES, Detection, Kind

KINDS: tuple[Kind, ...] = ("human", "vehicle", "face", "bag")
#: nested boxes: the smaller this much (of its area) inside the larger ...
_NESTED = 0.9
#: ... and at least this part of the larger's area are one object
_NESTED_AREA = 0.25


def wanted(classes: np.ndarray, scores: np.ndarray, min_score: float) -> np.ndarray:
    """The rows whose best class is one nvrd reports, at least ``min_score`` sure."""
    return np.isin(classes, list(COCO_CLASSES)) & (scores >= min_score)


def suppressed(
    sides: np.ndarray,
    scores: np.ndarray,
    classes: np.ndarray,
    size: tuple[int, int],
    min_score: float,
    nms_iou: float,
) -> list[Detection]:
    """The detections of a picture of ``size`` (width, height) among a network's candidate
    boxes (``sides``: rows of x0, y0, x1, y1 in its pixels, which may leave it; their best
    class and its score; only the :func:`wanted` rows, which both networks select before
    decoding their boxes): each cut to the picture (at least 2 px wide and high), one per
    group of boxes of one kind overlapping more than ``nms_iou``, nested ones merged;
    surest first."""
    width, height = size
    found: list[tuple[Box, float, int]] = []
    rows = zip(sides.tolist(), scores.tolist(), classes.tolist(), strict=True)
    for (x0, y0, x1, y1), score, cls in rows:
        box = clip((int(x0), int(y0), int(x1 + 0.5), int(y1 + 0.5)), width, height)
        if box[2] - box[0] >= 2 and box[3] - box[1] >= 2:
            found.append((box, float(score), int(cls)))
    if not found:
        return []
    keep = cv2.dnn.NMSBoxesBatched(
        [[b[0], b[1], b[2] - b[0], b[3] - b[1]] for b, _, _ in found],
        [s for _, s, _ in found],
        [KINDS.index(COCO_CLASSES[c][0]) for _, _, c in found],
        min_score,
        nms_iou,
    )
    out: list[Detection] = []
    for i in np.asarray(keep, dtype=int).reshape(-1):
        box, score, cls = found[i]
        kind, vehicle_type = COCO_CLASSES[cls]
        out.append(Detection(kind, box, score, vehicle_type))
    return merge_nested(out)


def merge_nested(detections: list[Detection]) -> list[Detection]:
    """Detections of one kind where the smaller box lies 90 % inside the larger and has at
    least a quarter of its area are one object: the surer detection (its score and type)
    with the larger box. A small box deep inside a large one (a person far behind another,
    a bag) stays an object of its own. Surest first."""
    out: list[Detection] = []
    for det in sorted(detections, key=lambda d: -d.score):
        for n, kept in enumerate(out):
            if kept.kind == det.kind and _same_object(kept.box, det.box):
                if area(det.box) > area(kept.box):
                    out[n] = Detection(kept.kind, det.box, kept.score, kept.vehicle_type)
                break
        else:
            out.append(det)
    return out


def _same_object(a: Box, b: Box) -> bool:
    small, large = (a, b) if area(a) <= area(b) else (b, a)
    return inside(small, large) >= _NESTED and area(small) >= _NESTED_AREA * area(large)

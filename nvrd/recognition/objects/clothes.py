"""A person's clothes colours, from the body keypoints of MoveNet lightning.

MoveNet lightning (single pose, 17 COCO keypoints; converted to ONNX once by the install
step, :data:`~nvrd.recognition.objects.models.MOVENET`) runs on the person's crop padded
to a square (its aspect kept) and shrunk to 192 x 192. Its keypoints, back in the crop's
pixels (a crop is first shrunk to at most 384 px), give two regions:

* ``tops``: the torso, the quadrilateral of the shoulders and hips, from a sixth of the
  way down (the neck) to nine tenths (the belt), narrowed to 60 % of its width around
  its middle line (arms and background at the sides stay out);
* ``bottoms``: the thighs, a strip along each hip-to-knee segment (from a tenth to nine
  tenths of it) as wide as a fifth of its length; the shins are left out, bare under
  shorts and skirts.

A region needs its keypoints at least ``min_score`` (0.3) sure: both shoulders and a hip
for the torso, a hip and the knee for a thigh (a hip hidden behind the body is taken
where it is guessed to be); and at least ``min_pixels`` (150) pixels in the crop. Its
pixels (at most ``max_samples``, evenly taken) are clustered in Lab (three clusters, the
vehicles' deterministic k-means, :mod:`~nvrd.recognition.objects.colour`) and named with
the vehicles' rules (:func:`~nvrd.recognition.objects.colour.colour_name`). The largest
colour is the part's; a second is added when it covers at least ``second_share`` (30 %)
of the region (a patch or a print seldom does), is one colour (its pixels within
``max_spread``, 25 in Lab, of its centre: a cluster that gathers a patch, straps and
badges is not), is at least ``min_difference`` (Lab distance 30) from the first (a shaded
fold of the same cloth is not a second colour) and is not skin-coloured (a bare neck or
arm is not clothing). Background seldom leaks in: the regions are narrower than the body.

Lengths (short or long sleeves and trousers) are not reported: the keypoints say where
the limbs are, not where the cloth ends.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from nvrd.recognition.objects.colour import (
    NamedColour,
    kmeans,
    lab_pixels,
    named_colours,
    spreads,
)
from nvrd.recognition.objects.images import as_bgr, shrunk
from nvrd.recognition.objects.onnx import cpu_session

#: the network's input side (pixels)
INPUT_SIDE = 192
#: larger crops are shrunk to this longer side first: enough for the network's input and
#: the regions' colours
MAX_SIDE = 384

#: COCO keypoint indices
LEFT_SHOULDER, RIGHT_SHOULDER = 5, 6
LEFT_HIP, RIGHT_HIP = 11, 12
LEFT_KNEE, RIGHT_KNEE = 13, 14

#: Points of a region's outline: (x, y) crop pixels.
Polygon = np.ndarray


@dataclass(frozen=True)
class ClothesSettings:
    #: lowest keypoint score of a region's keypoints
    min_score: float = 0.3
    #: fewest crop pixels of a region
    min_pixels: int = 150
    #: most pixels of a region that are clustered
    max_samples: int = 3000
    #: share of the region of a second colour
    second_share: float = 0.3
    #: a second colour is one colour: its pixels lie within this (root mean square Lab
    #: distance) of its centre; a mixture of a patch, straps and badges does not
    max_spread: float = 25.0
    #: Lab distance of a second colour from the first
    min_difference: float = 30.0
    #: the torso's kept width (of the shoulders' and hips' distance)
    torso_width: float = 0.6
    #: a thigh strip's width (of its length)
    thigh_width: float = 0.2


def square_input(bgr: np.ndarray) -> tuple[np.ndarray, int]:
    """The network's input of a crop: padded with black to a square (the crop in its
    middle), shrunk to 192 px, RGB int32 [1, 192, 192, 3]; and the square's side."""
    h, w = bgr.shape[:2]
    side = max(h, w)
    square = np.zeros((side, side, 3), np.uint8)
    top, left = (side - h) // 2, (side - w) // 2
    square[top : top + h, left : left + w] = bgr
    small = cv2.resize(square, (INPUT_SIDE, INPUT_SIDE), interpolation=cv2.INTER_AREA)
    rgb = cv2.cvtColor(small, cv2.COLOR_BGR2RGB)
    return rgb.astype(np.int32)[None], side


def keypoints_in_crop(raw: np.ndarray, width: int, height: int) -> np.ndarray:
    """The network's output (y, x, score normalised to the padded square) as 17 rows of
    (x, y, score) in the crop's pixels."""
    side = max(width, height)
    points = np.asarray(raw, dtype=np.float64).reshape(17, 3)
    out = np.empty((17, 3))
    out[:, 0] = points[:, 1] * side - (side - width) // 2
    out[:, 1] = points[:, 0] * side - (side - height) // 2
    out[:, 2] = points[:, 2]
    return out


def _sure(points: np.ndarray, indices: tuple[int, ...], min_score: float) -> bool:
    return all(points[i, 2] >= min_score for i in indices)


def _a_hip_sure(points: np.ndarray, min_score: float) -> bool:
    return bool(points[LEFT_HIP, 2] >= min_score or points[RIGHT_HIP, 2] >= min_score)


def torso_polygon(points: np.ndarray, min_score: float = 0.3, width: float = 0.6) -> Polygon | None:
    """The torso's outline (4 points, crop pixels), or None when a shoulder, or both
    hips, are not sure enough (one hip is often behind the body or an arm: where it is
    guessed to be is used)."""
    if not _sure(points, (LEFT_SHOULDER, RIGHT_SHOULDER), min_score):
        return None
    if not _a_hip_sure(points, min_score):
        return None
    xy = points[:, :2]
    ls, rs, lh, rh = xy[LEFT_SHOULDER], xy[RIGHT_SHOULDER], xy[LEFT_HIP], xy[RIGHT_HIP]

    def along(shoulder: np.ndarray, hip: np.ndarray, t: float) -> np.ndarray:
        return np.asarray(shoulder + (hip - shoulder) * t)

    top_l, top_r = along(ls, lh, 1 / 6), along(rs, rh, 1 / 6)
    bottom_l, bottom_r = along(ls, lh, 0.9), along(rs, rh, 0.9)

    def narrowed(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        middle = (a + b) / 2
        return middle + (a - middle) * width, middle + (b - middle) * width

    top_l, top_r = narrowed(top_l, top_r)
    bottom_l, bottom_r = narrowed(bottom_l, bottom_r)
    return np.array([top_l, top_r, bottom_r, bottom_l])


def strip(a: np.ndarray, b: np.ndarray, width: float) -> Polygon | None:
    """The rectangle along a to b (from a tenth to nine tenths of the way), ``width`` of
    its length wide; None when a and b (nearly) coincide."""
    d = b - a
    length = math.hypot(float(d[0]), float(d[1]))
    if length < 1.0:
        return None
    normal = np.array([-d[1], d[0]]) / length * (length * width / 2)
    start, end = a + d * 0.1, a + d * 0.9
    return np.array([start + normal, end + normal, end - normal, start - normal])


def thigh_polygons(points: np.ndarray, min_score: float = 0.3, width: float = 0.2) -> list[Polygon]:
    """The thighs' outlines (crop pixels) whose knee is sure enough; none when neither
    hip is."""
    if not _a_hip_sure(points, min_score):
        return []
    out: list[Polygon] = []
    for hip, knee in ((LEFT_HIP, LEFT_KNEE), (RIGHT_HIP, RIGHT_KNEE)):
        if points[knee, 2] >= min_score:
            found = strip(points[hip, :2], points[knee, :2], width)
            if found is not None:
                out.append(found)
    return out


def region_mask(polygons: list[Polygon], width: int, height: int) -> np.ndarray:
    """The crop's pixels inside any of ``polygons`` (bool, height x width)."""
    mask = np.zeros((height, width), np.uint8)
    for polygon in polygons:
        corners = np.round(polygon).astype(np.int32).reshape(-1, 1, 2)
        cv2.fillPoly(mask, [corners], 1)
    return mask.astype(bool)


def is_skin(colour: NamedColour) -> bool:
    """Lab colours of skin, light to dark: warm hues, moderate chroma."""
    lightness, a, b = colour.centre
    chroma = math.hypot(a, b)
    hue = math.degrees(math.atan2(b, a)) % 360
    return 25 <= lightness <= 90 and 8 <= chroma <= 45 and 15 <= hue <= 80


def region_colours(pixels: np.ndarray, settings: ClothesSettings | None = None) -> list[str]:
    """The colour names of a region's BGR pixels (N x 3), the main one first."""
    s = settings or ClothesSettings()
    flat = pixels.reshape(-1, 3)
    if len(flat) == 0:
        return []
    if len(flat) > s.max_samples:
        flat = flat[np.linspace(0, len(flat) - 1, s.max_samples).astype(int)]
    lab = lab_pixels(flat)
    centres, shares = kmeans(lab, 3)
    ranked = named_colours(centres, shares, spreads(lab, centres))
    main = ranked[0]
    out = [main.name]
    for other in ranked[1:]:
        far = math.dist(other.centre, main.centre) >= s.min_difference
        one = other.spread <= s.max_spread
        if other.share >= s.second_share and far and one and not is_skin(other):
            out.append(other.name)
            break
    return out


class ClothesModel:
    """The clothes colours of person crops (BGR, any size)."""

    def __init__(
        self, model: Path, threads: int = 1, settings: ClothesSettings | None = None
    ) -> None:
        self.settings = settings or ClothesSettings()
        self._session = cpu_session(model, threads)
        self._input = self._session.get_inputs()[0].name

    def keypoints(self, bgr: np.ndarray) -> np.ndarray:
        """17 rows of (x, y, score) in the crop's pixels."""
        tensor, _ = square_input(bgr)
        raw = self._session.run(None, {self._input: tensor})[0]
        return keypoints_in_crop(raw, bgr.shape[1], bgr.shape[0])

    def attributes(self, crop: Any) -> list[dict[str, Any]]:
        """The guide's clothes list, ``[{"type": "tops", "colors": ["white"]}, ...]``:
        only the parts found; [] for what is no picture."""
        image = as_bgr(crop)
        if image is None:
            return []
        bgr = shrunk(image, MAX_SIDE)
        s = self.settings
        points = self.keypoints(bgr)
        h, w = bgr.shape[:2]
        torso = torso_polygon(points, s.min_score, s.torso_width)
        parts = {
            "tops": [torso] if torso is not None else [],
            "bottoms": thigh_polygons(points, s.min_score, s.thigh_width),
        }
        out: list[dict[str, Any]] = []
        for part, polygons in parts.items():
            if not polygons:
                continue
            mask = region_mask(polygons, w, h)
            if int(mask.sum()) < s.min_pixels:
                continue
            colours = region_colours(bgr[mask], s)
            if colours:
                out.append({"type": part, "colors": colours})
        return out

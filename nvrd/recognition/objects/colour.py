"""The colour of a vehicle from its picture: k-means in Lab and colour-name rules (pure).

The crop's middle (its outer sixth on each side is mostly road, kerb and
neighbours) is shrunk to at most 64 px, converted to CIE Lab, and its pixels
grouped in three clusters (k-means from a fixed start: the same picture gives
the same answer). Each cluster centre is named by rules on lightness L
(0..100), chroma C and hue angle h (degrees of the a/b plane):

* C < 12: ``black`` (L < 22), ``white`` (L > 85), else ``gray`` (silver too);
* otherwise by hue: red 350..50 (``pink`` when light and soft), orange 50..75,
  yellow 75..115 (``brown`` for dark orange and yellow, ``beige`` for light soft
  ones), green 115..170, cyan 170..240, blue 240..315, purple/magenta 315..350
  (``purple`` when dark, ``pink`` when light and soft).

The vehicle's colour is the largest cluster's, except that a chromatic
cluster of at least ``min_share`` of the pixels wins over a larger black or
gray one (windows, tyres and shadows are dark); a second, different colour
with at least ``second_share`` is added (two-tone). The names are the guide's
(:data:`nvrd.core.objects.COLORS`).
"""

from __future__ import annotations

import math
from typing import Any

import cv2
import numpy as np

from nvrd.recognition.objects.images import as_bgr

_ACHROMATIC = ("black", "white", "gray")
_ITERATIONS = 12


def colour_name(lightness: float, a: float, b: float) -> str:
    """The guide's colour name of one CIE Lab colour (L 0..100, a and b around 0)."""
    chroma = math.hypot(a, b)
    if chroma < 12:
        return "black" if lightness < 22 else "white" if lightness > 85 else "gray"
    hue = math.degrees(math.atan2(b, a)) % 360
    soft_light = lightness > 65 and chroma < 60
    if hue >= 350 or hue < 50:
        return "pink" if soft_light else "red"
    if hue < 115:
        if lightness < 50:
            return "brown"
        if lightness > 75 and chroma < 40:
            return "beige"
        return "orange" if hue < 75 else "yellow"
    if hue < 170:
        return "green"
    if hue < 240:
        return "cyan"
    if hue < 315:
        return "blue"
    if soft_light:
        return "pink"
    return "purple" if lightness < 45 else "magenta"


def _lab_pixels(crop: np.ndarray) -> np.ndarray:
    h, w = crop.shape[:2]
    middle = crop[h // 6 : h - h // 6 or h, w // 6 : w - w // 6 or w]
    f = min(1.0, 64 / max(middle.shape[:2]))
    if f < 1.0:
        middle = cv2.resize(middle, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
    lab = cv2.cvtColor(middle.astype(np.float32) / 255.0, cv2.COLOR_BGR2LAB)
    return lab.reshape(-1, 3).astype(np.float64)


def _kmeans(pixels: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Cluster centres and their shares, started from lightness quantiles."""
    order = np.argsort(pixels[:, 0], kind="stable")
    starts = [order[int((2 * i + 1) * len(order) / (2 * k))] for i in range(k)]
    centres = pixels[starts].copy()
    labels = np.zeros(len(pixels), dtype=int)
    for _ in range(_ITERATIONS):
        distances = ((pixels[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
        labels = distances.argmin(axis=1)
        for c in range(k):
            members = pixels[labels == c]
            if len(members):
                centres[c] = members.mean(axis=0)
    shares = np.bincount(labels, minlength=k) / len(pixels)
    return centres, shares


def vehicle_colours(crop: Any, min_share: float = 0.25, second_share: float = 0.35) -> list[str]:
    """The colour names of a vehicle's picture (BGR), the main one first; [] for what is
    no picture."""
    image = as_bgr(crop)
    if image is None:
        return []
    centres, shares = _kmeans(_lab_pixels(image), 3)
    shares_by_name: dict[str, float] = {}
    for (lightness, a, b), share in zip(centres, shares, strict=True):
        name = colour_name(float(lightness), float(a), float(b))
        shares_by_name[name] = shares_by_name.get(name, 0.0) + float(share)
    ranked = sorted(shares_by_name.items(), key=lambda kv: -kv[1])
    main = ranked[0][0]
    if main in _ACHROMATIC:
        chromatic = [n for n, s in ranked if n not in _ACHROMATIC and s >= min_share]
        if chromatic:
            main = chromatic[0]
    out = [main]
    out += [n for n, s in ranked if n != main and s >= second_share][:1]
    return out

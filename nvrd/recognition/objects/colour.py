"""The colour of a vehicle from its picture: k-means in Lab and colour-name rules (pure;
the clustering and the names are shared with a person's clothes, ``clothes.py``).

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
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from nvrd.recognition.objects.images import as_bgr, shrunk

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


def lab_pixels(pixels: np.ndarray) -> np.ndarray:
    """BGR uint8 pixels (any shape ending in 3) as a list of CIE Lab colours (N x 3)."""
    bgr = pixels.reshape(-1, 1, 3).astype(np.float32) / 255.0
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2LAB).reshape(-1, 3).astype(np.float64)


def _middle_pixels(crop: np.ndarray) -> np.ndarray:
    h, w = crop.shape[:2]
    middle = crop[h // 6 : h - h // 6 or h, w // 6 : w - w // 6 or w]
    return lab_pixels(shrunk(middle, 64))


def kmeans(pixels: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Cluster centres and their shares of Lab ``pixels`` (N x 3), started from lightness
    quantiles (deterministic)."""
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


def spreads(pixels: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """How far the pixels of each cluster (those nearest its centre) lie from it: the
    root mean square Lab distance (0 for an empty cluster)."""
    distances = ((pixels[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
    labels = distances.argmin(axis=1)
    nearest = distances[np.arange(len(pixels)), labels]
    out = np.zeros(len(centres))
    for c in range(len(centres)):
        members = nearest[labels == c]
        if len(members):
            out[c] = math.sqrt(float(members.mean()))
    return out


@dataclass(frozen=True)
class NamedColour:
    """The clusters of one colour name: their summed share, share-weighted centre and
    spread (root mean square of the clusters' spreads, when given)."""

    name: str
    share: float
    centre: tuple[float, float, float]
    spread: float = 0.0


def named_colours(
    centres: np.ndarray, shares: np.ndarray, spread: np.ndarray | None = None
) -> list[NamedColour]:
    """Clusters grouped by their colour name, the largest share first (ties: the order
    of the clusters)."""
    spread = np.zeros(len(centres)) if spread is None else spread
    groups: dict[str, list[tuple[np.ndarray, float, float]]] = {}
    for centre, share, far in zip(centres, shares, spread, strict=True):
        name = colour_name(float(centre[0]), float(centre[1]), float(centre[2]))
        groups.setdefault(name, []).append((centre, float(share), float(far)))
    out: list[NamedColour] = []
    for name, members in groups.items():
        total = sum(s for _, s, _ in members)
        if total <= 0:
            continue
        mean = np.sum([c * s for c, s, _ in members], axis=0) / total
        rms = math.sqrt(sum(s * f * f for _, s, f in members) / total)
        centre = (float(mean[0]), float(mean[1]), float(mean[2]))
        out.append(NamedColour(name, total, centre, rms))
    return sorted(out, key=lambda n: -n.share)


def vehicle_colours(crop: Any, min_share: float = 0.25, second_share: float = 0.35) -> list[str]:
    """The colour names of a vehicle's picture (BGR), the main one first; [] for what is
    no picture."""
    image = as_bgr(crop)
    if image is None:
        return []
    ranked = [(n.name, n.share) for n in named_colours(*kmeans(_middle_pixels(image), 3))]
    main = ranked[0][0]
    if main in _ACHROMATIC:
        chromatic = [n for n, s in ranked if n not in _ACHROMATIC and s >= min_share]
        if chromatic:
            main = chromatic[0]
    out = [main]
    out += [n for n, s in ranked if n != main and s >= second_share][:1]
    return out

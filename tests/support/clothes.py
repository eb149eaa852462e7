"""People of the scikit-image wheel's pictures in clothes of a known colour (clothes
colour tests and benchmark): the astronaut's orange suit and the cameraman's black coat
painted over, their folds and shading kept. Nothing is downloaded."""

from __future__ import annotations

import cv2
import numpy as np

from tests.support.paints import PAINTS
from tests.support.pictures import picture

#: BGR cloth colours and the name each must get: the vehicle paints
CLOTHS = PAINTS

#: what a person of the pictures really wears (looked at), the names a right answer may
#: have: the astronaut's suit is orange (a reddish orange, "international orange"), her
#: legs are out of the picture; the cameraman's coat is black and reaches below the
#: picture, over his thighs (his knees are at its edge)
WORN: dict[str, dict[str, tuple[str, ...]]] = {
    "astronaut.png": {"tops": ("orange",)},
    "camera.png": {"tops": ("black",), "bottoms": ("black",)},
}

#: the same of the face photos (tests/support/faces.py, present after ``make install``):
#: the suits are dark navy, which the guide's colours have no name for (black or blue);
#: the legs are cut by the picture's edge or a desk
WORN_PHOTOS: dict[str, dict[str, tuple[str, ...]]] = {
    "biden.jpg": {"tops": ("black",), "bottoms": ("black",)},
    "obama.jpg": {"tops": ("blue", "black")},
    "obama2.jpg": {"tops": ("blue", "black")},
    "obama3.jpg": {"tops": ("blue", "black"), "bottoms": ("blue", "black")},
    "obama_partial_face.jpg": {"tops": ("blue", "black")},
    "obama_partial_face2.jpg": {"tops": ("blue", "black")},
}


def person(name: str) -> np.ndarray:
    """A person picture of the package, BGR."""
    image = picture(name)
    return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR) if image.ndim == 2 else image


def _paint(image: np.ndarray, mask: np.ndarray, cloth: tuple[int, int, int]) -> np.ndarray:
    """``image`` with the ``mask`` pixels painted ``cloth``, their shading kept: each
    pixel moves from its lightness as much as the cloth's lightness is moved."""
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.float64)
    shade = grey - float(np.median(grey[mask]))
    painted = np.clip(np.array(cloth, np.float64)[None, None, :] + shade[:, :, None], 0, 255)
    out = image.copy()
    out[mask] = painted[mask].astype(np.uint8)
    return out


def astronaut_suit() -> np.ndarray:
    """Where the astronaut's orange suit is (bool mask)."""
    hsv = cv2.cvtColor(person("astronaut.png"), cv2.COLOR_BGR2HSV)
    hue, sat, val = hsv[:, :, 0], hsv[:, :, 1], hsv[:, :, 2]
    mask = (hue <= 15) & (sat >= 90) & (val >= 60)
    mask[:200] = False  # her face
    mask[:, :100] &= np.arange(512)[:, None] >= 250  # the flag's red stripes stay
    return np.asarray(mask)


def cameraman_coat() -> np.ndarray:
    """Where the cameraman's black coat is (bool mask; his hair and the sky are not)."""
    grey = cv2.cvtColor(person("camera.png"), cv2.COLOR_BGR2GRAY)
    mask = grey < 70
    mask[:155, 150:] = False  # his hair
    mask[:, 330:] = False
    mask[300:, 225:] = False  # the tripod's legs
    return np.asarray(mask)


def astronaut_in(cloth: tuple[int, int, int]) -> np.ndarray:
    return _paint(person("astronaut.png"), astronaut_suit(), cloth)


def cameraman_in(cloth: tuple[int, int, int]) -> np.ndarray:
    return _paint(person("camera.png"), cameraman_coat(), cloth)


#: where the cameraman's hips are (y, picture pixels): his coat below is his "bottoms"
HIPS_Y = 360


def cameraman_in_two(top: tuple[int, int, int], bottom: tuple[int, int, int]) -> np.ndarray:
    """The cameraman's coat painted ``top`` above his hips and ``bottom`` below."""
    coat = cameraman_coat()
    upper, lower = coat.copy(), coat.copy()
    upper[HIPS_Y:] = False
    lower[:HIPS_Y] = False
    return _paint(_paint(person("camera.png"), upper, top), lower, bottom)


#: top and bottom colours of the two-piece cameraman
TWO_PIECES: tuple[tuple[str, str], ...] = (
    ("black", "blue"),
    ("white", "blue"),
    ("red", "gray"),
    ("green", "black"),
    ("black", "beige"),
    ("blue", "black"),
)

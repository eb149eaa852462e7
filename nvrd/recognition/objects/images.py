"""Pictures as the detectors take them: BGR, uint8, three channels, contiguous."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

#: Pictures smaller than this on either side hold nothing to detect.
MIN_SIDE = 8


def as_bgr(image: Any) -> np.ndarray | None:
    """``image`` as a contiguous BGR uint8 picture: grey and BGRA pictures are converted;
    None for what is no picture (None, empty, too small, other shapes or types)."""
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8:
        return None
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    elif image.ndim == 3 and image.shape[2] == 4:
        image = cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    elif image.ndim != 3 or image.shape[2] != 3:
        return None
    if min(image.shape[:2]) < MIN_SIDE:
        return None
    return np.ascontiguousarray(image)


def shrunk(image: np.ndarray, max_side: int) -> np.ndarray:
    """``image`` shrunk (area averaging) so that its longer side is at most ``max_side``;
    never enlarged."""
    f = max_side / max(image.shape[:2])
    if f >= 1.0:
        return image
    return cv2.resize(image, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)

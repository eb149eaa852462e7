"""A surgical mask drawn over a face (light blue, pleated, nose to chin), for the mask
classifier's tests: no package ships photos of masked faces."""

from __future__ import annotations

import cv2
import numpy as np

from nvrd.recognition.geometry import Box


def masked(image: np.ndarray, face: Box) -> np.ndarray:
    """A copy of ``image`` with a mask drawn over the lower half of the ``face`` box."""
    x0, y0, x1, y1 = face
    w, h = x1 - x0, y1 - y0
    out = image.copy()
    outline = [
        (x0 + 0.05 * w, y0 + 0.5 * h),
        (x1 - 0.05 * w, y0 + 0.5 * h),
        (x1 - 0.1 * w, y0 + 0.85 * h),
        (x0 + 0.5 * w, y1 + 0.05 * h),
        (x0 + 0.1 * w, y0 + 0.85 * h),
    ]
    cv2.fillPoly(out, [np.array(outline, np.int32)], (230, 200, 150))
    for k in range(3):
        y = int(y0 + (0.6 + 0.1 * k) * h)
        cv2.line(out, (int(x0 + 0.15 * w), y), (int(x1 - 0.15 * w), y), (200, 170, 120), 2)
    return out

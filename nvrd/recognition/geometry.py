"""Boxes in frame pixels and the guide's logical coordinates (pure, no numpy).

The guide gives zones (and nvrd gives recognised boxes) in a logical 7680x4320
(8K) coordinate system, whatever the video's size: x is multiplied by
7680 / width, y by 4320 / height. A box is ``(x0, y0, x1, y1)``, x1 and y1
exclusive.
"""

from __future__ import annotations

LOGICAL_W, LOGICAL_H = 7680, 4320

Box = tuple[int, int, int, int]


def zone_pixels(zone: Box, width: int, height: int) -> Box:
    """A logical (7680x4320) box in the pixels of a ``width`` x ``height`` picture, at least
    one pixel wide and high, kept in the picture."""
    x0, y0, x1, y1 = zone
    sx, sy = width / LOGICAL_W, height / LOGICAL_H
    return (
        max(0, int(x0 * sx)),
        max(0, int(y0 * sy)),
        min(width, max(int(x1 * sx), int(x0 * sx) + 1)),
        min(height, max(int(y1 * sy), int(y0 * sy) + 1)),
    )


def to_logical(box: Box, width: int, height: int) -> Box:
    """A box in the pixels of a ``width`` x ``height`` picture in logical coordinates (the
    inverse of :func:`zone_pixels`), kept within 7680x4320."""
    if width <= 0 or height <= 0:
        raise ValueError(f"picture size {width}x{height}")
    sx, sy = LOGICAL_W / width, LOGICAL_H / height
    x0, y0, x1, y1 = box
    return (
        min(LOGICAL_W, max(0, round(x0 * sx))),
        min(LOGICAL_H, max(0, round(y0 * sy))),
        min(LOGICAL_W, max(0, round(x1 * sx))),
        min(LOGICAL_H, max(0, round(y1 * sy))),
    )


def expand(box: Box, mx: float, my: float, width: int, height: int) -> Box:
    """``box`` grown by ``mx``/``my`` of its width/height on each side, kept in the picture."""
    x0, y0, x1, y1 = box
    dx, dy = (x1 - x0) * mx, (y1 - y0) * my
    return (
        max(0, int(x0 - dx)),
        max(0, int(y0 - dy)),
        min(width, int(x1 + dx + 1)),
        min(height, int(y1 + dy + 1)),
    )


def clip(box: Box, width: int, height: int) -> Box:
    """``box`` cut to the picture (it may come out empty: x1 <= x0 or y1 <= y0)."""
    x0, y0, x1, y1 = box
    return (
        min(max(0, x0), width),
        min(max(0, y0), height),
        min(max(0, x1), width),
        min(max(0, y1), height),
    )


def centre(box: Box) -> tuple[float, float]:
    return (box[0] + box[2]) / 2, (box[1] + box[3]) / 2


def area(box: Box) -> int:
    return max(0, box[2] - box[0]) * max(0, box[3] - box[1])


def intersection(a: Box, b: Box) -> int:
    return area((max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])))


def iou(a: Box, b: Box) -> float:
    """Intersection over union, 0 for boxes that do not overlap (or are empty)."""
    inter = intersection(a, b)
    union = area(a) + area(b) - inter
    return inter / union if union > 0 else 0.0


def inside(inner: Box, outer: Box) -> float:
    """The part (0..1) of ``inner``'s area that lies in ``outer``."""
    a = area(inner)
    return intersection(inner, outer) / a if a > 0 else 0.0

"""Boxes between frame pixels and the guide's 7680x4320 logical coordinates."""

from __future__ import annotations

import pytest

from nvrd.recognition.geometry import (
    LOGICAL_H,
    LOGICAL_W,
    clip,
    expand,
    inside,
    iou,
    to_logical,
    zone_pixels,
)


def test_guide_example_1920x1080() -> None:
    # the guide: (480, 270, 1440, 810) in a 1920x1080 video is (1920, 1080, 5760, 3240)
    assert to_logical((480, 270, 1440, 810), 1920, 1080) == (1920, 1080, 5760, 3240)
    assert zone_pixels((1920, 1080, 5760, 3240), 1920, 1080) == (480, 270, 1440, 810)


@pytest.mark.parametrize("size", [(1280, 720), (704, 576), (641, 359), (7680, 4320), (2, 2)])
def test_round_trip_within_one_pixel(size: tuple[int, int]) -> None:
    w, h = size
    box = (w // 5, h // 7, w - w // 3, h - 1)
    back = zone_pixels(to_logical(box, w, h), w, h)
    assert all(abs(a - b) <= 1 for a, b in zip(box, back, strict=True))


def test_whole_picture_is_whole_logical_frame() -> None:
    assert to_logical((0, 0, 1280, 720), 1280, 720) == (0, 0, LOGICAL_W, LOGICAL_H)


def test_boxes_outside_the_picture_are_kept_in_the_logical_frame() -> None:
    assert to_logical((-50, -10, 1400, 800), 1280, 720) == (0, 0, LOGICAL_W, LOGICAL_H)


@pytest.mark.parametrize("size", [(0, 720), (1280, 0), (-1, 5)])
def test_no_picture_size_is_an_error(size: tuple[int, int]) -> None:
    with pytest.raises(ValueError, match="picture size"):
        to_logical((0, 0, 1, 1), *size)


def test_iou_and_inside() -> None:
    assert iou((0, 0, 10, 10), (0, 0, 10, 10)) == 1.0
    assert iou((0, 0, 10, 10), (5, 0, 15, 10)) == pytest.approx(50 / 150)
    assert iou((0, 0, 10, 10), (20, 20, 30, 30)) == 0.0
    assert iou((0, 0, 0, 0), (0, 0, 0, 0)) == 0.0
    assert inside((2, 2, 4, 4), (0, 0, 10, 10)) == 1.0
    assert inside((8, 0, 12, 10), (0, 0, 10, 10)) == pytest.approx(0.5)
    assert inside((3, 3, 3, 9), (0, 0, 10, 10)) == 0.0


def test_clip_and_expand_stay_in_the_picture() -> None:
    assert clip((-5, -5, 700, 400), 640, 360) == (0, 0, 640, 360)
    assert expand((10, 10, 20, 20), 1.0, 1.0, 25, 25) == (0, 0, 25, 25)

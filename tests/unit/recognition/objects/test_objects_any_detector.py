"""What every detector of the object worker (NanoDet and yolov3-tiny, the people/vehicle/bag
networks of ``[objects] detector``, and the face detector) must do with pictures that hold
nothing of theirs, or are no pictures at all."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from nvrd.recognition.objects.choice import object_detector
from nvrd.recognition.objects.faces import FaceDetector
from nvrd.recognition.objects.settings import DETECTORS
from nvrd.recognition.objects.worker import Detector
from tests.support.models import MODELS_DIR
from tests.support.pictures import BAD, picture


@pytest.fixture(scope="module", params=[*DETECTORS, "faces"])
def detector(request: pytest.FixtureRequest) -> Detector:
    if request.param == "faces":
        return FaceDetector()
    return object_detector(request.param, MODELS_DIR)


@pytest.mark.parametrize("name", ["coffee.png", "chelsea.png", "rocket.jpg"])
def test_nothing_where_there_is_none(detector: Detector, name: str) -> None:
    assert detector.detect(picture(name)) == []


@pytest.mark.parametrize("level", [0, 127, 255])
def test_blank_frames(detector: Detector, level: int) -> None:
    assert detector.detect(np.full((720, 1280, 3), level, np.uint8)) == []


@pytest.mark.parametrize("image", BAD, ids=lambda b: str(getattr(b, "shape", b)))
def test_what_is_no_picture_finds_nothing(detector: Detector, image: Any) -> None:
    assert detector.detect(image) == []


@pytest.mark.parametrize("size", [(9, 1001), (1001, 9), (8, 8), (33, 17), (4321, 7), (2000, 961)])
def test_odd_sizes_do_not_fail(detector: Detector, size: tuple[int, int]) -> None:
    h, w = size
    rng = np.random.default_rng(h * w)
    image = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    for d in detector.detect(image):
        assert 0 <= d.box[0] < d.box[2] <= w and 0 <= d.box[1] < d.box[3] <= h

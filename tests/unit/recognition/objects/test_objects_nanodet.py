"""People, vehicles and bags found by NanoDet (converted by the install step) on real
pictures (the model is loaded once for the module), and the choice of detector."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from nvrd.recognition.geometry import Box, inside, iou
from nvrd.recognition.objects.choice import object_detector
from nvrd.recognition.objects.detector import ObjectDetector
from nvrd.recognition.objects.models import NANODET, ModelNotPrepared
from nvrd.recognition.objects.nanodet import NanoDetDetector, NanoDetSettings
from nvrd.recognition.objects.settings import ObjectWorkerConfig
from nvrd.recognition.objects.types import Detection
from nvrd.recognition.objects.worker import detectors
from tests.support.detections import check_boxes, check_scene, found_in
from tests.support.models import MODELS_DIR, prepared
from tests.support.pictures import Scene, background, make_scene, picture


@pytest.fixture(scope="module")
def detector() -> Iterator[NanoDetDetector]:
    yield NanoDetDetector(prepared(NANODET))


def _found(detections: list[Detection], kind: str, where: Box) -> list[Detection]:
    return found_in(detections, kind, where, within=0.9)


def _check_scene(detections: list[Detection], scene: Scene) -> None:
    check_scene(detections, scene, min_score=0.3, within=0.9)


def test_people_and_a_motorcycle_in_a_scene(detector: NanoDetDetector, scene: Scene) -> None:
    found = detector.detect(scene.image)
    _check_scene(found, scene)
    h, w = scene.image.shape[:2]
    check_boxes(found, w, h)


@pytest.mark.parametrize("size", [(1920, 1080), (640, 360), (1279, 719)])
def test_the_scene_at_other_sizes(detector: NanoDetDetector, size: tuple[int, int]) -> None:
    _check_scene(detector.detect(make_scene(*size).image), make_scene(*size))


def _person_on_gravel(name: str, height: int, x: int, y: int) -> tuple[np.ndarray, Box]:
    image = picture(name)
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    small = cv2.resize(image, (height, height), interpolation=cv2.INTER_AREA)
    frame = background().copy()
    frame[y : y + height, x : x + height] = small
    return frame, (x, y, x + height, y + height)


@pytest.mark.parametrize(("name", "height"), [("camera.png", 150), ("astronaut.png", 135)])
def test_a_small_person_is_found(detector: NanoDetDetector, name: str, height: int) -> None:
    frame, where = _person_on_gravel(name, height, 500, 300)
    people = [d for d in detector.detect(frame) if d.kind == "human"]
    assert len(people) == 1, people
    assert inside(people[0].box, where) >= 0.8 and iou(people[0].box, where) >= 0.4, people


def test_a_small_person_yolo_misses() -> None:
    """The reason for the default: yolov3-tiny does not find the 150 px cameraman."""
    frame, _ = _person_on_gravel("camera.png", 150, 500, 300)
    assert not [d for d in ObjectDetector().detect(frame) if d.kind == "human"]


def test_a_person_walking_across_is_one_person_everywhere(detector: NanoDetDetector) -> None:
    for i in range(9):
        x, y = 40 + 100 * i, 40 + 20 * i
        frame, where = _person_on_gravel("astronaut.png", 358, x, y)
        people = [d for d in detector.detect(frame) if d.kind == "human"]
        assert len(people) == 1, (i, people)
        assert inside(people[0].box, where) >= 0.9


def test_portrait_grey_and_bgra_pictures(detector: NanoDetDetector, scene: Scene) -> None:
    grey = cv2.cvtColor(scene.image, cv2.COLOR_BGR2GRAY)
    assert len(_found(detector.detect(grey), "human", scene.cameraman)) == 1
    assert len(_found(detector.detect(grey[:, :, None]), "human", scene.cameraman)) == 1
    _check_scene(detector.detect(cv2.cvtColor(scene.image, cv2.COLOR_BGR2BGRA)), scene)
    # a portrait picture (500x920): the astronaut's part of the scene, grown downwards
    tall = cv2.copyMakeBorder(scene.image[:, :500], 0, 200, 0, 0, cv2.BORDER_REPLICATE)
    assert len(_found(detector.detect(tall), "human", scene.astronaut)) == 1
    half = scene.image[::2, ::2]  # a non-contiguous view
    assert len([d for d in detector.detect(half) if d.kind == "human"]) == 2


def test_empty_gravel_holds_nothing(detector: NanoDetDetector) -> None:
    # the demo yard's gravel, without the man or the motorcycle (the frames both shares
    # with yolov3-tiny: test_objects_any_detector.py)
    assert detector.detect(background()) == []


def test_a_higher_threshold_keeps_fewer(scene: Scene) -> None:
    sure = NanoDetDetector(prepared(NANODET), NanoDetSettings(min_score=0.6)).detect(scene.image)
    assert [d.kind for d in sure] == ["human"]
    assert iou(sure[0].box, scene.cameraman) >= 0.3


@pytest.mark.parametrize(
    "kwargs", [{"min_score": 0}, {"min_score": 1.5}, {"nms_iou": 0}, {"threads": 0}]
)
def test_bad_settings(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        NanoDetSettings(**kwargs)


def test_another_model_is_refused() -> None:
    with pytest.raises(ValueError, match="not the NanoDet model"):
        NanoDetDetector(prepared("face-mask.onnx"))


def test_the_detector_is_chosen_by_name(tmp_path: Path) -> None:
    assert isinstance(object_detector("nanodet", MODELS_DIR), NanoDetDetector)
    yolo = object_detector("yolov3-tiny", MODELS_DIR, input_size=320)
    assert isinstance(yolo, ObjectDetector) and yolo.settings.input_size == 320
    with pytest.raises(ModelNotPrepared, match="make models"):
        object_detector("nanodet", tmp_path)  # no converted model there
    with pytest.raises(ValueError, match="no such"):
        object_detector("yolov8", MODELS_DIR)  # type: ignore[arg-type]


def test_the_worker_runs_the_configured_detector() -> None:
    config = ObjectWorkerConfig(chid=1, fps=2, models_dir=str(MODELS_DIR), faces=False)
    assert config.detector == "nanodet"
    assert [type(d) for d in detectors(config)] == [NanoDetDetector]
    yolo = ObjectWorkerConfig(chid=1, fps=2, faces=False, detector="yolov3-tiny")
    assert [type(d) for d in detectors(yolo)] == [ObjectDetector]

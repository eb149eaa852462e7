"""The detectors and the tracker together on a moving real picture: the cameraman walks
across a 1280x720 frame; he stays one person, his face one face linked to him."""

from __future__ import annotations

import numpy as np
import pytest

from nvrd.recognition.geometry import inside
from nvrd.recognition.objects.choice import object_detector
from nvrd.recognition.objects.faces import FaceDetector
from nvrd.recognition.objects.settings import DETECTORS, DetectorName
from nvrd.recognition.objects.tracker import ObjectTracker, TrackedObject
from tests.support.models import MODELS_DIR
from tests.support.pictures import background, walk_frame, walker


def _frames(n: int) -> list[np.ndarray]:
    base, man = background(), walker()
    return [walk_frame(base, man, 40 + 100 * i, 40 + 20 * i) for i in range(n)]


@pytest.mark.parametrize("name", DETECTORS)
def test_a_walking_person_is_one_track_with_her_face(name: DetectorName) -> None:
    objects = object_detector(name, MODELS_DIR)
    faces, tracker = FaceDetector(), ObjectTracker()
    started: list[TrackedObject] = []
    for i, frame in enumerate(_frames(8)):
        found = objects.detect(frame) + faces.detect(frame)
        assert sorted(d.kind for d in found) == ["face", "human"], (i, found)
        started += tracker.update(i * 500, found, frame).started
    ended = tracker.flush()
    assert sorted(t.kind for t in started) == ["face", "human"]
    by_kind = {t.kind: t for t in ended}
    assert len(ended) == 2
    human, face = by_kind["human"], by_kind["face"]
    assert human.hits == face.hits == 8
    assert face.parent_id == human.obj_id
    assert inside(face.box, human.box) == 1.0  # in the last frame
    assert human.crop is not None and face.crop is not None
    assert human.crop.shape[0] > 300 and 60 < face.crop.shape[0] < 200

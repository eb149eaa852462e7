"""The object worker's loop body on real detectors and the real shared-memory pictures:
the cameraman walks across and leaves; one person and one face come out when their tracks
end (or when the pictures stop), with the attributes found and a JPEG of the best crop."""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Iterator
from typing import Any

import cv2
import numpy as np
import pytest

from nvrd.core.faces import unpack
from nvrd.media.frames.pictures import SharedFrames
from nvrd.media.frames.shared import SharedFrameWriter
from nvrd.media.traffic.yard import Yard, props
from nvrd.recognition.geometry import Box
from nvrd.recognition.objects.faceattrs import FaceAttributeModel
from nvrd.recognition.objects.faces import FaceDetector
from nvrd.recognition.objects.mask import MaskModel
from nvrd.recognition.objects.models import FACE_MASK
from nvrd.recognition.objects.settings import ObjectWorkerConfig
from nvrd.recognition.objects.tracker import TrackedObject, _crop
from nvrd.recognition.objects.types import Kind
from nvrd.recognition.objects.worker import (
    Analyser,
    AttributeModels,
    Detector,
    ObjectAnalysis,
    attributes,
    clothes_model,
    detectors,
    embedder,
    object_message,
    stats_message,
)
from tests.support.clothes import CLOTHS, cameraman_in
from tests.support.faces import photo
from tests.support.masks import masked
from tests.support.models import prepared
from tests.support.pictures import background, face_crop, picture, walk_frame, walker

W, H = 960, 540


class Pictures:
    """The server's side of the shared memory, in this process."""

    def __init__(self) -> None:
        self.r, self.w = os.pipe()
        os.set_blocking(self.w, False)
        self.writer = SharedFrameWriter(W, H, W * H * 3, self.w)
        self.frames = SharedFrames(self.r)
        self.frames.attach(self.writer.name)

    def send(self, image: np.ndarray, at_ms: int) -> None:
        self.writer.write(image.tobytes(), at_ms)

    def close(self) -> None:
        self.frames.close()
        self.writer.close()
        os.close(self.r)
        os.close(self.w)


@pytest.fixture
def pictures() -> Iterator[Pictures]:
    p = Pictures()
    yield p
    p.close()


@pytest.fixture(scope="module")
def models() -> list[Detector]:
    return detectors(ObjectWorkerConfig(chid=1, fps=2))


def walking(n: int) -> list[np.ndarray]:
    base, man = background(), walker()
    frames = [walk_frame(base, man, 40 + 100 * i, 150) for i in range(n)]
    return [cv2.resize(f, (W, H), interpolation=cv2.INTER_AREA) for f in frames]


def empty() -> np.ndarray:
    return cv2.resize(background(), (W, H), interpolation=cv2.INTER_AREA)


WALK = 8 + 7  # pictures of the cameraman walking across, then of the empty scene


@pytest.fixture(scope="module")
def walked(models: list[Detector]) -> Iterator[tuple[Analyser, list[TrackedObject]]]:
    """The cameraman's walk analysed once for the module's tests that only read it: the
    analyser and the tracks that ended."""
    pictures = Pictures()
    try:
        an = Analyser(ObjectWorkerConfig(chid=1, fps=2), pictures.frames, models)
        ended: list[TrackedObject] = []
        for i, frame in enumerate(walking(8) + [empty()] * 7):
            pictures.send(frame, 1_000_000 + 500 * i)
            ended += an.step(timeout=2)
        yield an, ended
    finally:
        pictures.close()


def test_a_person_and_his_face_come_out_when_they_left(
    walked: tuple[Analyser, list[TrackedObject]],
) -> None:
    an, ended = walked
    config = an.config
    assert an.counters.analysed == WALK and an.counters.frame_size == (W, H)
    assert sorted(t.kind for t in ended) == ["face", "human"], ended
    msgs = {m["type"]: m for m in (object_message(config, t) for t in ended)}
    human, face = msgs["human"], msgs["face"]
    assert face["parentId"] == human["objId"] and human["parentId"] is None
    assert human["attributes"] == face["attributes"] == {}
    assert human["timeBegin"] == 1_000_000 and human["timeEnd"] == 1_000_000 + 500 * 7
    assert 40 <= human["likelihood"] <= 100 and human["hits"] == 8
    for m in (human, face):
        crop = cv2.imdecode(np.frombuffer(m["jpeg"], np.uint8), cv2.IMREAD_COLOR)
        assert crop is not None and crop.shape[0] > 20
    stats = stats_message(an, time.monotonic() - 1)
    assert stats["framesReceived"] == stats["framesAnalysed"] == WALK
    assert stats["framesDropped"] == 0 and stats["openTracks"] == 0
    assert stats["msPerFrame"] > 0 and stats["frameSize"] == [W, H]


def test_the_demo_yard_gives_one_person_with_his_face_and_one_motorcycle(
    pictures: Pictures,
    models: list[Detector],
) -> None:
    """The demo's yard (channel 4 of demo/nvrd.toml) as the server hands it over: 2 frames
    a second, 960x540; the man and the motorcycle are one track each."""
    yard, parts = Yard(), props()
    config = ObjectWorkerConfig(chid=4, fps=2)
    an = Analyser(config, pictures.frames, models)
    ended: list[TrackedObject] = []
    frames = round(yard.seconds * 2)
    for n in range(frames):
        frame = cv2.resize(yard.frame(n / 2, parts), (W, H), interpolation=cv2.INTER_AREA)
        pictures.send(frame, 1_000_000 + 500 * n)
        ended += an.step(timeout=2)
    assert an.tracker.flush() == []  # the trail is long enough for every track to end
    assert sorted(t.kind for t in ended) == ["face", "human", "vehicle"], ended
    msgs = {m["type"]: m for m in (object_message(config, t) for t in ended)}
    human, face, vehicle = msgs["human"], msgs["face"], msgs["vehicle"]
    assert face["parentId"] == human["objId"] and vehicle["parentId"] is None
    # every analysed frame with the man (3.0-8.5 s) or the motorcycle (11.0-13.5 s) in it
    for m in (human, vehicle):
        begin, end = yard.truth()[m["type"]]
        seen = [n for n in range(frames) if begin <= n / 2 <= end]
        assert m["hits"] == len(seen) == (12 if m is human else 6)
        assert m["timeBegin"] == 1_000_000 + 500 * seen[0]
        assert m["timeEnd"] == 1_000_000 + 500 * seen[-1]
    assert vehicle["attributes"]["vehicleType"] == "motorcycle"
    assert vehicle["attributes"]["colors"] == ["gray"]  # floor, engine, tyres; a red tank
    crop = cv2.imdecode(np.frombuffer(vehicle["jpeg"], np.uint8), cv2.IMREAD_COLOR)
    assert crop is not None and crop.shape[0] > 200


def test_open_tracks_end_when_the_pictures_stop(
    pictures: Pictures,
    models: list[Detector],
) -> None:
    now = [100.0]  # the worker's monotonic clock, moved by hand
    config = ObjectWorkerConfig(chid=1, fps=2, idle_seconds=2.0)
    an = Analyser(config, pictures.frames, models, monotonic=lambda: now[0])
    for i, frame in enumerate(walking(3)):
        pictures.send(frame, 2_000_000 + 500 * i)
        assert an.step(timeout=2) == []
    assert sorted(t.kind for t in an.tracker.tracks) == ["face", "human"]
    now[0] += 1.99
    assert an.step(timeout=0.1) == []  # not idle long enough yet
    now[0] += 0.01
    ended = an.step(timeout=0.1)
    assert sorted(t.kind for t in ended) == ["face", "human"] and an.tracker.tracks == []
    assert an.step(timeout=0.05) == []  # nothing twice


def test_newer_pictures_win_and_the_older_are_counted_as_dropped(
    pictures: Pictures,
    models: list[Detector],
) -> None:
    an = Analyser(ObjectWorkerConfig(chid=1, fps=2), pictures.frames, models)
    for i in range(4):
        pictures.send(empty(), 3_000_000 + 100 * i)
    an.step(timeout=1)
    assert an.step(timeout=0.1) == [] and an.counters.analysed == 1
    c = pictures.frames.counters()
    assert (c.received, c.dropped) == (4, 3)


def track(kind: Kind, crop: np.ndarray | None = None, **kw: Any) -> TrackedObject:
    """A track that ended, with ``kw`` replacing its fields."""
    box: Box = (0, 0, 100, 100)
    base = TrackedObject(
        obj_id=1,
        kind=kind,
        box=box,
        score=0.9,
        best_box=box,
        time_begin_ms=0,
        time_end_ms=1,
        hits=4,
        crop=crop,
    )
    return dataclasses.replace(base, **kw)


def test_attributes_list_only_what_was_found() -> None:
    red = np.zeros((120, 200, 3), np.uint8)
    red[:] = (30, 30, 200)  # BGR
    assert attributes(track("vehicle", red, vehicle_type="car"), 2) == {
        "vehicleType": "car",
        "colors": ["red"],
    }
    assert attributes(track("vehicle", None, vehicle_type="bus"), 2) == {"vehicleType": "bus"}
    assert attributes(track("human", bag_hits=2), 2) == {"bag": True}
    assert attributes(track("human", bag_hits=1), 2) == {}
    assert attributes(track("human", bag_hits=1, hits=1), 2) == {"bag": True}
    assert attributes(track("face"), 2) == {}
    config = ObjectWorkerConfig(chid=1, fps=2)
    assert object_message(config, track("human"))["jpeg"] is None  # no crop, no picture
    assert object_message(config, track("face"))["embedding"] is None  # no embedder
    assert object_message(config, track("human", np.zeros((0, 0, 3), np.uint8)))["jpeg"] is None


def test_a_faces_attributes_come_from_its_best_crop() -> None:
    crop = face_crop(picture("astronaut.png"))
    with_faces = AttributeModels(faces=FaceAttributeModel())
    assert attributes(track("face", crop), 2, with_faces) == {"gender": "female", "age": "adult"}
    assert attributes(track("face", crop), 2) == {}  # no attribute model: nothing invented
    assert attributes(track("face", None), 2, with_faces) == {}
    config = ObjectWorkerConfig(chid=1, fps=2)
    msg = object_message(config, track("face", crop), with_faces)
    assert msg["attributes"] == {"gender": "female", "age": "adult"}


def test_a_faces_mask_comes_from_the_face_box_in_its_best_crop() -> None:
    image = cv2.resize(photo("biden.jpg"), None, fx=0.3, fy=0.3)  # the face ~85 px wide
    (face,) = FaceDetector().detect(image)
    with_masks = AttributeModels(masks=MaskModel(prepared(FACE_MASK)))
    for picture_, wearing in ((image, False), (masked(image, face.box), True)):
        cut = _crop(picture_, face.box, 0.1)
        assert cut is not None
        crop, crop_box = cut
        assert attributes(track("face", crop, crop_box=crop_box), 2, with_masks) == {
            "mask": wearing
        }
    assert attributes(track("face", None), 2, with_masks) == {}
    assert attributes(track("human", crop), 2, with_masks) == {}  # faces only


def test_a_persons_clothes_come_from_its_best_crop(pictures: Pictures) -> None:
    config = ObjectWorkerConfig(chid=1, fps=2)
    model = clothes_model(config)
    assert model is not None
    assert clothes_model(dataclasses.replace(config, clothes=False)) is None
    with_clothes = AttributeModels(clothes=model)
    crop = cameraman_in(CLOTHS["blue"])
    coat = {"clothes": [{"type": "tops", "colors": ["blue"]}]}
    assert attributes(track("human", crop), 2, with_clothes) == coat
    assert attributes(track("human", crop, bag_hits=2), 2, with_clothes) == {"bag": True, **coat}
    assert attributes(track("human", crop), 2) == {}  # no clothes model: nothing invented
    assert attributes(track("human", None), 2, with_clothes) == {}
    nobody = np.zeros((300, 150, 3), np.uint8)
    assert attributes(track("human", nobody), 2, with_clothes) == {}  # none found: none
    assert attributes(track("face", crop), 2, with_clothes) == {}  # only people's
    msg = object_message(config, track("human", crop), with_clothes)
    assert msg["attributes"] == coat
    an = ObjectAnalysis(Analyser(config, pictures.frames, [], with_clothes), None)
    ((_, body),) = an.messages([track("human", crop)])
    assert body["attributes"] == coat


def test_a_faces_embedding_is_that_of_the_cameraman_once_per_track(
    walked: tuple[Analyser, list[TrackedObject]],
) -> None:
    an, ended = walked
    config = an.config
    faces = embedder(config)
    assert faces is not None
    assert embedder(ObjectWorkerConfig(chid=1, fps=2, embeddings=False)) is None
    assert embedder(ObjectWorkerConfig(chid=1, fps=2, faces=False)) is None
    msgs = {t.kind: object_message(config, t, embedder=faces) for t in ended}
    assert msgs["human"]["embedding"] is None
    values = np.asarray(unpack(msgs["face"]["embedding"]), np.float32)
    known = {}
    for name in ("camera.png", "astronaut.png", "obama.jpg", "biden.jpg"):
        image = picture(name) if name == "camera.png" else photo(name)
        box = FaceDetector().detect(image)[0].box
        found = faces.embed(image, box)
        assert found is not None
        known[name] = float(np.linalg.norm(values - found))
    assert min(known, key=known.__getitem__) == "camera.png", known


def test_a_person_gets_the_gender_of_its_face(pictures: Pictures, models: list[Detector]) -> None:
    config = ObjectWorkerConfig(chid=1, fps=2)
    an = ObjectAnalysis(
        Analyser(config, pictures.frames, models, AttributeModels(faces=FaceAttributeModel())), None
    )
    her_face = track("face", face_crop(picture("astronaut.png")), obj_id=2, parent_id=1)
    together = an.messages([track("human", obj_id=1), her_face])  # the person listed first
    kinds = {body["type"]: body for _, body in together}
    assert kinds["face"]["attributes"]["gender"] == "female"
    assert kinds["human"]["attributes"] == {"gender": "female"}
    # the face ended first: the person gets it when its own track ends
    assert an.messages([dataclasses.replace(her_face, obj_id=4, parent_id=3)])
    ((_, later),) = an.messages([track("human", obj_id=3, bag_hits=4)])
    assert later["attributes"] == {"bag": True, "gender": "female"}
    # no face, or a face of another person: no gender
    ((_, alone),) = an.messages([track("human", obj_id=5)])
    assert alone["attributes"] == {}
    assert an.an.counters.objects == 5

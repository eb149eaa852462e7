"""Face embeddings (dlib's ResNet descriptor from the face-recognition-models package) on
real photos: the same person lies within the model's 0.6, others beyond it, at full size
and with 48-px faces; the embedding of the tracker's crop is that of the frame; bad
input gives none. The photo reader of the face search: one face, none, two, not a
picture, too many pixels. Models are loaded once for the module."""

from __future__ import annotations

from collections.abc import Iterator

import cv2
import numpy as np
import pytest

from nvrd.core.faces import DIMENSIONS, EMBEDDING_BYTES, max_distance, similarity, unpack
from nvrd.recognition.geometry import Box
from nvrd.recognition.objects.embedding import FaceEmbedder
from nvrd.recognition.objects.faces import FaceDetector
from nvrd.recognition.objects.photo import read_photo
from nvrd.recognition.objects.tracker import _crop
from tests.support.faces import PEOPLE, jpeg, photo, photo_bytes, side_by_side
from tests.support.pictures import BAD, picture

SAME = 0.6


@pytest.fixture(scope="module")
def models() -> Iterator[tuple[FaceDetector, FaceEmbedder]]:
    yield FaceDetector(), FaceEmbedder()


def embed(models: tuple[FaceDetector, FaceEmbedder], image: np.ndarray) -> np.ndarray:
    faces = models[0].detect(image)
    assert len(faces) == 1, faces
    found = models[1].embed(image, faces[0].box)
    assert found is not None
    return found


@pytest.fixture(scope="module")
def known(models: tuple[FaceDetector, FaceEmbedder]) -> dict[str, np.ndarray]:
    names = [n for photos in PEOPLE.values() for n in photos]
    return {n: embed(models, photo(n)) for n in names}


def person(name: str) -> str:
    return next(p for p, photos in PEOPLE.items() if name in photos)


def test_an_embedding_is_128_finite_values(known: dict[str, np.ndarray]) -> None:
    for values in known.values():
        assert values.shape == (DIMENSIONS,) and values.dtype == np.float32
        assert np.isfinite(values).all()
        assert 0.5 < float(np.linalg.norm(values)) < 3


def test_the_same_person_is_near_and_others_far(known: dict[str, np.ndarray]) -> None:
    names = sorted(known)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            d = float(np.linalg.norm(known[a] - known[b]))
            if person(a) == person(b):
                assert d < SAME, (a, b, d)
            else:
                assert d > SAME + 0.1, (a, b, d)


def test_the_same_picture_gives_the_same_embedding(
    models: tuple[FaceDetector, FaceEmbedder], known: dict[str, np.ndarray]
) -> None:
    assert np.array_equal(embed(models, photo("obama.jpg")), known["obama.jpg"])


@pytest.mark.parametrize("name", ["obama2.jpg", "obama3.jpg", "biden.jpg", "astronaut.png"])
def test_a_48_px_face_is_still_nearest_its_person(
    models: tuple[FaceDetector, FaceEmbedder], known: dict[str, np.ndarray], name: str
) -> None:
    image = photo(name)
    face = models[0].detect(image)[0]
    f = 48 / face.height
    small = cv2.resize(image, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
    canvas = np.full((max(small.shape[0], 240), max(small.shape[1], 320), 3), 90, np.uint8)
    canvas[: small.shape[0], : small.shape[1]] = small
    values = embed(models, canvas)
    others = {n: float(np.linalg.norm(values - v)) for n, v in known.items() if n != name}
    nearest = min(others, key=others.__getitem__)
    if len(PEOPLE[person(name)]) > 1:
        assert person(nearest) == person(name), others
        assert others[nearest] < SAME
    else:  # the only photo of that person: nobody else passes
        assert min(others.values()) > SAME, others


def test_the_trackers_crop_gives_nearly_the_frames_embedding(
    models: tuple[FaceDetector, FaceEmbedder], known: dict[str, np.ndarray]
) -> None:
    image = photo("obama.jpg")
    box = models[0].detect(image)[0].box
    edge: Box = (0, box[1], box[2] - box[0], box[3])  # a face cut by the frame's left edge
    for b in (box, edge):
        cut = _crop(image, b, 0.1)
        assert cut is not None
        crop, inner = cut
        whole = models[1].embed(image, b)
        part = models[1].embed(crop, inner)
        assert whole is not None and part is not None
        # dlib's alignment sees less around the face in the crop: measured 0.04-0.12
        assert float(np.linalg.norm(whole - part)) < 0.15


@pytest.mark.parametrize("image", BAD, ids=range(len(BAD)))
def test_no_picture_gives_no_embedding(
    models: tuple[FaceDetector, FaceEmbedder], image: object
) -> None:
    assert models[1].embed(image, (0, 0, 100, 100)) is None


def test_a_box_too_small_or_outside_gives_none(models: tuple[FaceDetector, FaceEmbedder]) -> None:
    image = photo("obama.jpg")
    for box in [(10, 10, 20, 20), (5000, 5000, 5100, 5100), (-300, -300, -100, -100)]:
        assert models[1].embed(image, box) is None


def test_the_photo_of_one_face(known: dict[str, np.ndarray]) -> None:
    found = read_photo(photo_bytes("obama2.jpg"))
    assert found.problem is None and found.faces == 1 and found.embedding is not None
    assert len(found.embedding) == EMBEDDING_BYTES
    values = np.asarray(unpack(found.embedding), np.float32)
    assert float(np.linalg.norm(values - known["obama2.jpg"])) < 1e-4
    png = read_photo(photo_bytes("astronaut.png"))
    assert png.problem is None and (png.width, png.height) == (512, 512)


def test_photos_without_one_face() -> None:
    assert read_photo(jpeg(picture("coffee.png"))).problem == "noFace"
    two = read_photo(jpeg(side_by_side("obama.jpg", "biden.jpg")))
    assert (two.problem, two.faces) == ("manyFaces", 2)
    assert read_photo(b"").problem == "undecodable"
    assert read_photo(b"\xff\xd8\xff\xe0 not really a JPEG").problem == "undecodable"
    assert read_photo(b"GIF89a" + bytes(100)).problem == "undecodable"
    cut = photo_bytes("obama.jpg")[:3000]
    assert read_photo(cut).problem in ("undecodable", "noFace")


def test_a_photo_claiming_too_many_pixels_is_not_decoded() -> None:
    data = bytearray(jpeg(np.zeros((16, 16, 3), np.uint8)))
    sof = data.index(b"\xff\xc0")
    for side, size in ((7000, 7000), (20000, 0)):  # 20000x20000: refused by Pillow itself
        data[sof + 5 : sof + 9] = side.to_bytes(2, "big") * 2  # height, width
        found = read_photo(bytes(data))
        assert (found.problem, found.width, found.height) == ("imageTooLarge", size, size)


def test_similarity_and_threshold() -> None:
    assert similarity(0) == 100 and similarity(0.6) == pytest.approx(50)
    assert similarity(1.2) == 0 and similarity(5) == 0
    for t in (1, 50, 100):
        assert similarity(max_distance(t)) == pytest.approx(t)

"""Face photos for the face-embedding and face-search tests and the benchmark.

Photos of two people (``obama.jpg``, ``obama2.jpg``, ``obama3.jpg``,
``obama_partial_face.jpg``, ``obama_partial_face2.jpg``; ``biden.jpg``) come
from the ``face_recognition`` 1.3.0 source distribution on PyPI (its
``tests/test_images``), which ``make install`` downloads (``pip download
--no-binary :all: --no-deps``) and unpacks into ``.cache/face-photos`` (not in
git). The astronaut (scikit-image's ``astronaut.png``) is a third person.
Nothing is downloaded here: a missing photo fails with what to run.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from tests.support.pictures import picture

PHOTOS = Path(__file__).resolve().parents[2] / ".cache" / "face-photos"
#: the photos of each person
PEOPLE: dict[str, tuple[str, ...]] = {
    "obama": (
        "obama.jpg",
        "obama2.jpg",
        "obama3.jpg",
        "obama_partial_face.jpg",
        "obama_partial_face2.jpg",
    ),
    "biden": ("biden.jpg",),
    "astronaut": ("astronaut.png",),
}


class PhotosMissing(RuntimeError):
    pass


def photo_path(name: str) -> Path:
    path = PHOTOS / name
    if not path.is_file():
        raise PhotosMissing(
            f"{path} is missing: `make install` unpacks the face_recognition 1.3.0 sdist's "
            f"test photos there (make face-photos)"
        )
    return path


def photo_bytes(name: str) -> bytes:
    """The file's bytes (``astronaut.png`` from scikit-image, as PNG)."""
    if name == "astronaut.png":
        ok, data = cv2.imencode(".png", photo(name))
        assert ok
        return data.tobytes()
    return photo_path(name).read_bytes()


def photo(name: str) -> np.ndarray:
    """A face photo, BGR."""
    if name == "astronaut.png":
        image = picture("astronaut.png")
        return np.asarray(image[:, :, :3])
    read = cv2.imread(str(photo_path(name)), cv2.IMREAD_COLOR)
    if read is None:
        raise PhotosMissing(f"{PHOTOS / name} is unreadable")
    return np.asarray(read)


def side_by_side(*names: str, height: int = 600) -> np.ndarray:
    """The photos scaled to one height and pasted side by side (a many-face picture)."""
    parts = []
    for name in names:
        image = photo(name)
        f = height / image.shape[0]
        parts.append(cv2.resize(image, (round(image.shape[1] * f), height)))
    return np.ascontiguousarray(np.hstack(parts))


def jpeg(image: np.ndarray, quality: int = 90) -> bytes:
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return data.tobytes()

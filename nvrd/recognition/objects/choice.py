"""The people/vehicle/bag detector ``[objects] detector`` names."""

from __future__ import annotations

from pathlib import Path

from nvrd.recognition.objects.detector import DetectorSettings, ObjectDetector
from nvrd.recognition.objects.models import NANODET, prepared_file
from nvrd.recognition.objects.nanodet import NanoDetDetector
from nvrd.recognition.objects.settings import DetectorName

PeopleDetector = NanoDetDetector | ObjectDetector


def object_detector(name: DetectorName, models_dir: Path, input_size: int = 416) -> PeopleDetector:
    """NanoDet (its model converted into ``models_dir`` by the install step; a missing one
    raises :class:`~.models.ModelNotPrepared`) or yolov3-tiny at ``input_size``."""
    if name == "nanodet":
        return NanoDetDetector(prepared_file(models_dir, NANODET))
    if name == "yolov3-tiny":
        return ObjectDetector(DetectorSettings(input_size=input_size))
    raise ValueError(f"no such people/vehicle detector: {name!r}")

"""What an object detection worker is told (picklable, and light: the server imports it
without loading OpenCV, numpy or the models). Nothing about the camera: the pictures come
from the server (``media/frames/feed.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

#: the people/vehicle/bag networks (``[objects] detector``)
DetectorName = Literal["nanodet", "yolov3-tiny"]
DETECTORS: tuple[DetectorName, ...] = get_args(DetectorName)


@dataclass(frozen=True)
class ObjectWorkerConfig:
    chid: int
    fps: float
    #: where the converted models are (``[objects] models_dir``)
    models_dir: str = ".cache/models"
    #: look for faces too
    faces: bool = True
    #: the embedding of each face's best crop goes with the face (for ``/api/searchFace``)
    embeddings: bool = True
    #: the people/vehicle/bag network (NanoDet finds more small people)
    detector: DetectorName = "nanodet"
    #: a person's clothes colours (from its best crop's body keypoints)
    clothes: bool = True
    #: yolov3-tiny's input width (a multiple of 32; NanoDet's input is 416x416, fixed)
    input_size: int = 416
    #: open tracks end when no picture came for this long (the motion gate closed, the
    #: stream stopped): their objects are reported
    idle_seconds: float = 3.0
    #: a person's ``bag`` attribute needs a bag in this many of its frames
    bag_frames: int = 2
    stats_seconds: float = 2.0
    nice: int = 10
    jpeg_quality: int = 90

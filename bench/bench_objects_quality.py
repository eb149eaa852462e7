"""Object detection quality and throughput on a labelled set built from package pictures.

The set: ``NVRD_BENCH_SCENES`` (default 40) 1280x720 scenes, made the same way every run
(seeded), each with one to three of the scikit-image wheel's pictures pasted on blurred
gravel at a random place and size (never overlapping): the astronaut and the cameraman
(a person and a face each) and the two motorcycle pictures (a vehicle of type
motorcycle). The pasted box is the truth; a person (vehicle, face) counts as found when
a detection of that kind lies at least half inside its box, and the type of a found
vehicle is right when it is ``motorcycle``. Detections that match no pasted picture are
counted as extra (some are right: the astronaut holds a helmet, the cameraman stands on
a field with a building behind him).

The people/vehicle detectors measured are ``NVRD_BENCH_DETECTOR`` (``nanodet`` or
``yolov3-tiny``; default both, printed side by side), each next to the same face
detector. Printed for each: person, face and vehicle recall by size band, vehicle type
accuracy, extras per scene, the people/vehicle detector's time per scene (median, 90th
percentile; the face detector's is printed once) and detections per CPU-second of this
process with the face detector (one thread, as the worker runs them). No model here finds
the drawn cars of the traffic generator, and no package ships labelled street video, so
vehicle types other than motorcycle are not measured.
"""

from __future__ import annotations

import os
import random
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field

import cv2
import numpy as np

from nvrd.recognition.geometry import Box, inside
from nvrd.recognition.objects.choice import PeopleDetector, object_detector
from nvrd.recognition.objects.faces import FaceDetector
from nvrd.recognition.objects.settings import DETECTORS
from nvrd.recognition.objects.types import Detection
from tests.support.models import MODELS_DIR
from tests.support.pictures import background, picture

#: picture -> what is in it
ITEMS = {
    "astronaut.png": ("human", "face"),
    "camera.png": ("human", "face"),
    "motorcycle_left.png": ("vehicle",),
    "motorcycle_right.png": ("vehicle",),
}


@dataclass(frozen=True)
class Truth:
    name: str
    box: Box
    kinds: tuple[str, ...]

    @property
    def height(self) -> int:
        return self.box[3] - self.box[1]


Scene = tuple[np.ndarray, list[Truth]]


def _scene(rng: random.Random, pictures: dict[str, np.ndarray]) -> Scene:
    frame = background().copy()
    truths: list[Truth] = []
    for name in rng.sample(sorted(ITEMS), rng.randint(1, 3)):
        image = pictures[name]
        for _ in range(20):  # a free place
            scale = rng.uniform(0.25, 0.9) * min(1.0, 600 / image.shape[0])
            w, h = int(image.shape[1] * scale), int(image.shape[0] * scale)
            x, y = rng.randint(0, 1280 - w), rng.randint(0, 720 - h)
            box: Box = (x, y, x + w, y + h)
            if all(inside(box, t.box) == 0 for t in truths):
                pasted = cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA)
                frame[y : y + h, x : x + w] = pasted
                truths.append(Truth(name, box, ITEMS[name]))
                break
    return frame, truths


def _band(height: int) -> str:
    return "small (<200 px)" if height < 200 else "medium (200-400)" if height < 400 else "large"


def _score(truths: list[Truth], found: list[Detection], tally: Counter[str]) -> None:
    matched: set[int] = set()
    for t in truths:
        band = _band(t.height)
        for kind in t.kinds:
            tally[f"{kind} {band} total"] += 1
            hits = [
                i for i, d in enumerate(found) if d.kind == kind and inside(d.box, t.box) >= 0.5
            ]
            if hits:
                tally[f"{kind} {band} found"] += 1
                matched.update(hits)
                if kind == "vehicle":
                    right = any(found[i].vehicle_type == "motorcycle" for i in hits)
                    tally["vehicle type right"] += right
                    tally["vehicle type judged"] += 1
    tally["extra"] += sum(1 for i, d in enumerate(found) if i not in matched and d.kind != "bag")


#: the size bands, as printed
BANDS = {"small (<200 px)": "<200", "medium (200-400)": "200-400", "large": ">=400"}


def _recall(tally: Counter[str], kind: str) -> str:
    parts = []
    total = found = 0
    for band, short in BANDS.items():
        n, k = tally[f"{kind} {band} total"], tally[f"{kind} {band} found"]
        total, found = total + n, found + k
        if n:
            parts.append(f"{short} {k}/{n}")
    share = f"{found / total:.2f}" if total else "-"
    return f"{share} ({', '.join(parts)})"


@dataclass
class Run:
    """One people/vehicle detector's figures over the scenes."""

    tally: Counter[str] = field(default_factory=Counter)
    took: list[float] = field(default_factory=list)
    detections: int = 0
    cpu: float = 0.0


def _detectors() -> dict[str, PeopleDetector]:
    chosen = os.environ.get("NVRD_BENCH_DETECTOR", "").strip()
    names = [n for n in DETECTORS if n == chosen or not chosen]
    if not names:
        raise SystemExit(f"NVRD_BENCH_DETECTOR: one of {', '.join(DETECTORS)}, not {chosen!r}")
    return {n: object_detector(n, MODELS_DIR) for n in names}


def _ms(took: list[float]) -> str:
    took = sorted(took)
    p90 = took[int(0.9 * (len(took) - 1))]
    return f"median {statistics.median(took):.1f} ms, p90 {p90:.1f} ms"


def _measure(detector: PeopleDetector, scenes: list[Scene], faces: list[list[Detection]]) -> Run:
    detector.detect(scenes[0][0])  # warm-up
    run = Run()
    for (frame, truths), face_found in zip(scenes, faces, strict=True):
        cpu_started = time.process_time()
        started = time.perf_counter()
        found = detector.detect(frame)
        run.took.append((time.perf_counter() - started) * 1000)
        run.cpu += time.process_time() - cpu_started
        run.detections += len(found) + len(face_found)
        _score(truths, found + face_found, run.tally)
    return run


def _print(runs: dict[str, Run], count: int, face_cpu: float) -> None:
    rows: list[tuple[str, list[str]]] = []
    for kind in ("human", "face", "vehicle"):
        rows.append((f"{kind} recall", [_recall(r.tally, kind) for r in runs.values()]))
    types = [(r.tally["vehicle type right"], r.tally["vehicle type judged"]) for r in runs.values()]
    rows.append(("vehicle type right", [f"{k}/{n} (motorcycles)" for k, n in types]))
    rows.append(("extras per scene", [f"{r.tally['extra'] / count:.2f}" for r in runs.values()]))
    rows.append(("ms per scene", [_ms(r.took) for r in runs.values()]))
    rows.append(
        (
            "detections per CPU-s",
            [f"{r.detections / (r.cpu + face_cpu):.1f}" for r in runs.values()],
        )
    )
    width = max(len(v) for _, values in rows for v in values) + 2
    print(f"  {'':22s}" + "".join(f"{n:{width}s}" for n in runs))
    for label, values in rows:
        print(f"  {label:22s}" + "".join(f"{v:{width}s}" for v in values))


def main() -> None:
    count = int(os.environ.get("NVRD_BENCH_SCENES", "40"))
    pictures = {}
    for name in ITEMS:
        image = picture(name)
        pictures[name] = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR) if image.ndim == 2 else image
    detectors = _detectors()
    rng = random.Random(7)
    scenes = [_scene(rng, pictures) for _ in range(count)]
    face_detector = FaceDetector()
    face_detector.detect(scenes[0][0])  # warm-up
    faces: list[list[Detection]] = []
    face_took: list[float] = []
    cpu_started = time.process_time()
    for frame, _ in scenes:
        started = time.perf_counter()
        faces.append(face_detector.detect(frame))
        face_took.append((time.perf_counter() - started) * 1000)
    face_cpu = time.process_time() - cpu_started
    runs = {name: _measure(d, scenes, faces) for name, d in detectors.items()}
    print(f"{count} scenes, load average {os.getloadavg()[0]:.2f}")
    _print(runs, count, face_cpu)
    print(f"  face detector per scene: {_ms(face_took)}")


if __name__ == "__main__":
    main()

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

Printed: person, face and vehicle recall by size band, vehicle type accuracy, extras per
scene, the detectors' time per scene (median, 90th percentile) and detections per
CPU-second of this process (one thread, as the worker runs them). No model here finds
the drawn cars of the traffic generator, and no package ships labelled street video, so
vehicle types other than motorcycle are not measured.
"""

from __future__ import annotations

import os
import random
import statistics
import time
from collections import Counter
from dataclasses import dataclass

import cv2
import numpy as np

from nvrd.recognition.geometry import Box, inside
from nvrd.recognition.objects.detector import ObjectDetector
from nvrd.recognition.objects.faces import FaceDetector
from nvrd.recognition.objects.types import Detection
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


def _scene(rng: random.Random, pictures: dict[str, np.ndarray]) -> tuple[np.ndarray, list[Truth]]:
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


def _recall(tally: Counter[str], kind: str) -> str:
    parts = []
    total = found = 0
    for band in ("small (<200 px)", "medium (200-400)", "large"):
        n, k = tally[f"{kind} {band} total"], tally[f"{kind} {band} found"]
        total, found = total + n, found + k
        if n:
            parts.append(f"{band} {k}/{n}")
    share = f"{found / total:.2f}" if total else "-"
    return f"{kind:8s} recall {share} ({found}/{total}; {', '.join(parts)})"


def main() -> None:
    count = int(os.environ.get("NVRD_BENCH_SCENES", "40"))
    pictures = {}
    for name in ITEMS:
        image = picture(name)
        pictures[name] = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR) if image.ndim == 2 else image
    objects, faces = ObjectDetector(), FaceDetector()
    rng = random.Random(7)
    scenes = [_scene(rng, pictures) for _ in range(count)]
    objects.detect(scenes[0][0])  # warm-up
    tally: Counter[str] = Counter()
    took: list[float] = []
    detections = 0
    cpu_started = time.process_time()
    for frame, truths in scenes:
        started = time.perf_counter()
        found = objects.detect(frame) + faces.detect(frame)
        took.append((time.perf_counter() - started) * 1000)
        detections += len(found)
        _score(truths, found, tally)
    cpu = time.process_time() - cpu_started
    took.sort()
    print(f"{count} scenes, load average {os.getloadavg()[0]:.2f}")
    for kind in ("human", "face", "vehicle"):
        print("  " + _recall(tally, kind))
    judged = tally["vehicle type judged"]
    if judged:
        print(f"  vehicle type right {tally['vehicle type right']}/{judged} (motorcycles)")
    print(f"  extra detections per scene {tally['extra'] / count:.2f}")
    p90 = took[int(0.9 * (len(took) - 1))]
    print(f"  both detectors per scene: median {statistics.median(took):.1f} ms, p90 {p90:.1f} ms")
    print(f"  detections per CPU-second {detections / cpu:.1f} ({detections} in {cpu:.1f} s)")


if __name__ == "__main__":
    main()

"""Clothes colours: milliseconds per person crop and how often the colours are right.

The people are the package's (tests/support/clothes.py): the astronaut and the cameraman
of the scikit-image wheel, as pictures and as the tracker's crops of the test scene, the
cameraman as he walks across; the face photos of ``make install`` (when present); each
picture also as the crop of the largest person the detector finds in it (``box``); and
the astronaut and the cameraman with their clothes painted each of 14 colours, the
cameraman in six two-piece outfits (his coat above and below his hips). Each time
is the median and the 90th percentile of ``NVRD_BENCH_FRAMES`` (default 20) runs after a
warm-up, on one thread as the worker runs it. A part is right when its main colour is one
of the names the person's clothes may have (``WORN``); a part not reported is counted
apart (the keypoints were unsure).
"""

from __future__ import annotations

import os
import statistics
import time
from typing import Any

import numpy as np

from nvrd.recognition.objects.clothes import ClothesModel
from nvrd.recognition.objects.detector import ObjectDetector
from nvrd.recognition.objects.models import MOVENET
from nvrd.recognition.objects.tracker import _crop
from tests.support.clothes import (
    CLOTHS,
    TWO_PIECES,
    WORN,
    WORN_PHOTOS,
    astronaut_in,
    cameraman_in,
    cameraman_in_two,
    person,
)
from tests.support.faces import PHOTOS, photo
from tests.support.models import prepared
from tests.support.pictures import make_scene, walker


def _people() -> list[tuple[str, np.ndarray, dict[str, tuple[str, ...]]]]:
    out = [(name, person(name), worn) for name, worn in WORN.items()]
    scene = make_scene()
    for name, box in (("astronaut.png", scene.astronaut), ("camera.png", scene.cameraman)):
        cut = _crop(scene.image, box, 0.1)
        assert cut is not None
        out.append((f"scene {name}", cut[0], WORN[name]))
    out.append(("walker", walker(), WORN["camera.png"]))
    if (PHOTOS / "obama.jpg").is_file():
        out += [(name, photo(name), worn) for name, worn in WORN_PHOTOS.items()]
    detector = ObjectDetector()
    for name, image, worn in list(out):
        if name in WORN or name in WORN_PHOTOS:
            people = [d.box for d in detector.detect(image) if d.kind == "human"]
            if people:  # the largest person's box as the tracker cuts it
                box = max(people, key=lambda b: (b[2] - b[0]) * (b[3] - b[1]))
                cut = _crop(image, box, 0.1)
                assert cut is not None
                out.append((f"box {name}", cut[0], worn))
    return out


def _painted() -> list[tuple[str, np.ndarray, dict[str, tuple[str, ...]]]]:
    out: list[tuple[str, np.ndarray, dict[str, tuple[str, ...]]]] = []
    for name, cloth in CLOTHS.items():
        tops: dict[str, tuple[str, ...]] = {"tops": (name,)}
        out.append((f"astronaut {name}", astronaut_in(cloth), tops))
        # the coat reaches below his hips: the thighs are the coat too
        worn: dict[str, tuple[str, ...]] = {"tops": (name,), "bottoms": (name,)}
        out.append((f"cameraman {name}", cameraman_in(cloth), worn))
    for top, bottom in TWO_PIECES:
        image = cameraman_in_two(CLOTHS[top], CLOTHS[bottom])
        out.append((f"cameraman {top}/{bottom}", image, {"tops": (top,), "bottoms": (bottom,)}))
    return out


def _score(found: list[dict[str, Any]], worn: dict[str, tuple[str, ...]]) -> dict[str, str]:
    got = {item["type"]: item["colors"] for item in found}
    out: dict[str, str] = {}
    for part, names in worn.items():
        if part not in got:
            out[part] = "missing"
        else:
            out[part] = "right" if got[part][0] in names else "wrong"
    for part in got:
        out.setdefault(part, "unlabelled")
    return out


def main() -> None:
    runs = int(os.environ.get("NVRD_BENCH_FRAMES", "20"))
    model = ClothesModel(prepared(MOVENET))
    for title, people in (("pictures", _people()), ("painted", _painted())):
        times: list[float] = []
        tally: dict[tuple[str, str], int] = {}
        for name, image, worn in people:
            model.attributes(image)
            took = []
            for _ in range(runs):
                started = time.perf_counter()
                found = model.attributes(image)
                took.append((time.perf_counter() - started) * 1000)
            times.append(statistics.median(took))
            scores = _score(found, worn)
            for part, verdict in scores.items():
                tally[(part, verdict)] = tally.get((part, verdict), 0) + 1
            print(
                f"  {name:28s} {image.shape[1]}x{image.shape[0]:<5d} "
                f"{statistics.median(took):6.1f} ms  {found}  {scores}",
                flush=True,
            )
        load = os.getloadavg()[0]
        print(
            f"{title}: median {statistics.median(times):.1f} ms per person "
            f"(max {max(times):.1f}, load {load:.1f})",
            flush=True,
        )
        for part in ("tops", "bottoms"):
            right = tally.get((part, "right"), 0)
            wrong = tally.get((part, "wrong"), 0)
            missing = tally.get((part, "missing"), 0)
            extra = tally.get((part, "unlabelled"), 0)
            print(
                f"  {part}: {right} right, {wrong} wrong, {missing} not reported, "
                f"{extra} reported where nothing was labelled",
                flush=True,
            )


if __name__ == "__main__":
    main()

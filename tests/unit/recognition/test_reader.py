"""Reading rendered plates with the packaged OCR models, and the recogniser loop on
generated traffic (frames rendered in memory, real models)."""

from __future__ import annotations

import random
from collections.abc import Iterator

import numpy as np
import pytest

from nvrd.core.plates import parse_formats
from nvrd.media.frames.pictures import FeedCounters, Frame
from nvrd.media.traffic.plates import random_plate
from nvrd.media.traffic.scene import Look, Passage, TrafficPlan
from nvrd.recognition.geometry import zone_pixels
from nvrd.recognition.lpr.hangul import HangulReader
from nvrd.recognition.lpr.reader import PlateReader
from nvrd.recognition.lpr.settings import WorkerConfig
from nvrd.recognition.lpr.worker import Recogniser

FORMATS = ("US", "EU", "UK", "KR")


@pytest.fixture(scope="module")
def reader() -> PlateReader:
    return PlateReader(parse_formats(FORMATS), hangul=HangulReader())


def plan(regions: list[str], seed: int = 5, fps: int = 4) -> TrafficPlan:
    rng = random.Random(seed)
    passages = []
    for n, region in enumerate(regions):
        look = Look(body_width=340, plate_width=180, angle=rng.uniform(-3, 3), noise=2)
        passages.append(Passage(random_plate(region, rng), 1 + n * 4.0, 3.5, "entry", 640, look))
    return TrafficPlan(1280, 720, fps, 2 + len(regions) * 4.0, (960, 1080, 6720, 4320), passages)


class PlanFrames:
    """A FrameInput over a plan's frames (video time = wall time from 0)."""

    def __init__(self, traffic: TrafficPlan) -> None:
        self._frames: Iterator[np.ndarray] = traffic.frames()
        self._n = 0
        self._fps = traffic.fps

    def get(self, timeout: float) -> Frame | None:
        image = next(self._frames, None)
        if image is None:
            return None
        frame = Frame(np.ascontiguousarray(image[:, :, ::-1]), round(self._n * 1000 / self._fps))
        self._n += 1
        return frame

    def counters(self) -> FeedCounters:
        return FeedCounters(self._n, 0)

    def close(self) -> None:
        pass


def test_reads_a_plate_of_each_region(reader: PlateReader) -> None:
    traffic = plan(["US", "EU", "UK", "KR"])
    frames = list(traffic.frames())
    zone = zone_pixels(traffic.zone, 1280, 720)
    for passage, truth in zip(traffic.passages, traffic.truth(), strict=True):
        b, e = truth["inZone"]
        image = np.ascontiguousarray(frames[round((b + e) / 2 * traffic.fps)][:, :, ::-1])
        texts = [r.text for r in reader.read(image, zone)]
        assert passage.plate.truth in texts, (passage.plate.text, texts)


def test_nothing_is_read_in_an_empty_zone(reader: PlateReader) -> None:
    empty = np.full((720, 1280, 3), 90, np.uint8)
    assert reader.read(empty, (0, 0, 1280, 720)) == []


def test_the_recogniser_logs_each_passage_once(reader: PlateReader, tmp_path: object) -> None:
    traffic = plan(["UK", "US", "EU"], seed=9, fps=2)  # the recogniser's default rate
    cfg = WorkerConfig(1, "T", traffic.zone, 2, FORMATS, str(tmp_path))
    rec = Recogniser(cfg, PlanFrames(traffic), reader)
    out = []
    for _ in range(round(traffic.seconds * traffic.fps)):
        out += rec.step(0)
    out += rec.tracker.expire(0, everything=True)
    truth = traffic.truth()
    assert [p.text for p in out] == [t["plateNo"] for t in truth]
    for p, t in zip(out, truth, strict=True):
        assert abs(p.time_begin_ms / 1000 - t["inZone"][0]) <= 1.0
        assert abs(p.time_end_ms / 1000 - t["inZone"][1]) <= 1.0
        assert p.best and p.best[0].picture.ndim == 3
    assert rec.counters.analysed > 0

"""The recogniser's worker process: one per LPR source with a zone.

Its pictures come from the server through shared memory (``frames.SharedFrames``;
the server names the block over the control pipe, ``("frames", name)``). It takes
the newest frame (older ones are dropped and counted), skips the
frame when nothing moved in the zone and no plate is being followed (but
looks at least every ``idle_seconds``), reads plates, tracks them, writes
the plate images of each passage and sends the passage to the server over
a pipe, with its counters every ``stats_seconds``. It runs at a lower
priority (``nice``) than the server, so recording and the API come first.
It exits when asked to, or when the server process is gone.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from nvrd.core.plates import parse_formats
from nvrd.media.frames.pictures import FrameInput, SharedFrames
from nvrd.recognition.geometry import Box, zone_pixels
from nvrd.recognition.lpr.hangul import HangulReader
from nvrd.recognition.lpr.reader import PlateReader
from nvrd.recognition.lpr.settings import WorkerConfig
from nvrd.recognition.lpr.tracker import Passage, PassageTracker, Read
from nvrd.recognition.workerloop import FrameCounters, Message, serve

log = logging.getLogger("nvrd.lpr.worker")


@dataclass
class Counters(FrameCounters):
    skipped: int = 0
    reads: int = 0
    passages: int = 0
    last_read_ms: int | None = None


class Recogniser:
    """The loop body, separated from the process so that it can be driven in tests."""

    def __init__(self, config: WorkerConfig, frames: FrameInput, reader: PlateReader) -> None:
        self.config = config
        self.frames = frames
        self.reader = reader
        self.tracker = PassageTracker(config.tracker, key_prefix=f"{config.src_id}-{os.getpid()}-")
        self.counters = Counters()
        self._small: np.ndarray | None = None
        self._last_look = 0.0

    def step(self, timeout: float = 0.5) -> list[Passage]:
        frame = self.frames.get(timeout)
        now_ms = time.time_ns() // 1_000_000
        if frame is None:
            return self.tracker.expire(now_ms)
        c = self.counters
        c.seen(frame)
        height, width = frame.image.shape[:2]
        zone = zone_pixels(self.config.zone, width, height)
        if not self._worth_looking(frame.image, zone):
            c.skipped += 1
            return self.tracker.expire(frame.time_ms)
        started = time.perf_counter()
        plates = self.reader.read(frame.image, zone)
        c.analysed_one(frame, time.perf_counter() - started)
        c.reads += len(plates)
        if plates:
            c.last_read_ms = frame.time_ms
        reads = [Read(p.text, p.score, p.box, frame.time_ms, p.crop) for p in plates]
        out = self.tracker.update(frame.time_ms, reads)
        c.passages += sum(1 for p in out if p.kind != "left")
        return out

    def _worth_looking(self, image: np.ndarray, zone: Box) -> bool:
        x0, y0, x1, y1 = zone
        grey = cv2.cvtColor(image[y0:y1, x0:x1], cv2.COLOR_BGR2GRAY)
        small = cv2.resize(grey, (96, 54), interpolation=cv2.INTER_AREA).astype(np.int16)
        previous, self._small = self._small, small
        now = time.monotonic()
        moved = (
            previous is None
            or float(np.abs(small - previous).mean()) >= self.config.motion_threshold
        )
        if moved or self.tracker.open_tracks or now - self._last_look >= self.config.idle_seconds:
            self._last_look = now
            return True
        return False


def image_names(config: WorkerConfig, passage: Passage) -> list[str]:
    """Paths (relative to the image folder) of a passage's plate images."""
    day = datetime.fromtimestamp(passage.time_begin_ms / 1000, UTC).strftime("%Y/%m/%d")
    return [
        f"{day}/{config.src_id}.{passage.time_begin_ms}.{passage.key}.{n}.plate.jpg"
        for n in range(len(passage.best))
    ]


def write_images(config: WorkerConfig, passage: Passage) -> list[str]:
    """Write the passage's best plate pictures as JPEG files (new files renamed into place)."""
    root = Path(config.image_dir)
    written: list[str] = []
    for name, read in zip(image_names(config, passage), passage.best, strict=True):
        ok, data = cv2.imencode(
            ".jpg", read.picture, [cv2.IMWRITE_JPEG_QUALITY, config.jpeg_quality]
        )
        if not ok:
            continue
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".part")
        tmp.write_bytes(data.tobytes())
        tmp.replace(target)
        written.append(name)
    return written


def passage_message(config: WorkerConfig, passage: Passage, images: list[str]) -> dict[str, Any]:
    x0, y0, x1, y1 = passage.box
    return {
        "key": passage.key,
        "kind": passage.kind,
        "plateNo": passage.text,
        "score": passage.score,
        "roi": {"offset": [x0, y0], "size": [x1 - x0, y1 - y0]},
        "timeBegin": passage.time_begin_ms,
        "timeEnd": passage.time_end_ms,
        "direction": passage.direction,
        "images": images,
        "reads": passage.reads,
    }


def stats_message(rec: Recogniser, started: float) -> dict[str, Any]:
    c = rec.counters
    return {
        **c.figures(rec.frames.counters(), started),
        "framesSkipped": c.skipped,
        "reads": c.reads,
        "passages": c.passages,
        "lastReadMs": c.last_read_ms,
    }


class PlateAnalysis:
    """The recogniser as the worker's main loop drives it: passages become messages, with
    their plate images written first."""

    def __init__(self, rec: Recogniser) -> None:
        self.rec = rec

    def step(self) -> list[Message]:
        return self.messages(self.rec.step())

    def finish(self) -> list[Message]:
        return self.messages(self.rec.tracker.expire(0, everything=True))

    def stats(self, started: float) -> dict[str, Any]:
        return stats_message(self.rec, started)

    def messages(self, passages: list[Passage]) -> list[Message]:
        config = self.rec.config
        out: list[Message] = []
        for passage in passages:
            images = write_images(config, passage) if passage.kind != "left" else []
            out.append(("passage", passage_message(config, passage, images)))
        return out


def build(config: WorkerConfig, frames: SharedFrames) -> PlateAnalysis:
    """The models loaded, the recogniser of ``frames``."""
    reader = PlateReader(parse_formats(config.formats), config.reader, HangulReader())
    return PlateAnalysis(Recogniser(config, frames, reader))


def run(conn: Connection, notified: Connection, config: WorkerConfig) -> None:
    """The worker process's main function (``notified``: the wake-up pipe of the pictures)."""
    serve(conn, notified, "lpr worker", config.nice, config.stats_seconds, partial(build, config))

"""What a recogniser worker is told (picklable, and light: the server imports it without
loading OpenCV, numpy or the models). Nothing about the camera: the pictures come from
the server (``feed.py``), never from a connection of the worker's own."""

from __future__ import annotations

from dataclasses import dataclass, field

from nvrd.recognition.lpr.tracker import TrackerSettings


@dataclass(frozen=True)
class ReaderSettings:
    det_max_side: int = 640
    threads: int = 1
    #: Lowest recognition confidence (0..1) of a line taken as a plate.
    min_score: float = 0.6
    #: Lines narrower than this (frame pixels) are ignored.
    min_width: int = 24


@dataclass(frozen=True)
class WorkerConfig:
    src_id: int
    code: str
    #: the zone in 7680x4320 logical coordinates
    zone: tuple[int, int, int, int]
    fps: float
    formats: tuple[str, ...]
    image_dir: str
    reader: ReaderSettings = field(default_factory=ReaderSettings)
    tracker: TrackerSettings = field(default_factory=TrackerSettings)
    idle_seconds: float = 5.0
    #: mean change (0..255) of the small zone picture that counts as movement
    motion_threshold: float = 1.0
    stats_seconds: float = 2.0
    nice: int = 10
    jpeg_quality: int = 90

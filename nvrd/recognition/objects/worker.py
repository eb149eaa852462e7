"""The object detection worker process: one per channel analysed.

Its pictures come from the server through shared memory
(:class:`~nvrd.media.frames.pictures.SharedFrames`; the server names the block
over the control pipe). It takes the newest picture (older ones are dropped
and counted), finds people, vehicles and bags (NanoDet or yolov3-tiny, :mod:`.choice`) and
faces (:class:`FaceDetector`), follows them (:class:`ObjectTracker`) and,
when a track ends, sends the object over the pipe: its type, likelihood,
attributes (a vehicle's type and colours from its best crop, a person's bag,
a face's gender, age group and mask from its best crop, a person's gender from
its face's), the best crop as JPEG bytes
and, for a face, the embedding of that crop (:class:`FaceEmbedder`, once per
track, when ``embeddings`` is on); the server writes the file and publishes the
event. Open tracks end, and are sent, when no picture came for
``idle_seconds`` (the server stopped the pictures: nothing moves) and when
the worker stops. Counters go to the server every ``stats_seconds``; the
main loop is the one every worker shares (:func:`~nvrd.recognition.workerloop.serve`).
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Protocol

import cv2
import numpy as np

from nvrd.core.faces import pack
from nvrd.media.frames.pictures import FrameInput, SharedFrames
from nvrd.recognition.objects.choice import object_detector
from nvrd.recognition.objects.clothes import ClothesModel
from nvrd.recognition.objects.colour import vehicle_colours
from nvrd.recognition.objects.embedding import FaceEmbedder
from nvrd.recognition.objects.faceattrs import FaceAttributeModel
from nvrd.recognition.objects.faces import FaceDetector
from nvrd.recognition.objects.mask import MaskModel
from nvrd.recognition.objects.models import FACE_MASK, MOVENET, prepared_file
from nvrd.recognition.objects.settings import ObjectWorkerConfig
from nvrd.recognition.objects.tracker import ObjectTracker, TrackedObject
from nvrd.recognition.objects.types import Detection
from nvrd.recognition.workerloop import FrameCounters, Message, serve

log = logging.getLogger("nvrd.objects.worker")

#: people whose face's gender waits for their track to end, at most
MAX_PENDING_GENDERS = 1000


class Detector(Protocol):
    def detect(self, image: Any) -> list[Detection]: ...


class Embedder(Protocol):
    def embed(self, image: Any, box: Any) -> np.ndarray | None: ...


@dataclass(frozen=True)
class AttributeModels:
    """The models that give a track its attributes from its best crop (each optional:
    without it, that attribute is not reported)."""

    faces: FaceAttributeModel | None = None  # a face's gender and age
    masks: MaskModel | None = None  # whether a face wears a mask
    clothes: ClothesModel | None = None  # a person's clothes colours


@dataclass
class Counters(FrameCounters):
    detections: int = 0
    objects: int = 0
    last_ms_per_frame: float = 0.0


class Analyser:
    """The loop body, separated from the process so that it can be driven in tests."""

    def __init__(
        self,
        config: ObjectWorkerConfig,
        frames: FrameInput,
        detectors: list[Detector],
        models: AttributeModels = AttributeModels(),
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self._monotonic = monotonic  # when the last picture came (idle_seconds)
        self.frames = frames
        self.detectors = detectors
        self.models = models
        self.tracker = ObjectTracker()
        self.counters = Counters()
        self._last_frame = self._monotonic()

    def step(self, timeout: float = 0.5) -> list[TrackedObject]:
        """Analyse the newest picture; the tracks that ended."""
        frame = self.frames.get(timeout)
        if frame is None:
            if self._monotonic() - self._last_frame >= self.config.idle_seconds:
                return self.tracker.flush()
            return []
        self._last_frame = self._monotonic()
        c = self.counters
        c.seen(frame)
        started = time.perf_counter()
        found = [d for detector in self.detectors for d in detector.detect(frame.image)]
        update = self.tracker.update(frame.time_ms, found, frame.image)
        spent = time.perf_counter() - started
        c.analysed_one(frame, spent)
        c.last_ms_per_frame = round(spent * 1000, 1)
        c.detections += len(found)
        return update.ended


def attributes(
    track: TrackedObject, bag_frames: int, models: AttributeModels = AttributeModels()
) -> dict[str, Any]:
    """The guide's attributes of a track, only what was really found (what a model gives
    only when ``models`` has it)."""
    if track.kind == "face":
        return face_attributes(track, models)
    if track.kind == "vehicle":
        out: dict[str, Any] = {}
        if track.vehicle_type is not None:
            out["vehicleType"] = track.vehicle_type
        colours = vehicle_colours(track.crop) if track.crop is not None else []
        if colours:
            out["colors"] = colours
        return out
    if track.kind == "human":
        found: dict[str, Any] = {}
        if track.bag_hits >= min(bag_frames, track.hits):
            found["bag"] = True
        worn = models.clothes.attributes(track.crop) if models.clothes is not None else []
        if worn:
            found["clothes"] = worn
        return found
    return {}


def face_attributes(track: TrackedObject, models: AttributeModels) -> dict[str, Any]:
    """A face's gender and age group (``models.faces``) and mask (``models.masks``), from
    its best crop."""
    out = models.faces.attributes(track.crop) if models.faces is not None else {}
    if models.masks is not None and track.crop is not None:
        wearing = models.masks.wearing(track.crop, track.crop_box)
        if wearing is not None:
            out["mask"] = wearing
    return out


def jpeg(crop: np.ndarray | None, quality: int) -> bytes | None:
    if crop is None or crop.size == 0:
        return None
    ok, data = cv2.imencode(".jpg", crop, [cv2.IMWRITE_JPEG_QUALITY, quality])
    return data.tobytes() if ok else None


def face_embedding(track: TrackedObject, embedder: Embedder | None) -> bytes | None:
    """The stored embedding of a face track's best crop."""
    if embedder is None or track.kind != "face" or track.crop is None or not track.crop_box:
        return None
    values = embedder.embed(track.crop, track.crop_box)
    return None if values is None else pack(values.tolist())


def object_message(
    config: ObjectWorkerConfig,
    track: TrackedObject,
    models: AttributeModels = AttributeModels(),
    embedder: Embedder | None = None,
) -> dict[str, Any]:
    """What the server is told of an ended track (ids are the worker's own): the
    attributes ``models`` give, a face's embedding when ``embedder`` is given."""
    return {
        "objId": track.obj_id,
        "parentId": track.parent_id,
        "type": track.kind,
        "likelihood": round(track.score * 100, 1),
        "attributes": attributes(track, config.bag_frames, models),
        "timeBegin": track.time_begin_ms,
        "timeEnd": track.time_end_ms,
        "hits": track.hits,
        "jpeg": jpeg(track.crop, config.jpeg_quality),
        "embedding": face_embedding(track, embedder),
    }


def stats_message(an: Analyser, started: float) -> dict[str, Any]:
    c = an.counters
    return {
        **c.figures(an.frames.counters(), started),
        "detections": c.detections,
        "objects": c.objects,
        "openTracks": len(an.tracker.tracks),
        "msPerFrame": round(1000 * c.busy_seconds / c.analysed, 1) if c.analysed else 0.0,
        "lastMsPerFrame": c.last_ms_per_frame,
    }


def detectors(config: ObjectWorkerConfig) -> list[Detector]:
    found: list[Detector] = [
        object_detector(config.detector, Path(config.models_dir), config.input_size)
    ]
    if config.faces:
        found.append(FaceDetector())
    return found


def embedder(config: ObjectWorkerConfig) -> Embedder | None:
    return FaceEmbedder() if config.faces and config.embeddings else None


class ObjectAnalysis:
    """The worker's analysis as its main loop drives it: ended tracks become messages. A
    person gets the gender of its face (``parentId``) when the face's track ended first
    or with it."""

    def __init__(self, an: Analyser, embedder: Embedder | None) -> None:
        self.an = an
        self.embedder = embedder
        #: person objId -> the gender of its face, until the person's track ends
        self._genders: dict[int, str] = {}

    def step(self) -> list[Message]:
        return self.messages(self.an.step())

    def finish(self) -> list[Message]:
        return self.messages(self.an.tracker.flush())

    def stats(self, started: float) -> dict[str, Any]:
        return stats_message(self.an, started)

    def messages(self, tracks: list[TrackedObject]) -> list[Message]:
        an = self.an
        out: list[Message] = []
        for track in sorted(tracks, key=lambda t: t.kind != "face"):  # faces first
            an.counters.objects += 1
            body = object_message(an.config, track, an.models, self.embedder)
            gender = body["attributes"].get("gender")
            if track.kind == "face" and track.parent_id is not None and gender:
                self._genders[track.parent_id] = gender
            elif track.kind == "human" and track.obj_id in self._genders:
                body["attributes"]["gender"] = self._genders.pop(track.obj_id)
            out.append(("object", body))
        if len(self._genders) > MAX_PENDING_GENDERS:  # people that never ended: forget
            for obj_id in sorted(self._genders)[: len(self._genders) - MAX_PENDING_GENDERS]:
                del self._genders[obj_id]
        return out


def build(config: ObjectWorkerConfig, frames: SharedFrames) -> ObjectAnalysis:
    """The models loaded, the analysis of ``frames``."""
    faces = FaceAttributeModel() if config.faces else None
    masks = MaskModel(prepared_file(Path(config.models_dir), FACE_MASK)) if config.faces else None
    models = AttributeModels(faces, masks, clothes_model(config))
    return ObjectAnalysis(Analyser(config, frames, detectors(config), models), embedder(config))


def clothes_model(config: ObjectWorkerConfig) -> ClothesModel | None:
    """The clothes colours' model when ``clothes`` is on (a missing model file fails
    with the install step to run)."""
    if not config.clothes:
        return None
    return ClothesModel(prepared_file(Path(config.models_dir), MOVENET))


def run(conn: Connection, notified: Connection, config: ObjectWorkerConfig) -> None:
    """The worker process's main function (``notified``: the wake-up pipe of the pictures)."""
    serve(
        conn,
        notified,
        "objects worker",
        config.nice,
        config.stats_seconds,
        functools.partial(build, config),
    )

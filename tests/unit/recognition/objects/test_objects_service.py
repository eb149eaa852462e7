"""The server side of object detection: which channels get a worker, real worker processes
started, killed and started again, the supervised loop surviving a failure, the motion gate
on a real picture feed, and an ended track becoming one ObjectSeen with its crop on disk."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from nvrd.config import ObjectSettings
from nvrd.core.clock import SystemClock
from nvrd.core.supervisor import Backoff, Supervisor
from nvrd.events.types import Event, ObjectSeen
from nvrd.media.frames.feed import PictureFeed
from nvrd.recognition.geometry import Box
from nvrd.recognition.objects.models import MANIFEST, needed_models
from nvrd.recognition.objects.service import ObjectService, _Worker, crop_name, write_file
from nvrd.recognition.objects.settings import ObjectWorkerConfig
from nvrd.recognition.objects.tracker import TrackedObject
from nvrd.recognition.objects.types import Kind
from nvrd.recognition.objects.worker import object_message
from nvrd.store.channels import Channel
from tests.support.models import MODELS_DIR, prepared

DAY = 86_400_000


class Channels:
    def __init__(self, fail: int = 0) -> None:
        self.fail = fail

    async def all(self) -> list[Channel]:
        if self.fail:
            self.fail -= 1
            raise RuntimeError("database away")
        return [
            Channel(1, "Yard", {"source": "/v/yard.mp4"}, "config"),
            Channel(2, "Dark", {}, "config"),  # no video source
            Channel(3, "Door", {"source": "/v/door.mp4"}, "config"),
        ]


def service(
    tmp_path: Path,
    events: list[Event],
    reported: list[str] | None = None,
    store: Channels | None = None,
    motion: Callable[[], dict[int, bool]] = dict,
    **settings: Any,  # [objects] settings, checked by ObjectSettings
) -> ObjectService:
    clock = SystemClock()
    sink = reported if reported is not None else []
    sup = Supervisor(clock, lambda name, exc, n: sink.append(f"{name}: {exc}"), Backoff(first=0.05))
    return ObjectService(
        ObjectSettings(**settings),
        store or Channels(),
        tmp_path,
        events.append,
        sup,
        motion=motion,
        now_ms=lambda: 5 * DAY,
        reconcile_seconds=0.1,
        tick_seconds=0.05,
    )


async def until(check: Callable[[], bool], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


def test_crops_are_named_by_channel_utc_day_time_and_id(tmp_path: Path) -> None:
    assert crop_name(3, 20_000 * DAY - 1, 77) == f"objects/3/2024-10-03/{20_000 * DAY - 1}-77.jpg"
    assert crop_name(3, 20_000 * DAY, 77).startswith("objects/3/2024-10-04/")
    target = tmp_path / "objects" / "3" / "2024-10-04" / "1-77.jpg"
    write_file(target, b"one")
    write_file(target, b"two")
    assert target.read_bytes() == b"two" and os.listdir(target.parent) == ["1-77.jpg"]
    (tmp_path / "blocked").write_bytes(b"")
    with pytest.raises(OSError):
        write_file(tmp_path / "blocked" / "x.jpg", b"j")


async def test_off_without_channels(tmp_path: Path) -> None:
    svc = service(tmp_path, [])
    svc.start()
    assert svc.supervisor.get("objects") is None and svc.health() == []
    await svc.stop()


async def test_workers_start_die_and_come_back(tmp_path: Path) -> None:
    events: list[Event] = []
    svc = service(tmp_path, events, channels=[1, 2, 4], fps=1, faces=False)
    svc.start()
    try:
        # channel 2 has no video, channel 4 does not exist: one worker
        await until(lambda: [h["state"] for h in svc.health()] == ["running"])
        first = svc.health()[0]
        assert first["chid"] == 1 and first["pid"] and first["restarts"] == 0
        assert first["fps"] == 1 and first["faces"] is False and first["width"] == 960
        assert first["framesAnalysed"] == 0 and first["motion"] is None
        os.kill(first["pid"], signal.SIGKILL)
        await until(lambda: svc.health()[0]["restarts"] == 1)
        await until(lambda: svc.health()[0]["state"] == "running")
        back = svc.health()[0]
        assert back["pid"] != first["pid"]
        assert back["lastError"] in (
            "pipe closed",
            "pipe closed (exit code -9)",
            "exited with code -9",
        )
    finally:
        await svc.stop()
    assert svc.health() == [] and events == []
    with pytest.raises(ProcessLookupError):
        os.kill(back["pid"], 0)


async def test_the_loop_is_supervised(tmp_path: Path) -> None:
    reported: list[str] = []
    svc = service(tmp_path, [], reported, store=Channels(fail=2), channels=[3])
    svc.start()
    try:
        await until(lambda: [h["state"] for h in svc.health()] == ["running"])
        assert reported == ["objects: database away"] * 2
        assert svc.health()[0]["lastError"] == "RuntimeError: database away"
    finally:
        await svc.stop()


async def test_unconverted_models_are_reported_until_the_install_step_ran(
    tmp_path: Path,
) -> None:
    reported: list[str] = []
    models = tmp_path / "models"
    svc = service(tmp_path, [], reported, channels=[3], models_dir=models)
    svc.start()
    try:
        await until(lambda: len(reported) >= 2)
        assert all("make models" in r and str(models) in r for r in reported), reported
        assert svc.health() == []  # no worker started to die on it
        models.mkdir()
        for name in (MANIFEST, *needed_models(svc.worker_config(3))):
            (models / name).symlink_to(prepared(name) if name != MANIFEST else MODELS_DIR / name)
        await until(lambda: [h["state"] for h in svc.health()] == ["running"])
    finally:
        await svc.stop()


class NoPictures:
    def __init__(self) -> None:
        self.asked = 0

    def __call__(self, chid: int, min_width: int) -> None:
        self.asked += 1


def gated_worker(svc: ObjectService, chid: int) -> tuple[_Worker, PictureFeed, NoPictures]:
    w = _Worker(chid, svc.worker_config(chid))
    frames = NoPictures()
    proc = svc._process(w)
    proc.feed = PictureFeed(chid, 2, frames, 960, -1, lambda name: None, max_width=960)
    svc._workers[chid] = w
    return w, proc.feed, frames


def test_the_motion_gate_follows_the_channel(tmp_path: Path) -> None:
    moving = {1: False}
    svc = service(tmp_path, [], motion=lambda: dict(moving), channels=[1, 2])
    w1, feed1, frames1 = gated_worker(svc, 1)
    w2, feed2, _ = gated_worker(svc, 2)  # no motion detection on channel 2
    svc.gate()
    assert feed1.paused and feed1.pauses == 1 and w1.motion is False
    assert not feed2.paused and w2.motion is None
    feed1.refresh()
    assert frames1.asked == 0  # a paused feed asks for no pictures
    moving[1] = True
    svc.gate()
    assert not feed1.paused and frames1.asked == 1 and w1.motion is True
    health = {h["chid"]: h for h in svc.health()}
    assert health[1]["motion"] is True and health[1]["gatePauses"] == 1
    ungated = service(tmp_path, [], motion=lambda: {1: False}, channels=[1], motion_gate=False)
    _, feed, _ = gated_worker(ungated, 1)
    ungated.gate()
    assert not feed.paused


def ended(kind: Kind, obj_id: int, parent: int | None, crop: np.ndarray | None) -> TrackedObject:
    box: Box = (0, 0, 100, 200)
    return TrackedObject(
        obj_id,
        kind,
        box,
        0.873,
        box,
        20_000 * DAY + 5,
        20_000 * DAY + 900,
        6,
        None,
        parent,
        0,
        crop,
    )


async def test_an_ended_track_is_one_event_with_its_crop(tmp_path: Path) -> None:
    events: list[Event] = []
    svc = service(tmp_path, events, channels=[1])
    svc._next_id = 5 * DAY  # as start() sets it
    w = _Worker(1, svc.worker_config(1))
    config = ObjectWorkerConfig(chid=1, fps=2)
    picture = np.full((200, 100, 3), 128, np.uint8)
    # the face ends before its person: its parent gets its server id first
    svc._object(w, object_message(config, ended("face", 2, 1, picture)))
    svc._object(w, object_message(config, ended("human", 1, None, picture)))
    svc._object(w, object_message(config, ended("human", 3, None, None)))
    await asyncio.gather(*svc._pending)
    assert all(isinstance(e, ObjectSeen) for e in events)
    face, human, bare = events
    assert isinstance(face, ObjectSeen) and isinstance(human, ObjectSeen)
    assert isinstance(bare, ObjectSeen)
    assert (face.type, face.obj_id, face.parent_id) == ("face", 5 * DAY + 1, 5 * DAY + 2)
    assert (human.type, human.obj_id, human.parent_id) == ("human", 5 * DAY + 2, None)
    assert human.at_ms == 20_000 * DAY + 5 and human.chid == 1 and human.likelihood == 87.3
    assert human.attributes == {} and bare.image is None and w.objects == 3
    assert human.image == crop_name(1, human.at_ms, human.obj_id)
    saved = cv2.imread(str(tmp_path / human.image))
    assert saved is not None and saved.shape == (200, 100, 3)
    assert not list(tmp_path.rglob("*.part"))
    assert face.embedding is None  # no embedder


def test_the_worker_is_told_which_people_detector_to_run(tmp_path: Path) -> None:
    assert service(tmp_path, [], channels=[1]).worker_config(1).detector == "nanodet"
    yolo = service(tmp_path, [], channels=[1], detector="yolov3-tiny")
    assert yolo.worker_config(1).detector == "yolov3-tiny"


async def test_a_faces_embedding_goes_with_its_event_unless_switched_off(
    tmp_path: Path,
) -> None:
    events: list[Event] = []
    svc = service(tmp_path, events, channels=[1, 2], face_embeddings_off=[2])
    assert svc.worker_config(1).embeddings and not svc.worker_config(2).embeddings
    off = service(tmp_path, [], channels=[1], faces=False)
    assert not off.worker_config(1).embeddings
    assert svc.worker_config(1).clothes
    assert not service(tmp_path, [], channels=[1], clothes=False).worker_config(1).clothes
    w = _Worker(1, svc.worker_config(1))
    message = object_message(ObjectWorkerConfig(1, 2), ended("face", 1, None, None))
    message["embedding"] = bytes(range(256)) * 2
    svc._object(w, message)
    await asyncio.gather(*svc._pending)
    assert [e.embedding for e in events if isinstance(e, ObjectSeen)] == [message["embedding"]]


async def test_a_crop_that_cannot_be_written_is_reported_and_the_event_still_goes(
    tmp_path: Path,
) -> None:
    events: list[Event] = []
    (tmp_path / "objects").write_bytes(b"")  # a file where the folder should be
    svc = service(tmp_path, events, channels=[1])
    w = _Worker(1, svc.worker_config(1))
    proc = svc._process(w)
    picture = np.full((50, 50, 3), 10, np.uint8)
    svc._object(w, object_message(ObjectWorkerConfig(1, 2), ended("human", 1, None, picture)))
    await asyncio.gather(*svc._pending)
    assert len(events) == 1 and isinstance(events[0], ObjectSeen) and events[0].image is None
    assert proc.last_error.startswith("crop not written")

"""Motion detection against a live camera: real ffmpeg, real RTSP, the media service in-process.

The camera starts on its still scene (no motion), switches to the moving one (a
``motionChanges`` event with motion on within a few seconds, and a "Motion detected"
log event), then back to still (motion off once the hold time has passed). The
recording goes on meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from nvrd.channels.status import StatusBoard
from nvrd.core.clock import SystemClock
from nvrd.events.bus import EventBus, Subscription
from nvrd.events.types import LogRequested, MotionChanged
from nvrd.media.service import MediaService
from nvrd.store.channels import Channel
from nvrd.store.db import Database
from nvrd.store.recordings import RecordingIndex
from tests.conftest import make_settings
from tests.support.cameras import LiveCameraServer

HOLD = 2.0


async def wait_motion(sub: Subscription, chid: int, motion: bool, timeout: float) -> float:
    """Wait for a ``motionChanges`` event that sets ``chid`` to ``motion``; returns when."""
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        try:
            event = await asyncio.wait_for(sub.get(), timeout=left)
        except TimeoutError:
            break
        assert event is not None
        if not isinstance(event, MotionChanged):
            continue
        for item_chid, item_motion in event.updated:
            if item_chid == chid and item_motion is motion:
                return time.monotonic()
    raise AssertionError(f"no motionChanges to {motion} for ch{chid} within {timeout} s")


async def wait_connected(board: StatusBoard, chid: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while board.state(chid).code != 200:
        assert time.monotonic() < deadline, f"ch{chid} status {board.state(chid).code}"
        await asyncio.sleep(0.1)


@contextlib.asynccontextmanager
async def media_service(tmp_path: Path, hold: float) -> AsyncIterator[MediaService]:
    settings = make_settings(
        tmp_path,
        recording={
            "segment_seconds": 2,
            "min_free_mb": 0,
            "max_backoff_seconds": 1,
            "shed_load": False,
        },
        live={"hls": False, "lowlatency": False},
        motion={"hold_seconds": hold},
    )
    db = Database(settings.db_url)
    await db.open()
    index = RecordingIndex(db.engine)
    svc = MediaService(settings, index, StatusBoard(), EventBus(), SystemClock())
    try:
        yield svc
    finally:
        await svc.stop()
        await db.close()


@pytest.fixture
async def media(tmp_path: Path) -> AsyncIterator[MediaService]:
    async with media_service(tmp_path, HOLD) as svc:
        yield svc


async def test_motion_follows_the_scene(media: MediaService, live_camera: LiveCameraServer) -> None:
    await asyncio.to_thread(live_camera.set_scene, "still")
    sub = media.bus.subscribe([MotionChanged, LogRequested], name="test")
    await media.start([Channel(1, "cam", {"source": live_camera.url()})])
    await wait_connected(media.board, 1, 20)
    await asyncio.sleep(4)  # a few keyframes of the still scene
    assert media.motion_states() == {1: False}
    assert sub.pending() == []  # nothing changed, nothing published

    switched = time.monotonic()
    await asyncio.to_thread(live_camera.set_scene, "moving")
    seen = await wait_motion(sub, 1, True, 6)
    print(f"motion on {seen - switched:.2f} s after the scene started moving")
    assert media.motion_states() == {1: True}
    logged = sub.pending()
    assert len(logged) == 1 and isinstance(logged[0], LogRequested)
    assert logged[0].type == 2 and logged[0].code == 8
    assert logged[0].chid == 1 and logged[0].param == {"chid": 1}

    await asyncio.sleep(3)  # still moving: motion stays on, nothing new is published
    assert media.motion_states() == {1: True}
    assert sub.pending() == []

    stilled = time.monotonic()
    await asyncio.to_thread(live_camera.set_scene, "still")
    off = await wait_motion(sub, 1, False, HOLD + 6)
    print(f"motion off {off - stilled:.2f} s after the scene stopped (hold {HOLD} s)")
    assert off - stilled >= HOLD
    assert media.motion_states() == {1: False}
    assert media.board.state(1).code == 200  # the recording never stopped


async def test_motion_goes_off_when_the_camera_is_lost(
    tmp_path: Path, live_camera: LiveCameraServer
) -> None:
    async with media_service(tmp_path, hold=600) as media:  # only the loss can end it
        sub = media.bus.subscribe([MotionChanged], name="test")
        await media.start([Channel(1, "cam", {"source": live_camera.url()})])
        await wait_connected(media.board, 1, 20)
        await wait_motion(sub, 1, True, 8)  # the camera starts on its moving scene
        await asyncio.to_thread(live_camera.stop)
        await wait_motion(sub, 1, False, 15)
        assert media.motion_states() == {1: False}
        deadline = time.monotonic() + 15  # the loss is reported too, in its own time
        while media.board.state(1).code == 200:
            assert time.monotonic() < deadline, "the camera loss was never reported"
            await asyncio.sleep(0.1)

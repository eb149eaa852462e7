"""A media service whose ffmpeg cannot be started reports it and keeps trying.

Regression: with a bad ffmpeg path the ingest's supervision task died at the
first launch (FileNotFoundError) without a word; the channel stayed at -3
"Connecting" forever and nothing retried. Real launcher, real SQLite.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from nvrd.channels.status import StatusBoard
from nvrd.core.clock import SystemClock
from nvrd.core.eventtypes import EventType, SystemCode
from nvrd.core.statuscodes import ChannelStatus
from nvrd.events.bus import EventBus
from nvrd.events.types import ChannelStatusChanged, LogRequested
from nvrd.media.service import MediaService
from nvrd.store.channels import Channel
from nvrd.store.db import Database
from nvrd.store.recordings import RecordingIndex
from tests.conftest import make_settings


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'nvrd.db'}")
    await database.open()
    yield database
    await database.close()


async def test_a_missing_ffmpeg_is_reported_and_retried(tmp_path: Path, db: Database) -> None:
    settings = make_settings(
        tmp_path,
        recording={"ffmpeg": str(tmp_path / "no-such-ffmpeg"), "min_free_mb": 0},
        live={"hls": False, "lowlatency": False},
        motion={"enabled": False},
    )
    bus = EventBus()
    sub = bus.subscribe([ChannelStatusChanged, LogRequested])
    board = StatusBoard()
    media = MediaService(settings, RecordingIndex(db.engine), board, bus, SystemClock())
    await media.start([Channel(1, "Gate", {"source": "rtsp://127.0.0.1:9/none"}, "config")])
    try:
        deadline = time.monotonic() + 10
        failures: list[dict[str, object]] = []
        codes: list[int] = []
        while len(failures) < 2 and time.monotonic() < deadline:
            event = await asyncio.wait_for(sub.get(), deadline - time.monotonic())
            assert event is not None
            if isinstance(event, ChannelStatusChanged):
                codes.append(event.code)
            elif isinstance(event, LogRequested) and event.code == SystemCode.SERVICE_FAILURE:
                assert event.type == EventType.SYSTEM
                failures.append(event.param)
        assert len(failures) == 2, "the failure was not reported, or not retried"
        assert failures[0]["task"] == "ingest-ch1" and "no-such-ffmpeg" in str(failures[0]["error"])
        assert ChannelStatus.SERVICE_FAILURE in codes
        assert board.state(1).code in (ChannelStatus.SERVICE_FAILURE, ChannelStatus.CONNECTING)
        assert board.state(1).recording_failed_at is not None
    finally:
        await asyncio.wait_for(media.stop(), 10)

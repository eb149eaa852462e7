"""The media service's plan for a camera with a sub stream: a second ingest with its own
camera connection (argv), live only unless ``[recording] substream``, its own hub and
status, the frame source on it, and the frame source back on the main stream when it
goes. The ingest processes are the scripted stand-in (tests/support/fake_ffmpeg.py);
real ffmpeg against a two-stream camera is tests/integration/test_substream.py."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from nvrd.channels.status import StatusBoard
from nvrd.core.channelspec import ChannelSpec
from nvrd.core.clock import SystemClock
from nvrd.events.bus import EventBus
from nvrd.media.ffargs import Source, live_only_args
from nvrd.media.service import MediaService
from nvrd.store.channels import Channel
from nvrd.store.db import Database
from nvrd.store.recordings import RecordingIndex
from tests.conftest import make_settings
from tests.support.fake_ffmpeg import FakeLauncher, Hang, Progress, Step

MAIN_URL, SUB_URL = "rtsp://cam/main", "rtsp://cam/sub"
CAMERA = Channel(1, "Gate", {"source": MAIN_URL, "uid": "u", "password": "p"}, "api")


def test_live_only_argv_pulls_into_the_pipe_and_writes_no_file() -> None:
    argv = live_only_args("ffmpeg", Source("onvif", "rtsp://u:p@cam/sub"), 7, 3.0)
    assert argv[0] == "ffmpeg" and argv[-1] == "pipe:7"
    assert argv[argv.index("-i") + 1] == "rtsp://u:p@cam/sub"
    assert argv[argv.index("-timeout") + 1] == "3000000"
    assert "segment" not in argv and "-progress" in argv  # progress: connected, stalls
    assert argv.count("-i") == 1 and "-vf" not in argv and "copy" in argv  # nothing decoded


def with_sub(chid: int, spec: ChannelSpec) -> ChannelSpec | None:
    return dataclasses.replace(spec, source=SUB_URL) if spec.substream else None


def hang(n: int, argv: Sequence[str]) -> list[Step]:
    return [Progress(1000), Hang(live=0.2)]


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'nvrd.db'}")
    await database.open()
    yield database
    await database.close()


async def service(tmp_path: Path, db: Database, **sections: dict[str, Any]) -> MediaService:
    tmp_path.mkdir(parents=True, exist_ok=True)
    recording = {"min_free_mb": 0, "shed_load": False, **sections.pop("recording", {})}
    settings = make_settings(tmp_path, recording=recording, **sections)
    clock = SystemClock()
    launcher = FakeLauncher(hang, clock)
    return MediaService(
        settings, RecordingIndex(db.engine), StatusBoard(), EventBus(), clock,
        launcher=launcher, resolve_sub=with_sub,
    )  # fmt: skip


def argv_of(media: MediaService, url: str) -> list[str]:
    launcher = media.launcher
    assert isinstance(launcher, FakeLauncher)
    found = [p.argv for p in launcher.processes if url in p.input]
    assert len(found) == 1, found
    return found[0]


async def until(check: Any) -> None:
    for _ in range(200):
        if check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not met")


async def test_a_sub_stream_is_a_second_live_only_ingest(tmp_path: Path, db: Database) -> None:
    media = await service(tmp_path, db)
    await media.start([CAMERA])
    try:
        await until(lambda: len(media.launcher.processes) == 2)  # type: ignore[attr-defined]
        main, sub = argv_of(media, "@cam/main"), argv_of(media, "@cam/sub")
        assert "segment" in main and "segment" not in sub
        opened = [p.input for p in media.launcher.processes]  # type: ignore[attr-defined]
        assert "rtsp://u:p@cam/sub" in opened  # the channel's credentials, its own connection
        assert not any("u:p@" in a for a in sub)  # handed through a pipe, not the argv
        assert [s for s, _ in media.streams(1)] == ["main", "sub"]
        assert media.hub(1, "sub") is media.sub_hubs[1] is not media.hub(1)
        assert media.has_sub(1) and media.frames[1].hub is media.sub_hubs[1]
        await until(lambda: media.sub_board.state(1).code == 200)
        assert media.board.state(1).code == 200 and not media.sub_board.state(1).recording
        assert media.hls_file("ch1sub", "evil.sh") is None
        assert media.hls_file("ch1third", "index.m3u8") is None
        assert media.hls_file("ch2sub", "index.m3u8") is None
        assert not (media.settings.storage_paths[0].path / "ch1sub").exists()

        await media.remove_sub(1)  # its camera lost the sub stream: motion back on main
        assert media.frames[1].hub is media.hubs[1] and not media.has_sub(1)
        assert [s for s, _ in media.streams(1)] == ["main"]
        media.add_sub(CAMERA)
        assert media.frames[1].hub is media.sub_hubs[1]
    finally:
        await asyncio.wait_for(media.stop(), 20)
    assert not media.sub_ingests and not media.sub_hubs


async def test_a_recogniser_gets_the_sub_stream_only_when_it_is_wide_enough(
    tmp_path: Path, db: Database
) -> None:
    media = await service(tmp_path, db)
    await media.start([CAMERA])
    try:
        shared = media.frames[1]
        assert shared.hub is media.sub_hubs[1]
        media.sub_hubs[1].width = 640  # what the sub stream's init segment said
        plates = media.analytics_frames(1, 1280)
        assert plates is not None and plates is not shared and plates.hub is media.hubs[1]
        assert media.analytics_frames(1, 1280) is plates  # one main-stream source
        assert plates._task_name != shared._task_name  # two supervised decoders
        assert media.analytics_frames(1, 640) is shared
        media.sub_hubs[1].width = 1920
        assert media.analytics_frames(1, 1280) is shared
        assert media.analytics_frames(2, 1280) is None  # no such channel
        await media.remove_sub(1)
        media.hubs[1].width = 320  # the main stream is what there is, however small
        assert media.analytics_frames(1, 1280) is media.frames[1]
        await media.remove(1)
        assert not media.main_frames and media.analytics_frames(1, 1280) is None
    finally:
        await asyncio.wait_for(media.stop(), 20)


async def test_a_recorded_sub_stream_writes_under_its_own_directory(
    tmp_path: Path, db: Database
) -> None:
    media = await service(tmp_path, db, recording={"substream": True})
    await media.start([CAMERA])
    try:
        await until(lambda: len(media.launcher.processes) == 2)  # type: ignore[attr-defined]
        sub = argv_of(media, "@cam/sub")
        root = media.settings.storage_paths[0].path
        template = next(a for a in sub if a.endswith("-%06d.mp4"))
        assert Path(template).parent == root / "ch1sub" / "writing"
        assert sub[-1].startswith("pipe:")  # and the live pipe
    finally:
        await asyncio.wait_for(media.stop(), 20)


async def test_no_sub_stream_when_off_or_of_no_use(tmp_path: Path, db: Database) -> None:
    off = Channel(1, "Gate", {"source": MAIN_URL, "substream": False}, "api")
    media = await service(tmp_path / "a", db)
    await media.start([off])
    try:
        assert not media.has_sub(1) and 1 not in media.sub_ingests
    finally:
        await asyncio.wait_for(media.stop(), 20)
    # nothing live, no motion, no plates, not recorded: a sub stream would serve nobody
    media = await service(
        tmp_path / "b",
        db,
        live={"hls": False, "lowlatency": False},
        motion={"enabled": False},
        lpr={"enabled": False},
    )
    await media.start([CAMERA])
    try:
        assert 1 in media.ingests and 1 not in media.sub_ingests
        assert media.streams(1) == [("main", None)]
    finally:
        await asyncio.wait_for(media.stop(), 20)

"""A recogniser's pictures from the channel's frame source (real ffmpeg decoder, a real live
stream through a hub) to the worker's frame input through shared memory: BGR pictures of
the stream's size with the frame source's times, the stream followed when it changes size
or source, and nothing left in /dev/shm."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import numpy as np
import pytest

from nvrd.core.clock import SystemClock
from nvrd.core.supervisor import Supervisor
from nvrd.media.frames.feed import PictureFeed, picture_spec
from nvrd.media.frames.pictures import SharedFrames
from nvrd.media.frames.source import FrameSource
from nvrd.media.live.hub import LiveHub
from nvrd.media.service import default_ffmpeg
from tests.unit.media.frames.test_source import live_stream, play

__all__ = ["live_stream"]  # the module fixture: a 4 s 320x180 25 fps stream


def shm_files() -> set[str]:
    """This process's picture blocks (other test processes may hold their own)."""
    return {p.name for p in Path("/dev/shm").glob(f"nvrd-frames-{os.getpid()}-*")}


class Channel:
    """What the media service's ``analytics_frames`` would answer, switchable."""

    def __init__(self, source: FrameSource | None) -> None:
        self.source = source
        self.asked: list[tuple[int, int]] = []

    def __call__(self, chid: int, min_width: int) -> FrameSource | None:
        self.asked.append((chid, min_width))
        return self.source


@pytest.fixture
async def hub_source() -> AsyncIterator[tuple[LiveHub, FrameSource]]:
    clock = SystemClock()
    hub = LiveHub(3)
    source = FrameSource(3, hub, default_ffmpeg(), clock, Supervisor(clock))
    yield hub, source
    await source.close()


@pytest.fixture
def wake() -> Iterator[tuple[int, int]]:
    """The pictures' wake-up pipe (read end, non-blocking write end), as the service makes."""
    r, w = os.pipe()
    os.set_blocking(w, False)
    yield r, w
    os.close(r)
    os.close(w)


def test_pictures_are_bgr_of_the_stream_size_even_and_bounded() -> None:
    spec = picture_spec(1921, 1081, 2)
    assert spec is not None and (spec.width, spec.height, spec.pix_fmt, spec.fps) == (
        1920,
        1080,
        "bgr24",
        2,
    )
    big = picture_spec(10_000, 5000, 1)
    assert big is not None and (big.width, big.height) == (7680, 4320)
    assert picture_spec(0, 0, 2) is None  # not live yet


async def test_pictures_reach_the_worker_input_with_their_times(
    live_stream: bytes, hub_source: tuple[LiveHub, FrameSource], wake: tuple[int, int]
) -> None:
    hub, source = hub_source
    r, w = wake
    before = shm_files()
    frames = SharedFrames(r)
    blocks: list[str] = []
    channel = Channel(source)

    def attach(name: str) -> None:
        blocks.append(name)
        frames.attach(name)

    feed = PictureFeed(3, 5, channel, 1280, w, attach)
    try:
        feed.refresh()
        assert blocks == [] and channel.asked == [(3, 1280)]  # size not known: waits
        await play(hub, live_stream[:2000])  # the init segment: 320x180
        feed.refresh()
        assert len(blocks) == 1 and blocks[0].lstrip("/") in shm_files() - before
        feed.refresh()
        assert len(blocks) == 1 and feed.subscriptions == 1  # nothing changed
        started = time.time_ns() // 1_000_000
        player = asyncio.ensure_future(play(hub, live_stream, speed=1.0))
        got = await asyncio.to_thread(frames.get, 10)
        assert got is not None and got.image.shape == (180, 320, 3) and got.image.dtype == np.uint8
        assert started <= got.time_ms <= time.time_ns() // 1_000_000  # the source's wall time
        times = [got.time_ms]
        while not player.done():
            f = await asyncio.to_thread(frames.get, 0.5)
            if f is not None:
                times.append(f.time_ms)
        await player
        # 5 pictures a second of a 4 s stream, in order
        assert 15 <= len(times) <= 22 and times == sorted(times), times
        stats = feed.stats()
        assert stats["stream"] == "main" and stats["pictureSize"] == [320, 180]
        # played at its own speed: the decoder kept up
        assert stats["sourceFragmentsDropped"] == source.stats().dropped_fragments == 0
        anchor = feed.anchor_ms()
        assert anchor is not None and abs(anchor - started) < 2000
        c = frames.counters()
        assert c.received == stats["picturesHandedOver"] >= len(times)
        assert c.received - c.dropped == len(times)
    finally:
        feed.close()
        frames.close()
    assert shm_files() == before
    assert not source._subs  # unsubscribed


async def test_the_feed_follows_the_stream(
    live_stream: bytes, hub_source: tuple[LiveHub, FrameSource], wake: tuple[int, int]
) -> None:
    hub, source = hub_source
    _, w = wake
    before = shm_files()
    blocks: list[str] = []
    channel = Channel(source)
    feed = PictureFeed(3, 2, channel, 1280, w, blocks.append)
    try:
        await play(hub, live_stream[:2000])
        feed.refresh()
        first = feed._sub
        assert first is not None and len(blocks) == 1
        hub.width, hub.height = 640, 360  # the camera now sends another size
        feed.refresh()
        assert len(blocks) == 2 and first.closed and feed._sub is not None
        assert blocks[0].lstrip("/") not in shm_files()  # the old block is unlinked
        assert feed.stats()["pictureSize"] == [640, 360]
        other = FrameSource(3, hub, default_ffmpeg(), source.clock, source.supervisor, "main")
        channel.source = other  # e.g. the sub stream came, too small: the main stream's
        feed.refresh()
        assert feed.source is other and len(blocks) == 2 and feed.subscriptions == 3
        await other.close()  # the channel was removed: its source closed
        channel.source = None
        feed.refresh()
        assert feed.source is None and feed.anchor_ms() is None
    finally:
        feed.close()
    assert shm_files() == before
    feed.refresh()  # closed: nothing
    assert feed.source is None and shm_files() == before


async def test_no_block_is_read_before_the_server_names_one(wake: tuple[int, int]) -> None:
    r, _ = wake
    frames = SharedFrames(r)
    started = time.monotonic()
    assert frames.get(0.05) is None and time.monotonic() - started >= 0.04
    frames.attach("/nvrd-no-such-block")  # gone already: warned, not raised
    assert frames.get(0.01) is None and frames.counters().received == 0
    frames.close()


def test_pictures_can_be_scaled_down_to_a_width_never_up() -> None:
    spec = picture_spec(1920, 1080, 2, max_width=960)
    assert spec is not None and (spec.width, spec.height) == (960, 540)
    small = picture_spec(640, 360, 2, max_width=960)
    assert small is not None and (small.width, small.height) == (640, 360)
    odd = picture_spec(1279, 719, 2, max_width=641)
    assert odd is not None and (odd.width, odd.height) == (640, 360)  # even, same aspect
    assert picture_spec(0, 0, 2, max_width=960) is None


async def test_a_paused_feed_has_nothing_decoded_until_resumed(
    live_stream: bytes, hub_source: tuple[LiveHub, FrameSource], wake: tuple[int, int]
) -> None:
    hub, source = hub_source
    _, w = wake
    blocks: list[str] = []
    feed = PictureFeed(3, 2, Channel(source), 1280, w, blocks.append, max_width=160)
    try:
        await play(hub, live_stream[:2000])  # 320x180
        feed.refresh()
        assert [(s.width, s.height) for s in source.wanted()] == [(160, 90)]
        feed.pause()
        feed.pause()
        assert source.wanted() == () and feed.paused and feed.pauses == 1
        feed.refresh()  # the reconcile does not subscribe a paused feed
        assert source.wanted() == () and feed.stats()["paused"] is True
        feed.resume()
        assert source.wanted() == ()  # until the next refresh
        feed.refresh()
        assert [(s.width, s.height) for s in source.wanted()] == [(160, 90)]
        assert len(blocks) == 1 and feed.subscriptions == 2  # the same shared memory
    finally:
        feed.close()
    assert source.wanted() == ()

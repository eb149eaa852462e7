"""Motion detection: the pure detector, the picture splitter, and the board's publications."""

from __future__ import annotations

import asyncio
import contextlib
import random

import pytest

from nvrd.config import ConfigError, MotionSettings, load_settings
from nvrd.core.clock import FakeClock
from nvrd.events.bus import EventBus, Subscription
from nvrd.events.types import LogRequested, MotionChanged, topic_of
from nvrd.media.frames.spec import FrameSpec
from nvrd.media.motion.board import PUBLISH_INTERVAL, MotionBoard, MotionFeed
from nvrd.media.motion.detector import FrameSplitter, MotionDetector, MotionParams, changed_pixels

W, H = 16, 9
SIZE = W * H


def flat(level: int) -> bytes:
    return bytes([level]) * SIZE


def with_box(level: int, x: int, box: int = 3, bright: int = 250) -> bytes:
    """A flat picture with a bright ``box x box`` square at column ``x``."""
    px = bytearray(flat(level))
    for row in range(box):
        for col in range(x, x + box):
            px[row * W + col] = bright
    return bytes(px)


def noisy(level: int, amplitude: int, rng: random.Random) -> bytes:
    return bytes(max(0, min(255, level + rng.randint(-amplitude, amplitude))) for _ in range(SIZE))


def detector(
    clock: FakeClock, threshold: int = 20, min_changed: float = 0.02, hold_seconds: float = 3
) -> MotionDetector:
    params = MotionParams(W, H, threshold, min_changed, hold_seconds)
    return MotionDetector(params, clock.monotonic)


def test_changed_pixels() -> None:
    assert changed_pixels(flat(10), flat(10), 5) == 0
    assert changed_pixels(flat(10), flat(16), 5) == SIZE
    assert changed_pixels(flat(16), flat(10), 5) == SIZE
    assert changed_pixels(flat(10), flat(15), 5) == 0  # not more than the threshold
    assert changed_pixels(flat(0), with_box(0, 2), 5) == 9


def test_still_pictures_are_not_motion() -> None:
    clock = FakeClock()
    d = detector(clock)
    for _ in range(20):
        assert d.feed(flat(100)) is False
        clock.advance(0.5)
    assert d.active is False


def test_first_picture_is_only_a_reference() -> None:
    d = detector(FakeClock())
    assert d.feed(with_box(0, 0)) is False and d.active is False
    assert d.feed(flat(0)) is True and d.active is True


def test_moving_pictures_are_motion() -> None:
    clock = FakeClock()
    d = detector(clock)
    d.feed(with_box(0, 0))
    for x in range(1, 10):
        clock.advance(0.5)
        assert d.feed(with_box(0, x)) is True
        assert d.active is True


def test_hold_time() -> None:
    clock = FakeClock()
    d = detector(clock, hold_seconds=3)
    d.feed(with_box(0, 0))
    clock.advance(0.5)
    d.feed(with_box(0, 4))  # moved
    for _ in range(5):  # still again for 2.5 s: motion stays on
        clock.advance(0.5)
        assert d.feed(with_box(0, 4)) is False
        assert d.active is True
    clock.advance(0.5)  # 3 s after the last moving picture
    assert d.active is True
    clock.advance(0.01)
    assert d.active is False  # the hold has passed, even without a new picture


def test_hold_covers_the_sampling_interval() -> None:
    """Keyframes 4 s apart with a 1 s hold: motion does not drop between two samples."""
    clock = FakeClock()
    d = detector(clock, hold_seconds=1)
    d.feed(with_box(0, 0))
    for x in (4, 8, 12):
        clock.advance(4)
        assert d.feed(with_box(0, x)) is True
        clock.advance(3.9)
        assert d.active is True
        clock.advance(-3.9)
    clock.advance(6.1)
    assert d.active is False


def test_noise_below_threshold_is_not_motion() -> None:
    rng = random.Random(7)
    clock = FakeClock()
    d = detector(clock, threshold=20)
    for _ in range(30):
        clock.advance(0.5)
        assert d.feed(noisy(128, 8, rng)) is False  # pixels differ by 16 at most
    assert d.active is False


def test_small_change_below_min_changed_is_not_motion() -> None:
    clock = FakeClock()
    d = detector(clock, min_changed=0.1)  # 14.4 pixels of 144
    d.feed(with_box(0, 0))
    assert d.feed(with_box(0, 4)) is True  # 18 pixels changed
    d.reset()
    d.feed(with_box(0, 0, box=2))
    assert d.feed(with_box(0, 4, box=2)) is False  # 8 pixels changed


def test_reset_forgets_motion_and_reference() -> None:
    clock = FakeClock()
    d = detector(clock)
    d.feed(with_box(0, 0))
    d.feed(with_box(0, 5))
    assert d.active
    d.reset()
    assert d.active is False
    assert d.feed(with_box(0, 9)) is False  # a new reference, not a comparison


def test_wrong_picture_size_is_refused() -> None:
    d = detector(FakeClock())
    with pytest.raises(ValueError):
        d.feed(b"\0" * (SIZE - 1))


def test_frame_splitter() -> None:
    s = FrameSplitter(4)
    assert s.push(b"ab") == []
    assert s.push(b"cdefghij") == [b"abcd", b"efgh"]
    assert s.push(b"kl") == [b"ijkl"]
    assert s.push(b"") == []
    with pytest.raises(ValueError):
        FrameSplitter(0)


def test_settings_from_the_environment() -> None:
    env = {"NVRD_MOTION_ENABLED": "false", "NVRD_MOTION_SAMPLING": "fps", "NVRD_MOTION_FPS": "3"}
    settings = load_settings(environ=env, check_dirs=False)
    assert settings.motion.enabled is False
    assert settings.motion.sampling == "fps" and settings.motion.fps == 3
    defaults = load_settings(environ={}, check_dirs=False).motion
    assert defaults.enabled and defaults.sampling == "keyframes"
    assert (defaults.width, defaults.height) == (64, 36)
    with pytest.raises(ConfigError, match=r"motion\.sampling"):
        load_settings(environ={"NVRD_MOTION_SAMPLING": "sometimes"}, check_dirs=False)


def test_params_from_settings() -> None:
    p = MotionParams.from_settings(MotionSettings(width=96, height=54, threshold=30))
    assert (p.width, p.height, p.threshold, p.frame_size) == (96, 54, 30, 96 * 54)


# -- the board ---------------------------------------------------------------------------


def board(
    clock: FakeClock, **kw: object
) -> tuple[MotionBoard, Subscription, dict[int, MotionFeed]]:
    values: dict[str, object] = {"min_changed": 0.02, "hold_seconds": 3, **kw}
    settings = MotionSettings.model_validate({"width": W, "height": H, **values})
    bus = EventBus()
    sub = bus.subscribe([MotionChanged, LogRequested])
    b = MotionBoard(settings, bus, clock)
    feeds: dict[int, MotionFeed] = {}
    for chid in (1, 2):
        feed = b.feed_for(chid)
        assert feed is not None
        feeds[chid] = feed
    return b, sub, feeds


def updates(sub: Subscription) -> list[tuple[tuple[int, bool], ...]]:
    """The ``updated`` of each motion event queued now."""
    return [e.updated for e in sub.pending() if isinstance(e, MotionChanged)]


def move(feed: MotionFeed, clock: FakeClock) -> None:
    feed.frame(with_box(0, 0))
    clock.advance(0.5)
    feed.frame(with_box(0, 6))


def test_board_publishes_only_changes() -> None:
    clock = FakeClock()
    b, sub, feeds = board(clock)
    assert b.states() == {1: False, 2: False}
    assert b.publish_changes() is False and sub.pending() == []  # nothing changed
    move(feeds[2], clock)
    assert b.publish_changes() is True
    events = sub.pending()
    at = clock.now_ms()
    assert events == [
        MotionChanged(at_ms=at, updated=((2, True),)),
        LogRequested(at_ms=at, type=2, code=8, param={"chid": 2}, chid=2),
    ]
    assert b.publish_changes() is False  # still moving: nothing new
    clock.advance(3.1)  # the hold has passed
    assert b.publish_changes() is True
    assert sub.pending() == [MotionChanged(at_ms=clock.now_ms(), updated=((2, False),))]


def test_board_rate_limits_the_log() -> None:
    clock = FakeClock()
    b, sub, feeds = board(clock)
    topics = []
    for _ in range(3):  # motion starts three times within a minute
        move(feeds[1], clock)
        b.publish_changes()
        clock.advance(10)
        b.publish_changes()
        topics += [topic_of(e) for e in sub.pending()]
    assert topics.count("motionChanges") == 6
    assert topics.count("log") == 1
    clock.advance(60)
    move(feeds[1], clock)
    b.publish_changes()
    assert [topic_of(e) for e in sub.pending()] == ["motionChanges", "log"]


def test_lost_stream_ends_motion() -> None:
    clock = FakeClock()
    b, sub, feeds = board(clock, hold_seconds=600)
    move(feeds[1], clock)
    move(feeds[2], clock)
    b.publish_changes()
    sub.pending()
    feeds[1].ended()  # the pipe closed: ffmpeg ended
    b.lost(2)  # the channel status left 200
    assert b.states() == {1: False, 2: False}
    b.publish_changes()
    assert updates(sub) == [((1, False), (2, False))]


def test_forgotten_channel_is_published_off_once() -> None:
    clock = FakeClock()
    b, sub, feeds = board(clock)
    move(feeds[1], clock)
    b.publish_changes()
    sub.pending()
    b.forget(1)
    assert b.states() == {2: False}
    b.publish_changes()
    assert updates(sub) == [((1, False),)]
    assert b.publish_changes() is False


def test_disabled_board_gives_no_feed() -> None:
    b = MotionBoard(MotionSettings(enabled=False), EventBus(), FakeClock())
    assert b.feed_for(1) is None
    assert b.states() == {}


def test_feed_asks_for_the_pictures_of_its_settings() -> None:
    b = MotionBoard(MotionSettings(width=96, height=54), EventBus(), FakeClock())
    feed = b.feed_for(3)
    assert feed is not None
    assert feed.spec() == FrameSpec(96, 54, None, "gray")  # one per keyframe
    fps = MotionBoard(MotionSettings(sampling="fps", fps=2), EventBus(), FakeClock()).feed_for(3)
    assert fps is not None and fps.spec() == FrameSpec(64, 36, 2, "gray")


def test_feed_gives_up_when_ffmpeg_cannot_decode() -> None:
    b = MotionBoard(MotionSettings(), EventBus(), FakeClock())
    feed = b.feed_for(1)
    assert feed is not None
    feed.run_failed(["Connection refused"])
    assert feed.usable  # the camera's fault, not the decoder's
    assert b.states() == {1: False}
    feed.run_failed(["[vist#0:0/hevc] Decoder (codec hevc) not found for input stream #0:0"])
    assert not feed.usable
    # a channel without motion detection: it is no longer "still" (work gated on motion,
    # such as object detection, is not held back for ever), and an outside source counts
    assert b.states() == {}
    b.set_external(1, True)
    assert b.states() == {1: True}


async def test_run_publishes_at_most_once_per_second() -> None:
    clock = FakeClock()
    b, sub, feeds = board(clock)
    task = asyncio.create_task(b.run())
    try:
        move(feeds[1], clock)
        got = await asyncio.wait_for(sub.get(), 2)
        assert isinstance(got, MotionChanged) and got.updated == ((1, True),)
        first = clock.monotonic()
        sub.pending()
        move(feeds[2], clock)  # right after a publication: waits for the next second
        got = await asyncio.wait_for(sub.get(), 2)
        assert isinstance(got, MotionChanged) and got.updated == ((2, True),)
        assert clock.monotonic() - first >= PUBLISH_INTERVAL  # fake time: no real wait
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def test_external_motion_replaces_the_detector() -> None:
    clock = FakeClock()
    b, sub, feeds = board(clock)
    b.set_external(1, True)  # the camera says motion; its pictures say nothing
    assert b.states() == {1: True, 2: False}
    assert b.publish_changes() is True
    assert updates(sub)[0] == ((1, True),)
    move(feeds[1], clock)
    b.set_external(1, False)  # the camera's word wins over the detector's
    assert b.states()[1] is False
    b.set_external(3, True)  # a channel with no detection at all
    assert b.states()[3] is True
    b.set_external(1, None)  # back to the detector
    assert b.states()[1] is True
    b.forget(3)
    assert 3 not in b.states()

"""Segment times of one run, with exact expected values on a fake clock.

Like a streamer test under a simulated clock: the camera's frames arrive
with a known lag, ffmpeg reports progress and segment starts, and every
segment's wall-clock start and duration must come out to the millisecond.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from nvrd.core.clock import FakeClock, ms_from_datetime
from nvrd.media.recording.anchor import Anchor
from nvrd.media.recording.timeline import Cut, RunTimeline

T0 = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
T0_MS = ms_from_datetime(T0)


def p(n: int) -> Path:
    return Path(f"/r/ch1/writing/run-{n:06d}.mp4")


def test_segments_are_anchored_to_the_least_lagging_report() -> None:
    clock = FakeClock(T0)
    tl = RunTimeline()
    # ffmpeg opens segment 0 before any progress: the wall clock stands in
    start, cut = tl.segment_started(p(0), 0, clock.now_ms())
    assert (start, cut) == (T0_MS, None)
    # progress every 0.5 s; the camera captured media 0 at T0 - 500 ms and each report
    # reaches us with some lag; the report with the least lag (120 ms) wins
    lags = [450, 300, 120, 350, 250, 400]
    for lag in lags:
        clock.advance(0.5)
        media = clock.now_ms() - (T0_MS - 500) - lag
        assert tl.progress(clock.now_ms(), media)
    anchor = T0_MS - 500 + 120
    start, cut = tl.segment_started(p(1), 2000, clock.now_ms())
    assert start == anchor + 2000
    assert cut == Cut(p(0), anchor, 2000)  # re-anchored at the cut, exact duration
    clock.advance(2.0)
    tl.progress(clock.now_ms(), clock.now_ms() - (T0_MS - 500) - 300)  # lags more: no change
    start, cut = tl.segment_started(p(2), 4040, clock.now_ms())
    assert cut == Cut(p(1), anchor + 2000, 2040)
    assert tl.ended() == Cut(p(2), anchor + 4040, None)
    assert tl.ended() is None


def test_media_that_does_not_advance_is_reported() -> None:
    tl = RunTimeline()
    assert tl.progress(T0_MS, 1000)
    assert not tl.progress(T0_MS + 500, 1000)
    assert not tl.progress(T0_MS + 600, 900)
    assert tl.progress(T0_MS + 1000, 1040)


def test_small_disagreements_keep_segments_edge_to_edge() -> None:
    tl = RunTimeline()
    tl.progress(T0_MS + 1000, 1000)  # anchor: T0
    tl.segment_started(p(0), 0, T0_MS)
    tl.segment_started(p(1), 2000, T0_MS + 2000)
    # the camera's clock runs slow: 400 ms later its media time is 400 ms behind ours
    tl.anchor = Anchor()
    tl.progress(T0_MS + 4400, 4000)  # anchor now T0 + 400
    _, cut = tl.segment_started(p(2), 4000, T0_MS + 4400)
    assert cut == Cut(p(1), T0_MS + 2000, 2000)  # 400 ms off: kept on the previous edge


def test_a_clock_step_of_a_second_or_more_shows() -> None:
    tl = RunTimeline()
    tl.progress(T0_MS, 0)
    tl.segment_started(p(0), 0, T0_MS)
    _, first = tl.segment_started(p(1), 2000, T0_MS + 2000)
    assert first == Cut(p(0), T0_MS, 2000)
    # the server's clock is stepped 5 s forward (NTP): new reports anchor 5 s later and
    # the window is restarted by the caller's anchor (no report older than the step)
    tl.anchor = Anchor()
    tl.progress(T0_MS + 9000, 4000)
    _, cut = tl.segment_started(p(2), 4000, T0_MS + 9000)
    assert cut == Cut(p(1), T0_MS + 5000 + 2000, 2000)  # a visible jump, not smoothed


def test_the_anchor_follows_a_drifting_camera_within_its_window() -> None:
    a = Anchor(window_ms=10_000)
    a.observe(T0_MS, 0)  # offset T0
    a.observe(T0_MS + 5000, 5100)  # camera runs fast: offset T0 - 100
    assert a.wall_ms(6000) == T0_MS - 100 + 6000
    a.observe(T0_MS + 16_000, 16_050)  # the first two have left the window
    assert a.wall_ms(20_000) == T0_MS - 50 + 20_000


def test_anchor_without_reports() -> None:
    a = Anchor()
    assert not a.known
    try:
        a.wall_ms(0)
    except LookupError:
        pass
    else:
        raise AssertionError("expected LookupError")

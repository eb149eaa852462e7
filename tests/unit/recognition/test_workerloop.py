"""The counters every analysing worker keeps (the main loop itself runs in the worker
process tests of the plate and object services, with real processes)."""

from __future__ import annotations

import time

import numpy as np

from nvrd.media.frames.pictures import FeedCounters, Frame
from nvrd.recognition.workerloop import FrameCounters


def test_frame_counters_figures() -> None:
    c = FrameCounters()
    old = Frame(np.zeros((720, 1280, 3), np.uint8), time.time_ns() // 1_000_000 - 5000)
    c.seen(old)
    c.analysed_one(old, 0.25)
    new = Frame(np.zeros((360, 640, 3), np.uint8), time.time_ns() // 1_000_000 + 60_000)
    c.seen(new)
    c.analysed_one(new, 0.5)  # from a camera whose clock is ahead: no negative lag
    started = time.monotonic() - 10
    got = c.figures(FeedCounters(received=7, dropped=3, torn=1), started)
    assert got["framesReceived"] == 7 and got["framesDropped"] == 3 and got["framesTorn"] == 1
    assert got["framesAnalysed"] == 2 and got["busySeconds"] == 0.75
    assert got["frameSize"] == [640, 360] and got["lastFrameMs"] == new.time_ms
    assert got["lagMs"] == 0 and 5000 <= got["maxLagMs"] < 10_000
    assert 10 <= got["uptimeSeconds"] < 20 and got["cpuSeconds"] > 0
    assert FrameCounters().figures(FeedCounters(0, 0), started)["frameSize"] is None

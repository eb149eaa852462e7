"""The demo yard's frames (no detector): the cameraman walks across, then the motorcycle
rides across, each pasted where and when ``boxes`` says; the video is made once for its
truth."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from nvrd.media.traffic.people import MAN, Walk
from nvrd.media.traffic.video import truth_path
from nvrd.media.traffic.yard import (
    BIKE_HEIGHT,
    BIKE_WIDTH,
    Props,
    Yard,
    is_made,
    make_yard,
    motorcycle,
    props,
)
from tests.support.media import ffmpeg_exe


@pytest.fixture(scope="module")
def parts() -> Props:
    return props()


def test_the_motorcycle_is_a_cut_of_the_picture() -> None:
    bike = motorcycle()
    assert bike.shape == (BIKE_HEIGHT, BIKE_WIDTH, 3) == (280, 447, 3)
    # in colour (BGR), more red than blue: the tank and mudguards
    assert bike[..., 2].max() > 200 and bike[..., 2].mean() > bike[..., 0].mean()


def test_the_man_walks_then_the_motorcycle_rides() -> None:
    yard = Yard()
    assert yard.seconds == pytest.approx(17.6)
    assert yard.boxes(0.0) == {} and yard.boxes(yard.seconds - 0.1) == {}
    assert yard.boxes(3.0) == {"human": (40, 150, 40 + MAN, 150 + MAN)}
    assert yard.boxes(8.6) == {"human": (880, 150, 880 + MAN, 150 + MAN)}
    assert yard.boxes(9.5) == {}  # the gap
    assert yard.boxes(10.6) == {"vehicle": (40, 400, 40 + BIKE_WIDTH, 680)}
    assert yard.boxes(13.59) == {"vehicle": (1240 - BIKE_WIDTH - 3, 400, 1237, 680)}
    lefts = [x for i in range(30) if (x := yard.ride(10.6 + i / 10)) is not None]
    assert lefts == sorted(lefts) and len(set(lefts)) == 30  # to the right, every frame
    # never both, always inside the picture
    for n in range(round(yard.seconds * 10)):
        boxes = yard.boxes(n / 10)
        assert len(boxes) <= 1
        for x0, y0, x1, y1 in boxes.values():
            assert 0 <= x0 < x1 <= 1280 and 0 <= y0 < y1 <= 720
    # the man's part is the Walk the tests use, with a longer trail
    walk = yard.walk
    assert walk == Walk(lead_seconds=3.0, trail_seconds=9.0) and walk.seconds == yard.seconds
    assert yard.truth()["human"] == [3.0, 8.6]
    assert yard.truth()["vehicle"] == [10.6, 13.6]


def test_frames_paste_the_pictures_on_the_gravel(parts: Props) -> None:
    yard = Yard()
    assert np.array_equal(yard.frame(1.0, parts), parts.gravel)
    frame = yard.frame(5.0, parts)
    x0, y0, x1, y1 = yard.boxes(5.0)["human"]
    assert np.array_equal(frame[y0:y1, x0:x1], parts.man)
    assert np.array_equal(frame[y1:], parts.gravel[y1:])
    frame = yard.frame(12.0, parts)
    x0, y0, x1, y1 = yard.boxes(12.0)["vehicle"]
    assert np.array_equal(frame[y0:y1, x0:x1], parts.bike)
    assert np.array_equal(frame[:y0], parts.gravel[:y0])
    assert np.array_equal(parts.gravel, props().gravel)  # pasted on a copy


def test_frames_are_rgb_at_the_fps() -> None:
    yard = Yard(fps=2, lead_seconds=0.5, walk_seconds=0.5, gap_seconds=0, ride_seconds=0.5)
    frames = list(yard.frames())
    assert len(frames) == round(yard.seconds * 2) == 11
    parts = props()
    first = cv2.cvtColor(frames[0], cv2.COLOR_RGB2BGR)
    assert frames[0].shape == (720, 1280, 3) and np.array_equal(first, parts.gravel)


def test_the_video_is_made_again_only_for_another_yard(tmp_path: Path) -> None:
    short = Yard(
        fps=2, lead_seconds=0.5, walk_seconds=1, gap_seconds=0, ride_seconds=1, trail_seconds=0
    )
    path, truth = make_yard(ffmpeg_exe(), tmp_path / "yard.mp4", short)
    assert path.stat().st_size > 1000 and truth == short.truth()
    assert json.loads(truth_path(path).read_text("utf-8")) == truth
    assert is_made(path, short) and not is_made(tmp_path / "other.mp4", short)
    made = path.stat().st_mtime_ns
    make_yard(ffmpeg_exe(), path, short)
    assert path.stat().st_mtime_ns == made
    longer = Yard(fps=2, lead_seconds=1, walk_seconds=1, gap_seconds=0, ride_seconds=1)
    assert not is_made(path, longer)
    _, truth = make_yard(ffmpeg_exe(), path, longer)
    assert truth["seconds"] == 7.0 and json.loads(truth_path(path).read_text()) == truth
    assert path.stat().st_mtime_ns != made
    assert not list(tmp_path.glob("*.part*"))
    truth_path(path).write_text("{", "utf-8")
    assert not is_made(path, longer)

"""What the recorder reads from a finished segment, on real ffmpeg output: codec, size, frame
length and the duration of its packets, without decoding anything."""

from __future__ import annotations

from pathlib import Path

import pytest

from nvrd.media.recording.probe import probe
from tests.support.media import make_test_video


def test_a_fragmented_segment(segment_files: list[Path]) -> None:
    info = probe(segment_files[0])
    assert (info.codec, info.width, info.height, info.frame_ms) == ("h264", 320, 180, 100)
    assert info.duration_ms == 1000  # ten frames of 100 ms, measured from the packets


def test_without_counting_the_duration_is_left_out(segment_files: list[Path]) -> None:
    info = probe(segment_files[1], count_packets=False)
    assert (info.codec, info.width, info.height, info.duration_ms) == ("h264", 320, 180, 0)


def test_a_plain_mp4_at_another_rate(tmp_path: Path) -> None:
    src = make_test_video(tmp_path / "a.mp4", seconds=2, size="640x360", fps=25, gop=25)
    info = probe(src)
    assert (info.width, info.height, info.frame_ms) == (640, 360, 40)
    assert info.duration_ms == 2000


def test_not_a_video(tmp_path: Path) -> None:
    path = tmp_path / "x.mp4"
    path.write_bytes(b"\x00" * 64)
    with pytest.raises(Exception):  # noqa: B017 - PyAV raises one of several kinds
        probe(path)

"""Fixtures for integration tests: generated test videos and fake RTSP cameras."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cameras import FileCameraServer, LiveCameraServer, live_camera_unavailable
from tests.support.media import make_test_video

# name -> make_test_video keyword arguments
TEST_VIDEOS: dict[str, dict[str, object]] = {
    "cam1.mp4": {"seconds": 10, "size": "640x360", "fps": 25, "gop": 25, "clock": True},
    "cam2.mp4": {"seconds": 10, "size": "1280x720", "fps": 25, "gop": 50, "clock": True},
    "cam3.mp4": {"seconds": 2, "size": "320x180", "fps": 10, "gop": 10, "clock": False},
}


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Directory of H.264 test videos (see TEST_VIDEOS), served by `file_camera`."""
    root = tmp_path_factory.mktemp("media")
    for name, kwargs in TEST_VIDEOS.items():
        make_test_video(root / name, **kwargs)  # type: ignore[arg-type]
    return root


@pytest.fixture
def file_camera(media_dir: Path) -> Iterator[FileCameraServer]:
    """File-looping RTSP server over `media_dir`: ``file_camera.url("cam1.mp4")``."""
    with FileCameraServer(media_dir) as server:
        yield server


@pytest.fixture
def live_camera() -> Iterator[LiveCameraServer]:
    """Live GStreamer camera with DIGEST auth (cam/secret): ``live_camera.url()``."""
    reason = live_camera_unavailable()
    if reason is not None:
        pytest.skip(f"live camera unavailable: {reason}")
    with LiveCameraServer(user="cam", password="secret") as server:
        yield server

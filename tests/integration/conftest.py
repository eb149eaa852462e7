"""Fixtures for integration tests: fake RTSP cameras (test videos: ``media_dir`` in
tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cameras import FileCameraServer, LiveCameraServer, live_camera_unavailable


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

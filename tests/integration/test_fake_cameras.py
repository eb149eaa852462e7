"""The fake cameras work with the real ffmpeg (imageio-ffmpeg), as the recorder will use them."""

from __future__ import annotations

import itertools
import subprocess
import time
from pathlib import Path

import av
import psutil
import pytest

from tests.support.cameras import FileCameraServer, LiveCameraServer, live_camera_unavailable
from tests.support.media import ffmpeg_exe, make_test_video, probe

# pids of servers started by fixtures; checked by the last test of this module
_FIXTURE_PIDS: list[int] = []


def pull(url: str, out: Path, seconds: float = 3) -> tuple[subprocess.CompletedProcess[str], float]:
    """Record `seconds` of `url` into `out` with stream copy; returns (result, wall seconds)."""
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-y", "-rtsp_transport", "tcp"]
    cmd += ["-timeout", "5000000", "-i", url, "-t", str(seconds), "-c", "copy", str(out)]
    start = time.monotonic()
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 20, check=False)
    return result, time.monotonic() - start


def assert_recorded(
    result: subprocess.CompletedProcess[str], out: Path, size: str
) -> dict[str, object]:
    assert result.returncode == 0, result.stderr
    info = probe(out)
    width, height = (int(v) for v in size.split("x"))
    assert (info["codec"], info["width"], info["height"]) == ("h264", width, height)
    return info


def process_gone(pid: int) -> bool:
    if not psutil.pid_exists(pid):
        return True
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_make_test_video(tmp_path: Path) -> None:
    start = time.monotonic()
    path = make_test_video(tmp_path / "clip.mp4", seconds=10)
    assert time.monotonic() - start < 5
    info = probe(path)
    assert info == {"codec": "h264", "width": 640, "height": 360, "duration": 10.0, "frames": 250}
    with av.open(str(path)) as container:
        keyframes = [p.is_keyframe for p in container.demux(video=0) if p.size]
    assert [i for i, key in enumerate(keyframes) if key] == list(range(0, 250, 25))


def test_file_camera_streams_in_real_time(file_camera: FileCameraServer, tmp_path: Path) -> None:
    _FIXTURE_PIDS.append(file_camera.pid or 0)
    out = tmp_path / "cam1.mp4"
    result, wall = pull(file_camera.url("cam1.mp4"), out, seconds=3)
    info = assert_recorded(result, out, "640x360")
    assert float(str(info["duration"])) >= 2
    assert 2.5 <= wall < 8, f"pulling 3 s took {wall:.2f} s: the server does not pace in real time"


def test_file_camera_loops(file_camera: FileCameraServer, tmp_path: Path) -> None:
    # cam3.mp4 lasts 2 s: 3.5 s of recording needs a second pass through the file
    out = tmp_path / "loop.mp4"
    result, _ = pull(file_camera.url("cam3.mp4"), out, seconds=3.5)
    info = assert_recorded(result, out, "320x180")
    assert float(str(info["duration"])) >= 3


def test_file_camera_unknown_path(file_camera: FileCameraServer, tmp_path: Path) -> None:
    result, _ = pull(file_camera.url("missing.mp4"), tmp_path / "x.mp4", seconds=1)
    assert result.returncode != 0
    assert "404" in result.stderr


def test_file_camera_restart_same_port(file_camera: FileCameraServer, tmp_path: Path) -> None:
    port, url = file_camera.port, file_camera.url("cam1.mp4")
    file_camera.stop()
    assert not file_camera.running
    result, _ = pull(url, tmp_path / "down.mp4", seconds=1)
    assert result.returncode != 0
    assert "Connection refused" in result.stderr
    file_camera.start()
    _FIXTURE_PIDS.append(file_camera.pid or 0)
    assert file_camera.port == port
    result, _ = pull(url, tmp_path / "up.mp4", seconds=1)
    assert_recorded(result, tmp_path / "up.mp4", "640x360")


def test_live_camera_with_credentials(live_camera: LiveCameraServer, tmp_path: Path) -> None:
    _FIXTURE_PIDS.append(live_camera.pid or 0)
    url = live_camera.url()
    assert url == f"rtsp://cam:secret@127.0.0.1:{live_camera.port}/live"
    out = tmp_path / "live.mp4"
    result, wall = pull(url, out, seconds=3)
    info = assert_recorded(result, out, "640x360")
    assert float(str(info["duration"])) >= 2
    assert wall >= 2.5


@pytest.mark.parametrize("kwargs", [{"password": "wrong"}, {"anonymous": True}])
def test_live_camera_rejects_bad_credentials(
    live_camera: LiveCameraServer, tmp_path: Path, kwargs: dict[str, object]
) -> None:
    url = live_camera.url(**kwargs)  # type: ignore[arg-type]
    result, _ = pull(url, tmp_path / "x.mp4", seconds=1)
    assert result.returncode != 0
    assert "401" in result.stderr


def test_live_camera_restart_same_port(live_camera: LiveCameraServer, tmp_path: Path) -> None:
    port = live_camera.port
    live_camera.stop()
    result, _ = pull(live_camera.url(), tmp_path / "down.mp4", seconds=1)
    assert "Connection refused" in result.stderr
    live_camera.start()
    _FIXTURE_PIDS.append(live_camera.pid or 0)
    assert live_camera.port == port
    result, _ = pull(live_camera.url(), tmp_path / "up.mp4", seconds=1)
    assert_recorded(result, tmp_path / "up.mp4", "640x360")


def _luma_changes(path: Path) -> list[int]:
    """Per frame: how many sampled luma bytes differ from the previous frame."""
    with av.open(str(path)) as container:
        lumas = [bytes(frame.planes[0])[::53] for frame in container.decode(video=0)]
    return [sum(a != b for a, b in zip(x, y, strict=True)) for x, y in itertools.pairwise(lumas)]


def test_live_camera_scene_switch_while_streaming(
    live_camera: LiveCameraServer, tmp_path: Path
) -> None:
    out = tmp_path / "scene.mp4"
    cmd = [ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-y", "-rtsp_transport", "tcp"]
    cmd += ["-i", live_camera.url(), "-t", "4", "-c", "copy", str(out)]
    with subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True) as proc:
        try:
            time.sleep(1.5)
            live_camera.set_scene("still")
            _, err = proc.communicate(timeout=20)
        finally:
            proc.kill()
    assert proc.returncode == 0, err
    changes = _luma_changes(out)
    assert len(changes) > 80
    assert any(changes[:15]), "moving scene should change between frames"
    assert not any(changes[-40:]), "still scene should not change at all"


def test_servers_leave_no_process_behind(media_dir: Path) -> None:
    # what this process already had (tests of other files run in it before: the
    # multiprocessing resource tracker of their shared memory, say) is not the servers'
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    servers: list[FileCameraServer | LiveCameraServer] = [FileCameraServer(media_dir)]
    if live_camera_unavailable() is None:
        servers.append(LiveCameraServer())
    for server in servers:
        with server:
            pid = server.pid
        assert pid is not None and process_gone(pid)
        with pytest.raises(RuntimeError, match="test failure"), server:
            pid = server.pid
            raise RuntimeError("test failure")
        assert pid is not None and process_gone(pid)
    left = [p for p in psutil.Process().children(recursive=True) if p.pid not in before]
    assert not left, left


def test_fixture_servers_are_gone() -> None:
    if not _FIXTURE_PIDS:
        pytest.skip("no fixture server ran")
    assert all(process_gone(pid) for pid in _FIXTURE_PIDS), _FIXTURE_PIDS

"""The recorder end to end: a real server records a file channel into segments.

Real ffmpeg, real files, a real server process; times are checked against
the media inside the files (PyAV) and against the wall clock.
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import av
import httpx
import pytest

from nvrd.store.recordings import Segment
from tests.e2e.server import ServerProcess
from tests.integration.recorder import (
    SEGMENT_SECONDS,
    add_channel,
    admin,
    recording_server,
    segments,
    status,
    wait_segments,
    wait_status,
)
from tests.support.media import probe


def storage_file(srv: ServerProcess, seg: Segment) -> Path:
    return Path(seg.root) / seg.rel_path


@pytest.mark.serial
def test_records_segments_matching_media_and_wall_time(tmp_path: Path, media_dir: Path) -> None:
    srv = recording_server(tmp_path).start()
    try:
        t_added = time.time()
        chid = add_channel(srv, {"name": "Lobby", "source": str(media_dir / "cam1.mp4")})
        t_connected = wait_status(srv, chid, {200}, 15)
        time.sleep(9)
        assert status(srv, chid)["recordingStatus"] == {"streaming": True, "recording": True}
    finally:
        assert srv.stop() == 0
    t_stopped = time.time()
    segs = segments(srv, chid)
    assert len(segs) >= 4
    ids = [s.file_id for s in segs]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    for a, b in itertools.pairwise(segs):
        assert b.start_ms == a.end_ms  # one run: edge to edge, no invented gaps
    for s in segs:
        info = probe(storage_file(srv, s))
        assert abs((s.end_ms - s.start_ms) / 1000 - info["duration"]) <= 0.1
        assert (s.codec, s.width, s.height) == ("h264", 640, 360)
        assert s.size == storage_file(srv, s).stat().st_size
        assert s.rel_path.startswith(f"ch{chid}/") and s.rel_path.endswith("Z-" + s.rel_path[-12:])
    # the first frame arrived between adding the channel and seeing it connected
    assert t_added - 1 <= segs[0].start_ms / 1000 <= t_connected + 1
    total = sum(s.end_ms - s.start_ms for s in segs) / 1000
    span = (segs[-1].end_ms - segs[0].start_ms) / 1000
    assert abs(total - span) / span < 0.01
    assert abs(span - (t_stopped - segs[0].start_ms / 1000)) < 1.5  # only the stop itself is lost
    # nothing for the consistency check to do after a clean stop
    res = subprocess.run(
        [sys.executable, "-m", "nvrd", "check", "--config", str(srv.config)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    assert "0 problem(s) found" in res.stdout


def test_search_and_fetch_recorded_video(tmp_path: Path, media_dir: Path) -> None:
    srv = recording_server(tmp_path).start()
    try:
        chid = add_channel(srv, {"name": "Door", "source": str(media_dir / "cam1.mp4")})
        segs = wait_segments(srv, chid, 3, 30)
        target = segs[1]
        mid_ms = (target.start_ms + target.end_ms) // 2
        when = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(mid_ms / 1000))
        when += f".{mid_ms % 1000:03d}Z"
        with admin(srv) as c:
            items = c.get("/api/vod", params={"ch": chid, "when": when}).json()
            assert [i["fileId"] for i in items][:1] == [target.file_id]
            src = items[0]["src"][0]
            assert src["type"] == "video/mp4" and src["size"] == [640, 360]
            assert src["src"].startswith(srv.url + "/storage/")
            path = src["src"][len(srv.url) :]
            r = c.get(path)
            assert r.status_code == 200
            assert r.headers["content-type"] == "video/mp4"
            body = r.content
            assert len(body) == target.size
            part = c.get(path, headers={"Range": "bytes=100-1099"})
            assert part.status_code == 206
            assert part.content == body[100:1100]
            assert part.headers["content-range"] == f"bytes 100-1099/{target.size}"
            days = c.get("/api/find", params={"what": "recDays", "ch": chid}).json()
            assert days["data"][0]["chid"] == chid
        out = tmp_path / "fetched.mp4"
        out.write_bytes(body)
        with av.open(str(out)) as container:
            frames = sum(1 for _ in container.decode(video=0))
        assert frames >= SEGMENT_SECONDS * 25 - 1
        # without credentials, and with a viewer lacking Playback
        assert httpx.get(srv.url + path).status_code == 401
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def idle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server without channels, shared by the tests that only read."""
    srv = ServerProcess(tmp_path_factory.mktemp("idle")).start()
    yield srv
    srv.stop()


@pytest.mark.parametrize(
    "path",
    [
        "/storage/0/../../etc/passwd",
        "/storage/0/%2e%2e/%2e%2e/etc/passwd",
        "/storage/0/..%2f..%2fetc%2fpasswd",
        "/storage/9/ch1/x.mp4",
        "/storage/0/ch1/nothing.mp4",
        "/storage/0/nvrd.db",
        "/storage/x/y",
    ],
)
def test_storage_refuses_paths_outside_recordings(idle: ServerProcess, path: str) -> None:
    with idle.client(auth=("admin", idle.admin_password())) as c:
        r = c.get(path)
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/json")


def test_sigkill_loses_only_the_unfinished_fragment(tmp_path: Path, media_dir: Path) -> None:
    srv = recording_server(tmp_path, segment_seconds=4).start()
    chid = add_channel(srv, {"source": str(media_dir / "cam1.mp4")})
    before = wait_segments(srv, chid, 2, 30)
    time.sleep(2.5)  # well inside the next segment: a few whole fragments are on disk
    assert srv.proc is not None
    ffmpeg_pids = [p for p in _children(srv.proc.pid)]
    srv.proc.send_signal(signal.SIGKILL)
    srv.proc.wait()
    time.sleep(1)
    for pid in ffmpeg_pids:
        assert not _alive(pid), "ffmpeg outlived nvrd"
    chdir = tmp_path / "data" / "recordings" / f"ch{chid}"
    cut = sorted((chdir / "writing").glob("*.mp4"))  # what ffmpeg was writing
    assert len(cut) == 1
    srv.start()
    try:
        wait_status(srv, chid, {200}, 15)
        assert not cut[0].exists()  # recovered: renamed to its start time
        after = segments(srv, chid)
        names = {Path(s.rel_path).name: s for s in after}
        for s in before:
            assert Path(s.rel_path).name in names  # nothing indexed was lost
        # recovery indexes before the new run starts: the first new row is the cut segment
        recovered = min(
            (s for s in after if s.file_id > max(b.file_id for b in before)),
            key=lambda s: s.file_id,
        )
        previous = max(s.end_ms for s in after if s.file_id < recovered.file_id)
        assert abs(recovered.start_ms - previous) < 500  # its start, from the run's journal
        assert recovered.end_ms - recovered.start_ms >= 1000
        duration = probe(storage_file(srv, recovered))["duration"]
        assert abs((recovered.end_ms - recovered.start_ms) / 1000 - duration) <= 0.1
    finally:
        assert srv.stop() == 0
    res = subprocess.run(
        [sys.executable, "-m", "nvrd", "check", "--config", str(srv.config)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "0 problem(s) found" in res.stdout, res.stdout


def test_overwrite_keeps_recording_when_storage_is_full(tmp_path: Path, media_dir: Path) -> None:
    rec = tmp_path / "rec"
    srv = recording_server(
        tmp_path, f'[[storage]]\npath = "{rec}"\nusage = 2\nquota_mb = 3\n'
    ).start()
    try:
        chid = add_channel(srv, {"source": str(media_dir / "cam1.mp4")})
        deadline = time.monotonic() + 40
        deleted_seen = False
        first_ids: set[int] = set()
        while time.monotonic() < deadline:
            segs = segments(srv, chid)
            if not first_ids and len(segs) >= 2:
                first_ids = {segs[0].file_id, segs[1].file_id}
            if first_ids and not first_ids & {s.file_id for s in segs}:
                deleted_seen = True
                break
            time.sleep(0.5)
        assert deleted_seen, "oldest segments were never overwritten"
        n = len(segments(srv, chid))
        time.sleep(3 * SEGMENT_SECONDS)
        later = segments(srv, chid)
        assert max(s.file_id for s in later) > max(first_ids) + n - 1  # still recording
        used = sum(s.size for s in later)
        assert used <= 3 * 1024 * 1024 + 2 * max(s.size for s in later)
        assert status(srv, chid)["recordingStatus"]["recording"] is True
        on_disk = sorted(p.name for p in rec.rglob("*.mp4"))
        assert len(on_disk) <= len(later) + 1  # deleted files are gone from disk too
    finally:
        srv.stop()


def test_write_once_storage_moves_on_and_read_only_is_never_written(
    tmp_path: Path, media_dir: Path
) -> None:
    ro, once, over = tmp_path / "ro", tmp_path / "once", tmp_path / "over"
    ro.mkdir()
    srv = recording_server(
        tmp_path,
        f'[[storage]]\npath = "{ro}"\nusage = 0\n'
        f'[[storage]]\npath = "{once}"\nusage = 1\nquota_mb = 1.5\n'
        f'[[storage]]\npath = "{over}"\nusage = 2\n',
    ).start()
    try:
        chid = add_channel(srv, {"source": str(media_dir / "cam1.mp4")})
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline and not list(over.rglob("*.mp4")):
            time.sleep(0.5)
        assert list(once.rglob("*.mp4")), "write-once storage was never used"
        assert list(over.rglob("*.mp4")), "recording did not move on to the next storage"
        assert not any(ro.iterdir()), "read-only storage was written"
        with admin(srv) as c:
            rec = c.get("/api/system?health=recording").json()["recording"]
        assert rec["current"] == str(over)
        assert status(srv, chid)["recordingStatus"]["recording"] is True
    finally:
        srv.stop()
    assert "write-once storage full" in srv.stderr()


def _children(pid: int) -> list[int]:
    import psutil

    return [c.pid for c in psutil.Process(pid).children(recursive=True)]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    import psutil

    return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE

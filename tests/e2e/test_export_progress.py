"""/wsapi/dataExport while a file is being written, against a real server:

* ``fileWriting`` messages come at the requested ``statusInterval`` (``ms``, ``s`` and no
  unit), with progress that only grows;
* the export folder running out of space in the middle of a file (a real tmpfs, filled by
  the test as soon as the file appears) ends the task with -1001 "Not enough space to
  save", leaves no partial file, and recording goes on unharmed.

The files are AES-256 zips (``password``): encrypting makes writing one take a few tenths
of a second, long enough to see it happen.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import os
import statistics
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.export_client import export_server, open_export, recv
from tests.e2e.server import ServerProcess
from tests.support.recordings import record

pytestmark = pytest.mark.e2e

T0 = 1_700_000_000_000
SECONDS = 120  # of the 1280x720 clip: about 100 MB
PASSWORD = base64.b64encode(b"evidence").decode()


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def timed_drive(srv: ServerProcess, **q: str) -> list[tuple[float, dict[str, Any]]]:
    """Run one export to its end (``next`` after every file); each message with the
    monotonic time it arrived."""

    out: list[tuple[float, dict[str, Any]]] = []
    with open_export(srv, **q) as ws:
        while True:
            try:
                msg = recv(ws, 60)
            except Exception:
                return out
            out.append((time.monotonic(), msg))
            if msg.get("stage") == "ready":
                task = msg.get("task", {}).get("id", "")
            if msg.get("stage") == "fileEnd":
                ws.send(json.dumps({"task": task, "cmd": "next"}))
            if msg.get("stage") == "end":
                return out


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory, media_dir: Path) -> Iterator[ServerProcess]:
    server, settings = export_server(tmp_path_factory.mktemp("progress"))
    record(settings, 1, media_dir / "cam2.mp4", T0, SECONDS, 10)
    server.start()
    yield server
    server.stop()


@pytest.mark.parametrize(
    ("interval", "seconds"), [("25ms", 0.025), ("0.025s", 0.025), ("0.025", 0.025)]
)
def test_file_writing_at_the_status_interval(
    srv: ServerProcess, interval: str, seconds: float
) -> None:
    q = {"timeBegin": iso(T0), "timeEnd": iso(T0 + SECONDS * 1000), "ch": "1",
         "password": PASSWORD, "statusInterval": interval}  # fmt: skip
    msgs = timed_drive(srv, **q)
    names = [m.get("stage") for _, m in msgs]
    assert names[-1] == "end" and msgs[-1][1]["status"]["code"] == 0, names
    begin = names.index("fileBegin")
    end = names.index("fileEnd")
    writing = [(t, m) for t, m in msgs[begin + 1 : end] if m.get("stage") == "fileWriting"]
    span = msgs[end][0] - msgs[begin][0]
    print(f"{interval}: {len(writing)} fileWriting while the file took {span:.3f} s")
    assert len(writing) >= 3, f"{len(writing)} fileWriting in {span:.2f} s"
    times = [msgs[begin][0], *(t for t, _ in writing)]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    median = statistics.median(gaps)
    assert seconds * 0.5 <= median <= seconds * 3 + 0.05, (interval, gaps)
    # as many as the writing time allows (the box is shared: allow for late wake-ups)
    assert len(writing) <= span / seconds + 2
    overall = [int(m["overallProgress"][:-1]) for _, m in writing]
    channel = [int(m["channel"]["progress"][:-1]) for _, m in writing]
    stamps = [datetime.fromisoformat(m["timestamp"]) for _, m in writing]
    assert overall == sorted(overall) and channel == sorted(channel) and stamps == sorted(stamps)
    assert overall[-1] > overall[0] and stamps[-1] > stamps[0]  # it grows while writing
    assert all(m["channel"]["file"]["fid"] == 1 for _, m in writing)


def test_no_file_writing_without_a_status_interval(srv: ServerProcess) -> None:
    q = {"timeBegin": iso(T0), "timeEnd": iso(T0 + SECONDS * 1000), "ch": "1",
         "password": PASSWORD}  # fmt: skip
    names = [m.get("stage") for _, m in timed_drive(srv, **q)]
    assert names[-1] == "end" and "fileEnd" in names and "fileWriting" not in names


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 160 MiB tmpfs, unmounted after the test (root only; skipped where not allowed)."""
    target = tmp_path / "small"
    target.mkdir()
    r = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=160m,mode=0700", "tmpfs", str(target)],
        capture_output=True,
    )
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.decode().strip()}")
    try:
        yield target
    finally:
        subprocess.run(["umount", "-l", str(target)], check=False)


def growing(writing: Path, timeout: float = 30) -> None:
    """Until the segment being recorded there has grown (the channel records)."""
    deadline = time.monotonic() + timeout
    seen: dict[Path, int] = {}
    while time.monotonic() < deadline:
        sizes = {p: p.stat().st_size for p in writing.glob("*.mp4")}
        if any(seen.get(p, size) < size for p, size in sizes.items()):
            return
        seen = sizes
        time.sleep(0.5)
    raise AssertionError(f"nothing recorded in {writing}")


class Filler(threading.Thread):
    """Fills the disk (one file taking all its free space) as soon as a file appears in a
    task folder below ``disk``: the export's file is then being written."""

    def __init__(self, disk: Path):
        super().__init__(daemon=True)
        self.disk = disk
        self.filler = disk / "filler"
        self.stop = threading.Event()
        self.filled_while: list[str] = []

    def run(self) -> None:
        while not self.stop.is_set():
            found = [p for p in self.disk.glob("*/*") if p.is_file()]
            if found:
                self.filled_while = [p.name for p in found]
                self.fill()
                return
            time.sleep(0.001)

    def fill(self) -> None:
        """Take every free block (the export goes on writing meanwhile: in steps, down to
        one page, until the disk refuses)."""
        fd = os.open(self.filler, os.O_CREAT | os.O_WRONLY, 0o600)
        try:
            size, step = 0, 1 << 26
            while step >= 4096:
                try:
                    os.posix_fallocate(fd, size, step)
                    size += step
                except OSError:
                    step //= 2
        finally:
            os.close(fd)


def test_the_disk_filling_up_mid_file_ends_with_1001(
    tmp_path: Path, media_dir: Path, small_disk: Path
) -> None:
    (tmp_path / "srv").mkdir()
    server, settings = export_server(tmp_path / "srv", f'dir = "{small_disk}"\n')
    recorded = record(settings, 1, media_dir / "cam2.mp4", T0, SECONDS, 10)
    before = {r.path: hashlib.md5(r.path.read_bytes()).hexdigest() for r in recorded}
    srv = server.start()
    filler = Filler(small_disk)
    try:
        item = {"chid": 5, "name": "live", "source": str(media_dir / "cam1.mp4")}
        r = httpx.post(f"{srv.url}/api/channel", json=[item], auth=("root", "root-pass"))
        assert r.status_code == 200, r.text
        live = int(r.json()["added"][0]["chid"])
        writing = settings.storage_paths[0].path / f"ch{live}" / "writing"
        growing(writing)
        filler.start()
        q = {"timeBegin": iso(T0), "timeEnd": iso(T0 + SECONDS * 1000), "ch": "1",
             "password": PASSWORD, "statusInterval": "20ms"}  # fmt: skip
        msgs = [m for _, m in timed_drive(srv, **q)]
        filler.join(5)
        names = [m.get("stage") for m in msgs]
        assert msgs[0]["status"]["code"] == 0  # room enough when it started
        assert filler.filled_while, "the export wrote no file"
        assert "fileBegin" in names and "fileEnd" not in names, names  # failed mid-file
        assert msgs[-1]["stage"] == "end", (names[-5:], srv.stderr()[-3000:])
        assert msgs[-1]["status"] == {"code": -1001, "message": "Not enough space to save"}
        left = [p.name for p in small_disk.rglob("*") if p != filler.filler]
        assert left == [], left  # no partial file, no task folder
        # recording goes on, and the recorded files are as they were
        growing(writing)
        assert {p: hashlib.md5(p.read_bytes()).hexdigest() for p in before} == before
        # with room again, the same export works
        filler.filler.unlink()
        again = [m for _, m in timed_drive(srv, **{**q, "statusInterval": ""})]
        assert again[-1]["status"]["code"] == 0 and "fileEnd" in [m.get("stage") for m in again]
    finally:
        filler.stop.set()
        srv.stop()

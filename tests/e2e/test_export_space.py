"""Storage space: -5 at ready when the disk has no room, -1001 when a file does not fit.

The full disk is real: the export folder is a small tmpfs mounted for the test (root only;
skipped where mounting is not allowed)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.e2e.export_client import drive, export_server, open_export
from tests.e2e.server import ServerProcess
from tests.support.recordings import record

pytestmark = pytest.mark.e2e

T0 = 1_700_000_000_000


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Callable[[int], Path]]:
    """Mounts a tmpfs of the given MiB; unmounted after the test."""
    mounts: list[Path] = []

    def mount(mib: int) -> Path:
        target = tmp_path / f"small{len(mounts)}"
        target.mkdir()
        r = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={mib}m,mode=0700", "tmpfs", str(target)],
            capture_output=True,
        )
        if r.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {r.stderr.decode().strip()}")
        mounts.append(target)
        return target

    yield mount
    for target in mounts:
        subprocess.run(["umount", "-l", str(target)], check=False)


def serve(tmp_path: Path, media_dir: Path, extra: str) -> ServerProcess:
    (tmp_path / "srv").mkdir()
    srv, settings = export_server(tmp_path / "srv", extra)
    record(settings, 2, media_dir / "cam2.mp4", T0, 60, 10)
    return srv.start()


def test_no_free_space_at_ready(
    tmp_path: Path, media_dir: Path, small_disk: Callable[[int], Path]
) -> None:
    disk = small_disk(8)  # less than the 16 MiB an export needs at least
    srv = serve(tmp_path, media_dir, f'dir = "{disk}"\n')
    try:
        with open_export(srv, timeBegin=iso(T0), timeEnd=iso(T0 + 30_000), ch="2") as ws:
            msgs = drive(ws)
        assert [m["stage"] for m in msgs] == ["ready"]
        assert msgs[0]["status"] == {"code": -5, "message": "Out of storage space"}
    finally:
        srv.stop()


def test_a_file_that_does_not_fit_ends_with_1001(
    tmp_path: Path, media_dir: Path, small_disk: Callable[[int], Path]
) -> None:
    disk = small_disk(20)
    srv = serve(tmp_path, media_dir, f'dir = "{disk}"\n')
    try:
        q = {"timeBegin": iso(T0), "timeEnd": iso(T0 + 60_000), "ch": "2", "mediaSize": "50MB"}
        with open_export(srv, **q) as ws:
            msgs = drive(ws)
        stages = [m["stage"] for m in msgs]
        assert stages[0] == "ready" and msgs[0]["status"]["code"] == 0
        assert stages[-1] == "end"
        assert msgs[-1]["status"] == {"code": -1001, "message": "Not enough space to save"}
        assert "fileEnd" not in stages
        assert list(disk.iterdir()) == []
    finally:
        srv.stop()

"""``nvrd export`` on the box: files, subtitles, MD5SUMS, encryption, the privacy record."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

import av
import pytest
import pyzipper

from nvrd.config import load_settings
from nvrd.core.eventtypes import EventType, PrivacyCode
from nvrd.store.db import opened
from nvrd.store.eventlog import EventLogStore
from tests.e2e.server import nvrd
from tests.support.recordings import record

pytestmark = pytest.mark.e2e

T0 = 1_700_000_000_000  # 2023-11-14T22:13:20Z


@pytest.fixture
def config(tmp_path: Path, media_dir: Path) -> Path:
    cfg = tmp_path / "nvrd.toml"
    cfg.write_text(f'[server]\ndata_dir = "{tmp_path / "data"}"\ntimezone = "UTC"\n', "utf-8")
    settings = load_settings(cfg, environ={})
    record(settings, 1, media_dir / "cam1.mp4", T0, 40, 10)
    return cfg


def privacy(cfg: Path) -> list[tuple[int, dict[str, object]]]:
    from nvrd.store.eventlog import LogQuery

    async def run() -> list[tuple[int, dict[str, object]]]:
        async with opened(load_settings(cfg, environ={}).db_url) as db:
            _, rows = await EventLogStore(db.engine).search(LogQuery(types=(EventType.PRIVACY,)))
        return [(r.code, r.param) for r in rows]

    return asyncio.run(run())


def test_export_to_a_folder(config: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    r = nvrd("export", "--config", str(config), "--ch", "1", "--from", "2023-11-14T22:13:25",
             "--to", "2023-11-14T22:13:55", "--out", str(out), "--media-size", "2MB",
             "--subtitle", "SRT", "--md5", "--quiet", "--purpose", "insurance claim 7")  # fmt: skip
    assert r.returncode == 0, r.stderr
    videos = sorted(out.glob("*.mp4"))
    assert len(videos) >= 3 and videos[0].name == "CH1.2023-11-14T22.13.25.mp4"
    assert len(list(out.glob("*.srt"))) == len(videos)
    total = 0.0
    for v in videos:
        with av.open(str(v)) as c:
            assert c.duration is not None
            total += (c.duration + (c.start_time or 0)) / 1e6
    assert total == pytest.approx(30, abs=1.0)
    sums = dict(line.split("  ")[::-1] for line in (out / "MD5SUMS").read_text().splitlines())
    for v in videos:
        assert sums[v.name] == hashlib.md5(v.read_bytes()).hexdigest()
    assert r.stdout.splitlines()[0] == str(videos[0])
    codes = {code: param for code, param in privacy(config)}
    assert codes[PrivacyCode.EXPORT_STARTED]["via"] == "cli"
    assert codes[PrivacyCode.EXPORT_STARTED]["purpose"] == "insurance claim 7"
    assert codes[PrivacyCode.EXPORT_ENDED]["statusCode"] == 0


def test_encrypted_export(config: Path, tmp_path: Path) -> None:
    secret = tmp_path / "pw"
    secret.write_text("tiger\n")
    out = tmp_path / "enc"
    r = nvrd("export", "--config", str(config), "--from", "2023-11-14T22:13:25",
             "--to", "2023-11-14T22:13:35", "--out", str(out), "--password-file", str(secret),
             "--quiet")  # fmt: skip
    assert r.returncode == 0, r.stderr
    (archive,) = out.glob("*.zip")
    with pyzipper.AESZipFile(archive) as zf:
        zf.setpassword(b"tiger")
        assert zf.namelist() == ["CH1.2023-11-14T22.13.25.mp4"]
        assert zf.read("CH1.2023-11-14T22.13.25.mp4")[4:8] == b"ftyp"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2001-01-01T00:00", "--to", "2001-01-02T00:00"], "nothing is recorded"),
        (["--from", "soon", "--to", "2001-01-02T00:00"], "not an ISO 8601"),
        (["--from", "2023-11-14T22:14", "--to", "2023-11-14T22:13"], "later than"),
        (
            ["--from", "2023-11-14T22:13", "--to", "2023-11-14T22:14", "--media-size", "x"],
            "must be a size",
        ),
    ],
)
def test_errors_are_one_line(config: Path, tmp_path: Path, args: list[str], message: str) -> None:
    r = nvrd("export", "--config", str(config), "--out", str(tmp_path / "o"), "--quiet", *args)
    assert r.returncode == 2
    assert r.stderr.startswith("nvrd: ") and message in r.stderr and "Traceback" not in r.stderr

"""A real server for the contract tests: three channels (two with recordings), LPR
sources, an emergency call device, parking lots, and users with different rights."""

from __future__ import annotations

from pathlib import Path

from nvrd.config import load_settings
from tests.conftest import add_users, b64
from tests.e2e.server import ServerProcess
from tests.support.recordings import Recorded, record

T0 = 1_700_000_000_000  # 2023-11-14T22:13:20Z
ROOT = ("root", "root-pass")
VIEWER = ("viewer", "viewer-pass")

CONFIG = """
[auth]
max_failures = 1000000
[recording]
min_free_mb = 0
[export]
ttl_seconds = 2
alert_seconds = 0.5
[[channel]]
chid = 1
title = "Gate"
source = "/nonexistent/gate.mp4"
[[channel]]
chid = 2
title = "Lobby"
source = "/nonexistent/lobby.mp4"
[[channel]]
chid = 3
title = "Yard"
[[lpr_source]]
code = "IN"
name = "Entrance"
linked_channel = [1, 2]
parking_entrance = 1
[[emergency_call]]
code = "0000001"
name = "B1 stairs"
linked_channel = [2]
[[parking_lot]]
id = 1
name = "B1"
max_count = 50
"""


def basic(who: tuple[str, str]) -> dict[str, str]:
    return {"Authorization": "Basic " + b64(*who)}


def contract_server(tmp: Path, media_dir: Path) -> tuple[ServerProcess, list[Recorded]]:
    """The server (not yet started) and the recordings of channel 1 made for it."""
    srv = ServerProcess(tmp, CONFIG)
    settings = load_settings(srv.config, environ={})
    settings.server.data_dir.mkdir(parents=True, exist_ok=True)
    add_users(
        settings,
        [
            ("root", "root-pass", "all", True),
            ("viewer", "viewer-pass", "Playback,Remote", False),
        ],
    )
    files = record(settings, 1, media_dir / "cam1.mp4", T0, 30, 10)
    record(settings, 2, media_dir / "cam2.mp4", T0, 20, 10)
    return srv, files

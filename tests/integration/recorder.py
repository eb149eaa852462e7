"""Helpers for recorder tests: a real server with short segments, and index access."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx

from nvrd.config import load_settings
from nvrd.store.db import Database
from nvrd.store.recordings import Segment
from nvrd.store.recsearch import RecordingSearch
from tests.e2e.server import ServerProcess

SEGMENT_SECONDS = 2


def recording_server(
    tmp: Path, extra: str = "", segment_seconds: float = SEGMENT_SECONDS, database_url: str = ""
) -> ServerProcess:
    srv = ServerProcess(
        tmp,
        f"[recording]\nsegment_seconds = {segment_seconds}\nstall_seconds = 4\n"
        "io_timeout_seconds = 2\nmax_backoff_seconds = 1\nretention_interval_seconds = 0.5\n"
        # the test machine is shared and busy: optional work must not be shed under the tests
        f"min_free_mb = 0\nshed_load = false\n{extra}",
        database_url=database_url,
    )
    return srv


def admin(srv: ServerProcess) -> httpx.Client:
    return srv.client(auth=("admin", srv.admin_password()))


def add_channel(srv: ServerProcess, item: dict[str, Any]) -> int:
    with admin(srv) as c:
        r = c.post("/api/channel", json=[item])
    assert r.status_code == 200, r.text
    return int(r.json()["added"][0]["chid"])


def status(srv: ServerProcess, chid: int) -> dict[str, Any]:
    with admin(srv) as c:
        body = c.get(f"/api/status?ch={chid}&recordingStatus").json()
    return dict(body[0]) if body else {}


def wait_status(srv: ServerProcess, chid: int, codes: set[int], timeout: float) -> float:
    """Wait until the channel's status is one of ``codes``; returns the wall time seen."""
    deadline = time.monotonic() + timeout
    seen = None
    while time.monotonic() < deadline:
        seen = status(srv, chid).get("status", {}).get("code")
        if seen in codes:
            return time.time()
        time.sleep(0.1)
    raise AssertionError(f"status of ch{chid} stayed {seen}, wanted {codes}")


def segments(srv: ServerProcess, chid: int) -> list[Segment]:
    settings = load_settings(srv.config, environ={})

    async def run() -> list[Segment]:
        db = Database(settings.db_url)
        try:
            found = await RecordingSearch(db.engine).overlapping(chid, 0, 2**62, 100_000)
        finally:
            await db.close()
        return found

    return asyncio.run(run())


def wait_segments(srv: ServerProcess, chid: int, count: int, timeout: float) -> list[Segment]:
    deadline = time.monotonic() + timeout
    found: list[Segment] = []
    while time.monotonic() < deadline:
        found = segments(srv, chid)
        if len(found) >= count:
            return found
        time.sleep(0.25)
    raise AssertionError(f"ch{chid} has {len(found)} segments, wanted {count}")

"""The API guide's own export example page (tests/e2e/pages/export.html, copied verbatim
from "Exporting recorded video"), unchanged, in Chromium, against a real server that is
recording a camera: it connects, shows progress, downloads every file and ends."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import av
import pytest

from tests.e2e.server import ServerProcess
from tests.integration.recorder import wait_segments

pytestmark = pytest.mark.e2e

PAGE = Path(__file__).parent / "pages" / "export.html"


@pytest.fixture
def srv(tmp_path: Path, media_dir: Path) -> Iterator[ServerProcess]:
    s = ServerProcess(
        tmp_path,
        "[recording]\nsegment_seconds = 2\nmin_free_mb = 0\n"
        '[[channel]]\nchid = 1\ntitle = "Gate"\n'
        f'source = "{media_dir / "cam1.mp4"}"\n',
    ).start()
    yield s
    s.stop()


def local(ms: int) -> str:
    """A datetime-local value (the server's zone is UTC)."""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S")


def messages(page: Any) -> list[dict[str, Any]]:
    texts = page.eval_on_selector_all("li.data", "els => els.map(e => e.textContent)")
    return [json.loads(t) for t in texts]


def test_the_guides_export_page(browser: Any, srv: ServerProcess, tmp_path: Path) -> None:
    # the index is read with asyncio.run: not on Playwright's thread, which has a loop
    with ThreadPoolExecutor(1) as pool:
        segs = pool.submit(wait_segments, srv, 1, 5, 60).result()
    begin = segs[0].start_ms // 1000 * 1000 + 1000
    end = segs[-1].end_ms // 1000 * 1000
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    downloads: list[Any] = []
    page.on("download", lambda d: downloads.append(d))
    try:
        page.goto(PAGE.as_uri())
        page.fill("#host-name", f"127.0.0.1:{srv.port}")
        page.fill("#user-id", "admin")
        page.fill("#password", srv.admin_password())
        page.fill("#timeBegin", local(begin))
        page.fill("#timeEnd", local(end))
        page.fill("#mediaSize", "1MB")
        page.fill("#submitter", "Officer Kim")
        page.fill("#recipient", "County court")
        page.fill("#purpose", "case 2023-118\nfront gate")
        page.check("#md5")
        page.click("text=Connect")
        page.wait_for_selector("li.open", timeout=10_000)
        try:
            page.wait_for_function(
                "[...document.querySelectorAll('li.data')].some(e => e.textContent.includes("
                '\'"stage": "end"\'))',
                timeout=60_000,
            )
        except Exception:
            print(page.inner_text("#messages"))
            raise
        got = messages(page)
        commands = page.eval_on_selector_all("li.command", "els => els.map(e => e.textContent)")
        bars = page.eval_on_selector_all("progress", "els => els.map(e => e.value)")
        page.wait_for_timeout(500)
    finally:
        saved = {}
        for d in downloads:
            target = tmp_path / d.suggested_filename
            d.save_as(target)
            saved[d.suggested_filename] = target
        context.close()
    stages = [m["stage"] for m in got]
    assert stages[0] == "ready" and got[0]["status"]["code"] == 0
    assert stages[-1] == "end" and got[-1]["status"]["code"] == 0
    ends = [m for m in got if m["stage"] == "fileEnd"]
    assert len(ends) >= 2  # 1MB files
    assert all(json.loads(c)["cmd"] == "next" for c in commands) and len(commands) == len(ends)
    assert bars and all(v == 100 for v in bars)
    offered = [d["fileName"] for m in ends for d in m["channel"]["file"]["download"]]
    assert sorted(saved) == sorted(offered)  # the browser downloaded every file
    assert any(name.endswith(".srt") for name in saved)  # the page's default: SRT
    total = 0.0
    for name, path in saved.items():
        if name.endswith(".mp4"):
            with av.open(str(path)) as c:
                assert sum(1 for _ in c.decode(video=0)) > 0
                assert c.duration is not None
                total += (c.duration + (c.start_time or 0)) / 1e6
    assert total == pytest.approx((end - begin) / 1000, abs=1.0)

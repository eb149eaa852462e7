"""The /watch player page in a real browser (Debian's Chromium driven by Playwright).

One server for the module, with a file channel looping cam1.mp4 (10 s, 640x360, the stream
time burnt in) recorded in 2 s segments. Live tests run first; by the time the recorded
tests run, several files exist.
"""

from __future__ import annotations

import base64
import functools
import http.server
import itertools
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from tests.e2e.server import ServerProcess, free_port
from tests.integration.recorder import add_channel, admin, recording_server, wait_status

pytestmark = pytest.mark.e2e

SCREENSHOT = Path("/tmp/nvrd-watch-live.png")
TITLE = "Lobby camera"

STATE = "() => window.nvrdPlayer ? window.nvrdPlayer.state : null"
SHOWN_MS = "() => { const d = window.nvrdPlayer.currentTime(); return d ? d.getTime() : null; }"
SAMPLE = "() => [nvrdPlayer.fileId, nvrdPlayer.currentTime()?.getTime()]"
#: A WebSocket that never connects, as behind a proxy that does not pass WebSockets.
REFUSING_WEBSOCKET = """
window.WebSocket = class {
  constructor(url) { setTimeout(() => this.onclose && this.onclose({ code: 1006 }), 50); }
  close() {}
};
"""
VIDEO_TIME = "() => document.querySelector('video.active').currentTime"


def _auth(uid: str, password: str) -> str:
    """``auth=`` as a URL carries it (base64, URL-encoded)."""
    return quote(base64.b64encode(f"{uid}:{password}".encode()).decode(), safe="")


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory, media_dir: Path) -> Iterator[ServerProcess]:
    server = recording_server(tmp_path_factory.mktemp("watch"), segment_seconds=2).start()
    chid = add_channel(server, {"name": TITLE, "source": str(media_dir / "cam1.mp4")})
    assert chid == 1
    wait_status(server, chid, {200}, 20)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def auth(srv: ServerProcess) -> str:
    return _auth("admin", srv.admin_password())


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 640, "height": 360})
    pg = context.new_page()
    yield pg
    context.close()


def wait_state(pg: Any, state: str, timeout: float = 15) -> None:
    pg.wait_for_function(f"() => ({STATE})() === {state!r}", timeout=timeout * 1000)


def message(pg: Any) -> tuple[str, str]:
    key, text = pg.evaluate(
        "() => [nvrdPlayer.messageKey, document.getElementById('message').innerText]"
    )
    return str(key), str(text)


def recorded_files(srv: ServerProcess, count: int, timeout: float = 20) -> list[dict[str, Any]]:
    """At least ``count`` recorded files of ch1, oldest first."""
    since = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    deadline = time.monotonic() + timeout
    files: list[dict[str, Any]] = []
    with admin(srv) as c:
        while time.monotonic() < deadline:
            r = c.get(f"/api/vod?ch=1&when={since}&duration=2h&limit=50")
            files = r.json()
            if len(files) >= count:
                return files
            time.sleep(0.5)
    raise AssertionError(f"only {len(files)} recorded files")


def iso_ms(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp() * 1000)


def test_live_plays_over_websocket(srv: ServerProcess, auth: str, page: Any) -> None:
    page.goto(f"{srv.url}/watch?ch=1&auth={auth}")
    wait_state(page, "live")
    assert page.evaluate("() => nvrdPlayer.mode") == "ws"
    before = page.evaluate(VIDEO_TIME)
    page.wait_for_timeout(5000)
    assert page.evaluate(VIDEO_TIME) - before > 4
    assert page.evaluate("() => nvrdPlayer.state") == "live"
    assert page.locator("#title").inner_text() == TITLE
    shown = page.evaluate(SHOWN_MS)
    assert abs(shown - time.time() * 1000) < 3000
    assert page.locator("#time").is_visible()
    page.screenshot(path=str(SCREENSHOT))


def test_live_hls_fallback(srv: ServerProcess, auth: str, page: Any) -> None:
    page.goto(f"{srv.url}/watch?ch=1&auth={auth}&transport=hls")
    wait_state(page, "live", 20)
    assert page.evaluate("() => nvrdPlayer.mode") == "hls"
    before = page.evaluate(VIDEO_TIME)
    page.wait_for_timeout(3000)
    assert page.evaluate(VIDEO_TIME) - before > 2


def test_live_falls_back_to_hls_when_websocket_is_refused(
    srv: ServerProcess, auth: str, page: Any
) -> None:
    page.add_init_script(REFUSING_WEBSOCKET)
    page.goto(f"{srv.url}/watch?ch=1&auth={auth}")
    wait_state(page, "live", 20)
    assert page.evaluate("() => nvrdPlayer.mode") == "hls"


def test_overlays_can_be_hidden(srv: ServerProcess, auth: str, page: Any) -> None:
    page.goto(f"{srv.url}/watch?ch=1&auth={auth}&showTitle=false")
    wait_state(page, "live")
    page.wait_for_timeout(300)
    assert page.locator("#title").is_hidden()
    assert page.locator("#time").is_visible()
    page.goto(f"{srv.url}/watch?ch=1&auth={auth}&showPlayTime=false")
    wait_state(page, "live")
    page.wait_for_timeout(300)
    assert page.locator("#title").is_visible()
    assert page.locator("#time").is_hidden()


def test_korean_date_and_menu(srv: ServerProcess, auth: str, page: Any) -> None:
    page.goto(f"{srv.url}/watch?ch=1&auth={auth}&lang=ko-KR")
    wait_state(page, "live")
    page.wait_for_timeout(300)
    shown = page.locator("#time").inner_text()
    assert any(word in shown for word in ("년", "월", "일", "오전", "오후")), shown
    assert page.locator("#menu li").first.text_content() == "동영상 URL 복사"


def test_menu_copies_url_and_embed_code(
    srv: ServerProcess, auth: str, browser: Any, tmp_path: Path
) -> None:
    context = browser.new_context(viewport={"width": 640, "height": 360})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=srv.url)
    pg = context.new_page()
    try:
        when = "2001-02-03T04%3A05%3A06%2B09%3A00"
        pg.goto(f"{srv.url}/watch?ch=1&auth={auth}&when={when}&lang=en-US")
        expected = f"{srv.url}/watch?ch=1&when={when}&lang=en-US"
        copied = []
        for label in ("Copy video URL", "Copy embed code"):
            pg.click("#player", button="right", position={"x": 200, "y": 150})
            item = pg.locator("#menu li", has_text=label)
            assert item.is_visible()
            item.click()
            pg.wait_for_function("() => !document.getElementById('toast').hidden")
            copied.append(pg.evaluate("() => navigator.clipboard.readText()"))
            assert pg.locator("#toast").inner_text() == "Copied"
            assert pg.locator("#menu").is_hidden()
        assert copied[0] == expected
        assert copied[1] == (
            f"<iframe src='{expected}' width='640' height='360' frameborder='0' "
            "allowfullscreen></iframe>"
        )
    finally:
        context.close()


def test_recorded_starts_at_when(srv: ServerProcess, auth: str, page: Any) -> None:
    files = recorded_files(srv, 3)
    first = files[0]["src"][0]
    when_ms = iso_ms(first["timeRange"][0]) + 1300
    when = datetime.fromtimestamp(when_ms / 1000, UTC).isoformat(timespec="milliseconds")
    page.goto(f"{srv.url}/watch?ch=1&auth={auth}&when={quote(when, safe='')}")
    wait_state(page, "recorded")
    assert page.evaluate("() => nvrdPlayer.mode") == "file"
    assert page.evaluate("() => nvrdPlayer.fileId") == files[0]["fileId"]
    started = page.evaluate("() => nvrdPlayer.firstTime.getTime()")
    assert abs(started - when_ms) < 1000, (started, when_ms)


def test_recorded_crosses_file_boundary(srv: ServerProcess, auth: str, page: Any) -> None:
    files = recorded_files(srv, 4)
    second = files[1]["src"][0]
    when_ms = iso_ms(second["timeRange"][1]) - 1200  # 1.2 s before the end of the 2nd file
    when = datetime.fromtimestamp(when_ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    page.goto(f"{srv.url}/watch?ch=1&auth={auth}&when={when}")
    wait_state(page, "recorded")
    samples: list[tuple[int, int]] = []
    for _ in range(14):
        samples.append(
            page.evaluate("() => [nvrdPlayer.fileId, nvrdPlayer.currentTime()?.getTime()]")
        )
        page.wait_for_timeout(250)
    ids = [fid for fid, _ in samples]
    assert ids[0] == files[1]["fileId"]
    assert files[2]["fileId"] in ids, ids
    times = [t for _, t in samples]
    steps = [b - a for a, b in itertools.pairwise(times)]
    assert all(-100 <= s <= 900 for s in steps), steps
    assert times[-1] - times[0] > 2000, times


def test_no_recording_at_when(srv: ServerProcess, auth: str, page: Any) -> None:
    page.goto(f"{srv.url}/watch?ch=1&auth={auth}&when=2001-01-01T00%3A00%3A00Z")
    wait_state(page, "error")
    key, text = message(page)
    assert key == "noRecording"
    assert text.startswith("No recording at") and "2001" in text
    assert page.locator("#message").is_visible()


def test_embedded_in_page_of_another_origin(srv: ServerProcess, auth: str, page: Any) -> None:
    r = httpx.get(f"{srv.url}/watch?ch=1&auth={auth}")
    assert "x-frame-options" not in r.headers
    assert "frame-ancestors" not in r.headers.get("content-security-policy", "")
    site = Path(srv.tmp) / "site"
    site.mkdir(exist_ok=True)
    (site / "embed.html").write_text(
        "<!DOCTYPE html><meta charset='utf-8'><title>ex1</title><h2>Insert video</h2>"
        f"<iframe src='{srv.url}/watch?ch=1&auth={auth}' width='640' height='360' "
        "frameborder='0' allowfullscreen></iframe>",
        "utf-8",
    )
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        # "localhost" and "127.0.0.1" are different sites: the player's cookie is not sent.
        page.goto(f"http://localhost:{httpd.server_address[1]}/embed.html")
        frame = page.frame_locator("iframe")
        frame.locator("video.active").wait_for(state="attached")
        inner = next(f for f in page.frames if f.url.startswith(srv.url))
        wait_state(inner, "live", 20)
        before = inner.evaluate(VIDEO_TIME)
        page.wait_for_timeout(2000)
        assert inner.evaluate(VIDEO_TIME) - before > 1
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_wrong_credentials(srv: ServerProcess, page: Any) -> None:
    resp = page.goto(f"{srv.url}/watch?ch=1&auth={_auth('admin', 'wrong')}")
    assert resp.status == 401
    wait_state(page, "error")
    key, text = message(page)
    assert key == "badCredentials" and text == "Wrong user ID or password."


def test_no_credentials(srv: ServerProcess, page: Any) -> None:
    resp = page.goto(f"{srv.url}/watch?ch=1&lang=de-DE")
    assert resp.status == 401
    wait_state(page, "error")
    key, text = message(page)
    assert key == "signIn" and text.startswith("Anmeldung erforderlich")


def test_missing_channel(srv: ServerProcess, auth: str, page: Any) -> None:
    resp = page.goto(f"{srv.url}/watch?ch=99&auth={auth}")
    assert resp.status == 404
    wait_state(page, "error")
    assert message(page) == ("noChannel", "No such channel.")
    assert page.locator("#message").is_visible()


def test_unparseable_when(srv: ServerProcess, auth: str, page: Any) -> None:
    resp = page.goto(f"{srv.url}/watch?ch=1&auth={auth}&when=yesterday-ish")
    assert resp.status == 400
    wait_state(page, "error")
    assert message(page)[0] == "badWhen"


def test_junk_boolean_is_shown_in_page(srv: ServerProcess, auth: str, page: Any) -> None:
    resp = page.goto(f"{srv.url}/watch?ch=1&auth={auth}&showTitle=junk")
    assert resp.status == 400
    wait_state(page, "error")
    assert message(page) == ("badParam", "Invalid value in showTitle= (true or false).")
    assert page.locator("#message").is_visible()


def test_demo_page_and_static_files(srv: ServerProcess, auth: str, page: Any) -> None:
    page.goto(f"{srv.url}/?auth={auth}")
    page.locator(".channel iframe").first.wait_for()
    assert page.locator(".channel h2").first.inner_text() == f"CH1. {TITLE}"
    today = page.locator(".channel nav a", has_text="Today's recordings").first
    assert "when=today" in (today.get_attribute("href") or "")
    with httpx.Client(base_url=srv.url) as c:
        assert c.get("/static/vendor/hls.min.js").status_code == 200
        assert c.get("/static/watch.js").headers["content-type"].startswith("text/javascript")
        assert c.get("/static/../pyproject.toml").status_code == 404
        assert c.get("/static/vendor/hls.js").status_code == 404

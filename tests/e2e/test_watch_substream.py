"""The /watch player and a camera with a sub stream, in a real browser (Debian's Chromium
driven by Playwright): a small player shows the sub stream, a large one the main stream,
growing the player switches, and ``stream=main`` in the page's URL decides instead.

The camera: the live GStreamer camera serving ``/live`` (640x360) and ``/sub`` (320x180)
behind ipycam's ONVIF device service offering two profiles; a real ``nvrd serve``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.server import ServerProcess
from tests.e2e.test_watch import _auth, wait_state
from tests.integration.recorder import add_channel, recording_server, wait_status
from tests.support.cameras import LiveCameraServer, live_camera_unavailable
from tests.support.ipycam_device import IpycamDevice

pytestmark = pytest.mark.e2e

USER, PASSWORD = "admin", "ipy-pass"
SIZE = "() => { const v = document.querySelector('video.active'); return [v.videoWidth, v.videoHeight]; }"  # noqa: E501
STREAM = "() => document.getElementById('player').dataset.stream"


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    reason = live_camera_unavailable()
    if reason is not None:
        pytest.skip(f"live camera unavailable: {reason}")
    tmp = tmp_path_factory.mktemp("watchsub")
    with (
        LiveCameraServer(USER, PASSWORD, size="640x360", sub_size="320x180") as cam,
        IpycamDevice(cam.port, "live", "sub", USER, PASSWORD) as device,
    ):
        server = recording_server(tmp, "[motion]\nenabled = false\n").start()
        try:
            item = {"uid": USER, "password": PASSWORD, "device": {"url": device.url}}
            assert add_channel(server, item) == 1
            wait_status(server, 1, {200}, 40)
            yield server
        finally:
            server.stop()


def open_player(browser: Any, url: str, width: int, height: int) -> tuple[Any, Any]:
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.goto(url)
    return context, page


def wait_size(page: Any, size: tuple[int, int], timeout: float = 20) -> None:
    """Until the shown pictures are ``size`` (a switched stream shows its first frame)."""
    check = f"() => {{ const s = ({SIZE})(); return s[0] === {size[0]} && s[1] === {size[1]}; }}"
    page.wait_for_function(check, timeout=timeout * 1000)


def test_small_player_shows_the_sub_stream_and_switches_when_grown(
    srv: ServerProcess, browser: Any
) -> None:
    auth = _auth("admin", srv.admin_password())
    context, page = open_player(browser, f"{srv.url}/watch?ch=1&auth={auth}", 400, 225)
    try:
        wait_state(page, "live", 30)
        assert page.evaluate(STREAM) == "sub"
        assert page.evaluate(SIZE) == [320, 180]
        page.set_viewport_size({"width": 1280, "height": 720})
        page.wait_for_function(f"() => ({STREAM})() === 'main'", timeout=10_000)
        wait_state(page, "live", 30)
        wait_size(page, (640, 360))
    finally:
        context.close()


def test_stream_in_the_url_decides(srv: ServerProcess, browser: Any) -> None:
    auth = _auth("admin", srv.admin_password())
    url = f"{srv.url}/watch?ch=1&auth={auth}&stream=main&transport=hls"
    context, page = open_player(browser, url, 400, 225)
    try:
        wait_state(page, "live", 30)
        assert page.evaluate(STREAM) == "main"
        wait_size(page, (640, 360))
    finally:
        context.close()

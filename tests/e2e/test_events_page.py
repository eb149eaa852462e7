"""A page written like the API guide's event example (every topic checked, verbose, raw
base64 ``auth=``, the ``/api/subscribeEvents`` path) receives nvrd's events in Chromium."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from tests.e2e.server import ServerProcess

pytestmark = pytest.mark.e2e

PAGE = Path(__file__).parent / "pages" / "events.html"
CONFIG = """
[[channel]]
chid = 1
title = "Gate"
source = "/nonexistent/gate.mp4"
[[lpr_source]]
code = "F00001"
linked_channel = [1]
parking_entrance = 1
[[parking_lot]]
id = 1
name = "B1"
max_count = 5
"""


@pytest.fixture
def srv(tmp_path: Path) -> Iterator[ServerProcess]:
    s = ServerProcess(tmp_path, CONFIG).start()
    yield s
    s.stop()


def messages(page: Any) -> list[dict[str, Any]]:
    texts = page.eval_on_selector_all("li.data", "els => els.map(e => e.textContent)")
    return [json.loads(t) for t in texts]


def test_guide_style_page_receives_events(browser: Any, srv: ServerProcess) -> None:
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(PAGE.as_uri())
        page.fill("#host-name", f"127.0.0.1:{srv.port}")
        page.fill("#user-id", "admin")
        page.fill("#password", srv.admin_password())
        page.click("#connect")
        page.wait_for_selector("li.open", timeout=10_000)
        page.wait_for_function("document.querySelectorAll('li.data').length >= 5")
        r = httpx.post(
            srv.url + "/api/push",
            json={"topic": "LPR", "src": "F00001", "plateNo": "DSP963", "direction": "entry"},
            auth=("admin", srv.admin_password()),
        )
        assert r.status_code == 200
        page.wait_for_function(
            "[...document.querySelectorAll('li.data')].some(e => e.textContent.includes('DSP963'))"
        )
        page.wait_for_function(
            "[...document.querySelectorAll('li.data')]"
            ".filter(e => e.textContent.includes('parkingCount')).length >= 2"
        )
        got = messages(page)
        assert page.query_selector("li.close") is None and page.query_selector("li.error") is None
    finally:
        context.close()
    hello = got[0]
    assert hello["topics"] == [
        "channelStatus",
        "LPR",
        "emergencyCall",
        "systemEvent",
        "motionChanges",
        "parkingCount",
        "packing",
        "recordingStatus",
        "object",
    ]
    firsts = [(m.get("topic"), m.get("event")) for m in got[1:5]]
    assert firsts == [
        ("channelStatus", "currentStatus"),
        ("motionChanges", None),
        ("parkingCount", None),
        ("recordingStatus", "currentStatus"),
    ]
    assert got[1]["channel"][0]["title"] == "Gate" and "caps" in got[1]["channel"][0]
    plate = next(m for m in got if m.get("topic") == "LPR")
    assert plate["chid"]["src"].startswith(f"http://127.0.0.1:{srv.port}/watch?ch=1&when=")
    counts = [m for m in got if m.get("topic") == "parkingCount"]
    assert counts[-1]["updated"] == [
        {"id": 1, "name": "B1", "type": "counter", "count": 1, "maxCount": 5}
    ]


def test_home_page_lists_events(browser: Any, srv: ServerProcess) -> None:
    context = browser.new_context()
    page = context.new_page()
    try:
        auth = base64.b64encode(f"admin:{srv.admin_password()}".encode()).decode()
        page.goto(f"{srv.url}/?auth={quote(auth, safe='')}")
        page.wait_for_function(
            "[...document.querySelectorAll('#events li')]"
            ".some(e => e.textContent.includes('currentStatus'))"
        )
        r = httpx.post(
            srv.url + "/api/push",
            json={"topic": "LPR", "src": "F00001", "plateNo": "HOME42"},
            auth=("admin", srv.admin_password()),
        )
        assert r.status_code == 200
        page.wait_for_function(
            "[...document.querySelectorAll('#events li')]"
            ".some(e => e.textContent.includes('HOME42'))"
        )
        texts = page.eval_on_selector_all("#events li", "els => els.map(e => e.textContent)")
        plate = next(i for i, t in enumerate(texts) if "HOME42" in t)
        snapshot = next(i for i, t in enumerate(texts) if "currentStatus" in t)
        assert plate < snapshot  # newest first
        # ... and as a card of the plates list, which a reload fills from /api/find?what=carNo
        page.wait_for_selector("#plates li.plate >> text=HOME42")
        page.reload()
        page.wait_for_selector("#plates li.plate >> text=HOME42")
    finally:
        context.close()

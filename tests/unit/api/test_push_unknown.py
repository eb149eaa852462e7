"""POST /api/push naming what is not set up: the guide's emergencyCall example on a
server with fewer channels, and LPR codes nobody registered."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

from nvrd.events.types import LogRequested
from tests.conftest import ADMIN, VIEWER, AppHarness
from tests.support.pushed import KINDS, Seen, seen

CONFIG: dict[str, Any] = {
    "channel": [{"chid": 1, "title": "Camera1"}, {"chid": 2, "title": "Camera2"}],
    "lpr_source": [{"id": 1, "code": "1-1-7", "name": "Gate", "linked_channel": [1]}],
    "emergency_call": [{"code": "0000002", "name": "B1 Stairs", "linked_channel": [1]}],
}
#: The guide's example, camera list and all.
CALL = {
    "topic": "emergencyCall",
    "device": "Sammul/Vizufon",
    "src": "0000002",
    "event": "callStart",
    "camera": "1,2,3,4",
    "when": "2018-06-27T10:56:16.316-05:00",
}
LPR = {"topic": "LPR", "src": "1-1-7", "plateNo": "DSP963", "when": "2018-06-27T10:42:06.575Z"}


def published(c: TestClient, body: Any, status: int = 200) -> list[Seen]:
    """What the push published, less the sign-in entries of the event log."""
    sub = c.app.state.services.bus.subscribe(KINDS)  # type: ignore[attr-defined]
    r = c.post("/api/push", json=body)
    assert r.status_code == status, r.text
    out = []
    for event in sub.pending():
        if not isinstance(event, LogRequested) or event.type != 1:
            out.append(seen(event))
    sub.close()
    return out


@pytest.fixture
def client(harness: Callable[..., AppHarness]) -> Any:
    with harness(users=[ADMIN, VIEWER], **CONFIG).client() as c:
        c.auth = (VIEWER[0], VIEWER[1])
        yield c


@pytest.fixture
def strict(harness: Callable[..., AppHarness]) -> Any:
    h = harness(users=[ADMIN, VIEWER], integrations={"accept_unknown_sources": False}, **CONFIG)
    with h.client() as c:
        c.auth = (VIEWER[0], VIEWER[1])
        yield c


def test_guide_emergency_call_keeps_the_event_and_the_lpr_beside_it(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, "nvrd.integrations"):
        events = published(client, [CALL, LPR])
    topics = [e.topic for e in events]
    assert "emergencyCall" in topics and "LPR" in topics
    call = next(e for e in events if e.topic == "emergencyCall")
    assert call.data["message"]["camera"] == [1, 2]
    assert call.data["chids"] == [1, 2]
    entry = next(e for e in events if e.topic == "log" and e.data["type"] == 5)
    assert entry.data["param"]["ignoredCamera"] == [3, 4]
    assert any("3, 4" in r.getMessage() and "camera" in r.getMessage() for r in caplog.records)
    svc = client.app.state.services  # type: ignore[attr-defined]
    rows = client.portal.call(svc.integrations.lprlog.between, 0, 2**62)  # type: ignore[union-attr]
    assert [r.plate_no for r in rows] == ["DSP963"]


def test_camera_list_of_only_unknown_channels(client: TestClient) -> None:
    events = published(client, {**CALL, "camera": [7, 8]})
    call = next(e for e in events if e.topic == "emergencyCall")
    assert call.data["message"]["camera"] == []


def test_unknown_lpr_code_is_registered(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, "nvrd.integrations"):
        events = published(client, [{**LPR, "src": "F00001"}, {**LPR, "src": "F00001"}])
    lpr = [e for e in events if e.topic == "LPR"]
    assert len(lpr) == 2
    assert lpr[0].data["message"]["deviceCode"] == "F00001"
    assert lpr[0].data["message"]["deviceName"] == "F00001"
    assert lpr[0].data["chids"] == []
    system = [e for e in events if e.topic == "log" and e.data["type"] == 0]
    assert len(system) == 1 and system[0].data["param"]["lprSource"] == "F00001"
    assert sum("F00001" in r.getMessage() for r in caplog.records) == 1
    client.auth = (ADMIN[0], ADMIN[1])
    doc = client.get("/api/enum?what=lprSrc").json()
    items = doc if isinstance(doc, list) else doc["lprSrc"]
    new = next(s for s in items if s["code"] == "F00001")
    assert new["name"] == "F00001" and new["linkedChannel"] == []
    # a second push from it registers nothing more
    assert [e for e in published(client, {**LPR, "src": "F00001"}) if e.topic == "log"] == []


def test_strict_option_refuses_unknown_codes(strict: TestClient) -> None:
    r = strict.post("/api/push", json=[LPR, {**LPR, "src": "F00001"}])
    assert r.status_code == 400
    assert r.json()["message"] == '[1].src: no LPR source with code "F00001".'
    strict.auth = (ADMIN[0], ADMIN[1])
    doc = strict.get("/api/enum?what=lprSrc").json()
    items = doc if isinstance(doc, list) else doc["lprSrc"]
    assert [s["code"] for s in items] == ["1-1-7"]


def test_strict_option_still_keeps_calls_with_unknown_cameras(strict: TestClient) -> None:
    events = published(strict, CALL)
    assert any(e.topic == "emergencyCall" for e in events)


def test_src_longer_than_a_code_is_400(client: TestClient) -> None:
    r = client.post("/api/push", json={**LPR, "src": "x" * 65})
    assert r.status_code == 400 and "src" in r.json()["message"]

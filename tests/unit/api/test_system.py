"""/api/system in-process against this host's real data."""

import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from tests.conftest import ADMIN, VIEWER, AppHarness

INFO_KEYS = {
    "os",
    "cpu",
    "graphicAdapter",
    "memoryAmount",
    "disk",
    "storageAmount",
    "cdrom",
    "networkAdapter",
}


@pytest.fixture
def viewer(client: TestClient) -> TestClient:
    client.auth = (VIEWER[0], VIEWER[1])
    return client


def test_needs_sign_in(harness: Callable[..., AppHarness]) -> None:
    with harness().client() as c:
        for q in ("", "?info", "?health", "?hddsmart", "?restart", "?reboot"):
            assert c.get("/api/system" + q).status_code == 401


def test_info_all(viewer: TestClient) -> None:
    for q in ("", "?info", "?info=all"):
        body = viewer.get("/api/system" + q).json()
        assert set(body) >= INFO_KEYS, q
        assert body["lastUpdate"].endswith("+00:00")
    assert body["memoryAmount"] > 0
    assert body["cpu"][0]["cores"] >= 1


def test_info_supported(viewer: TestClient) -> None:
    assert viewer.get("/api/system?info=supported").json() == [
        "os",
        "cpu",
        "mainboard",
        "memory",
        "graphicAdapter",
        "disk",
        "cdrom",
        "networkAdapter",
        "all",
    ]


def test_info_items(viewer: TestClient) -> None:
    assert set(viewer.get("/api/system?info=os").json()) == {"lastUpdate", "os"}
    body = viewer.get("/api/system?info=storage,network").json()
    assert {"disk", "networkAdapter"} <= set(body) and "os" not in body
    body = viewer.get("/api/system?info=cpu,memory").json()
    assert {"cpu", "memoryAmount"} <= set(body)


@pytest.mark.parametrize("q", ["info=bogus", "info=os,bogus", "health=gpu", "bogus", "info&health"])
def test_bad_items(viewer: TestClient, q: str) -> None:
    r = viewer.get(f"/api/system?{q}")
    assert r.status_code == 400
    assert r.json()["code"] == -1


def test_health_all(viewer: TestClient) -> None:
    body = viewer.get("/api/system?health").json()
    assert {"lastUpdate", "cpu", "memory", "disk", "recording", "network"} <= set(body)
    threads = body["cpu"][0]["usage"]["threads"]
    assert all(0 <= t <= 100 for t in threads)
    mem = body["memory"]
    assert 0 < mem["freePhysical"] <= mem["totalPhysical"]
    assert any(d["totalSpace"] > 0 for d in body["disk"])
    rec = body["recording"]
    assert rec["storage"][0]["usage"] == 2
    assert rec["storage"][0]["comment"] == "Overwrite"
    assert rec["current"] == rec["storage"][0]["path"]


def test_health_supported_and_items(viewer: TestClient) -> None:
    assert viewer.get("/api/system?health=supported").json() == [
        "cpu",
        "memory",
        "disk",
        "recording",
        "network",
        "lpr",
        "objects",
        "all",
    ]
    assert viewer.get("/api/system?health=lpr").json()["lpr"] == []
    assert viewer.get("/api/system?health=objects").json()["objects"] == []
    body = viewer.get("/api/system?health=memory").json()
    assert set(body) == {"lastUpdate", "memory"}
    body = viewer.get("/api/system?health=disk,recording,network").json()
    assert set(body) == {"lastUpdate", "disk", "recording", "network"}


def test_health_recording_storage_modes(harness: Callable[..., AppHarness], tmp_path: Path) -> None:
    storage = [
        {"path": str(tmp_path / "old"), "usage": -1},
        {"path": str(tmp_path / "ro"), "usage": 0},
        {"path": str(tmp_path / "rec"), "usage": 2},
    ]
    with harness(storage=storage).client() as c:
        rec = c.get("/api/system?health=recording&lang=de-DE", auth=VIEWER[:2]).json()["recording"]
    assert [s["usage"] for s in rec["storage"]] == [-1, 0, 2]
    assert rec["current"] == str(tmp_path / "rec")
    assert rec["shed"] == []  # no optional work paused
    assert rec["storage"][2]["comment"] != "Overwrite"  # German


def test_hddsmart(viewer: TestClient) -> None:
    if shutil.which("smartctl") is None:
        pytest.skip("smartctl is not installed (make test installs smartmontools)")
    body = viewer.get("/api/system?hddsmart").json()
    assert isinstance(body, list) and body
    for disk in body:
        assert disk["code"] in (-1, 0, 1)
        assert disk["message"] in ("Not tested yet", "Not supported", "Supported")
        assert disk["name"]
    assert len(viewer.get("/api/system?hddsmart=1").json()) == 1
    for bad in ("hddsmart=0", "hddsmart=x", "hddsmart=999"):
        assert viewer.get(f"/api/system?{bad}").status_code == 400


def test_hddsmart_without_smartctl(harness: Callable[..., AppHarness]) -> None:
    with harness(server={"smartctl": "/nonexistent/smartctl"}).client() as c:
        r = c.get("/api/system?hddsmart", auth=ADMIN[:2])
    assert r.status_code == 503
    assert "smartctl" in r.json()["message"]


def test_restart_and_reboot_are_admin_only(viewer: TestClient) -> None:
    for q in ("restart", "reboot"):
        r = viewer.get(f"/api/system?{q}")
        assert r.status_code == 403
        assert r.json()["code"] == -3


def test_restart_requests_a_restart(harness: Callable[..., AppHarness]) -> None:
    h = harness()
    with h.client() as c:
        r = c.get("/api/system?restart", auth=ADMIN[:2])
        assert r.status_code == 200
        assert r.json() == {"code": 0, "message": "The server restarts in a few seconds."}
        deadline = time.monotonic() + 5
        while not h.restarts and time.monotonic() < deadline:
            time.sleep(0.05)
    assert h.restarts == [1]


def test_reboot_disabled_by_default(client: TestClient) -> None:
    r = client.get("/api/system?reboot", auth=ADMIN[:2])
    assert r.status_code == 501
    assert "disabled" in r.json()["message"]


def test_reboot_runs_configured_command(harness: Callable[..., AppHarness], tmp_path: Path) -> None:
    marker = tmp_path / "rebooted"
    with harness(server={"reboot_command": ["touch", str(marker)]}).client() as c:
        r = c.get("/api/system?reboot", auth=ADMIN[:2])
        assert r.status_code == 200
        assert r.json()["code"] == 0
        deadline = time.monotonic() + 5
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
    assert marker.exists()


def test_reboot_command_missing(harness: Callable[..., AppHarness]) -> None:
    with harness(server={"reboot_command": ["/no/such/reboot"]}).client() as c:
        r = c.get("/api/system?reboot", auth=ADMIN[:2])
    assert r.status_code == 503

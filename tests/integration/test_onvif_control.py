"""Device control through the API against cameras that run in the test.

The camera here is the small SOAP device written for the tests
(tests/support/soap_device.py): it has the relay outputs, AUX commands,
reboot, events, HTTP digest authentication and wrong clock that the ipycam
camera (tests/integration/test_onvif_ipycam.py) lacks. The server is the
real app (TestClient), the camera real SOAP over HTTP on 127.0.0.1.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.conftest import ADMIN, VIEWER, AppHarness
from tests.support.soap_device import SoapDevice

ROOT = ("root", "root-pass")


@pytest.fixture
def device() -> Iterator[SoapDevice]:
    with SoapDevice() as dev:
        yield dev


@pytest.fixture
def app(harness: Callable[..., AppHarness]) -> Iterator[TestClient]:
    h = harness([ADMIN, VIEWER], motion={"enabled": False}, onvif={"poll_seconds": 1})
    with h.client() as c:
        yield c


def add_camera(c: TestClient, url: str, **extra: Any) -> int:
    item = {"name": "Yard", "uid": "admin", "password": "secret", "device": {"url": url}}
    r = c.post("/api/channel", json=[{**item, **extra}], auth=ROOT)
    assert r.status_code == 200, r.text
    return int(r.json()["added"][0]["chid"])


def wait_ready(c: TestClient, chid: int, timeout: float = 15) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        (info,) = c.get(f"/api/channel/info?ch={chid}", auth=ROOT).json()
        if info.get("device", {}).get("status") == "ready":
            return dict(info)
        time.sleep(0.05)
    raise AssertionError(f"camera of ch{chid} not ready: {info}")


def until(check: Callable[[], Any], timeout: float = 5) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.02)
    raise AssertionError("condition not met")


def ctl(c: TestClient, path: str, auth: tuple[str, str] = ROOT) -> Any:
    r = c.get(f"/api/channel/{path}", auth=auth)
    assert r.status_code == 200, r.text
    return r.json()


def test_info_caps_and_streams_from_the_camera(app: TestClient, device: SoapDevice) -> None:
    chid = add_camera(app, device.url)
    info = wait_ready(app, chid)
    assert info["type"] == "onvif"
    assert info["caps"] == {
        "pantilt": True, "zoom": True, "focus": True, "iris": False, "home": True,
        "maxPreset": 8, "aux": 2, "digitalInputs": 1, "relayOutputs": 2, "reboot": True,
    }  # fmt: skip
    assert info["onvif"]["product"] == {
        "firmwareVersion": "1.0", "hardwareId": "HW-7", "macAddress": "00:11:22:33:44:55",
        "manufacturer": "TestWorks", "model": "SOAP-1", "serialNumber": "SN-42",
    }  # fmt: skip
    basic = info["onvif"]["basic"]
    assert (basic["name"], basic["city"], basic["country"]) == ("Yard camera", "seoul", "korea")
    assert basic["host"] == f"127.0.0.1:{device.port}"
    streams = info["streams"]
    assert streams["main"]["uri"] == device.main_uri and streams["main"]["size"] == [1280, 720]
    assert streams["sub"]["uri"] == device.sub_uri and streams["sub"]["size"] == [640, 360]
    caps_only = app.get(f"/api/channel/info?caps&ch={chid}", auth=ROOT).json()
    assert caps_only == [{"chid": chid, "type": "onvif", "caps": info["caps"]}]
    (listed,) = app.get("/api/enum?what=channel&caps", auth=ROOT).json()
    assert listed["caps"] == info["caps"]
    with app.websocket_connect(
        "/wsapi/subscribeEvents?topics=channelStatus&verbose&auth=cm9vdDpyb290LXBhc3M="
    ) as ws:
        ws.receive_json()
        (snap,) = ws.receive_json()["channel"]
        assert snap["caps"] == info["caps"]


def test_ptz_commands(app: TestClient, device: SoapDevice) -> None:
    chid = add_camera(app, device.url)
    wait_ready(app, chid)
    ok = {"code": 0, "message": "Success"}
    assert ctl(app, f"ptz?ch={chid}&move=0.5,-0.25") == ok
    until(lambda: "move 0.5,-0.25," in device.moves)
    assert ctl(app, f"ptz?ch={chid}&move=-1") == ok
    until(lambda: "move -1.0,0.0," in device.moves)
    assert ctl(app, f"ptz?ch={chid}&zoom=0.5") == ok
    until(lambda: "move ,,0.5" in device.moves)
    assert ctl(app, f"ptz?ch={chid}&focus=-0.5") == ok
    until(lambda: "focus -0.5" in device.moves)
    assert ctl(app, f"ptz?ch={chid}&stop") == ok
    until(lambda: "stop" in device.moves and "focus stop" in device.moves)
    assert ctl(app, f"ptz?ch={chid}&move") == ok  # bare move = stop
    assert ctl(app, f"ptz?ch={chid}&home") == ok
    until(lambda: "home" in device.moves)
    assert ctl(app, f"ptz?ch={chid}&home&lang=es-ES")["message"] == "Correcto"
    for bad in ("move=2", "move=0.1,0.2,0.3", "move=x", "zoom=nan", "focus=inf", "zoom=-1.5"):
        assert ctl(app, f"ptz?ch={chid}&{bad}")["code"] == -8, bad
    assert ctl(app, f"ptz?ch={chid}&iris=0.5")["code"] == -2
    assert ctl(app, f"ptz?ch={chid}")["code"] == -7
    assert ctl(app, f"ptz?ch={chid}&home&stop")["code"] == -7
    assert ctl(app, "ptz?ch=99&home")["code"] == -5
    assert ctl(app, "ptz?ch=abc&home")["code"] == -5
    assert ctl(app, "ptz?home")["code"] == -5


def test_presets(app: TestClient, device: SoapDevice) -> None:
    chid = add_camera(app, device.url)
    wait_ready(app, chid)
    (listed,) = ctl(app, f"preset?ch={chid}&list")
    assert listed == {"chid": chid, "code": 0, "message": "Success",
                      "preset": [{"name": "Gate", "token": "1"}]}  # fmt: skip
    added = ctl(app, f"preset?ch={chid}&add&name=door")
    assert added["code"] == 0 and added["deviceResponseCode"] == 200 and added["name"] == "door"
    assert device.presets[added["token"]] == "door"
    fancy = "Sweet home ^^ 집"
    named = ctl(app, f"preset?ch={chid}&set={added['token']}&name={fancy}")
    assert (named["token"], named["name"], named["code"]) == (added["token"], fancy, 0)
    assert device.presets[added["token"]] == "door"  # the camera keeps its safe name
    (after,) = ctl(app, f"preset?ch={chid}&list")
    assert {"name": fancy, "token": added["token"]} in after["preset"]
    made = ctl(app, f"preset?ch={chid}&set=new1")  # unknown token: added as a new one
    assert made["code"] == 0 and made["token"] in device.presets and made["name"] == "new1"
    assert ctl(app, f"preset?ch={chid}&go={added['token']}")["code"] == 0
    until(lambda: f"preset {added['token']}" in device.moves)
    assert ctl(app, f"preset?ch={chid}&go=nosuch")["code"] == -6
    device.presets["77"] = "Added elsewhere"
    (stale,) = ctl(app, f"preset?ch={chid}&list")
    assert "77" not in {p["token"] for p in stale["preset"]}
    (fresh,) = ctl(app, f"preset?ch={chid}&reload")
    assert {"name": "Added elsewhere", "token": "77"} in fresh["preset"]
    removed = ctl(app, f"preset?ch={chid}&rm=77,{added['token']},gone")
    codes = {p["token"]: (p["code"], p["deviceResponseCode"]) for p in removed["preset"]}
    assert codes == {"77": (0, 200), added["token"]: (0, 200), "gone": (-9, 500)}
    assert "77" not in device.presets
    assert ctl(app, f"preset?ch={chid}")["code"] == -7
    assert ctl(app, f"preset?ch={chid}&add&name=" + "x" * 300)["code"] == -8
    assert ctl(app, "preset?ch=1,abc&list")["code"] == -5
    (missing,) = ctl(app, "preset?ch=42&list")
    assert missing["code"] == -5 and missing["preset"] == []


def test_relays_aux_and_reboot(app: TestClient, device: SoapDevice) -> None:
    chid = add_camera(app, device.url)
    wait_ready(app, chid)
    listed = ctl(app, f"relay?ls&ch={chid}")
    assert listed["code"] == 0
    assert listed["relay"] == [{"name": "relay-1", "token": "relay-1"},
                               {"name": "relay-2", "token": "relay-2"}]  # fmt: skip
    assert ctl(app, f"relay?ch={chid}&on=relay-1,relay-2&off=relay-1")["code"] == 0
    until(lambda: device.relay_state == {"relay-1": "active", "relay-2": "active"})
    assert ctl(app, f"relay?ch={chid}&off=relay-2")["code"] == 0
    until(lambda: device.relay_state["relay-2"] == "inactive")
    assert ctl(app, f"relay?ch={chid}&on=nosuch")["code"] == -6
    assert ctl(app, f"relay?ch={chid}")["code"] == -7
    assert ctl(app, f"aux?ch={chid}&on=0,1")["code"] == 0
    until(lambda: device.aux_sent[-2:] == ["tt:Wiper|On", "tt:IRLamp|On"])
    assert ctl(app, f"aux?ch={chid}&off=1")["code"] == 0
    until(lambda: device.aux_sent[-1] == "tt:IRLamp|Off")
    for bad in ("on=2", "on=-1", "on=x", "off="):
        assert ctl(app, f"aux?ch={chid}&{bad}")["code"] == -8, bad
    assert ctl(app, f"reboot?ch={chid}") == {"code": 0, "message": "Success"}
    until(lambda: device.reboots == 1)

    def device_log() -> list[dict[str, Any]]:
        data = app.get("/api/find?what=eventLog", auth=ROOT).json()["data"]
        found = [e for e in data if e["type"] == 3]
        return found if {e["code"] for e in found} >= {1, 3, 4} else []

    found = until(device_log)
    assert all(e["param"]["chid"] == chid for e in found)


def test_busy_device_answers_minus_four(app: TestClient, device: SoapDevice) -> None:
    device.delay["SetRelayOutputState"] = 0.5
    chid = add_camera(app, device.url)
    wait_ready(app, chid)
    for state in ("on", "off", "on", "off"):  # queued in order
        assert ctl(app, f"relay?ch={chid}&{state}=relay-1")["code"] == 0
    assert ctl(app, f"relay?ch={chid}&on=relay-2")["code"] == -4
    assert ctl(app, f"ptz?ch={chid}&move=0.1")["code"] == 0  # moves are never refused
    until(lambda: device.relay_state.get("relay-1") == "inactive" and
          len(device.operations()) and ctl(app, f"relay?ch={chid}&on=relay-2")["code"] == 0,
          10)  # fmt: skip
    until(lambda: device.relay_state.get("relay-2") == "active")
    states = [r.body for r in device.requests if r.operation == "SetRelayOutputState"]
    assert [("inactive" in b) for b in states[:4]] == [False, True, False, True]


def test_user_without_control_gets_minus_one(app: TestClient, device: SoapDevice) -> None:
    chid = add_camera(app, device.url)
    wait_ready(app, chid)
    viewer = ("viewer", "viewer-pass")
    for path in (f"ptz?ch={chid}&home", f"preset?ch={chid}&list", f"relay?ls&ch={chid}",
                 f"aux?ch={chid}&on=0", f"reboot?ch={chid}"):  # fmt: skip
        assert ctl(app, path, viewer) == {"code": -1, "message": "No user rights"}
    assert device.reboots == 0 and "home" not in device.moves
    assert app.get(f"/api/channel/info?ch={chid}", auth=viewer).status_code == 200
    app.cookies.clear()
    assert app.get("/api/channel/ptz?ch=1&home").status_code == 401


def test_channel_without_camera_answers_minus_two(app: TestClient) -> None:
    r = app.post("/api/channel", json=[{"source": "rtsp://127.0.0.1:9/x"}], auth=ROOT)
    chid = r.json()["added"][0]["chid"]
    for path in ("ptz?ch={}&home", "relay?ls&ch={}", "aux?ch={}&on=0", "reboot?ch={}",
                 "preset?ch={}&go=1"):  # fmt: skip
        assert ctl(app, path.format(chid))["code"] == -2
    (info,) = app.get(f"/api/channel/info?ch={chid}", auth=ROOT).json()
    assert info["type"] == "rtsp" and info["caps"]["pantilt"] is False and "onvif" not in info


def test_unreachable_camera(app: TestClient) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    chid = add_camera(app, f"onvif://127.0.0.1:{port}")
    info = until(
        lambda: (
            (i := app.get(f"/api/channel/info?ch={chid}", auth=ROOT).json()[0])["device"]["status"]
            == "unreachable"
            and i
        )
    )
    assert info["caps"]["pantilt"] is False and "onvif" not in info
    assert ctl(app, f"ptz?ch={chid}&home")["code"] == -3
    assert ctl(app, f"reboot?ch={chid}")["code"] == -3


def test_camera_gone_after_it_was_read(app: TestClient) -> None:
    device = SoapDevice().start()
    chid = add_camera(app, device.url)
    wait_ready(app, chid)
    device.stop()
    made = ctl(app, f"preset?ch={chid}&add&name=x")
    assert made["code"] == -3 and made["deviceResponseCode"] == 0
    assert ctl(app, f"ptz?ch={chid}&home")["code"] == 0  # sent; its failure is logged


@pytest.mark.parametrize(
    "kind", [{"clock_offset": 3600}, {"clock_offset": -3600}, {"http_digest": True}]
)
def test_clock_offset_and_http_digest(app: TestClient, kind: dict[str, Any]) -> None:
    with SoapDevice(**kind) as device:
        chid = add_camera(app, device.url)
        info = wait_ready(app, chid)
        offset = kind.get("clock_offset", 0)
        assert abs(info["device"]["clockOffset"] - offset) < 3
        assert ctl(app, f"relay?ch={chid}&on=relay-1")["code"] == 0
        until(lambda: device.relay_state.get("relay-1") == "active")
        added = ctl(app, f"preset?ch={chid}&add&name=door")
        assert added["code"] == 0 and added["token"] in device.presets


def test_wrong_password_is_a_device_error(app: TestClient, device: SoapDevice) -> None:
    chid = add_camera(app, device.url, password="wrong")
    info = until(
        lambda: (
            (i := app.get(f"/api/channel/info?ch={chid}", auth=ROOT).json()[0])["device"]["status"]
            == "unreachable"
            and i
        )
    )
    assert "onvif" not in info
    assert "secret" not in json.dumps(info) and "wrong" not in json.dumps(info)


def test_camera_motion_and_inputs_reach_a_websocket(app: TestClient, device: SoapDevice) -> None:
    chid = add_camera(app, device.url)
    wait_ready(app, chid)
    until(lambda: app.get(f"/api/channel/info?ch={chid}", auth=ROOT).json()[0]["device"]["events"])
    with app.websocket_connect(
        "/wsapi/subscribeEvents?topics=motionChanges,systemEvent&auth=cm9vdDpyb290LXBhc3M="
    ) as ws:
        ws.receive_json()
        snap = ws.receive_json()
        assert snap["topic"] == "motionChanges"
        device.push("tns1:VideoSource/MotionAlarm", {"State": "true"}, {"Source": "vs0"})
        got = ws.receive_json()
        while got["topic"] != "motionChanges":
            got = ws.receive_json()
        assert got["updated"] == [{"chid": chid, "motion": True}]
        device.push("tns1:Device/Trigger/DigitalInput", {"LogicalState": "true"},
                    {"InputToken": "input-1"})  # fmt: skip
        seen: list[dict[str, Any]] = []
        while not any(m.get("topic") == "systemEvent" and m["type"] == 3 for m in seen):
            seen.append(ws.receive_json())
        (logged,) = [m for m in seen if m.get("topic") == "systemEvent" and m["type"] == 3]
        assert logged["code"] == 5  # digital input
        assert logged["param"] == {"chid": chid, "input": "input-1", "active": True}
        device.push("tns1:RuleEngine/CellMotionDetector/Motion", {"IsMotion": "false"})
        got = ws.receive_json()
        while got["topic"] != "motionChanges":
            got = ws.receive_json()
        assert got["updated"] == [{"chid": chid, "motion": False}]

"""An ONVIF camera added by its device URL alone, against a real ONVIF implementation
(ipycam's device service, tests/support/ipycam_device.py) whose stream URIs point at a
real RTSP server: nvrd reads both streams from the camera, records the main one, and
moves the camera and its presets through the API. The nvrd server is a real process.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from onveef import AsyncOnvifClient

from tests.integration.recorder import (
    add_channel,
    admin,
    recording_server,
    wait_segments,
    wait_status,
)
from tests.support.cameras import FileCameraServer
from tests.support.ipycam_device import IpycamDevice

MAIN, SUB = "cam2.mp4?play_count=0", "cam1.mp4?play_count=0"


@pytest.fixture
def camera(file_camera: FileCameraServer) -> Iterator[IpycamDevice]:
    with IpycamDevice(file_camera.port, MAIN, SUB, "admin", "ipy-pass") as cam:
        yield cam


def ptz_status(cam: IpycamDevice) -> dict[str, Any]:
    async def run() -> dict[str, Any]:
        async with AsyncOnvifClient("127.0.0.1", cam.port, "admin", "ipy-pass") as c:
            return await c.ptz_get_status(profile_token="Profile_Main")

    return asyncio.run(run())


def until(check: Any, timeout: float = 10) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met")


def test_camera_by_device_url_records_main_and_moves(
    tmp_path: Path, file_camera: FileCameraServer, camera: IpycamDevice
) -> None:
    srv = recording_server(tmp_path, "[motion]\nenabled = false\n").start()
    try:
        item = {"name": "PTZ", "uid": "admin", "password": "ipy-pass",
                "device": {"url": camera.url}}  # fmt: skip
        chid = add_channel(srv, item)
        with admin(srv) as c:

            def ready() -> Any:
                (info,) = c.get(f"/api/channel/info?ch={chid}").json()
                return info if info["device"]["status"] == "ready" else None

            info = until(ready, 20)
            port = file_camera.port
            assert info["streams"]["main"]["uri"] == f"rtsp://127.0.0.1:{port}/{MAIN}"
            assert info["streams"]["sub"]["uri"] == f"rtsp://127.0.0.1:{port}/{SUB}"
            assert info["streams"]["main"]["size"] == [1280, 720]
            assert info["streams"]["sub"]["size"] == [640, 360]
            assert info["onvif"]["product"]["manufacturer"] == "PythonCam"
            caps = info["caps"]
            assert caps["pantilt"] and caps["zoom"] and caps["home"]
            assert caps["maxPreset"] == 10 and caps["relayOutputs"] == 0
            wait_status(srv, chid, {200}, 30)
            segs = wait_segments(srv, chid, 2, 40)
            assert segs[0].width == 1280 and segs[0].height == 720  # the main stream

            r = c.get(f"/api/channel/ptz?ch={chid}&move=1,0").json()
            assert r == {"code": 0, "message": "Success"}
            until(lambda: ptz_status(camera).get("pan", 0) > 0.05)
            assert c.get(f"/api/channel/ptz?ch={chid}&stop").json()["code"] == 0
            until(lambda: "MOVING" not in str(ptz_status(camera).get("move_status")).upper())
            assert c.get(f"/api/channel/ptz?ch={chid}&zoom=0.5").json()["code"] == 0
            until(lambda: ptz_status(camera).get("zoom", 0) > 0.01)
            assert c.get(f"/api/channel/ptz?ch={chid}&stop").json()["code"] == 0

            added = c.get(f"/api/channel/preset?ch={chid}&add&name=door").json()
            assert added["code"] == 0 and added["name"] == "door", added
            assert "door" in camera.saved_presets()
            (listed,) = c.get(f"/api/channel/preset?ch={chid}&list").json()
            assert {"name": "door", "token": added["token"]} in listed["preset"]
            assert c.get(f"/api/channel/ptz?ch={chid}&home").json()["code"] == 0
            until(lambda: abs(ptz_status(camera).get("pan", 1)) < 0.01)
            go = c.get(f"/api/channel/preset?ch={chid}&go={added['token']}").json()
            assert go["code"] == 0
            until(lambda: ptz_status(camera).get("pan", 0) > 0.05)
            # ipycam has no RemovePreset: the camera's refusal comes back per token
            (rm,) = c.get(f"/api/channel/preset?ch={chid}&rm={added['token']}").json()["preset"]
            assert rm["code"] in (-2, -9) and rm["token"] == added["token"]
            assert c.get(f"/api/channel/relay?ls&ch={chid}").json()["code"] == -2
    finally:
        srv.stop()

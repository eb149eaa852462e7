"""ONVIF cameras: command latency, time from adding a camera to recording, and the CPU
cost of following 16 cameras' events.

* Command latency: from the moment a client sends ``/api/channel/ptz?move=...`` to the
  moment the camera (the SOAP test device, a thread in this process) receives the
  SOAP request; baseline: the same ContinuousMove sent straight with the ONVIF
  library. p50/p99 over N commands, in one process, over httpx's ASGI transport.
* Add to recording: a real ``nvrd serve``; ``POST /api/channel`` with only
  ``device.url`` until the first recorded segment is indexed; baseline: the same
  RTSP stream added as a plain RTSP channel.
* Events: 16 cameras (SOAP test devices in a child process), each sending one
  motion event a second; CPU seconds of this process per wall second while the
  device manager follows them, against the same 16 subscriptions pulled by a bare
  loop of the library's calls.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from nvrd.app import create_app
from nvrd.config import load_settings
from nvrd.core.clock import SystemClock
from nvrd.core.deviceurl import parse_device_url
from nvrd.core.rights import ALL_RIGHTS
from nvrd.devices.client import Camera
from nvrd.devices.manager import DeviceManager
from nvrd.events.bus import EventBus
from nvrd.store.channels import Channel
from nvrd.store.db import Database
from nvrd.store.users import UserStore
from tests.integration.recorder import add_channel, recording_server, wait_segments
from tests.support.cameras import FileCameraServer
from tests.support.media import make_test_video
from tests.support.soap_device import SoapDevice

N = 300
CAMERAS = 16
EVENT_SECONDS = 20.0


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def _arrival(dev: SoapDevice, before: int) -> float:
    while True:
        moves = [r for r in dev.requests[before:] if r.operation == "ContinuousMove"]
        if moves:
            return moves[0].at
        await asyncio.sleep(0.0005)


async def _latency(dev: SoapDevice, send: Any) -> list[float]:
    out = []
    for i in range(N):
        before = len(dev.requests)
        start = time.monotonic()
        await send(i)
        out.append(await _arrival(dev, before) - start)
    return out


async def command_latency() -> tuple[list[float], list[float]]:
    with SoapDevice() as dev, tempfile.TemporaryDirectory() as tmp:
        cam = Camera(parse_device_url(dev.url), "admin", "secret")
        await cam.services()

        async def direct(i: int) -> None:
            await cam.onvif.ptz_continuous_move(
                profile_token="main", pan=(i % 10) / 10, tilt=0.0, zoom=None
            )

        base = await _latency(dev, direct)
        await cam.close()
        settings = load_settings(None, environ={}, flags={"data_dir": Path(tmp), "timezone": "UTC"})
        db = Database(settings.db_url)
        await db.open()
        await UserStore(db.engine).add("bench", "bench", ALL_RIGHTS, now_ms=0)
        await db.close()
        app = create_app(settings, announce=lambda _: None)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://nvrd", auth=("bench", "bench")
            ) as c:
                item = {"uid": "admin", "password": "secret", "device": {"url": dev.url}}
                chid = (await c.post("/api/channel", json=[item])).json()["added"][0]["chid"]
                while (await c.get(f"/api/channel/info?ch={chid}")).json()[0]["device"][
                    "status"
                ] != "ready":
                    await asyncio.sleep(0.05)

                async def via_api(i: int) -> None:
                    r = await c.get(f"/api/channel/ptz?ch={chid}&move={(i % 10) / 10 + 0.05}")
                    assert r.json()["code"] == 0

                ours = await _latency(dev, via_api)
    return ours, base


def add_to_recording(tmp: Path) -> tuple[float, float]:
    media = tmp / "media"
    media.mkdir()
    make_test_video(media / "cam.mp4", seconds=10, size="640x360", fps=25, gop=25, clock=True)
    with FileCameraServer(media) as rtsp:
        url = rtsp.url("cam.mp4")
        with SoapDevice(main_uri=url, sub_uri=url) as dev:
            (tmp / "srv").mkdir()
            srv = recording_server(tmp / "srv", "[motion]\nenabled = false\n").start()
            try:
                start = time.monotonic()
                chid = add_channel(srv, {"source": url})
                wait_segments(srv, chid, 1, 60)
                plain = time.monotonic() - start
                start = time.monotonic()
                item = {"uid": "admin", "password": "secret", "device": {"url": dev.url}}
                chid = add_channel(srv, item)
                wait_segments(srv, chid, 1, 60)
                onvif = time.monotonic() - start
            finally:
                srv.stop()
    return onvif, plain


def _cameras(conn: Any) -> None:
    devices = [SoapDevice().start() for _ in range(CAMERAS)]
    conn.send([d.port for d in devices])
    stop = time.monotonic() + EVENT_SECONDS * 2 + 30
    state = False
    while time.monotonic() < stop and not conn.poll(1.0):
        state = not state
        for d in devices:
            d.push("tns1:VideoSource/MotionAlarm", {"State": str(state).lower()})
    for d in devices:
        d.stop()


class _Sink:
    def __init__(self) -> None:
        self.changes = 0

    def set_external(self, chid: int, motion: bool | None) -> None:
        self.changes += 1


async def _cpu(run: Any) -> float:
    t0, c0 = time.monotonic(), time.process_time()
    await run()
    return (time.process_time() - c0) / (time.monotonic() - t0)


async def events_cpu(ports: list[int]) -> tuple[float, float, int]:
    async def bare() -> None:
        cams = [
            Camera(parse_device_url(f"onvif://127.0.0.1:{p}"), "admin", "secret") for p in ports
        ]
        subs = []
        for cam in cams:
            await cam.services()
            subs.append(str((await cam.onvif.events_create_pull_point())["subscription_url"]))

        async def loop(cam: Camera, url: str) -> None:
            while True:
                await cam.pull_messages(url, 10)

        tasks = [asyncio.create_task(loop(c, u)) for c, u in zip(cams, subs, strict=True)]
        await asyncio.sleep(EVENT_SECONDS)
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for cam in cams:
            await cam.close()

    sink = _Sink()

    async def managed() -> None:
        mgr = DeviceManager(EventBus(), SystemClock(), sink, 5.0, 10, True)
        mgr.start()
        for i, p in enumerate(ports, 1):
            doc = {"type": "onvif", "uid": "admin", "password": "secret",
                   "device": {"url": f"onvif://127.0.0.1:{p}"}}  # fmt: skip
            mgr.add(Channel(i, "", doc))
        await asyncio.sleep(EVENT_SECONDS)
        await mgr.stop()

    base = await _cpu(bare)
    ours = await _cpu(managed)
    return ours, base, sink.changes


def main() -> None:
    ours, base = asyncio.run(command_latency())
    print(f"   command latency (request -> SOAP request at the camera), {N} ptz moves")
    print(f"     nvrd API : p50 {_pct(ours, 0.5):6.2f} ms  p99 {_pct(ours, 0.99):6.2f} ms")
    print(f"     baseline : p50 {_pct(base, 0.5):6.2f} ms  p99 {_pct(base, 0.99):6.2f} ms")
    print(f"     ratio p50 {statistics.median(ours) / statistics.median(base):.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        onvif, plain = add_to_recording(Path(tmp))
    print("   add channel -> first recorded segment indexed")
    print(f"     ONVIF by device.url : {onvif:6.2f} s")
    print(f"     plain RTSP channel  : {plain:6.2f} s   ratio {onvif / plain:.2f}")
    parent, child = multiprocessing.Pipe()
    proc = multiprocessing.get_context("spawn").Process(target=_cameras, args=(child,))
    proc.start()
    ports = parent.recv()
    try:
        ours_cpu, base_cpu, changes = asyncio.run(events_cpu(ports))
    finally:
        parent.send("stop")
        proc.join(30)
    print(f"   events: {CAMERAS} cameras, one motion event/s each, {EVENT_SECONDS:g} s")
    print(f"     device manager : {ours_cpu * 100:5.2f} % of a core ({changes} motion changes)")
    print(
        f"     bare pull loop : {base_cpu * 100:5.2f} % of a core   ratio {ours_cpu / base_cpu:.2f}"
    )

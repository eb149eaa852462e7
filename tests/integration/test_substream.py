"""Sub streams of ONVIF cameras, against real parts: the live GStreamer camera serving
two streams (``/live`` 640x360 and ``/sub`` 320x180, two encoders of one scene) behind
ONVIF devices offering two profiles (ipycam's device service, and the SOAP device written
for the tests), a real ``nvrd serve`` process and real ffmpeg.

* the sub stream plays live (HLS playlist, init and part; the low-latency websocket),
  is listed by ``/api/vod?stream=sub``, ``staticSrc`` and ``videoStreamReady``'s ``src``;
* it is not recorded by default, and is with ``[recording] substream = true`` (indexed
  apart: ``/api/vod?stream=sub`` finds its files, the main search does not);
* ``substream: false`` on the channel leaves the camera's sub stream alone;
* motion is detected on the sub stream (the media service in-process).
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import httpx
import m3u8
import pytest

from nvrd.channels.status import StatusBoard
from nvrd.config import load_settings
from nvrd.core.channelspec import ChannelSpec
from nvrd.core.clock import SystemClock
from nvrd.core.video import resolution_label
from nvrd.events.bus import EventBus
from nvrd.events.types import MotionChanged
from nvrd.media.service import MediaService
from nvrd.store.channels import Channel
from nvrd.store.db import Database
from nvrd.store.recordings import RecordingIndex, Segment
from nvrd.store.recsearch import RecordingSearch
from tests.conftest import b64, make_settings
from tests.e2e.events_client import Subscriber, events_url
from tests.e2e.server import ServerProcess, nvrd
from tests.integration.live_client import ws_receive
from tests.integration.recorder import add_channel, admin, recording_server, wait_status
from tests.integration.test_motion import wait_connected, wait_motion
from tests.support.cameras import LiveCameraServer, live_camera_unavailable
from tests.support.ipycam_device import IpycamDevice
from tests.support.soap_device import SoapDevice

USER, PASSWORD = "admin", "ipy-pass"
#: The last ten minutes and the next fifty (a recorded-video search over this test's files).
RECENT = "when=" + time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 600))
RECENT += "&duration=1h&limit=50"


@pytest.fixture
def two_stream_camera() -> Iterator[LiveCameraServer]:
    reason = live_camera_unavailable()
    if reason is not None:
        pytest.skip(f"live camera unavailable: {reason}")
    with LiveCameraServer(USER, PASSWORD, size="640x360", sub_size="320x180") as cam:
        yield cam


def until(check: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.2)
    raise AssertionError(f"{what}: not within {timeout} s")


def stream_segments(srv: ServerProcess, chid: int, stream: str) -> list[Segment]:
    settings = load_settings(srv.config, environ={})

    async def run() -> list[Segment]:
        db = Database(settings.db_url)
        try:
            search = RecordingSearch(db.engine)
            return await search.overlapping(chid, 0, 2**62, 10_000, stream)
        finally:
            await db.close()

    return asyncio.run(run())


def picture_size(init: bytes, part: bytes) -> tuple[int, int]:
    with av.open(io.BytesIO(init + part)) as f:
        s = f.streams.video[0]
        return s.codec_context.width, s.codec_context.height


def play_hls(c: httpx.Client, chid: int, stream: str) -> tuple[int, int]:
    """Fetch the stream's playlist until it has a part, then its init and newest part;
    the size of the pictures in them."""
    path = f"/hls/ch{chid}{stream}"

    def playlist() -> Any:
        r = c.get(f"{path}/index.m3u8")
        if r.status_code != 200:
            return None
        pl = m3u8.loads(r.text)
        return pl if pl.segments else None

    pl = until(playlist, 30, f"{stream} HLS playlist")
    init = c.get(f"{path}/init.mp4")
    part = c.get(f"{path}/{pl.segments[-1].uri}")
    assert init.status_code == part.status_code == 200
    assert part.headers["content-type"] == "video/iso.segment" and len(part.content) > 100
    return picture_size(init.content, part.content)


def test_ipycam_sub_stream_plays_live_and_is_not_recorded(
    tmp_path: Path, two_stream_camera: LiveCameraServer
) -> None:
    cam = two_stream_camera
    with IpycamDevice(cam.port, "live", "sub", USER, PASSWORD) as device:
        srv = recording_server(tmp_path, "[motion]\nenabled = false\n").start()
        try:
            item = {"name": "two", "uid": USER, "password": PASSWORD, "device": {"url": device.url}}
            url = events_url(srv, "topics=channelStatus")
            with Subscriber(url) as events:
                chid = add_channel(srv, item)
                ready = events.wait(lambda m: m.get("event") == "videoStreamReady", 60)
            assert {s["profile"] for s in ready["src"]} == {"main", "sub"}
            one = add_channel(srv, {**item, "name": "main only", "substream": False})
            wait_status(srv, chid, {200}, 30)
            with admin(srv) as c:
                assert play_hls(c, chid, "sub") == (320, 180)
                assert play_hls(c, chid, "main") == (640, 360)

                def sub_sources() -> Any:
                    (entry,) = c.get(f"/api/vod?ch={chid}&stream=sub").json()
                    sized = [s for s in entry["src"] if s["size"] == [320, 180]]
                    return entry["src"] if len(sized) == 2 else None

                src = until(sub_sources, 20, "sized sub sources")
                assert {s["protocol"] for s in src} == {"hls", "ws"}
                assert {s["profile"] for s in src} == {"sub"}
                hls = next(s for s in src if s["protocol"] == "hls")
                assert hls["src"] == f"{srv.url}/hls/ch{chid}sub/index.m3u8"
                assert hls["label"] == resolution_label(180)
                static = c.get("/api/enum?what=channel&staticSrc").json()
                profiles = {i["chid"]: {s["profile"] for s in i["src"]} for i in static}
                assert profiles[chid] == {"main", "sub"}
                wait_status(srv, one, {200}, 30)
                # read again: the list above may be from before that channel started
                static = c.get("/api/enum?what=channel&staticSrc").json()
                profiles = {i["chid"]: {s["profile"] for s in i["src"]} for i in static}
                assert profiles.get(one, {"main"}) == {"main"}
                (plain,) = c.get(f"/api/vod?ch={one}&stream=sub").json()
                assert plain["src"] == []
                assert c.get(f"/hls/ch{one}sub/index.m3u8").status_code == 404

                auth = b64("admin", srv.admin_password())
                ws = srv.url.replace("http", "ws") + f"/wsapi/live?ch={chid}&auth={auth}"
                got = asyncio.run(ws_receive(f"{ws}&stream=sub", 4, max_fragments=30))
                assert got.header["width"] == 320 and got.header["height"] == 180
                assert len(got.fragments) >= 10
                bad = asyncio.run(ws_receive(f"{ws}&stream=third", 3))
                assert bad.close_code == 4404

                # recording of the sub stream is off by default: only main files
                until(lambda: len(stream_segments(srv, chid, "main")) >= 2, 40, "main files")
                assert stream_segments(srv, chid, "sub") == []
                rec_root = srv.tmp / "data" / "recordings"
                assert not (rec_root / f"ch{chid}sub").exists()
                main = c.get(f"/api/vod?ch={chid}&{RECENT}")
                assert main.status_code == 200 and main.json()
                assert all(i["src"][0]["size"] == [640, 360] for i in main.json())
                q = f"/api/vod?ch={chid}&{RECENT}&stream=sub"
                assert c.get(q).json() == []
                assert c.get(q.replace("=sub", "=side")).status_code == 400
        finally:
            srv.stop()


def test_sub_stream_recorded_when_configured(
    tmp_path: Path, two_stream_camera: LiveCameraServer
) -> None:
    cam = two_stream_camera
    device = SoapDevice(
        user=USER,
        password=PASSWORD,
        main_uri=cam.url("live", anonymous=True),
        sub_uri=cam.url("sub", anonymous=True),
    )
    with device:
        extra = "substream = true\n[motion]\nenabled = false\n[onvif]\nevents = false\n"
        srv = recording_server(tmp_path, extra).start()
        try:
            item = {"uid": USER, "password": PASSWORD, "device": {"url": device.url}}
            chid = add_channel(srv, item)
            wait_status(srv, chid, {200}, 40)

            def two_sub_files() -> list[Segment] | None:
                found = stream_segments(srv, chid, "sub")
                return found[:2] if len(found) >= 2 else None

            subs = until(two_sub_files, 40, "sub files")
            assert all((s.width, s.height, s.stream) == (320, 180, "sub") for s in subs)
            assert all(s.rel_path.startswith(f"ch{chid}sub/") for s in subs)
            mains = until(lambda: stream_segments(srv, chid, "main"), 20, "main files")
            assert all((s.width, s.height) == (640, 360) for s in mains)
            with admin(srv) as c:
                q = f"/api/vod?ch={chid}&{RECENT}"
                found = c.get(q + "&stream=sub").json()
                assert {i["fileId"] for i in found} >= {s.file_id for s in subs}
                assert all(i["src"][0]["size"] == [320, 180] for i in found)
                sub_file = c.get(found[0]["src"][0]["src"])
                assert sub_file.status_code == 200 and len(sub_file.content) > 1000
                main_ids = {i["fileId"] for i in c.get(q).json()}
                assert main_ids and not main_ids & {i["fileId"] for i in found}
                nxt = c.get(f"/api/vod?ch={chid}&id={subs[0].file_id}&next").json()
                assert nxt and nxt[0]["src"][0]["size"] == [320, 180]  # next within sub
        finally:
            srv.stop()
    # a clean stop leaves the index equal to the disk, sub stream included
    check = nvrd("check", "--config", str(srv.config))
    assert check.returncode == 0, check.stdout + check.stderr
    assert "0 problem(s) found" in check.stdout


async def test_motion_on_the_sub_stream(
    tmp_path: Path, two_stream_camera: LiveCameraServer
) -> None:
    """The frame source decodes the sub stream, and motion follows the scene on it."""
    cam = two_stream_camera
    cam.set_scene("still")
    settings = make_settings(
        tmp_path,
        recording={"segment_seconds": 2, "min_free_mb": 0, "shed_load": False},
        live={"hls": False, "lowlatency": False},
        motion={"hold_seconds": 2.0},
    )
    db = Database(settings.db_url)
    await db.open()

    def sub(chid: int, spec: ChannelSpec) -> ChannelSpec:
        return dataclasses.replace(spec, source=cam.url("sub"))

    svc = MediaService(
        settings, RecordingIndex(db.engine), StatusBoard(), EventBus(), SystemClock(),
        resolve_sub=sub,
    )  # fmt: skip
    try:
        events = svc.bus.subscribe([MotionChanged], name="test")
        await svc.start([Channel(1, "cam", {"source": cam.url("live")})])
        await wait_connected(svc.board, 1, 20)
        await wait_connected(svc.sub_board, 1, 20)
        assert svc.frames[1].hub is svc.sub_hubs[1]
        await asyncio.sleep(3)
        cam.set_scene("moving")
        await wait_motion(events, 1, True, 10)
        stats = svc.frames[1].stats()
        assert stats.decoding and stats.frames > 0
        assert svc.sub_hubs[1].width == 320  # the pictures came from the sub stream
        cam.set_scene("still")
        await wait_motion(events, 1, False, 12)
        # the sub stream goes away: motion moves back to the main stream, and works there
        starts = svc.frames[1].stats().decoder_starts
        await svc.remove_sub(1)
        assert svc.frames[1].hub is svc.hubs[1]
        cam.set_scene("moving")
        await wait_motion(events, 1, True, 12)
        assert svc.frames[1].stats().decoder_starts > starts  # a decoder of the main stream
    finally:
        await svc.stop()
        await db.close()

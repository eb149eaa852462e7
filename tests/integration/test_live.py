"""Live video from a real server: the WebSocket stream, HLS, sources, slow viewers, latency."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Iterator
from pathlib import Path

import av
import httpx
import m3u8
import pytest

from nvrd.media.service import default_ffmpeg
from tests.conftest import b64
from tests.e2e.server import ServerProcess
from tests.integration.live_client import DirectClient, extra_latency, ws_receive
from tests.integration.recorder import add_channel, admin, recording_server, wait_status
from tests.support.cameras import LiveCameraServer


@pytest.fixture
def live_server(tmp_path: Path, media_dir: Path) -> Iterator[tuple[ServerProcess, int]]:
    srv = recording_server(tmp_path, "[live]\nviewer_queue = 30\n").start()
    chid = add_channel(srv, {"name": "Live", "source": str(media_dir / "cam2.mp4")})
    wait_status(srv, chid, {200}, 20)
    yield srv, chid
    srv.stop()


def ws_url(srv: ServerProcess, chid: int) -> str:
    auth = b64("admin", srv.admin_password())
    return srv.url.replace("http", "ws") + f"/wsapi/live?ch={chid}&auth={auth}"


def test_ws_stream_decodes(live_server: tuple[ServerProcess, int], tmp_path: Path) -> None:
    srv, chid = live_server
    got = asyncio.run(ws_receive(ws_url(srv, chid), 6, max_fragments=60))
    assert got.header["type"] == "init" and got.header["width"] == 1280
    assert str(got.header["mime"]).startswith('video/mp4; codecs="avc1.')
    assert len(got.fragments) == 60
    out = tmp_path / "live.mp4"
    out.write_bytes(got.init + b"".join(got.fragments))
    with av.open(str(out)) as container:
        frames = [f for f in container.decode(video=0)]
    assert len(frames) >= 55 and frames[0].width == 1280 and frames[0].key_frame


def test_ws_needs_credentials_and_a_channel(live_server: tuple[ServerProcess, int]) -> None:
    srv, chid = live_server
    base = srv.url.replace("http", "ws") + "/wsapi/live"
    assert asyncio.run(ws_receive(f"{base}?ch={chid}", 3)).close_code == 4401
    bad = b64("admin", "wrong")
    assert asyncio.run(ws_receive(f"{base}?ch={chid}&auth={bad}", 3)).close_code == 4401
    good = b64("admin", srv.admin_password())
    assert asyncio.run(ws_receive(f"{base}?ch=99&auth={good}", 3)).close_code == 4404
    assert asyncio.run(ws_receive(f"{base}?ch=x&auth={good}", 3)).close_code == 4400


@pytest.mark.serial
def test_slow_viewer_is_dropped_without_delaying_a_fast_one(
    live_server: tuple[ServerProcess, int],
) -> None:
    import websockets

    srv, chid = live_server
    url = ws_url(srv, chid)

    async def run() -> tuple[int | None, list[float]]:
        slow = await websockets.connect(url, max_size=None, max_queue=1)
        slow.transport.pause_reading()  # the slow viewer stops reading at once
        gaps: list[float] = []
        last = None
        async with websockets.connect(url, max_size=None) as fast:
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                await asyncio.wait_for(fast.recv(), 5)
                now = time.monotonic()
                if last is not None:
                    gaps.append(now - last)
                last = now
        slow.transport.resume_reading()
        try:
            while True:
                await asyncio.wait_for(slow.recv(), 5)
        except websockets.ConnectionClosed as exc:
            code = exc.rcvd.code if exc.rcvd is not None else 1006
        except TimeoutError:
            code = None
        await slow.close()
        return code, gaps

    close_code, gaps = asyncio.run(run())
    assert close_code in (4408, 1006)  # told it was too slow, or cut off when stuck
    assert len(gaps) > 200 and max(gaps) < 1.0  # the fast viewer never waited for the slow one
    assert "slow live viewer dropped" in srv.stderr() or "live viewer stuck" in srv.stderr()


def test_hls_playlist_is_valid_and_needs_auth(live_server: tuple[ServerProcess, int]) -> None:
    srv, chid = live_server
    path = f"/hls/ch{chid}main/index.m3u8"
    assert httpx.get(srv.url + path).status_code == 401
    with admin(srv) as c:
        deadline = time.monotonic() + 15
        while True:  # parts are listed once whole: two of them take two GOPs (4 s here)
            r = c.get(path)
            if r.status_code == 200 and len(m3u8.loads(r.text).segments) >= 2:
                break
            assert time.monotonic() < deadline, f"no two HLS parts: {r.status_code} {r.text}"
            time.sleep(0.5)
        assert r.headers["content-type"].startswith("application/vnd.apple.mpegurl")
        playlist = m3u8.loads(r.text)
        assert playlist.is_endlist is False
        assert playlist.target_duration is not None and playlist.target_duration <= 2
        assert len(playlist.segments) >= 2
        init_section = playlist.segments[0].init_section
        assert init_section is not None and init_section.uri == "init.mp4"
        init = c.get(f"/hls/ch{chid}main/init.mp4")
        seg = c.get(f"/hls/ch{chid}main/{playlist.segments[-1].uri}")
        assert init.status_code == seg.status_code == 200
        for bad in ("../index.m3u8", "evil.sh", "seg_x.m4s"):
            assert c.get(f"/hls/ch{chid}main/{bad}").status_code == 404
        assert c.get("/hls/ch99main/index.m3u8").status_code == 404
        sources = c.get(f"/api/vod?ch={chid}").json()[0]["src"]
        assert {s["protocol"] for s in sources} == {"hls", "ws"}
        hls = next(s for s in sources if s["protocol"] == "hls")
        assert hls["src"] == srv.url + path and hls["size"] == [1280, 720]
        assert hls["label"] == "720p HD" and hls["type"] == "application/x-mpegurl"
        ws = next(s for s in sources if s["protocol"] == "ws")
        assert ws["src"].startswith(srv.url.replace("http", "ws") + "/wsapi/live?ch=")
        only = c.get(f"/api/vod?ch={chid}&protocol=hls").json()[0]["src"]
        assert [s["protocol"] for s in only] == ["hls"]
        assert c.get(f"/api/vod?ch={chid}&stream=sub").json()[0]["src"] == []
        static = c.get("/api/enum?what=channel&staticSrc").json()[0]["src"]
        assert static == sources
    out = srv.tmp / "hls.mp4"
    out.write_bytes(init.content + seg.content)
    with av.open(str(out)) as container:
        assert sum(1 for _ in container.decode(video=0)) >= 20


@pytest.mark.serial
def test_ws_latency_against_a_direct_client(tmp_path: Path, live_camera: LiveCameraServer) -> None:
    srv = recording_server(tmp_path).start()
    direct = None
    try:
        chid = add_channel(
            srv,
            {"source": live_camera.url(anonymous=True), "uid": "cam", "password": "secret"},
        )
        wait_status(srv, chid, {200}, 20)
        direct = DirectClient(default_ffmpeg(), live_camera.url())
        time.sleep(1)
        got = asyncio.run(ws_receive(ws_url(srv, chid), 6))
    finally:
        if direct is not None:
            direct.stop()
        srv.stop()
    delays = extra_latency(direct.arrivals, got.arrivals)
    assert len(delays) >= 50, "frames could not be matched between the two paths"
    median = statistics.median(delays)
    print(
        f"extra latency through nvrd: median {median * 1000:.0f} ms, max {delays[-1] * 1000:.0f} ms"
    )
    assert median < 0.5  # loose here; the benchmark measures it precisely

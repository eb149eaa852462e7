"""The frame source with a real decoder (ffmpeg) fed by a real live stream through a hub."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from nvrd.core.clock import SystemClock
from nvrd.core.supervisor import Supervisor
from nvrd.media.ffargs import per_frame_fmp4_output
from nvrd.media.frames.source import FrameSource
from nvrd.media.frames.spec import FrameSpec, decoder_args, keyframes_only
from nvrd.media.live.fmp4 import BoxSplitter
from nvrd.media.live.hub import LiveHub
from nvrd.media.service import default_ffmpeg
from nvrd.media.testpattern import make_pattern_video

SECONDS, FPS, GOP = 4, 25, 25


@pytest.fixture(scope="module")
def live_stream(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    folder = tmp_path_factory.mktemp("frames")
    src = make_pattern_video(
        default_ffmpeg(), folder / "src.mp4", seconds=SECONDS, size="320x180", gop=GOP, clock=False
    )
    out = folder / "live.mp4"
    argv = [default_ffmpeg(), "-loglevel", "error", "-i", str(src)]
    subprocess.run([*argv, *per_frame_fmp4_output(str(out))], check=True)
    return out.read_bytes()


async def play(hub: LiveHub, stream: bytes, speed: float = 4.0) -> None:
    """Feed the stream to the hub piece by piece at ``speed`` times real time."""
    pieces = BoxSplitter().feed(stream)
    hub.start_stream()
    for p in pieces:
        hub._on_piece(p)  # the hub's own path for a piece, as feed() takes it
        for tap in hub.taps:
            tap(p)
        if p.kind == "fragment":
            await asyncio.sleep(1 / FPS / speed)


async def wait_for(cond: Callable[[], object], seconds: float = 10) -> None:
    for _ in range(int(seconds * 100)):
        if cond():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not met")


def test_decoder_argv() -> None:
    key = FrameSpec(64, 36)
    plate = FrameSpec(1280, 720, 5, "rgb24")
    argv = decoder_args("ff", [key], [7])
    text = " ".join(argv)
    assert "-skip_frame nokey -skip_loop_filter all" in text
    assert argv.index("-skip_frame") < argv.index("-i")
    assert "[0:v]split=1[s0];[s0]scale=64:36:flags=area,format=gray[o0]" in text
    assert text.endswith(
        "-map [o0] -fps_mode passthrough -threads 1 -f rawvideo -flush_packets 1 pipe:7"
    )
    both = " ".join(decoder_args("ff", [key, plate], [7, 8]))
    assert "-skip_frame" not in both  # 5 fps needs every frame decoded
    assert "[s1]select='isnan(prev_selected_t)+gte(t-prev_selected_t,0.2)',scale=1280:720" in both
    assert not keyframes_only([key, plate]) and keyframes_only([key])
    assert plate.frame_size == 1280 * 720 * 3 and FrameSpec(4, 2, None, "yuv420p").frame_size == 12
    for bad in ((1, 1), (9000, 10)):
        with pytest.raises(ValueError):
            FrameSpec(*bad)
    with pytest.raises(ValueError):
        FrameSpec(64, 36, 0)
    with pytest.raises(ValueError):
        decoder_args("ff", [key], [])


async def test_keyframes_are_decoded_only_while_someone_subscribes(live_stream: bytes) -> None:
    clock = SystemClock()
    hub = LiveHub(1)
    source = FrameSource(1, hub, default_ffmpeg(), clock, Supervisor(clock))
    await play(hub, live_stream[: len(live_stream) // 4])
    assert source.stats().decoder_starts == 0 and source.stats().fed_fragments == 0
    got: list[bytes] = []
    sub = source.subscribe(FrameSpec(32, 18), on_frame=lambda f: got.append(f.data))
    await play(hub, live_stream)
    await wait_for(lambda: len(got) >= SECONDS * FPS // GOP)
    st = source.stats()
    assert st.decoding and st.decoder_starts >= 1 and st.specs == [FrameSpec(32, 18)]
    assert st.fed_fragments <= SECONDS * FPS // GOP + 2  # keyframes only
    assert all(len(p) == 32 * 18 for p in got) and st.dropped_fragments == 0
    sub.close()
    await wait_for(lambda: not source.stats().decoding)
    assert source.stats().cpu_seconds >= 0
    await source.close()


async def test_a_frame_rate_and_a_slow_subscriber_that_drops(live_stream: bytes) -> None:
    clock = SystemClock()
    hub = LiveHub(1)
    source = FrameSource(1, hub, default_ffmpeg(), clock, Supervisor(clock))
    await play(hub, live_stream[:2000])  # the init segment: decoding can start
    slow = source.subscribe(FrameSpec(160, 90, 5, "rgb24"), maxsize=2)
    await wait_for(lambda: source.stats().decoding)
    await play(hub, live_stream)
    await wait_for(lambda: slow.received >= 4 * 5 - 2)
    st = source.stats()
    assert st.fed_fragments >= SECONDS * FPS - 5  # every frame decoded for 5 fps
    assert slow.dropped == slow.received - 2  # it never took one: only the newest 2 kept
    frame = await slow.next()
    assert frame is not None and len(frame.data) == 160 * 90 * 3
    await source.close()
    assert await slow.next() is not None and await slow.next() is None


async def test_a_decoder_that_cannot_decode_is_reported(tmp_path: Path) -> None:
    clock = SystemClock()
    hub = LiveHub(1)
    errors: list[str] = []
    sup = Supervisor(clock, lambda name, exc, n: errors.append(name))
    source = FrameSource(1, hub, str(tmp_path / "no-ffmpeg"), clock, sup)
    hub.init = b"\x00\x00\x00\x08ftyp"  # a stream has started
    source.subscribe(FrameSpec(32, 18))
    await wait_for(lambda: len(errors) >= 1)
    assert errors[0] == "frames-ch1"
    await source.close()

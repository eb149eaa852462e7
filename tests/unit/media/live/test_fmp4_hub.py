"""Live fMP4 splitting (on a real ffmpeg-made stream) and the hub's fan-out rules."""

from __future__ import annotations

import asyncio
import json
import random
import re
import subprocess

import pytest

from nvrd.core.clock import FakeClock
from nvrd.media.ffargs import per_frame_fmp4_output
from nvrd.media.live.fmp4 import (
    BoxSplitter,
    Piece,
    codec_string,
    decode_time,
    is_keyframe,
    timescale,
    video_size,
)
from nvrd.media.live.hub import LiveHub
from nvrd.media.service import default_ffmpeg
from nvrd.media.testpattern import make_pattern_video


@pytest.fixture(scope="module")
def live_stream(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    folder = tmp_path_factory.mktemp("fmp4")
    src = make_pattern_video(
        default_ffmpeg(), folder / "src.mp4", seconds=3, size="320x180", gop=10, clock=False
    )
    out = folder / "live.mp4"
    argv = [default_ffmpeg(), "-loglevel", "error", "-i", str(src)]
    subprocess.run([*argv, *per_frame_fmp4_output(str(out))], check=True)
    return out.read_bytes()


def split(data: bytes, chunk: int | None = None) -> list[Piece]:
    sp = BoxSplitter()
    if chunk is None:
        return sp.feed(data)
    rnd = random.Random(chunk)
    pieces: list[Piece] = []
    pos = 0
    while pos < len(data):
        n = rnd.randint(1, chunk)
        pieces += sp.feed(data[pos : pos + n])
        pos += n
    return pieces


def test_split_init_and_one_fragment_per_frame(live_stream: bytes) -> None:
    pieces = split(live_stream)
    assert pieces[0].kind == "init"
    frags = [p for p in pieces if p.kind == "fragment"]
    assert len(frags) == 75  # 3 s at 25 fps
    assert [i for i, f in enumerate(frags) if f.keyframe] == list(range(0, 75, 10))
    assert re.fullmatch(r"avc1\.[0-9a-f]{6}", codec_string(pieces[0].data))
    assert video_size(pieces[0].data) == (320, 180)


@pytest.mark.parametrize("chunk", [1, 7, 1000, 65536])
def test_split_is_independent_of_chunking(live_stream: bytes, chunk: int) -> None:
    assert [p.data for p in split(live_stream, chunk)] == [p.data for p in split(live_stream)]


def test_keyframe_flag_on_other_layouts() -> None:
    # A moof with tfhd default_sample_flags only (no trun flags): non-sync by default.
    tfhd = (16 + 4).to_bytes(4, "big") + b"tfhd" + bytes([0, 0, 0, 0x20]) + (1).to_bytes(4, "big")
    tfhd += (0x00010000).to_bytes(4, "big")
    tfhd = len(tfhd).to_bytes(4, "big") + tfhd[4:]
    traf = (8 + len(tfhd)).to_bytes(4, "big") + b"traf" + tfhd
    moof = (8 + len(traf)).to_bytes(4, "big") + b"moof" + traf
    assert is_keyframe(moof) is False
    assert is_keyframe(b"\x00\x00\x00\x08moof") is False


def test_fragments_carry_their_media_time(live_stream: bytes) -> None:
    pieces = split(live_stream)
    scale = timescale(pieces[0].data)
    assert scale > 0
    times = [decode_time(p.data) for p in pieces[1:]]
    assert all(t is not None for t in times)
    ms = [t * 1000 // scale for t in times if t is not None]
    assert ms[0] == 0 and ms == sorted(ms) and ms[-1] == 2960  # 75 frames at 40 ms
    assert decode_time(b"\x00\x00\x00\x08moof") is None and timescale(b"") == 0


def test_hub_anchors_the_stream_on_the_earliest_arrival(live_stream: bytes) -> None:
    """Media time 0 on the wall clock: the smallest arrival minus media time (a fragment
    that comes late does not move it; a new stream starts a new anchor)."""
    clock = FakeClock()
    hub = LiveHub(1, clock=clock)
    pieces = split(live_stream)
    start = clock.now_ms()
    assert hub.anchor_ms() is None
    hub.feed(pieces[0].data)
    for i, p in enumerate(pieces[1:20]):
        clock.advance(0.040 if i else 0.5)  # the first fragment came 500 ms after the start
        if i == 10:
            clock.advance(0.3)  # a late burst
        hub.feed(p.data)
    assert hub.anchor_ms() == start + 500
    hub.end_stream(408)
    clock.advance(10)
    hub.feed(pieces[0].data)
    hub.feed(pieces[1].data)
    assert hub.anchor_ms() == start + 500 + 18 * 40 + 300 + 10_000


def test_corrupt_stream_is_refused() -> None:
    with pytest.raises(ValueError):
        BoxSplitter().feed(b"\x00\x00\x00\x02junk")


async def test_hub_gives_new_viewers_init_and_gop(live_stream: bytes) -> None:
    hub = LiveHub(1, viewer_queue=500)
    hub.start_stream()
    hub.feed(live_stream[: len(live_stream) // 2])
    assert hub.live and hub.codec.startswith("avc1") and (hub.width, hub.height) == (320, 180)
    viewer = hub.subscribe()
    header = await viewer.get()
    assert isinstance(header, str) and json.loads(header)["type"] == "init"
    assert await viewer.get() == hub.init
    first = await viewer.get()
    assert isinstance(first, bytes) and is_keyframe(first[: int.from_bytes(first[:4], "big")])
    hub.end_stream(408)
    msgs = [await viewer.get() for _ in range(viewer._queue.qsize())]
    assert json.loads(msgs[-1]) == {"type": "status", "chid": 1, "code": 408}  # type: ignore[arg-type]
    assert not hub.live


async def test_slow_viewer_is_dropped_fast_one_is_not(live_stream: bytes) -> None:
    hub = LiveHub(1, viewer_queue=20)
    hub.start_stream()
    slow = hub.subscribe("slow")
    fast = hub.subscribe("fast")
    received = 0
    pieces = split(live_stream, 4096)
    sp_data = live_stream
    pos = 0
    while pos < len(sp_data):
        hub.feed(sp_data[pos : pos + 4096])
        pos += 4096
        while fast._queue.qsize():
            await fast.get()
            received += 1
        await asyncio.sleep(0)
    assert slow.dropped and not fast.dropped
    assert hub.viewer_count == 1
    assert received == len(pieces) + 1  # every piece plus the init header


def test_hls_parts_are_cut_at_keyframes_with_exact_durations(live_stream: bytes) -> None:
    from nvrd.core.clock import FakeClock
    from nvrd.media.live.hls import HlsWindow, decode_time, timescale

    clock = FakeClock()
    window = HlsWindow(target_seconds=0.9, keep=2)
    hub = LiveHub(1, hls=window, clock=clock)
    assert window.playlist() is None
    for i in range(0, len(live_stream), 5000):
        hub.feed(live_stream[i : i + 5000])
        clock.advance(0.01)
    assert window.init is not None and timescale(window.init) > 0
    # 3 s, a keyframe every 0.4 s: a part ends at the first keyframe >= 0.9 s in (1.2 s);
    # the open part (the last second) is not listed, and only the newest 2 are kept
    assert [p.seq for p in window.parts] == [0, 1]
    assert [round(p.duration, 6) for p in window.parts] == [1.2, 1.2]
    text = window.playlist()
    assert text is not None
    lines = text.splitlines()
    assert lines[:4] == [
        "#EXTM3U",
        "#EXT-X-VERSION:7",
        "#EXT-X-TARGETDURATION:1",
        "#EXT-X-MEDIA-SEQUENCE:0",
    ]
    assert '#EXT-X-MAP:URI="init.mp4"' in lines and "seg_000001.m4s" in lines
    part = window.part(1)
    assert part is not None and window.part(7) is None
    first = split(part)
    assert all(p.kind == "fragment" for p in first) and first[0].keyframe
    assert decode_time(first[0].data) is not None
    hub.end_stream(0)
    assert window.playlist() is None and window.part(1) is None

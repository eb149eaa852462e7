"""What is inside a recorded segment, read with PyAV (blocking; call from a thread)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av

#: Demuxer options that keep the stream probe from reading and decoding frames (an MP4 names
#: its codec and size in its header): a 60 s 1080p segment then opens in about 8 ms, not 33.
QUICK = {"probesize": "32", "analyzeduration": "0"}


@dataclass(frozen=True)
class MediaInfo:
    codec: str
    width: int
    height: int
    duration_ms: int  # from the first packet's start to the last packet's end
    frame_ms: int = 0  # one frame at the stream's average rate (0: unknown)


def probe(path: Path, count_packets: bool = True) -> MediaInfo:
    """Codec and size of the first video stream, and the media duration.

    The duration is measured from the packets (not trusted from headers),
    so a segment cut short by a crash reports what it really holds.
    The codec and size come from the file's sample description; nothing is
    decoded to find them (:data:`QUICK`).
    """
    with av.open(str(path), options=QUICK) as container:
        stream = container.streams.video[0]
        codec = stream.codec_context.name or ""
        width = int(stream.codec_context.width or 0)
        height = int(stream.codec_context.height or 0)
        duration_ms = 0
        rate = stream.average_rate or stream.guessed_rate
        frame_ms = round(1000 / float(rate)) if rate else 0
        if count_packets:
            tb = stream.time_base
            first: int | None = None
            last_end = 0
            for packet in container.demux(stream):
                if packet.pts is None:
                    continue
                end = packet.pts + (packet.duration or 0)
                first = packet.pts if first is None else min(first, packet.pts)
                last_end = max(last_end, end)
            if first is not None and tb is not None:
                duration_ms = round(float((last_end - first) * tb) * 1000)
    return MediaInfo(codec, width, height, duration_ms, frame_ms)

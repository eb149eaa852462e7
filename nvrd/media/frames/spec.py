"""What a frame subscriber asks for, and the decoder's command line for it (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

PixelFormat = Literal["gray", "rgb24", "bgr24", "yuv420p"]
_BYTES_PER_PIXEL: dict[str, float] = {"gray": 1, "rgb24": 3, "bgr24": 3, "yuv420p": 1.5}


@dataclass(frozen=True)
class FrameSpec:
    """Pictures of ``width`` x ``height`` in ``pix_fmt``, ``fps`` a second at most, or one
    per keyframe when ``fps`` is None (the cheapest: only keyframes are decoded)."""

    width: int
    height: int
    fps: float | None = None
    pix_fmt: PixelFormat = "gray"

    def __post_init__(self) -> None:
        if not (2 <= self.width <= 7680 and 2 <= self.height <= 4320):
            raise ValueError(f"frame size {self.width}x{self.height} out of range")
        if self.pix_fmt == "yuv420p" and (self.width % 2 or self.height % 2):
            raise ValueError("yuv420p needs an even width and height")
        if self.fps is not None and not 0 < self.fps <= 30:
            raise ValueError(f"fps {self.fps} out of range (0, 30]")

    @property
    def frame_size(self) -> int:
        return int(self.width * self.height * _BYTES_PER_PIXEL[self.pix_fmt])


def keyframes_only(specs: Sequence[FrameSpec]) -> bool:
    """Whether every subscriber is served by keyframes alone (then only they are fed)."""
    return all(s.fps is None for s in specs)


def _chain(spec: FrameSpec) -> str:
    chain = f"scale={spec.width}:{spec.height}:flags=area,format={spec.pix_fmt}"
    if spec.fps is not None:
        # select, not the fps filter: fps holds each picture until the next one is due
        every = f"{1 / spec.fps:.4g}"
        chain = f"select='isnan(prev_selected_t)+gte(t-prev_selected_t,{every})',{chain}"
    return chain


def decoder_args(ffmpeg: str, specs: Sequence[FrameSpec], fds: Sequence[int]) -> list[str]:
    """argv of a channel's decoder: fragmented MP4 on stdin (the channel's live stream,
    as nvrd already reads it), one raw picture stream per spec into ``fds``.

    One decoding thread, and with keyframes only the decoder drops every other frame
    unseen (``-skip_frame nokey``; only keyframes are fed then anyway) and skips the
    deblocking filter (``-skip_loop_filter all``: invisible once a keyframe is scaled down to
    a motion picture, a good part of its decoding time).
    """
    if len(specs) != len(fds) or not specs:
        raise ValueError("one output fd per spec")
    graph = [f"[0:v]split={len(specs)}" + "".join(f"[s{i}]" for i in range(len(specs)))]
    graph += [f"[s{i}]{_chain(s)}[o{i}]" for i, s in enumerate(specs)]
    argv = [ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error", "-threads", "1"]
    if keyframes_only(specs):
        argv += ["-skip_frame", "nokey", "-skip_loop_filter", "all"]
    argv += ["-probesize", "32", "-analyzeduration", "0", "-f", "mp4", "-i", "pipe:0"]
    argv += ["-filter_complex", ";".join(graph)]
    for i, fd in enumerate(fds):
        argv += [
            *("-map", f"[o{i}]", "-fps_mode", "passthrough", "-threads", "1"),
            *("-f", "rawvideo", "-flush_packets", "1", f"pipe:{fd}"),
        ]
    return argv

"""ffmpeg command lines and the meaning of ffmpeg's messages (pure).

One ffmpeg process per channel stream pulls the source and remuxes it
without re-encoding (``-c copy``) into fragmented-MP4 segment files
numbered per run (the recorder renames each to its start time once it is
finished: media/recording/segments.py). ``-loglevel verbose`` makes the segment muxer
report each segment's first packet, which is how the recorder learns
segment boundaries in stream time; ``-progress`` reports how far muxing
has got, which anchors stream time to the wall clock. The second output is
the live stream (one fMP4 fragment per frame into a pipe) that nvrd fans out
to live viewers, HLS and the frame source of analytics; nothing is decoded
here (docs/design/live.md, frames.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from nvrd.core.statuscodes import ChannelStatus

FRAGMENT_FLAGS = "movflags=+frag_keyframe+empty_moov+default_base_moof"


@dataclass(frozen=True)
class Source:
    """Where a channel's video comes from."""

    kind: str  # "rtsp", "onvif" (RTSP URL of an ONVIF camera) or "file"
    url: str  # RTSP URL (credentials included) or file path
    tcp: bool = True
    loop: bool = True  # file channels: repeat (True) or play once


#: Protocols the one-entry concat script may open (RTSP over TCP, UDP or TLS).
CONCAT_PROTOCOLS = "file,pipe,rtsp,rtsps,rtp,srtp,udp,tcp,tls,crypto"
_USERINFO = re.compile(r"^[a-z][a-z0-9+.-]*://[^/@]*@", re.I)


def has_credentials(src: Source) -> bool:
    return src.kind != "file" and bool(_USERINFO.match(src.url))


def concat_script(src: Source, io_timeout_s: float) -> str:
    """An ffconcat script that opens ``src`` with the options :func:`input_args` gives a
    direct input. Handed to ffmpeg through a pipe, it keeps the camera's password off the
    command line, which every local user can read in /proc/<pid>/cmdline."""
    url = src.url.replace("'", "'\\''")
    return (
        "ffconcat version 1.0\n"
        f"file '{url}'\n"
        f"option rtsp_transport {'tcp' if src.tcp else 'udp'}\n"
        f"option timeout {int(io_timeout_s * 1_000_000)}\n"
        "option analyzeduration 2000000\n"
    )


def input_args(src: Source, io_timeout_s: float, script_fd: int | None = None) -> list[str]:
    """The input options of ``src``; with ``script_fd`` (a pipe holding
    :func:`concat_script`) the URL is read from there instead of the command line."""
    if src.kind == "file":
        return ["-re", "-stream_loop", "-1" if src.loop else "0", "-i", src.url]
    if script_fd is not None:
        return [
            *("-f", "concat", "-safe", "0", "-protocol_whitelist", CONCAT_PROTOCOLS),
            *("-analyzeduration", "2000000", "-i", f"pipe:{script_fd}"),
        ]
    return [
        "-rtsp_transport",
        "tcp" if src.tcp else "udp",
        "-timeout",
        str(int(io_timeout_s * 1_000_000)),
        "-analyzeduration",
        "2000000",
        "-i",
        src.url,
    ]


def per_frame_fmp4_output(target: str) -> list[str]:
    """An output of fragmented MP4 with one fragment per frame, flushed as written."""
    return [
        "-map",
        "0:v:0",
        "-c",
        "copy",
        "-f",
        "mp4",
        "-movflags",
        "+frag_every_frame+empty_moov+default_base_moof",
        "-flush_packets",
        "1",
        target,
    ]


#: Packets the live output may hold while nvrd does not read its pipe (4 s at 25 fps).
LIVE_QUEUE_PACKETS = 100


def live_pipe_output(fd: int) -> list[str]:
    """The ingest's live output: the per-frame fragmented MP4 into pipe ``fd``, behind
    ffmpeg's ``fifo`` muxer, which writes from a thread of its own and drops packets when
    :data:`LIVE_QUEUE_PACKETS` are waiting. Without it, a pipe nvrd does not read (its event
    loop starved on a saturated box) blocks ffmpeg's muxing, and the recording stops with it.
    """
    flags = "+frag_every_frame+empty_moov+default_base_moof"
    return [
        *("-map", "0:v:0", "-c", "copy", "-f", "fifo", "-fifo_format", "mp4"),
        *("-format_opts", f"movflags={flags}:flush_packets=1"),
        *("-queue_size", str(LIVE_QUEUE_PACKETS), "-drop_pkts_on_overflow", "1"),
        *("-attempt_recovery", "0", f"pipe:{fd}"),
    ]


def _ingest_head(
    ffmpeg: str,
    src: Source,
    io_timeout_s: float,
    input_options: Sequence[str],
    script_fd: int | None = None,
) -> list[str]:
    """What every ingest process starts with: messages, progress on stdout, the input
    (``script_fd``: see :func:`input_args`)."""
    return [
        ffmpeg,
        "-hide_banner",
        "-nostdin",
        "-loglevel",
        "verbose",
        "-nostats",
        "-progress",
        "pipe:1",
        "-stats_period",
        "1",
        *input_options,
        *input_args(src, io_timeout_s, script_fd),
    ]


def live_only_args(
    ffmpeg: str,
    src: Source,
    live_fd: int,
    io_timeout_s: float = 5.0,
    script_fd: int | None = None,
) -> list[str]:
    """argv of an ingest that does not record (a sub stream with ``[recording] substream``
    off): pull ``src`` into the live pipe only."""
    head = _ingest_head(ffmpeg, src, io_timeout_s, (), script_fd)
    return [*head, *live_pipe_output(live_fd)]


def record_args(
    ffmpeg: str,
    src: Source,
    template: str,
    segment_seconds: float,
    io_timeout_s: float = 5.0,
    extra_outputs: Sequence[str] = (),
    input_options: Sequence[str] = (),
    script_fd: int | None = None,
) -> list[str]:
    """argv of the ingest process: pull ``src``, write segments at ``template`` (a pattern
    with ``%06d``, the segment's number in the run). ``script_fd``: see :func:`input_args`."""
    return [
        *_ingest_head(ffmpeg, src, io_timeout_s, input_options, script_fd),
        "-map",
        "0:v:0",
        "-c",
        "copy",
        "-f",
        "segment",
        "-segment_time",
        f"{segment_seconds:g}",
        "-reset_timestamps",
        "1",
        "-segment_format",
        "mp4",
        "-segment_format_options",
        FRAGMENT_FLAGS,
        template,
        *extra_outputs,
    ]


_SEGMENT_START = re.compile(
    r"segment:'(?P<path>.+)' starts with packet stream:\d+ pts:-?\d+ pts_time:(?P<t>-?[\d.]+)"
)


@dataclass(frozen=True)
class SegmentStart:
    path: str
    stream_time: float


def parse_segment_start(line: str) -> SegmentStart | None:
    m = _SEGMENT_START.search(line)
    if not m:
        return None
    return SegmentStart(m.group("path"), float(m.group("t")))


def parse_progress(lines: Iterable[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in lines:
        key, sep, value = line.strip().partition("=")
        if sep:
            out[key] = value
    return out


# Most specific first: the first pattern found in ffmpeg's last messages wins.
_FAILURES: Sequence[tuple[re.Pattern[str], ChannelStatus]] = (
    (re.compile(r"401 Unauthorized|Unauthorized", re.I), ChannelStatus.LOGIN_FAILED),
    (re.compile(r"403 Forbidden", re.I), ChannelStatus.BLOCKED),
    (re.compile(r"No such file or directory", re.I), ChannelStatus.NO_FILE),
    (
        re.compile(r"matches no streams|does not contain any stream|no video", re.I),
        ChannelStatus.NO_VIDEO,
    ),
    (
        re.compile(
            r"Connection refused|No route to host|Network is unreachable|"
            r"Name or service not known|Temporary failure in name resolution|"
            r"Failed to resolve|Host is unreachable|End of file|Connection reset",
            re.I,
        ),
        ChannelStatus.NO_NETWORK,
    ),
    (re.compile(r"\btimed out\b", re.I), ChannelStatus.TIMEOUT),
)


def classify_failure(lines: Iterable[str], kind: str) -> ChannelStatus:
    """The guide's status code for an ingest process that ended with these messages."""
    text = "\n".join(lines)
    for pattern, status in _FAILURES:
        if pattern.search(text):
            if status is ChannelStatus.NO_FILE and kind != "file":
                continue
            return status
    return ChannelStatus.NO_FILE if kind == "file" and not text else ChannelStatus.SERVICE_FAILURE


def redact(url: str) -> str:
    """A URL with its password replaced, for logs."""
    return re.sub(r"(?<=://)([^:/@]+):([^@/]*)@", r"\1:***@", url)

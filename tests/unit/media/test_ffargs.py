"""ffmpeg argv builders and message classification, tested as strings."""

import pytest

from nvrd.core.statuscodes import ChannelStatus
from nvrd.media.ffargs import (
    Source,
    classify_failure,
    parse_progress,
    parse_segment_start,
    per_frame_fmp4_output,
    record_args,
    redact,
)


def test_rtsp_record_argv() -> None:
    argv = record_args(
        "/ff", Source("rtsp", "rtsp://u:p@cam/s", tcp=True), "/r/ch1/writing/x-%06d.mp4", 60, 5
    )
    text = " ".join(argv)
    assert argv[0] == "/ff"
    assert "-rtsp_transport tcp -timeout 5000000" in text
    assert "-i rtsp://u:p@cam/s -map 0:v:0 -c copy -f segment -segment_time 60 " in text
    assert "-segment_format mp4 -segment_format_options" in text
    assert "movflags=+frag_keyframe+empty_moov+default_base_moof" in text
    assert "-reset_timestamps 1" in text
    assert "-strftime" not in text  # numbered per run; named by their start once finished
    assert "-progress pipe:1" in text and "-loglevel verbose" in text
    assert argv[-1] == "/r/ch1/writing/x-%06d.mp4"
    assert "-re" not in argv  # a camera is already real time


def test_udp_and_file_inputs() -> None:
    udp = " ".join(record_args("ff", Source("rtsp", "rtsp://c/s", tcp=False), "t", 2.5))
    assert "-rtsp_transport udp" in udp and "-segment_time 2.5" in udp
    once = record_args("ff", Source("file", "/v.mp4", loop=False), "t", 60)
    assert " ".join(once).count("-re -stream_loop 0 -i /v.mp4") == 1
    loop = record_args("ff", Source("file", "/v.mp4", loop=True), "t", 60)
    assert "-stream_loop -1" in " ".join(loop)


def test_the_live_output_goes_after_the_recording_and_nothing_is_decoded() -> None:
    argv = record_args(
        "ff", Source("rtsp", "rtsp://cam/s"), "/r/t.mp4", 60, 5, per_frame_fmp4_output("pipe:4")
    )
    text = " ".join(argv)
    assert argv.index("-i") < argv.index("/r/t.mp4") < argv.index("pipe:4") == len(argv) - 1
    assert text.count("-c copy") == 2 and "-vf" not in text and "-skip_frame" not in text


def test_parse_segment_start() -> None:
    line = (
        "[segment @ 0x55c4] segment:'rec/2026-11-23/20261123T201632Z-r1.mp4' starts with "
        "packet stream:0 pts:51200 pts_time:4 frame:100"
    )
    got = parse_segment_start(line)
    assert got is not None
    assert got.path == "rec/2026-11-23/20261123T201632Z-r1.mp4" and got.stream_time == 4.0
    assert parse_segment_start("frame=100") is None


def test_parse_progress() -> None:
    assert parse_progress(["frame=25", "out_time_us=1000000", "progress=continue"]) == {
        "frame": "25",
        "out_time_us": "1000000",
        "progress": "continue",
    }


# The exact messages ffmpeg n9 prints for each failure (captured from real runs).
REFUSED = [
    "[tcp @ 0x1] Connection to tcp://127.0.0.1:39657?timeout=0 failed: Connection refused",
    "[in#0 @ 0x2] Error opening input: Connection refused",
]
UNAUTHORIZED = [
    "[in#0 @ 0x1] method DESCRIBE failed: 401 (Unauthorized)",
    "[in#0 @ 0x1] Error opening input: Server returned 401 Unauthorized (authorization failed)",
]
NOT_FOUND = [
    "[in#0 @ 0x1] method DESCRIBE failed: 404 (Not Found)",
    "[in#0 @ 0x1] Error opening input: Server returned 404 Not Found",
]
SILENT = [
    "[in#0 @ 0x1] Failed reading RTSP data: Connection timed out",
    "[in#0 @ 0x1] Error opening input: Invalid data found when processing input",
]
EOF_LINES = ["[in#0 @ 0x1] Failed reading RTSP data: End of file"]


@pytest.mark.parametrize(
    ("lines", "kind", "code"),
    [
        (REFUSED, "rtsp", ChannelStatus.NO_NETWORK),
        (UNAUTHORIZED, "rtsp", ChannelStatus.LOGIN_FAILED),
        (NOT_FOUND, "rtsp", ChannelStatus.SERVICE_FAILURE),
        (SILENT, "rtsp", ChannelStatus.TIMEOUT),
        (EOF_LINES, "rtsp", ChannelStatus.NO_NETWORK),
        (["Stream map '0:v:0' matches no streams."], "rtsp", ChannelStatus.NO_VIDEO),
        (["[in#0] Error opening input: 403 Forbidden"], "onvif", ChannelStatus.BLOCKED),
        (["/v.mp4: No such file or directory"], "file", ChannelStatus.NO_FILE),
        (["/v.mp4: No such file or directory"], "rtsp", ChannelStatus.SERVICE_FAILURE),
        (["Failed to resolve hostname cam.invalid"], "rtsp", ChannelStatus.NO_NETWORK),
        ([], "rtsp", ChannelStatus.SERVICE_FAILURE),
    ],
)
def test_classify_failure(lines: list[str], kind: str, code: ChannelStatus) -> None:
    assert classify_failure(lines, kind) is code


def test_redact() -> None:
    assert redact("rtsp://admin:s3cr%40t@10.0.0.5:554/s") == "rtsp://admin:***@10.0.0.5:554/s"
    assert redact("rtsp://10.0.0.5/s") == "rtsp://10.0.0.5/s"
    assert redact("/videos/a.mp4") == "/videos/a.mp4"


def test_a_source_with_a_password_is_read_from_a_script_pipe() -> None:
    from nvrd.media.ffargs import concat_script, has_credentials, input_args

    src = Source("rtsp", "rtsp://cam:p'ss@10.0.0.5:554/live", tcp=False)
    assert has_credentials(src)
    assert not has_credentials(Source("rtsp", "rtsp://10.0.0.5/live"))
    assert not has_credentials(Source("file", "/videos/a@b.mp4"))
    argv = input_args(src, 5.0, script_fd=7)
    assert "p'ss" not in " ".join(argv) and argv[-2:] == ["-i", "pipe:7"]
    assert argv[argv.index("-f") + 1] == "concat"
    script = concat_script(src, 5.0)
    assert script.splitlines() == [
        "ffconcat version 1.0",
        "file 'rtsp://cam:p'\\''ss@10.0.0.5:554/live'",
        "option rtsp_transport udp",
        "option timeout 5000000",
        "option analyzeduration 2000000",
    ]

from pathlib import Path

from nvrd.media.testpattern import clock_filter, pattern_args


def test_pattern_args() -> None:
    argv = pattern_args(
        "ff",
        Path("/o.mp4"),
        seconds=5,
        size="1280x720",
        fps=30,
        gop=60,
        label="Cam 1",
        pattern="smptehdbars",
        bitrate="4M",
    )
    text = " ".join(argv)
    assert "-f lavfi -i smptehdbars=size=1280x720:rate=30:duration=5" in text
    assert "-bf 0 -g 60 -keyint_min 60 -sc_threshold 0 -r 30" in text
    assert "-b:v 4M" in text and text.endswith("-movflags +faststart /o.mp4")
    assert "Cam 1 %{pts" in text


def test_no_clock() -> None:
    argv = pattern_args("ff", Path("/o.mp4"), clock=False)
    assert argv[argv.index("-vf") + 1] == "null"
    assert "-b:v" not in argv


def test_clock_filter_scales_with_height() -> None:
    assert ":fontsize=90:" in clock_filter(1080)
    assert ":fontsize=16:" in clock_filter(100)


def test_tune_can_be_left_out() -> None:
    assert "-tune zerolatency" in " ".join(pattern_args("ff", Path("/o.mp4")))
    assert "-tune" not in pattern_args("ff", Path("/o.mp4"), tune=None)

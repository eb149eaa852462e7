"""Subtitles show the recorded wall-clock time, one cue a second, in the requested language."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from nvrd.export.subtitles import cues, render

UTC = ZoneInfo("UTC")
T = 1_532_682_679_825  # 2018-07-27T09:11:19.825Z


def test_cues_follow_the_wall_clock_seconds() -> None:
    got = cues([(0, T)], 2500)
    assert got == [
        (0, 175, T),
        (175, 1175, T + 175),
        (1175, 2175, T + 1175),
        (2175, 2500, T + 2175),
    ]


def test_anchors_restart_the_clock() -> None:
    later = T + 60_000 + 500
    got = cues([(0, T), (1000, later)], 2000)
    assert got[0] == (0, 175, T)
    assert (1000, 1675, later) in got  # later is at .325: its second ends 675 ms on


def test_formats() -> None:
    vtt = render("VTT", [(0, T)], 1200, UTC, "en-US", "CH1 Gate")
    assert vtt.startswith("WEBVTT\n\n00:00:00.000 --> 00:00:00.175\nCH1 Gate Jul 27, 2018, 9:11:19")
    srt = render("SRT", [(0, T)], 1200, UTC, "en-US", "CH1")
    assert srt.startswith("1\n00:00:00,000 --> 00:00:00,175\nCH1 Jul 27, 2018")
    assert "2\n00:00:00,175 --> 00:00:01,175\nCH1 Jul 27, 2018, 9:11:20" in srt
    smi = render("SMI", [(0, T)], 1200, UTC, "ko-KR", "CH1")
    assert smi.startswith("<SAMI>") and "<SYNC Start=175><P Class=KOKRCC>CH1 2018. 7. 27." in smi


def test_languages() -> None:
    es = render("VTT", [(0, T)], 500, UTC, "es-ES", "")
    assert "27 jul 2018, 9:11:19" in es
    zh = render("VTT", [(0, T)], 500, ZoneInfo("Asia/Shanghai"), "zh-CN", "")
    assert "2018年7月27日 17:11:19" in zh

"""Subtitle files that show the recorded wall-clock time of an exported video (pure).

One cue per wall-clock second: the first from the start of the video to the
next whole second, then one a second, the last ending with the video. The
time shown is the recording's (from the index), mapped through anchors
``(presented ms, wall-clock epoch ms)``: between two anchors time advances
with the video, so a file assembled from several segments shows each
segment's own recorded time. The text is the date and time in server local
time, formatted for the requested language by Babel (CLDR), with the
channel's name in front.
"""

from __future__ import annotations

import bisect
import html
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_datetime

from nvrd.core.clock import utc_from_ms

EXTENSIONS = {"VTT": "vtt", "SRT": "srt", "SMI": "smi"}


def _locale(lang: str) -> Locale:
    try:
        return Locale.parse(lang.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en_US")


def wall_at(anchors: Sequence[tuple[int, int]], t_ms: int) -> int:
    """Wall-clock time of presented time ``t_ms``."""
    i = max(0, bisect.bisect_right([a for a, _ in anchors], t_ms) - 1)
    at, wall = anchors[i]
    return wall + (t_ms - at)


def cues(anchors: Sequence[tuple[int, int]], duration_ms: int) -> list[tuple[int, int, int]]:
    """``(start, end, wall-clock ms)`` per cue, in presented milliseconds."""
    out: list[tuple[int, int, int]] = []
    bounds = sorted({a for a, _ in anchors if 0 <= a < duration_ms} | {0})
    for k, seg_start in enumerate(bounds):
        seg_end = bounds[k + 1] if k + 1 < len(bounds) else duration_ms
        t = seg_start
        while t < seg_end:
            wall = wall_at(anchors, t)
            nxt = min(seg_end, t + 1000 - wall % 1000)
            out.append((t, nxt, wall))
            t = nxt
    return out


def _clock(ms: int, sep: str) -> str:
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, frac = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{frac:03d}"


def render(
    fmt: str,
    anchors: Sequence[tuple[int, int]],
    duration_ms: int,
    tz: ZoneInfo,
    lang: str,
    label: str,
) -> str:
    """The subtitle file (``VTT``, ``SRT`` or ``SMI``) as text."""
    locale = _locale(lang)

    def text(wall: int) -> str:
        moment: datetime = utc_from_ms(wall).astimezone(tz)
        shown = format_datetime(moment, "medium", tzinfo=tz, locale=locale)
        return f"{label} {shown}" if label else shown

    items = [(a, b, text(w)) for a, b, w in cues(anchors, duration_ms)]
    if fmt == "VTT":
        body = "".join(f"{_clock(a, '.')} --> {_clock(b, '.')}\n{t}\n\n" for a, b, t in items)
        return "WEBVTT\n\n" + body
    if fmt == "SRT":
        return "".join(
            f"{n}\n{_clock(a, ',')} --> {_clock(b, ',')}\n{t}\n\n"
            for n, (a, b, t) in enumerate(items, 1)
        )
    if fmt == "SMI":
        return _sami(items, lang)
    raise ValueError(f"unknown subtitle format {fmt!r}")


def _sami(items: list[tuple[int, int, str]], lang: str) -> str:
    cls = lang.replace("-", "").upper() + "CC"
    lines = [
        "<SAMI>",
        "<HEAD>",
        '<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=utf-8">',
        '<STYLE TYPE="text/css"><!--',
        "P { margin-left:8pt; margin-right:8pt; text-align:center; font-family:Arial; "
        "color:white; }",
        f".{cls} {{ Name:{html.escape(lang)}; lang:{html.escape(lang)}; SAMIType:CC; }}",
        "--></STYLE>",
        "</HEAD>",
        "<BODY>",
    ]
    end = 0
    for a, b, t in items:
        if a > end:
            lines.append(f"<SYNC Start={end}><P Class={cls}>&nbsp;")
        lines.append(f"<SYNC Start={a}><P Class={cls}>{html.escape(t)}")
        end = b
    lines.append(f"<SYNC Start={end}><P Class={cls}>&nbsp;")
    lines += ["</BODY>", "</SAMI>", ""]
    return "\n".join(lines)

"""Recorded days and minutes for ``/api/find?what=recDays|recMinutes`` (pure).

Input: recorded intervals ``[(start_ms, end_ms), ...]`` in UTC epoch
milliseconds, end exclusive, in any order and possibly overlapping; and the
zone to bucket in (the server zone, or ``datetime.UTC`` for a request whose
times were given in UTC).

How time zones are handled: an interval is cut into pieces of constant UTC
offset (:func:`offset_pieces`); inside a piece, local wall-clock time is just
``utc + offset``, so the local days and minutes it touches are integer ranges.

- A local day appears when at least one recorded instant falls on it.
  Days are found per piece (at most a few per UTC day), never by walking
  minutes.
- A local minute is a wall-clock minute ``(year, month, day, hour, minute)``.
  On a spring-forward day the skipped wall-clock hour has no entries (no
  instant maps to it; nothing is lost). On a fall-back day the repeated hour
  occurs twice in UTC; both occurrences are **merged** into the one
  wall-clock entry (a minute is listed when it was recorded in either
  occurrence). So every recorded UTC minute maps to exactly one entry and no
  entry is ever listed twice: a whole recorded New York fall-back day (25
  hours) gives 24 * 60 distinct minutes, a spring-forward day (23 hours)
  gives 23 * 60.

Assumption: within one UTC day a zone has at most one offset change, or its
offset at the start and end of that day differ when it changes (true of
every zone in the tz database).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

from nvrd.core.clock import utc_from_ms

MINUTE_MS = 60_000
HOUR_MS = 3_600_000
DAY_MS = 86_400_000
#: Width of the buckets the database groups on for recDays (``nvrd.store.recsearch``).
#: Every real UTC offset is a multiple of 15 minutes, so a bucket lies in one local day.
BUCKET_MS = 900_000

_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()

Interval = tuple[int, int]


def _offset_ms(t_ms: int, tz: tzinfo) -> int:
    offset = utc_from_ms(t_ms).astimezone(tz).utcoffset() or timedelta()
    return offset // timedelta(milliseconds=1)


class _Offsets:
    """UTC offsets of one zone, cached per UTC day for the length of one computation."""

    def __init__(self, tz: tzinfo):
        self._tz = tz
        self._days: dict[int, tuple[int, int]] = {}

    def at(self, t_ms: int) -> int:
        return _offset_ms(t_ms, self._tz)

    def day(self, utc_day: int) -> tuple[int, int]:
        """Offsets at the first and the last millisecond of a UTC day."""
        got = self._days.get(utc_day)
        if got is None:
            start = utc_day * DAY_MS
            got = (self.at(start), self.at(start + DAY_MS - 1))
            self._days[utc_day] = got
        return got


def _pieces(start_ms: int, end_ms: int, offsets: _Offsets) -> Iterator[tuple[int, int, int]]:
    t = start_ms
    while t < end_ms:
        utc_day = t // DAY_MS
        chunk_end = min(end_ms, (utc_day + 1) * DAY_MS)
        first, last = offsets.day(utc_day)
        if first == last:
            yield t, chunk_end, first
            t = chunk_end
            continue
        # The offset changes during this UTC day: find the change by bisection.
        off = offsets.at(t)
        if offsets.at(chunk_end - 1) == off:
            yield t, chunk_end, off
            t = chunk_end
            continue
        lo, hi = t, chunk_end - 1  # offset(lo) == off != offset(hi)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if offsets.at(mid) == off:
                lo = mid
            else:
                hi = mid
        yield t, hi, off
        t = hi


def offset_pieces(start_ms: int, end_ms: int, tz: tzinfo) -> list[tuple[int, int, int]]:
    """``[start_ms, end_ms)`` cut into ``(start, end, utc_offset_ms)`` pieces of one offset."""
    return list(_pieces(start_ms, end_ms, _Offsets(tz)))


def merge_intervals(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, non-overlapping, non-touching intervals; empty ones dropped."""
    out: list[list[int]] = []
    for start, end in sorted(i for i in intervals if i[1] > i[0]):
        if out and start <= out[-1][1]:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return [(s, e) for s, e in out]


def clip(intervals: Iterable[Interval], begin_ms: int | None, end_ms: int | None) -> list[Interval]:
    """The parts of ``intervals`` inside ``[begin_ms, end_ms)`` (``None``: unbounded)."""
    out = []
    for start, end in intervals:
        s = start if begin_ms is None else max(start, begin_ms)
        e = end if end_ms is None else min(end, end_ms)
        if e > s:
            out.append((s, e))
    return out


def bucket_intervals(bucket_starts: Iterable[int], size_ms: int = BUCKET_MS) -> list[Interval]:
    """Fixed-size buckets (by start time) as merged intervals."""
    return merge_intervals((b, b + size_ms) for b in bucket_starts)


def _local_date(local_ms: int) -> date:
    return date.fromordinal(_EPOCH_ORDINAL + local_ms // DAY_MS)


def local_days(intervals: Iterable[Interval], tz: tzinfo) -> list[date]:
    """Sorted local calendar days in ``tz`` that contain a recorded instant."""
    offsets = _Offsets(tz)
    days: set[int] = set()
    for start, end in merge_intervals(intervals):
        for a, b, off in _pieces(start, end, offsets):
            days.update(range((a + off) // DAY_MS, (b - 1 + off) // DAY_MS + 1))
    return [date.fromordinal(_EPOCH_ORDINAL + d) for d in sorted(days)]


def group_days(days: Iterable[date]) -> list[dict[str, Any]]:
    """``[{"year", "month", "days": [...]}]`` as the guide prints it, sorted."""
    out: list[dict[str, Any]] = []
    for d in sorted(set(days)):
        if out and out[-1]["year"] == d.year and out[-1]["month"] == d.month:
            out[-1]["days"].append(d.day)
        else:
            out.append({"year": d.year, "month": d.month, "days": [d.day]})
    return out


def rec_days(intervals: Iterable[Interval], tz: tzinfo) -> list[dict[str, Any]]:
    """recDays ``data``: local days (in ``tz``) with recorded video, grouped by month."""
    return group_days(local_days(intervals, tz))


def local_minutes(
    intervals: Iterable[Interval], tz: tzinfo, begin_ms: int, end_ms: int
) -> list[int]:
    """Sorted distinct wall-clock minutes (minutes since local 1970-01-01 00:00) recorded
    inside ``[begin_ms, end_ms)``; a repeated (fall-back) hour's minutes merge."""
    offsets = _Offsets(tz)
    minutes: set[int] = set()
    for start, end in clip(merge_intervals(intervals), begin_ms, end_ms):
        for a, b, off in _pieces(start, end, offsets):
            minutes.update(range((a + off) // MINUTE_MS, (b - 1 + off) // MINUTE_MS + 1))
    return sorted(minutes)


def rec_minutes(
    intervals: Iterable[Interval], tz: tzinfo, begin_ms: int, end_ms: int
) -> list[dict[str, Any]]:
    """recMinutes ``data``: ``[{"year","month","day","hour","minutes":[...]}]``, sorted."""
    out: list[dict[str, Any]] = []
    last_hour = None
    for minute in local_minutes(intervals, tz, begin_ms, end_ms):
        hour, mm = divmod(minute, 60)
        if hour != last_hour:
            d = _local_date(hour * HOUR_MS)
            entry = {"year": d.year, "month": d.month, "day": d.day, "hour": hour % 24}
            out.append({**entry, "minutes": []})
            last_hour = hour
        out[-1]["minutes"].append(mm)
    return out


def day_start(day: date, tz: tzinfo) -> datetime:
    """The first instant of a local day (its midnight; the first valid time after a gap)."""
    midnight = datetime(day.year, day.month, day.day, tzinfo=tz)
    return midnight.astimezone(UTC)


def day_end(day: date, tz: tzinfo) -> datetime:
    """The last millisecond of a local day."""
    return day_start(day + timedelta(days=1), tz) - timedelta(milliseconds=1)


def add_days(moment: datetime, days: int, tz: tzinfo) -> datetime:
    """``moment`` plus whole days of wall-clock time in ``tz`` (DST days are 23/25 h)."""
    local = moment.astimezone(tz)
    return (local + timedelta(days=days)).astimezone(UTC)

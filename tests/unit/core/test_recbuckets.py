"""Recorded days and minutes, bucketed by local calendar (pure)."""

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from nvrd.core import recbuckets as rb
from nvrd.core.clock import ms_from_datetime, utc_from_ms

NY = ZoneInfo("America/New_York")
KOLKATA = ZoneInfo("Asia/Kolkata")
MIN = 60_000
HOUR = 3_600_000


def ms(text: str) -> int:
    return ms_from_datetime(datetime.fromisoformat(text))


def local_ms(y: int, m: int, d: int, tz: ZoneInfo, h: int = 0, mi: int = 0, s: int = 0) -> int:
    return ms_from_datetime(datetime(y, m, d, h, mi, s, tzinfo=tz))


def whole_day(day: date, tz: ZoneInfo) -> tuple[int, int]:
    start = ms_from_datetime(rb.day_start(day, tz))
    return start, ms_from_datetime(rb.day_end(day, tz)) + 1


def count(minutes: list[dict[str, Any]]) -> int:
    return sum(len(e["minutes"]) for e in minutes)


def test_ms_round_trip_is_exact() -> None:
    t = 1517871432935
    assert ms_from_datetime(utc_from_ms(t)) == t
    assert utc_from_ms(t).microsecond == 935000


def test_merge_and_clip() -> None:
    assert rb.merge_intervals([(5, 9), (1, 3), (3, 4), (8, 12), (20, 20)]) == [(1, 4), (5, 12)]
    assert rb.clip([(1, 4), (5, 12)], 3, 6) == [(3, 4), (5, 6)]
    assert rb.clip([(1, 4)], None, None) == [(1, 4)]
    assert rb.clip([(1, 4)], 4, None) == []
    assert rb.bucket_intervals([1800_000, 0, 900_000, 3600_000]) == [
        (0, 2700_000),
        (3600_000, 4500_000),
    ]


def test_days_group_by_month_sorted_and_unsorted_overlapping_input() -> None:
    ivs = [
        (ms("2018-02-05T12:00:00+00:00"), ms("2018-02-05T12:10:00+00:00")),
        (ms("2018-01-08T12:00:00+00:00"), ms("2018-01-08T13:00:00+00:00")),
        (ms("2018-01-08T12:30:00+00:00"), ms("2018-01-08T12:40:00+00:00")),
        (ms("2018-01-23T23:50:00+00:00"), ms("2018-01-24T00:10:00+00:00")),
    ]
    assert rb.rec_days(ivs, UTC) == [
        {"year": 2018, "month": 1, "days": [8, 23, 24]},
        {"year": 2018, "month": 2, "days": [5]},
    ]
    assert rb.rec_days([], UTC) == []


def test_end_is_exclusive() -> None:
    iv = (ms("2018-01-08T23:00:00+00:00"), ms("2018-01-09T00:00:00+00:00"))
    assert rb.rec_days([iv], UTC) == [{"year": 2018, "month": 1, "days": [8]}]
    minutes = rb.rec_minutes([iv], UTC, iv[0] - HOUR, iv[1] + HOUR)
    assert minutes == [{"year": 2018, "month": 1, "day": 8, "hour": 23, "minutes": list(range(60))}]


@pytest.mark.parametrize(
    ("day", "hours", "hour_entries"),
    [(date(2018, 3, 11), 23, 23), (date(2018, 11, 4), 25, 24), (date(2018, 6, 1), 24, 24)],
)
def test_dst_days_in_new_york(day: date, hours: int, hour_entries: int) -> None:
    start, end = whole_day(day, NY)
    assert end - start == hours * HOUR
    # Recording over exactly the whole local day: that day only.
    assert rb.local_days([(start, end)], NY) == [day]
    # Recording around it: the day before and after as well.
    around = rb.local_days([(start - MIN, end + MIN)], NY)
    assert around == [day - timedelta(days=1), day, day + timedelta(days=1)]
    minutes = rb.rec_minutes([(start - HOUR, end + HOUR)], NY, start, end)
    assert len(minutes) == hour_entries
    assert all(e["minutes"] == list(range(60)) for e in minutes)
    keys = [(e["year"], e["month"], e["day"], e["hour"]) for e in minutes]
    assert len(set(keys)) == len(keys) == hour_entries  # nothing doubled
    assert {k[:3] for k in keys} == {(day.year, day.month, day.day)}


def test_spring_forward_skips_the_missing_hour_only() -> None:
    start, end = whole_day(date(2018, 3, 11), NY)
    hours = [e["hour"] for e in rb.rec_minutes([(start, end)], NY, start, end)]
    assert hours == [0, 1, *range(3, 24)]
    # The last minute before and the first after the jump are neighbours in UTC.
    jump = local_ms(2018, 3, 11, NY, 3)
    got = rb.rec_minutes([(jump - MIN, jump + MIN)], NY, start, end)
    assert [(e["hour"], e["minutes"]) for e in got] == [(1, [59]), (3, [0])]


def test_fall_back_repeated_hour_merges() -> None:
    first_1am = ms("2018-11-04T01:00:00-04:00")
    second_1am = ms("2018-11-04T01:00:00-05:00")
    assert second_1am - first_1am == HOUR
    # 1:10-1:12 in the first occurrence, 1:40-1:41 in the second: one entry for hour 1.
    ivs = [
        (first_1am + 10 * MIN, first_1am + 12 * MIN),
        (second_1am + 40 * MIN, second_1am + 41 * MIN),
        (second_1am + 10 * MIN, second_1am + 11 * MIN),  # same wall minute as the first
    ]
    got = rb.rec_minutes(ivs, NY, first_1am - HOUR, second_1am + HOUR)
    assert got == [{"year": 2018, "month": 11, "day": 4, "hour": 1, "minutes": [10, 11, 40]}]
    # Both occurrences fully recorded: 60 minutes, once.
    both = rb.rec_minutes([(first_1am, second_1am + HOUR)], NY, 0, second_1am + 2 * HOUR)
    assert count(both) == 60 and len(both) == 1


def test_one_minute_across_local_midnight_spans_two_days() -> None:
    a = local_ms(2018, 1, 8, NY, 23, 59, 30)
    iv = (a, a + MIN)
    assert rb.local_days([iv], NY) == [date(2018, 1, 8), date(2018, 1, 9)]
    got = rb.rec_minutes([iv], NY, a - HOUR, a + HOUR)
    assert [(e["day"], e["hour"], e["minutes"]) for e in got] == [(8, 23, [59]), (9, 0, [0])]


def test_utc_and_local_bucketing_differ_near_midnight() -> None:
    # 2018-01-08 21:00-22:00 in New York is 02:00-03:00 UTC on the 9th.
    iv = (local_ms(2018, 1, 8, NY, 21), local_ms(2018, 1, 8, NY, 22))
    assert rb.rec_days([iv], NY) == [{"year": 2018, "month": 1, "days": [8]}]
    assert rb.rec_days([iv], UTC) == [{"year": 2018, "month": 1, "days": [9]}]
    local = rb.rec_minutes([iv], NY, iv[0], iv[1])
    utc = rb.rec_minutes([iv], UTC, iv[0], iv[1])
    assert (local[0]["day"], local[0]["hour"]) == (8, 21)
    assert (utc[0]["day"], utc[0]["hour"]) == (9, 2)


def test_half_hour_offset_kolkata() -> None:
    # 18:20-18:40 UTC is 23:50-00:10 in Kolkata (+05:30).
    iv = (ms("2018-05-25T18:20:00+00:00"), ms("2018-05-25T18:40:00+00:00"))
    assert rb.local_days([iv], KOLKATA) == [date(2018, 5, 25), date(2018, 5, 26)]
    got = rb.rec_minutes([iv], KOLKATA, iv[0], iv[1])
    assert got == [
        {"year": 2018, "month": 5, "day": 25, "hour": 23, "minutes": list(range(50, 60))},
        {"year": 2018, "month": 5, "day": 26, "hour": 0, "minutes": list(range(10))},
    ]
    # A 15-minute UTC bucket lies in one Kolkata day.
    midnight = local_ms(2018, 5, 26, KOLKATA)
    assert midnight % rb.BUCKET_MS == 0


def test_fixed_offset_zone() -> None:
    tz = timezone(timedelta(hours=9))
    iv = (ms("2018-01-08T14:59:00+00:00"), ms("2018-01-08T15:01:00+00:00"))
    assert rb.rec_days([iv], tz) == [{"year": 2018, "month": 1, "days": [8, 9]}]


def test_minutes_are_clipped_to_the_window() -> None:
    iv = (ms("2018-05-25T10:00:00+00:00"), ms("2018-05-25T12:00:00+00:00"))
    got = rb.rec_minutes(
        [iv], UTC, ms("2018-05-25T10:44:30+00:00"), ms("2018-05-25T10:49:00+00:00")
    )
    assert got == [
        {"year": 2018, "month": 5, "day": 25, "hour": 10, "minutes": [44, 45, 46, 47, 48]}
    ]
    assert rb.rec_minutes([iv], UTC, iv[1], iv[1] + HOUR) == []


def test_long_recordings_are_cheap() -> None:
    # Ten years of continuous recording: days without walking minutes.
    start = ms("2010-01-01T00:00:00-05:00")
    end = ms("2020-01-01T00:00:00-05:00")
    days = rb.local_days([(start, end)], NY)
    assert days[0] == date(2010, 1, 1) and days[-1] == date(2019, 12, 31)
    assert len(days) == (date(2020, 1, 1) - date(2010, 1, 1)).days
    pieces = rb.offset_pieces(start, end, NY)
    assert len(pieces) < 3700 + 20 + 5


def test_day_bounds_and_add_days() -> None:
    assert rb.day_start(date(2018, 11, 4), NY).isoformat() == "2018-11-04T04:00:00+00:00"
    assert rb.day_end(date(2018, 11, 4), NY) == datetime(2018, 11, 5, 4, 59, 59, 999000, UTC)
    begin = datetime(2018, 11, 3, 4, tzinfo=UTC)  # midnight in New York
    assert rb.add_days(begin, 3, NY) - begin == timedelta(hours=73)
    assert rb.add_days(begin, 1, UTC) - begin == timedelta(hours=24)

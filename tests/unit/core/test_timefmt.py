from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from nvrd.core.errors import ApiError, Kind
from nvrd.core.timefmt import bias, format_iso, parse_duration, parse_time

NY = ZoneInfo("America/New_York")
NOW = datetime(2018, 2, 19, 23, 24, 26, 2000, tzinfo=UTC)


def test_format_iso_local_with_milliseconds_and_offset() -> None:
    assert format_iso(NOW, NY) == "2018-02-19T18:24:26.002-05:00"
    assert format_iso(NOW, ZoneInfo("UTC")) == "2018-02-19T23:24:26.002+00:00"


def test_format_iso_needs_aware_time() -> None:
    with pytest.raises(ValueError):
        format_iso(datetime(2018, 1, 1), NY)


def test_bias_follows_dst() -> None:
    assert bias(NY, NOW) == "-05:00"
    assert bias(NY, datetime(2018, 7, 1, tzinfo=UTC)) == "-04:00"
    assert bias(ZoneInfo("Asia/Kolkata"), NOW) == "+05:30"


@pytest.mark.parametrize(
    "text",
    [
        "2018-02-01T14:30:15-05:00",
        "2018-02-01T14:30:15-0500",
        "2018-02-01T14:30:15-05",
        "2018-02-01T19:30:15Z",
        "2018-02-01T19:30:15.000+00:00",
        "2018-02-01T14:30:15",
    ],
)
def test_parse_time_offsets_agree(text: str) -> None:
    assert parse_time("when", text, NY, NOW) == datetime(2018, 2, 1, 19, 30, 15, tzinfo=UTC)


def test_parse_time_fraction() -> None:
    got = parse_time("when", "2018-02-01T14:30:15.253Z", NY, NOW)
    assert got.microsecond == 253000


def test_parse_time_words() -> None:
    assert parse_time("when", "now", NY, NOW) == NOW
    assert parse_time("when", "today", NY, NOW) == datetime(2018, 2, 19, 5, tzinfo=UTC)
    assert parse_time("when", "Yesterday", NY, NOW) == datetime(2018, 2, 18, 5, tzinfo=UTC)


def test_yesterday_across_dst_start() -> None:
    # 2018-03-12 in New York: yesterday (03-11) began at 00:00 EST = 05:00 UTC.
    now = datetime(2018, 3, 12, 16, tzinfo=UTC)
    assert parse_time("when", "yesterday", NY, now) == datetime(2018, 3, 11, 5, tzinfo=UTC)
    assert parse_time("when", "today", NY, now) == datetime(2018, 3, 12, 4, tzinfo=UTC)


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "garbage",
        "2018-13-01T00:00:00Z",
        "2018-02-30",
        "2018-02-01T25:00:00",
        "1e9",
        "2018-02-01T10:00:00+25:00",
    ],
)
def test_parse_time_rejects(bad: str) -> None:
    with pytest.raises(ApiError) as info:
        parse_time("when", bad, NY, NOW)
    assert info.value.kind is Kind.BAD_REQUEST


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1w", timedelta(weeks=1)),
        ("5d", timedelta(days=5)),
        ("3h", timedelta(hours=3)),
        ("10m", timedelta(minutes=10)),
        ("30s", timedelta(seconds=30)),
        ("250ms", timedelta(milliseconds=250)),
        ("45", timedelta(seconds=45)),
    ],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration("duration", text) == expected


@pytest.mark.parametrize("bad", ["", "1x", "h", "-5s", "1h30m"])
def test_parse_duration_rejects(bad: str) -> None:
    with pytest.raises(ApiError):
        parse_duration("duration", bad)

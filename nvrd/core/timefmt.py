"""ISO 8601 times as TS-API writes and reads them (pure; clocks are injected).

Output: server local time with milliseconds and offset,
``2018-02-19T18:24:26.002-05:00``. Input: ``Z``, ``±hh:mm``, ``±hhmm``,
``±hh`` or no offset (= server local), fractions of a second, and the words
``now``, ``today``, ``yesterday``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from nvrd.core.errors import ApiError, bad_request

#: The times the server represents: every later step (local days, ±1 day,
#: milliseconds in a 64-bit column, ``datetime`` arithmetic) stays in range.
MIN_TIME = datetime(1900, 1, 1, tzinfo=UTC)
MAX_TIME = datetime(9000, 1, 1, tzinfo=UTC)
#: The longest duration taken (``duration=``): 100 years.
MAX_DURATION = timedelta(days=36525)

_ISO = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})"
    r"(?:[T ](?P<h>\d{2}):(?P<m>\d{2})(?::(?P<s>\d{2})(?:[.,](?P<frac>\d{1,9}))?)?)?"
    r"(?P<tz>Z|[+-]\d{2}(?::?\d{2})?)?$"
)


def format_offset(delta: timedelta | None) -> str:
    total = int((delta or timedelta()).total_seconds()) // 60
    sign = "-" if total < 0 else "+"
    total = abs(total)
    return f"{sign}{total // 60:02d}:{total % 60:02d}"


def format_iso(moment: datetime, tz: tzinfo) -> str:
    """``moment`` (aware) in ``tz`` with milliseconds and ``±hh:mm``."""
    if moment.tzinfo is None:
        raise ValueError("format_iso needs an aware datetime")
    local = moment.astimezone(tz)
    base = local.strftime("%Y-%m-%dT%H:%M:%S")
    return f"{base}.{local.microsecond // 1000:03d}{format_offset(local.utcoffset())}"


def bias(tz: tzinfo, now: datetime) -> str:
    """The current UTC offset of ``tz`` as ``±hh:mm``."""
    return format_offset(now.astimezone(tz).utcoffset())


def _parse_offset(text: str) -> timedelta:
    if text == "Z":
        return timedelta()
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours = int(digits[:2])
    minutes = int(digits[2:4]) if len(digits) > 2 else 0
    if hours > 23 or minutes > 59:
        raise ValueError("offset out of range")
    return sign * timedelta(hours=hours, minutes=minutes)


def parse_time(name: str, text: str, tz: ZoneInfo, now: datetime) -> datetime:
    """Parse a TS-API time parameter into an aware UTC datetime.

    A value without an offset is server local time (``tz``); a local time
    that does not exist or is ambiguous because of DST resolves as
    ``zoneinfo`` does (``fold=0``). Anything unparseable is a 400, and so is
    a time outside ``MIN_TIME..MAX_TIME``.
    """
    value = text.strip()
    word = value.lower()
    if word == "now":
        return now.astimezone(UTC)
    if word in ("today", "yesterday"):
        local = now.astimezone(tz)
        midnight = datetime(local.year, local.month, local.day, tzinfo=tz)
        if word == "yesterday":
            day = local.date() - timedelta(days=1)
            midnight = datetime(day.year, day.month, day.day, tzinfo=tz)
        return midnight.astimezone(UTC)
    m = _ISO.match(value)
    if not m:
        raise bad_request("badTime", name=name, value=text)
    try:
        year, month, mday = (int(p) for p in m.group("date").split("-"))
        frac = (m.group("frac") or "0").ljust(6, "0")[:6]
        naive = datetime(
            year,
            month,
            mday,
            int(m.group("h") or 0),
            int(m.group("m") or 0),
            int(m.group("s") or 0),
            int(frac),
        )
        tz_text = m.group("tz")
        if tz_text is None:
            moment = naive.replace(tzinfo=tz).astimezone(UTC)
        else:
            moment = (naive - _parse_offset(tz_text)).replace(tzinfo=UTC)
    except ValueError:
        raise bad_request("badTime", name=name, value=text) from None
    except OverflowError:
        moment = None
    if moment is None or not MIN_TIME <= moment <= MAX_TIME:
        raise _out_of_range(name, text)
    return moment


def _out_of_range(name: str, text: str) -> ApiError:
    lo, hi = (t.strftime("%Y-%m-%dT%H:%M:%SZ") for t in (MIN_TIME, MAX_TIME))
    return bad_request("outOfRange", name=name, value=text, lo=lo, hi=hi)


_DURATION = re.compile(r"^(?P<n>\d+(?:\.\d+)?)\s*(?P<unit>ms|w|d|h|m|s)?$")
_UNITS = {
    "w": timedelta(weeks=1),
    "d": timedelta(days=1),
    "h": timedelta(hours=1),
    "m": timedelta(minutes=1),
    "s": timedelta(seconds=1),
    "ms": timedelta(milliseconds=1),
}


def parse_duration(name: str, text: str) -> timedelta:
    """``duration=`` with a single unit of ``w d h m s ms``; no unit = seconds."""
    m = _DURATION.match(text.strip().lower())
    if not m or len(m.group("n")) > 40:
        raise bad_request("badDuration", name=name, value=text[:64])
    unit = _UNITS[m.group("unit") or "s"]
    if float(m.group("n")) * unit.total_seconds() > MAX_DURATION.total_seconds():
        raise bad_request("outOfRange", name=name, value=text, lo=0, hi=f"{MAX_DURATION.days}d")
    return float(m.group("n")) * unit

"""What every log search of the guide takes alike (the event log, the vehicle-number
log, the object log): ``timeBegin``/``timeEnd``, ``sort``, ``at`` and ``maxCount``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from nvrd.core.clock import ms_from_datetime
from nvrd.core.errors import bad_request
from nvrd.core.params import parse_int
from nvrd.core.timefmt import parse_time

#: ``maxCount`` when none is given, and the most a search answers at once
DEFAULT_COUNT = 50
MAX_COUNT = 1000
#: the largest ``at`` a search takes (None: any)
MAX_AT = 10**9


@dataclass(frozen=True)
class SearchWindow:
    begin_ms: int | None
    end_ms: int | None
    at: int
    max_count: int
    ascending: bool


def parse_window(
    q: Mapping[str, str], tz: ZoneInfo, now: datetime, max_at: int | None = MAX_AT
) -> SearchWindow:
    """The time range, order and page of a search; a malformed value is a 400."""
    bounds: dict[str, int] = {}
    for name in ("timeBegin", "timeEnd"):
        if q.get(name) is not None:
            bounds[name] = ms_from_datetime(parse_time(name, q[name], tz, now))
    begin, end = bounds.get("timeBegin"), bounds.get("timeEnd")
    if begin is not None and end is not None and end < begin:
        raise bad_request("badTimeRange")
    sort = q.get("sort", "desc").strip().lower() or "desc"
    if sort not in ("asc", "desc"):
        raise bad_request("unknownItem", item=sort[:64], name="sort")
    at = parse_int("at", q["at"], lo=0, hi=max_at) if q.get("at") is not None else 0
    count = DEFAULT_COUNT
    if q.get("maxCount") is not None:
        count = parse_int("maxCount", q["maxCount"], lo=1, hi=MAX_COUNT)
    return SearchWindow(begin, end, at, count, ascending=sort == "asc")

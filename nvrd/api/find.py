"""``/api/find?what=recDays|recMinutes``: days and minutes with recorded video
(``what=eventLog`` is in ``eventlog.py``, ``carNo`` and ``similarCarNo`` in ``carno.py``,
``object`` in ``objects.py``).

Times are bucketed in the server zone, or in UTC when every time given in
the request ends in ``Z``; the top-level ``timeBegin``/``timeEnd`` are then
printed in that zone (``+00:00`` for UTC). ``timeEnd`` is exclusive.
See docs/design/api-decisions.md, "Recorded video search".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from typing import Any

from nvrd.api.access import Part, Query, needs, when_param
from nvrd.api.carno import car_no, similar_car_no
from nvrd.api.endpoint import Call
from nvrd.api.eventlog import event_log
from nvrd.api.objects import object_search
from nvrd.api.routing import api_route
from nvrd.core import recbuckets as rb
from nvrd.core.clock import ms_from_datetime
from nvrd.core.errors import ApiError, bad_request
from nvrd.core.params import parse_bool, parse_int_list
from nvrd.core.rights import Right
from nvrd.core.timefmt import format_iso, parse_time

#: recMinutes: the longest window, in calendar days of the bucketing zone.
MAX_MINUTE_DAYS = 3


@dataclass(frozen=True)
class FindQuery:
    chids: list[int] | None
    begin: datetime | None
    end: datetime | None
    tz: tzinfo
    #: Any of ``ch``, ``timeBegin``, ``timeEnd`` given: answer per channel.
    conditioned: bool

    @property
    def begin_ms(self) -> int | None:
        return None if self.begin is None else ms_from_datetime(self.begin)

    @property
    def end_ms(self) -> int | None:
        return None if self.end is None else ms_from_datetime(self.end)


def parse_find_query(call: Call) -> FindQuery:
    q = call.query
    ch = q.get("ch")
    chids = sorted(set(parse_int_list("ch", ch, lo=1))) if ch is not None else None
    now = call.svc.clock.now()
    times: dict[str, datetime] = {}
    texts: list[str] = []
    for name in ("timeBegin", "timeEnd"):
        text = q.get(name)
        if text is not None:
            times[name] = parse_time(name, text, call.svc.tz, now)
            texts.append(text.strip())
    begin, end = times.get("timeBegin"), times.get("timeEnd")
    if begin is not None and end is not None and end < begin:
        raise bad_request("badTimeRange")
    in_utc = bool(texts) and all(t.endswith("Z") for t in texts)
    tz: tzinfo = UTC if in_utc else call.svc.tz
    return FindQuery(chids, begin, end, tz, conditioned=ch is not None or bool(times))


def _day_span(days: list[Any], tz: tzinfo) -> tuple[datetime, datetime]:
    first, last = days[0], days[-1]
    start = rb.day_start(date(first["year"], first["month"], first["days"][0]), tz)
    end = rb.day_end(date(last["year"], last["month"], last["days"][-1]), tz)
    return start, end


def _span(fq: FindQuery, days: list[Any], now: datetime) -> tuple[datetime, datetime]:
    """The requested times; a missing one is the first/last recorded day's bound."""
    if days:
        first, last = _day_span(days, fq.tz)
    else:
        ref = fq.begin or fq.end or now
        today = ref.astimezone(fq.tz).date()
        first, last = rb.day_start(today, fq.tz), rb.day_end(today, fq.tz)
    return fq.begin or first, fq.end or last


async def rec_days(call: Call) -> Any:
    fq = parse_find_query(call)
    buckets = await call.svc.recsearch.day_buckets(fq.chids, fq.begin_ms, fq.end_ms)

    def days_of(starts: list[int]) -> list[dict[str, Any]]:
        spans = rb.clip(rb.bucket_intervals(starts), fq.begin_ms, fq.end_ms)
        return rb.rec_days(spans, fq.tz)

    all_days = days_of([b for starts in buckets.values() for b in starts])
    data: list[Any]
    if fq.conditioned:
        data = []
        for chid in sorted(buckets):
            days = days_of(buckets[chid])
            if days:
                data.append({"chid": chid, "data": days})
    else:
        data = all_days
    begin, end = _span(fq, all_days, call.svc.clock.now())
    return {"timeBegin": format_iso(begin, fq.tz), "timeEnd": format_iso(end, fq.tz), "data": data}


def minute_window(fq: FindQuery) -> tuple[datetime, datetime]:
    """recMinutes window: both times, or one day from the one given (at most 3 days)."""
    if fq.begin is not None and fq.end is not None:
        if fq.end > rb.add_days(fq.begin, MAX_MINUTE_DAYS, fq.tz):
            raise bad_request("rangeTooLong", days=MAX_MINUTE_DAYS)
        return fq.begin, fq.end
    if fq.begin is not None:
        return fq.begin, rb.add_days(fq.begin, 1, fq.tz)
    if fq.end is not None:
        return rb.add_days(fq.end, -1, fq.tz), fq.end
    raise bad_request("missingParam", name="timeBegin/timeEnd")


async def rec_minutes(call: Call) -> Any:
    fq = parse_find_query(call)
    begin, end = minute_window(fq)
    b_ms, e_ms = ms_from_datetime(begin), ms_from_datetime(end)
    found = await call.svc.recsearch.intervals(fq.chids, b_ms, e_ms)
    data = []
    for chid in sorted(found):
        minutes = rb.rec_minutes(found[chid], fq.tz, b_ms, e_ms)
        if minutes:
            data.append({"chid": chid, "data": minutes})
    return {"timeBegin": format_iso(begin, fq.tz), "timeEnd": format_iso(end, fq.tz), "data": data}


_WHAT = {
    "recDays": rec_days,
    "recMinutes": rec_minutes,
    "eventLog": event_log,
    "carNo": car_no,
    "similarCarNo": similar_car_no,
    "object": object_search,
}

#: ``what=`` -> the right it needs (the same right gates the same data on a websocket
#: topic and in files: docs/design/security.md).
WHAT_RIGHTS = {
    "recDays": Right.PLAYBACK,
    "recMinutes": Right.PLAYBACK,
    "eventLog": Right.PLAYBACK,
    "carNo": Right.LPR,
    "similarCarNo": Right.LPR,
    "object": Right.PLAYBACK,
}


def _car_export(q: Query) -> bool:
    try:
        return q.get("what") == "carNo" and parse_bool("export", q.get("export"))
    except ApiError:
        return False  # the handler answers the malformed value


ACCESS = needs(
    parts=(
        *(when_param("what", what, right) for what, right in WHAT_RIGHTS.items()),
        Part("what=carNo&export", "what=carNo&export=true", _car_export, (Right.DATA_EXPORT,)),
    )
)


async def find(call: Call) -> Any:
    what = call.query.get("what")
    if what is None or what == "":
        raise bad_request("missingParam", name="what")
    found = _WHAT.get(what)
    if found is None:
        raise bad_request("unknownWhat", value=what)
    return await found(call)


routes = [api_route("/api/find", find, ACCESS)]

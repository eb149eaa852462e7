"""``/api/find?what=eventLog``: the event log, newest first, one page at a time.

Entries are rendered here for both the search and the ``systemEvent``
websocket topic: names in the request's language, times in the server zone.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from nvrd.api.endpoint import Call
from nvrd.core.clock import ms_from_datetime, utc_from_ms
from nvrd.core.errors import bad_request
from nvrd.core.eventtypes import EventType, LogEntry, code_key, type_key
from nvrd.core.i18n import Translator
from nvrd.core.params import parse_int, parse_int_list
from nvrd.core.timefmt import format_iso, parse_time
from nvrd.store.eventlog import LogQuery

DEFAULT_COUNT = 50
#: The largest page one request may ask for.
MAX_COUNT = 1000


def iso_ms(ms: int, tz: ZoneInfo) -> str:
    """Epoch milliseconds as the guide's local ISO 8601 time."""
    return format_iso(utc_from_ms(ms), tz)


def render_entry(e: LogEntry, i18n: Translator, lang: str, tz: ZoneInfo) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": e.id,
        "type": e.type,
        "typeName": i18n.text(lang, type_key(e.type)),
        "code": e.code,
        "codeName": i18n.text(lang, code_key(e.type, e.code)),
        "timeRange": [iso_ms(e.begin_ms, tz)]
        + ([iso_ms(e.end_ms, tz)] if e.end_ms is not None else []),
    }
    if e.param:
        out["param"] = e.param
    if e.comment:
        out["comment"] = e.comment
    return out


def parse_log_query(call: Call) -> LogQuery:
    q = call.query
    svc = call.svc
    now = svc.clock.now()
    begin = q.get("timeBegin")
    end = q.get("timeEnd")
    begin_ms = end_ms = None
    if begin is not None:
        begin_ms = ms_from_datetime(parse_time("timeBegin", begin, svc.tz, now))
    if end is not None:
        end_ms = ms_from_datetime(parse_time("timeEnd", end, svc.tz, now))
    if begin_ms is not None and end_ms is not None and end_ms < begin_ms:
        raise bad_request("badTimeRange")
    sort = q.get("sort", "desc").strip().lower() or "desc"
    if sort not in ("asc", "desc"):
        raise bad_request("unknownItem", item=sort, name="sort")
    types = None
    if q.get("type") is not None:
        types = parse_int_list("type", q["type"], lo=0)
        known = {int(t) for t in EventType}
        for t in types:
            if t not in known:
                raise bad_request("unknownItem", item=str(t), name="type")
    at = parse_int("at", q["at"], lo=0) if q.get("at") is not None else 0
    count = DEFAULT_COUNT
    if q.get("maxCount") is not None:
        count = parse_int("maxCount", q["maxCount"], lo=1, hi=MAX_COUNT)
    return LogQuery(types, begin_ms, end_ms, at, count, ascending=sort == "asc")


async def event_log(call: Call) -> Any:
    query = parse_log_query(call)
    total, entries = await call.svc.eventlog.search(query)
    svc = call.svc
    return {
        "totalCount": total,
        "at": query.at,
        "data": [render_entry(e, svc.i18n, call.lang, svc.tz) for e in entries],
    }

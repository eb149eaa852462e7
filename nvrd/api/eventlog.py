"""``/api/find?what=eventLog``: the event log, newest first, one page at a time.

Entries are rendered here for both the search and the ``systemEvent``
websocket topic: names in the request's language, times in the server zone.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from nvrd.api.endpoint import Call
from nvrd.api.searchwindow import parse_window
from nvrd.core.clock import utc_from_ms
from nvrd.core.errors import bad_request
from nvrd.core.eventtypes import EventType, LogEntry, code_key, type_key
from nvrd.core.i18n import Translator
from nvrd.core.params import parse_int_list
from nvrd.core.timefmt import format_iso
from nvrd.store.eventlog import LogQuery


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
    window = parse_window(q, svc.tz, svc.clock.now(), max_at=None)
    types = None
    if q.get("type") is not None:
        types = parse_int_list("type", q["type"], lo=0)
        known = {int(t) for t in EventType}
        for t in types:
            if t not in known:
                raise bad_request("unknownItem", item=str(t), name="type")
    w = window
    return LogQuery(types, w.begin_ms, w.end_ms, w.at, w.max_count, ascending=w.ascending)


async def event_log(call: Call) -> Any:
    query = parse_log_query(call)
    total, entries = await call.svc.eventlog.search(query)
    svc = call.svc
    return {
        "totalCount": total,
        "at": query.at,
        "data": [render_entry(e, svc.i18n, call.lang, svc.tz) for e in entries],
    }

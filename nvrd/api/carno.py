"""``/api/find?what=carNo|similarCarNo``: the vehicle-number log, its export, similar plates.

Both need the LPR right; ``export=true`` also needs DataExport. See
docs/design/api-decisions.md ("Vehicle-number log").
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from nvrd.api.endpoint import Call
from nvrd.api.pushmsg import score_value, watch_path
from nvrd.api.searchwindow import MAX_COUNT, parse_window
from nvrd.api.signin import public_base
from nvrd.core.clock import utc_from_ms
from nvrd.core.errors import bad_request
from nvrd.core.params import parse_bool, parse_int, parse_int_list, url_encode
from nvrd.core.plates import search_key
from nvrd.core.platesim import rank
from nvrd.core.timefmt import format_iso
from nvrd.integrations.carexport import COLUMNS, FORMATS
from nvrd.store.lprlog import CarQuery, LprRecord

MAX_KEYWORD = 64
SIMILAR_DEFAULT = 10
EXPORT_PAGE = 5000


def base_url(call: Call) -> str:
    return public_base(call.request, call.svc)


def absolute(base: str, url: str) -> str:
    return base + url[1:] if url.startswith("/") else url


def _keyword(call: Call) -> str:
    text = str(call.query.get("keyword", ""))
    if len(text) > MAX_KEYWORD:
        raise bad_request("outOfRange", name="keyword", value=len(text), lo=0, hi=MAX_KEYWORD)
    return text


def parse_car_query(call: Call) -> CarQuery:
    q = call.query
    svc = call.svc
    window = parse_window(q, svc.tz, svc.clock.now())
    src = None
    if q.get("src") is not None:
        src = sorted(set(parse_int_list("src", q["src"], lo=1)))
    return CarQuery(
        keyword=_keyword(call),
        begin_ms=window.begin_ms,
        end_ms=window.end_ms,
        src_ids=src,
        at=window.at,
        max_count=window.max_count,
        ascending=window.ascending,
        count=parse_bool("totalCount", q.get("totalCount"), default=True),
    )


def render(rec: LprRecord, call: Call) -> dict[str, Any]:
    """One entry as the guide's example shows it."""
    tz = call.svc.tz
    base = base_url(call)
    begin = format_iso(utc_from_ms(rec.time_begin_ms), tz)
    out: dict[str, Any] = {"id": rec.id, "plateNo": rec.plate_no}
    if rec.score is not None:
        out["score"] = score_value(rec.score)
    if rec.roi is not None:
        out["roi"] = rec.roi
    if rec.image:
        out["image"] = [absolute(base, u) for u in rec.image]
    out["timeRange"] = [begin, format_iso(utc_from_ms(rec.end_ms), tz)]
    out["srcCode"] = rec.src_code
    out["srcName"] = url_encode(rec.src_name)
    if rec.direction is not None:
        out["direction"] = rec.direction
    chids = list(rec.linked) or ([rec.chid] if rec.chid is not None else [])
    out["vod"] = [{"chid": c, "videoSrc": absolute(base, watch_path(c, begin))} for c in chids]
    return out


async def car_no(call: Call) -> Any:
    query = parse_car_query(call)
    if parse_bool("export", call.query.get("export")):
        return await export(call, query)
    total, records = await call.svc.integrations.lprlog.search(query)
    out: dict[str, Any] = {}
    if total is not None:
        out["totalCount"] = total
    out["at"] = query.at
    out["data"] = [render(r, call) for r in records]
    return out


async def export(call: Call, query: CarQuery) -> Any:
    """Write the whole result (at most ``[lpr] export_max_rows``) as files; their URLs."""
    cfg = call.svc.settings.lpr
    ext = call.query.get("format", "xls").strip().lower() or "xls"
    if ext not in FORMATS:
        raise bad_request("unknownItem", item=ext, name="format")
    records: list[LprRecord] = []
    at = query.at
    while len(records) < cfg.export_max_rows:
        page = min(EXPORT_PAGE, cfg.export_max_rows - len(records))
        _, got = await call.svc.integrations.lprlog.search(
            CarQuery(**{**query.__dict__, "at": at, "max_count": page, "count": False})
        )
        records.extend(got)
        at += len(got)
        if len(got) < page:
            break
    start = _start(query, records, call)
    header = [call.svc.i18n.text(call.lang, f"lpr.export.{c}") for c in COLUMNS]
    folder = call.svc.exports
    token, names = await asyncio.to_thread(
        folder.write, records, header, start, ext, cfg.export_rows_per_file, call.svc.tz
    )
    base = base_url(call)
    return [f"{base}download/carNo/{token}/{name}" for name in names]


def _start(query: CarQuery, records: list[LprRecord], call: Call) -> datetime:
    """What the files are named after: timeBegin, else the oldest entry, else now."""
    tz = call.svc.tz
    if query.begin_ms is not None:
        return utc_from_ms(query.begin_ms).astimezone(tz)
    if records:
        return utc_from_ms(min(r.time_begin_ms for r in records)).astimezone(tz)
    return call.svc.clock.now().astimezone(tz)


async def similar_car_no(call: Call) -> Any:
    keyword = search_key(_keyword(call))
    if not keyword:
        raise bad_request("missingParam", name="keyword")
    count = SIMILAR_DEFAULT
    if call.query.get("maxCount") is not None:
        count = parse_int("maxCount", call.query["maxCount"], lo=1, hi=MAX_COUNT)
    candidates = await call.svc.integrations.lprlog.similar_candidates(keyword)
    return [plate for plate, _ in rank(keyword, candidates, count)]

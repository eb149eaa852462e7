"""``/api/vod``: live video sources per channel, or recorded files by time or ``fileId``.

Live (no ``when``, or ``when=now``, and no ``id``) needs only sign-in;
recorded needs the Playback right. See docs/design/api-decisions.md,
"Recorded video search".
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from nvrd.api.access import Part, needs
from nvrd.api.endpoint import Call
from nvrd.api.live import live_sources
from nvrd.api.routing import api_route
from nvrd.api.signin import public_base
from nvrd.core.clock import ms_from_datetime, utc_from_ms
from nvrd.core.errors import bad_request, not_found
from nvrd.core.params import flag, parse_id, parse_int, parse_int_list, url_encode
from nvrd.core.rights import Right
from nvrd.core.timefmt import format_iso, parse_duration, parse_time
from nvrd.core.video import resolution_label
from nvrd.store.recordings import Segment

DEFAULT_LIMIT = 10
MAX_LIMIT = 50
#: ``when=`` alone: "only data within 1 second is retrieved".
DEFAULT_DURATION = timedelta(seconds=1)
OTHERWISE = ("nearBefore", "nearAfter")
STREAMS = ("main", "sub")
_WORD = re.compile(r"^[A-Za-z0-9_-]+$")


def storage_url(base_url: str, root_index: int, rel_path: str) -> str:
    return f"{base_url}storage/{root_index}/{quote(rel_path, safe='/')}"


def _choice(call: Call, name: str, allowed: tuple[str, ...]) -> str | None:
    value: str | None = call.query.get(name)
    if value is not None and value not in allowed:
        raise bad_request("unknownItem", name=name, item=value)
    return value


async def _titles(call: Call) -> dict[int, str]:
    return {ch.chid: ch.title for ch in await call.svc.channels.all()}


async def live(call: Call) -> Any:
    q = call.query
    chs = q.get("ch")
    wanted = set(parse_int_list("ch", chs, lo=1)) if chs is not None else None
    protocol = q.get("protocol")
    if protocol is not None and not _WORD.match(protocol):
        raise bad_request("unknownItem", name="protocol", item=protocol)
    stream = _choice(call, "stream", STREAMS)
    nameonly = flag(q, "nameonly")
    out: list[dict[str, Any]] = []
    for ch in await call.svc.channels.all():
        if wanted is not None and ch.chid not in wanted:
            continue
        display = f"CH{ch.chid}: {ch.title}" if ch.title else f"CH{ch.chid}"
        item: dict[str, Any] = {"chid": ch.chid, "title": url_encode(ch.title), "display": display}
        if not nameonly:
            item["src"] = [
                src
                for src in live_sources(call, ch.chid)
                if (protocol is None or src["protocol"] == protocol)
                and (stream is None or src["profile"] == stream)
            ]
        out.append(item)
    return out


def _item(call: Call, seg: Segment, roots: dict[str, int], titles: dict[int, str]) -> Any:
    tz = call.svc.tz
    src = {
        "src": storage_url(public_base(call.request, call.svc), roots[seg.root], seg.rel_path),
        "type": "video/mp4",
        "label": resolution_label(seg.height),
        "size": [seg.width, seg.height],
        "timeRange": [
            format_iso(utc_from_ms(seg.start_ms), tz),
            format_iso(utc_from_ms(seg.end_ms), tz),
        ],
    }
    title = url_encode(titles.get(seg.chid, ""))
    return {"chid": seg.chid, "title": title, "fileId": seg.file_id, "src": [src]}


async def _by_id(call: Call, file_id: int, chid: int | None, limit: int) -> list[Segment]:
    search = call.svc.recsearch
    ref = await search.file(file_id)
    if ref is None or (chid is not None and ref.chid != chid):
        raise not_found("unknownFile", id=file_id)
    if flag(call.query, "next"):
        return await search.after(ref.chid, file_id, limit)
    if flag(call.query, "prev"):
        return await search.before(ref.chid, file_id, limit)
    return await search.from_id(file_id, limit)


async def _by_time(
    call: Call, chid: int | None, when_text: str, limit: int, stream: str
) -> list[Segment]:
    q = call.query
    if chid is None:
        raise bad_request("missingParam", name="ch")
    when = parse_time("when", when_text, call.svc.tz, call.svc.clock.now())
    duration = DEFAULT_DURATION
    if q.get("duration") is not None:
        duration = parse_duration("duration", q["duration"])
        if duration <= timedelta():
            raise bad_request("durationNotPositive", name="duration", value=q["duration"])
    otherwise = _choice(call, "otherwise", OTHERWISE)
    begin_ms = ms_from_datetime(when)
    end_ms = begin_ms + duration // timedelta(milliseconds=1)
    search = call.svc.recsearch
    found = await search.overlapping(chid, begin_ms, end_ms, limit, stream)
    if found or otherwise is None:
        return found
    if otherwise == "nearBefore":
        return await search.nearest_before(chid, begin_ms, limit, stream)
    return await search.nearest_after(chid, end_ms, limit, stream)


async def recorded(call: Call) -> Any:
    q = call.query
    ch = q.get("ch")
    chid = parse_id("ch", ch) if ch is not None else None
    limit_text = q.get("limit")
    limit = DEFAULT_LIMIT if limit_text is None else parse_int("limit", limit_text, 1, MAX_LIMIT)
    flag(q, "nolive")  # validated only: recorded results never include live video
    nxt, prev = flag(q, "next"), flag(q, "prev")
    if nxt and prev:
        raise bad_request("oneAction", names="next, prev")
    stream = _choice(call, "stream", STREAMS) or "main"  # sub: a camera's recorded sub stream
    id_text = q.get("id")
    if id_text is not None:
        segments = await _by_id(call, parse_id("id", id_text), chid, limit)
    elif nxt or prev:
        raise bad_request("missingParam", name="id")
    else:
        segments = await _by_time(call, chid, q["when"], limit, stream)
    roots = {str(s.path): i for i, s in enumerate(call.svc.settings.storage_paths)}
    titles = await _titles(call)
    listed = [s for s in segments if s.root in roots]
    items = [_item(call, s, roots, titles) for s in listed]
    if call.user.has(Right.DATA_EXPORT):
        ranges = whole_ranges(call, listed)
        for item in items:
            item["range"] = ranges[item["chid"]]
    return items


def whole_ranges(call: Call, segments: list[Segment]) -> dict[int, dict[str, Any]]:
    """Per channel, the whole span of the listed files as one MP4 (``/api/view.mp4``)."""
    spans: dict[int, tuple[int, int]] = {}
    for s in segments:
        lo, hi = spans.get(s.chid, (s.start_ms, s.end_ms))
        spans[s.chid] = (min(lo, s.start_ms), max(hi, s.end_ms))
    base = public_base(call.request, call.svc)
    out: dict[int, dict[str, Any]] = {}
    for chid, (lo, hi) in spans.items():
        begin = format_iso(utc_from_ms(lo), call.svc.tz)
        end = format_iso(utc_from_ms(hi), call.svc.tz)
        out[chid] = {
            "src": f"{base}api/view.mp4?ch={chid}&timeBegin={quote(begin)}&timeEnd={quote(end)}",
            "type": "video/mp4",
            "timeRange": [begin, end],
        }
    return out


def is_live_query(q: Any) -> bool:
    when = q.get("when")
    return q.get("id") is None and (when is None or when.strip().lower() == "now")


def is_live(call: Call) -> bool:
    return is_live_query(call.query)


async def vod(call: Call) -> Any:
    return await (live(call) if is_live(call) else recorded(call))


#: Live video needs only a sign-in; recorded video (``id=`` or a past ``when=``) Playback.
#: The ``range`` entries (``/api/view.mp4``) are added only for users with DataExport.
RECORDED = Part(
    "recorded video (id= or when= other than now)",
    "when=2020-01-01T00:00:00Z",
    lambda q: not is_live_query(q),
    (Right.PLAYBACK,),
)

routes = [api_route("/api/vod", vod, needs(parts=(RECORDED,)))]

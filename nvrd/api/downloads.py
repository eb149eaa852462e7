"""``/download/{task}/{file}``: the files of a running export, and ``/api/view.mp4``: any
range of a channel as one MP4, assembled while it is sent.

Both need the DataExport right (Basic, cookie or ``auth=``). A download link
also works in the form the guide prints, ``.../CH1...mp4&auth=...`` (the
credentials glued to the path); only files the task offers now (between
its ``fileEnd`` and the client's ``next``) are served, and only to the user
who runs the task (or an administrator). Downloads carry
``Access-Control-Allow-Origin: *`` so that a page opened from disk (the
guide's example) can fetch them; they hold no cookie-based data.

``/api/view.mp4?ch=N&timeBegin=..&timeEnd=..`` answers with an exact
``Content-Length``, honours ``Range`` (one range; 416 when it is outside the
file) and ``If-Range``; each request that includes the first byte leaves a
privacy record ("Recorded video downloaded") in the event log.
"""

from __future__ import annotations

import hashlib
import logging
import re
from typing import Any
from urllib.parse import parse_qsl

from starlette.concurrency import iterate_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, Response, StreamingResponse

from nvrd.api.access import needs
from nvrd.api.endpoint import Call, client_address
from nvrd.api.routing import api_route
from nvrd.core.clock import utc_from_ms
from nvrd.core.errors import ApiError, Kind, bad_request, not_found
from nvrd.core.params import COMMON_PARAMS, parse_id
from nvrd.core.rights import Right
from nvrd.export.params import parse_range
from nvrd.export.plan import Plan, SourceGone, read

log = logging.getLogger("nvrd.export")

_TYPES = {
    ".mp4": "video/mp4",
    ".vtt": "text/vtt; charset=utf-8",
    ".srt": "application/x-subrip; charset=utf-8",
    ".smi": "application/smil; charset=utf-8",
    ".zip": "application/zip",
}
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$", re.ASCII)
CORS = {"Access-Control-Allow-Origin": "*"}
VIEW_PARAMS = frozenset({"ch", "timeBegin", "timeEnd"}) | COMMON_PARAMS


async def download(call: Call) -> Any:
    params = call.request.path_params
    task, name = str(params["task"]), str(params["file"])
    user = call.user
    path = call.svc.export.download(task, name, user.uid, user.is_admin)
    if path is None:
        raise not_found(path=call.request.url.path)
    media = _TYPES.get(path.suffix, "application/octet-stream")
    headers = {"Cache-Control": "no-store", **CORS}
    return FileResponse(
        path,
        media_type=media,
        headers=headers,
        filename=path.name,
        content_disposition_type="attachment",
    )


def glued_credentials(request: Request) -> Request:
    """Move credentials glued to the file name (``x.mp4&auth=...``) into the query string."""
    name = str(request.path_params["file"])
    if "&" in name:
        name, _, glued = name.partition("&")
        query = [*request.query_params.multi_items(), *parse_qsl(glued, keep_blank_values=True)]
        scope = dict(request.scope)
        scope["path_params"] = {**request.path_params, "file": name}
        scope["query_string"] = "&".join(f"{k}={_q(v)}" for k, v in query).encode()
        request = Request(scope, request.receive)
    return request


def _q(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")


# ---------------------------------------------------------------- view.mp4


def _byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """``(start, end)`` (end exclusive) of a ``Range: bytes=`` header; None = whole file."""
    if not header:
        return None
    m = _RANGE.match(header.strip())
    if not m or (not m.group(1) and not m.group(2)):
        return None  # several ranges or another unit: the whole file (RFC 9110 allows it)
    if len(m.group(1)) > 19 or len(m.group(2)) > 19:
        raise _unsatisfiable(size)  # no file is that large
    if not m.group(1):
        n = int(m.group(2))
        if n == 0 or size == 0:
            raise _unsatisfiable(size)
        return max(0, size - n), size
    start = int(m.group(1))
    end = int(m.group(2)) + 1 if m.group(2) else size
    if start >= size or end <= start:
        raise _unsatisfiable(size)
    return start, min(end, size)


def _unsatisfiable(size: int) -> ApiError:
    return ApiError(
        Kind.RANGE_NOT_SATISFIABLE,
        "badRange",
        {"size": size},
        headers={"Content-Range": f"bytes */{size}"},
    )


def _etag(plan: Plan) -> str:
    h = hashlib.sha256()
    for p in plan.sources:
        h.update(str(p).encode())
    h.update(f"{plan.size}:{plan.start_ms}:{plan.duration_ms}".encode())
    return '"' + h.hexdigest()[:32] + '"'


def _file_name(call: Call, chid: int, plan: Plan) -> str:
    local = utc_from_ms(plan.start_ms).astimezone(call.svc.tz)
    return f"CH{chid}.{local.strftime('%Y-%m-%dT%H.%M.%S')}.mp4"


async def view(call: Call) -> Any:
    q = call.query
    for key in q:
        if key not in VIEW_PARAMS:
            raise bad_request("unknownParam", name=key)
    if q.get("ch") is None:
        raise bad_request("missingParam", name="ch")
    chid = parse_id("ch", q["ch"])
    max_ms = int(call.svc.settings.export.max_range_hours * 3_600_000)
    begin, end = parse_range(q, call.svc.tz, call.svc.clock.now(), max_ms)
    titles = {c.chid: c.title for c in await call.svc.channels.all()}
    label = f"CH{chid} {titles.get(chid, '')}".strip()
    plan = await call.svc.export.view(chid, begin, end, label)
    if plan is None:
        raise not_found("noRecording", chid=chid)
    etag = _etag(plan)
    headers = {
        "Accept-Ranges": "bytes",
        "ETag": etag,
        "Cache-Control": "private, no-transform",
        "Content-Disposition": f'inline; filename="{_file_name(call, chid, plan)}"',
    }
    wanted = call.request.headers.get("range")
    if_range = call.request.headers.get("if-range")
    span = _byte_range(wanted, plan.size) if not if_range or if_range == etag else None
    start, stop = span or (0, plan.size)
    status = 206 if span else 200
    if span:
        headers["Content-Range"] = f"bytes {start}-{stop - 1}/{plan.size}"
    headers["Content-Length"] = str(stop - start)
    if call.request.method == "GET" and start == 0:
        export = call.svc.export
        call.svc.export.records.video_downloaded(
            call.user.uid,
            chid,
            (export.iso(begin), export.iso(end)),
            client_address(call.request),
        )
    if call.request.method == "HEAD":
        return Response(status_code=status, headers=headers, media_type="video/mp4")
    return StreamingResponse(
        _stream(plan, start, stop), status_code=status, headers=headers, media_type="video/mp4"
    )


async def _stream(plan: Plan, start: int, stop: int) -> Any:
    try:
        async for chunk in iterate_in_threadpool(read(plan, start, stop)):
            yield chunk
    except SourceGone as exc:
        log.warning("view.mp4 source vanished while sending", extra={"error": str(exc)})
        raise


routes = [
    api_route(
        "/download/{task}/{file:path}",
        download,
        needs(Right.DATA_EXPORT),
        rewrite=glued_credentials,
        media=True,
    ),
    api_route("/api/view.mp4", view, needs(Right.DATA_EXPORT), methods=["GET", "HEAD"], media=True),
]

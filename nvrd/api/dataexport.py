"""``/wsapi/dataExport``: exporting recorded video over a websocket (the guide's procedure).

The socket signs in by itself (``auth=``, ``login=``, ``session=``, the
cookie or Basic) and needs the DataExport right: bad credentials close it
with 4401, a user without the right with 4403, before any message. Then the
server sends ``ready``: status 0 with the task summary, or -2 (invalid
parameters, with the message naming the parameter), -1 (nothing recorded)
or -5 (no free space), after which it closes the socket. With status 0 the
task waits for a slot (``[export] max_concurrent``) and runs
(``nvrd/export/session.py``); a socket that closes stops it at once and its
files are deleted. When more than ``[export] max_waiting`` tasks wait, the
socket is closed with 1013 (try again later) instead of ``ready``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from nvrd.api.access import needs
from nvrd.api.context import Services
from nvrd.api.routing import socket_route
from nvrd.api.signin import public_base
from nvrd.api.wsclose import close_if_open
from nvrd.core import jsondoc
from nvrd.core.errors import ApiError
from nvrd.core.params import parse_indent
from nvrd.core.rights import Right
from nvrd.export.files import free_bytes
from nvrd.export.params import ExportRequest, parse_request
from nvrd.export.service import Busy, ChannelWork
from nvrd.export.session import BAD_PARAMS, NO_DATA, NO_SPACE, SUCCESS, Session
from nvrd.store.users import User

log = logging.getLogger("nvrd.export")

#: A command is a small JSON object; anything longer is refused unread.
MAX_COMMAND = 4096
#: Commands read but not yet handled; a client that floods past this is disconnected.
MAX_PENDING = 64
#: Less free space than this (beyond the recording reserve) is "no space" at ready.
MIN_ROOM = 16 * 1024 * 1024


def _summary(svc: Services, task: str, req: ExportRequest, work: list[ChannelWork]) -> Any:
    return {
        "id": task,
        "ch": [w.chid for w in work] if work else list(req.chids or []),
        "timeRange": [svc.export.iso(req.begin_ms), svc.export.iso(req.end_ms)],
        "mediaSize": req.media_size,
        "subtitleFormat": req.subtitle or "None",
        "language": req.lang,
    }


async def _ready_failure(
    ws: WebSocket, send: Any, code: int, message: str, task: Any = None
) -> None:
    msg: dict[str, Any] = {"stage": "ready", "status": {"code": code, "message": message}}
    if task is not None:
        msg["task"] = task
    with contextlib.suppress(Exception):
        await send(msg)
        await close_if_open(ws, 1000)


async def _read_commands(ws: WebSocket, queue: asyncio.Queue[dict[str, Any] | None]) -> None:
    try:
        while True:
            text = await ws.receive_text()
            try:
                msg = jsondoc.loads(text) if len(text) <= MAX_COMMAND else None
            except ApiError:
                msg = None
            try:
                queue.put_nowait(msg if isinstance(msg, dict) else {"cmd": None})
            except asyncio.QueueFull:  # a flood of commands that are not being answered
                with contextlib.suppress(Exception):
                    await close_if_open(ws, 1008, "too many commands")
                break
    except (WebSocketDisconnect, RuntimeError, OSError, KeyError):
        pass
    with contextlib.suppress(asyncio.QueueFull):
        queue.put_nowait(None)


async def data_export(ws: WebSocket, svc: Services, user: User) -> None:
    q = ws.query_params
    try:
        indent = parse_indent(q.get("indent"))
    except ApiError:
        indent = None

    async def send(msg: dict[str, Any]) -> None:
        await ws.send_text(json.dumps(msg, ensure_ascii=False, indent=indent))

    lang = svc.i18n.default
    try:
        lang = svc.i18n.resolve(q.get("lang"))
        cfg = svc.settings.export
        req = parse_request(
            q,
            svc.tz,
            svc.clock.now(),
            lang,
            cfg.default_media_size_mb * 1024 * 1024,
            int(cfg.max_range_hours * 3_600_000),
        )
    except ApiError as err:
        message = svc.i18n.text(lang, f"error.{err.key}", **err.params)
        await _ready_failure(ws, send, BAD_PARAMS, message)
        return
    task = str(uuid.uuid4())
    try:
        work = await svc.export.work(req.chids, req.begin_ms, req.end_ms)
    except ApiError as err:
        await _ready_failure(
            ws, send, BAD_PARAMS, svc.i18n.text(lang, f"error.{err.key}", **err.params)
        )
        return
    summary = _summary(svc, task, req, work)
    if not work:
        await _ready_failure(ws, send, NO_DATA, _status(svc, lang, NO_DATA), summary)
        return
    reserve = int(svc.settings.recording.min_free_mb * 1024 * 1024)
    if await asyncio.to_thread(free_bytes, svc.export.folder) < reserve + MIN_ROOM:
        await _ready_failure(ws, send, NO_SPACE, _status(svc, lang, NO_SPACE), summary)
        return
    if svc.export.waiting >= svc.settings.export.max_waiting and svc.export.running:
        await close_if_open(ws, 1013, "too many exports waiting")
        return
    await _run(ws, svc, send, user.uid, task, req, work, summary)


def _status(svc: Services, lang: str, code: int) -> str:
    return svc.i18n.text(lang, f"export.status.{code}")


async def _run(
    ws: WebSocket,
    svc: Services,
    send: Any,
    uid: str,
    task: str,
    req: ExportRequest,
    work: list[ChannelWork],
    summary: Any,
) -> None:
    cfg = svc.settings.export
    queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(maxsize=MAX_PENDING)
    session = Session(
        svc=svc.export,
        i18n=svc.i18n,
        task=task,
        uid=uid,
        req=req,
        work=work,
        send=send,
        commands=queue,
        base_url=public_base(ws, svc),
        ttl_ms=round(cfg.ttl_seconds * 1000),
        alert_ms=round(cfg.alert_seconds * 1000),
        reserve_bytes=int(svc.settings.recording.min_free_mb * 1024 * 1024),
    )
    try:
        await send({"stage": "ready", "status": session.status(SUCCESS), "task": summary})
    except Exception:
        return
    job = asyncio.create_task(session.run())
    reader = asyncio.create_task(_read_commands(ws, queue))
    done, _ = await asyncio.wait({job, reader}, return_when=asyncio.FIRST_COMPLETED)
    if job not in done:  # the socket closed first: stop at once
        job.cancel()
    with contextlib.suppress(asyncio.CancelledError, Busy):
        try:
            await job
        except (WebSocketDisconnect, RuntimeError, OSError):
            pass
        except Exception:
            log.exception("export task failed", extra={"task": task})
    reader.cancel()
    with contextlib.suppress(Exception):
        await close_if_open(ws, 1000)


routes = [socket_route("/wsapi/dataExport", data_export, needs(Right.DATA_EXPORT))]

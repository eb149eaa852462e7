"""Event backup: ``PUT /api/event-videos/trigger`` and the saved clips under ``/event-storage/``.

Any signed-in user may trigger an event backup (like ``POST /api/push``); a
``presetGo`` task moves a camera and needs the Control right (403). The
answer is ``{"eventId", "videoURLs"}`` at once; the files appear once the
recording has passed ``postAlarm`` (``nvrd/export/backup.py``). A bad body
is a 400 naming the field. Clips are served with the Playback right
(Basic, cookie or ``auth=``), with Range support; only ``.mp4`` files inside
the event storage.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import FileResponse

from nvrd.api.access import SIGNED_IN, needs
from nvrd.api.body import read_json
from nvrd.api.endpoint import Call
from nvrd.api.routing import api_route
from nvrd.core.errors import ApiError, Kind, bad_request, not_found
from nvrd.core.rights import Right
from nvrd.export.trigger import BodyError, parse_trigger

MAX_BODY = 64 * 1024


async def trigger(call: Call) -> Any:
    doc = await read_json(call.request, MAX_BODY)
    try:
        t = parse_trigger(doc, call.svc.tz, call.svc.clock.now())
    except BodyError as err:
        raise bad_request("badField", field=err.where, problem=err.problem) from None
    known = {c.chid for c in await call.svc.channels.all()}
    chids = t.backup.chids if t.backup is not None else (t.chid,)
    for i, chid in enumerate(chids):
        if chid not in known:
            where = "chid" if chid == t.chid else f"chids[{i}]"
            raise bad_request("badField", field=where, problem=f"channel {chid} does not exist")
    if t.presets and not call.user.has(Right.CONTROL):
        raise ApiError(Kind.FORBIDDEN, "needRight", {"right": Right.CONTROL.value})
    event_id, urls = await call.svc.eventbackup.trigger(t, call.user.uid)
    return {"eventId": event_id, "videoURLs": urls}


async def clip_file(call: Call) -> Any:
    path = call.svc.eventbackup.file(str(call.request.path_params["path"]))
    if path is None:
        raise not_found(path=call.request.url.path)
    return FileResponse(path, media_type="video/mp4", headers={"Cache-Control": "private"})


routes = [
    # presetGo tasks (in the body) also need Control: checked in trigger().
    api_route("/api/event-videos/trigger", trigger, SIGNED_IN, methods=["PUT"]),
    api_route("/event-storage/{path:path}", clip_file, needs(Right.PLAYBACK), media=True),
]

"""``/api/status``: channel status codes, messages and recording status."""

from __future__ import annotations

from typing import Any

from nvrd.api.access import SIGNED_IN
from nvrd.api.endpoint import Call
from nvrd.api.routing import api_route
from nvrd.core.params import flag, parse_int_list
from nvrd.core.statuscodes import status_key
from nvrd.core.timefmt import format_iso


async def status(call: Call) -> Any:
    svc = call.svc
    chs = call.query.get("ch")
    wanted = set(parse_int_list("ch", chs, lo=1)) if chs is not None else None
    verbose = flag(call.query, "verbose")
    with_recording = flag(call.query, "recordingStatus")
    out: list[dict[str, Any]] = []
    for ch in await svc.channels.all():
        if wanted is not None and ch.chid not in wanted:
            continue
        state = svc.status.state(ch.chid)
        st: dict[str, Any] = {"code": state.code}
        if verbose:
            st["message"] = svc.i18n.text(call.lang, status_key(state.code))
        item: dict[str, Any] = {"chid": ch.chid, "status": st}
        if with_recording:
            rec: dict[str, Any] = {"streaming": state.streaming, "recording": state.recording}
            if state.recording_failed_at is not None:
                rec["timestampRecordingFailure"] = format_iso(state.recording_failed_at, svc.tz)
            item["recordingStatus"] = rec
        out.append(item)
    return out


routes = [api_route("/api/status", status, SIGNED_IN)]

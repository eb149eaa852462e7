"""``POST /api/discover``: ONVIF cameras that answer WS-Discovery on the configured
interface (beyond the guide; for the operator's add-camera page).

Body (optional): ``{"uid": "...", "password": "..."}``: each camera found is
asked for its device information with them (``credentials``: true, false, or
null when it did not answer). Needs the Settings right, as adding channels does.
"""

from __future__ import annotations

from typing import Any

from nvrd.api.access import needs
from nvrd.api.body import read_json
from nvrd.api.endpoint import Call
from nvrd.api.routing import api_route
from nvrd.core.errors import ApiError, Kind, bad_request
from nvrd.core.rights import Right
from nvrd.devices.discovery import discover as ws_discover

MAX_BODY = 4096


def _credentials(doc: Any) -> tuple[str, str]:
    if doc is None:
        return "", ""
    if not isinstance(doc, dict) or set(doc) - {"uid", "password"}:
        raise bad_request("badJson", reason="the body is {uid, password}")
    uid, password = doc.get("uid", ""), doc.get("password", "")
    if not isinstance(uid, str) or not isinstance(password, str):
        raise bad_request("badJson", reason="uid and password are strings")
    return uid[:128], password[:128]


async def discover(call: Call) -> Any:
    cfg = call.svc.settings.discovery
    if not cfg.interface:
        raise ApiError(Kind.UNAVAILABLE, "discoveryOff")
    has_body = call.request.headers.get("content-length", "0") not in ("", "0")
    uid, password = _credentials(await read_json(call.request, MAX_BODY) if has_body else None)
    found = await ws_discover(
        cfg.interface, cfg.group, cfg.port, cfg.timeout_seconds, uid=uid, password=password
    )
    return {"devices": [f.to_doc() for f in found]}


routes = [
    api_route("/api/discover", discover, needs(Right.SETTINGS), methods=["POST"]),
]

"""Live video: HLS files under ``/hls/`` and the low-latency WebSocket ``/wsapi/live``.

The WebSocket sends a JSON text message ``{"type": "init", "codec", "mime",
"width", "height", ...}``, then the init segment and fragments (one per
frame) as binary messages, for a browser's Media Source Extensions
(``SourceBuffer.mode = "sequence"``). When the camera's stream ends it sends
``{"type": "status", "code": ...}`` and, when it returns, a new init.
Close codes: 4401 bad or missing credentials, 4404 unknown channel,
4408 the viewer fell too far behind.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.responses import Response
from starlette.websockets import WebSocket

from nvrd.api.access import SIGNED_IN
from nvrd.api.context import Services
from nvrd.api.endpoint import Call
from nvrd.api.routing import api_route, socket_route
from nvrd.api.signin import public_base
from nvrd.api.sockets import pump
from nvrd.api.wsclose import close_if_open
from nvrd.core.errors import ApiError, not_found
from nvrd.core.params import parse_id
from nvrd.core.video import resolution_label
from nvrd.media.live.hub import Message
from nvrd.store.users import User

log = logging.getLogger("nvrd.live")

#: A viewer whose connection cannot take a message for this long is cut off.
SEND_TIMEOUT = 2.0

_TYPES = {
    ".m3u8": "application/vnd.apple.mpegurl",
    ".mp4": "video/mp4",
    ".m4s": "video/iso.segment",
}


async def hls_file(call: Call) -> Any:
    stream = str(call.request.path_params["stream"])
    name = str(call.request.path_params["name"])
    data = call.svc.media.hls_file(stream, name)
    if data is None:
        raise not_found(path=call.request.url.path)
    cache = "no-cache" if name.endswith(".m3u8") else "private, max-age=60"
    kind = _TYPES[name[name.rindex(".") :]]
    return Response(data, media_type=kind, headers={"Cache-Control": cache})


async def live_socket(ws: WebSocket, svc: Services, user: User) -> None:
    query = ws.query_params
    client = ws.client.host if ws.client else "unknown"
    try:
        chid = parse_id("ch", query.get("ch", ""))
    except ApiError as err:
        await close_if_open(ws, 4400, err.key)
        return
    stream = query.get("stream", "main")
    if stream not in ("main", "sub") or (hub := svc.media.hub(chid, stream)) is None:
        await close_if_open(ws, 4404, "no such live stream")
        return
    viewer = hub.subscribe(name=f"{client} ch{chid}{stream}")

    async def send(msg: Message) -> None:
        if isinstance(msg, str):
            await ws.send_text(msg)
        else:
            await ws.send_bytes(msg)

    outcome = await pump(ws, viewer, send, SEND_TIMEOUT)
    if outcome == "stuck":
        log.warning("live viewer stuck; disconnected", extra={"chid": chid, "viewer": viewer.name})


routes = [
    # Live video, like /api/vod without when=: any signed-in user.
    api_route("/hls/{stream}/{name}", hls_file, SIGNED_IN, media=True),
    socket_route("/wsapi/live", live_socket, SIGNED_IN),
]


def live_sources(call: Call, chid: int) -> list[dict[str, Any]]:
    """The live streams nvrd serves for a channel, with URLs on the host the client used."""
    return stream_sources(call.svc, public_base(call.request, call.svc), chid)


def stream_sources(svc: Services, base: str, chid: int) -> list[dict[str, Any]]:
    """The live streams of a channel (main, then the camera's sub stream when it has
    one), with URLs below ``base`` (``http://host/``)."""
    out: list[dict[str, Any]] = []
    for profile, hub in svc.media.streams(chid):
        width, height = (hub.width, hub.height) if hub is not None else (0, 0)
        common = {"label": resolution_label(height), "size": [width, height]}
        if svc.settings.live.hls and (hub is not None or profile == "main"):
            out.append(
                {
                    "protocol": "hls",
                    "profile": profile,
                    "src": f"{base}hls/ch{chid}{profile}/index.m3u8",
                    "type": "application/x-mpegurl",
                    **common,
                }
            )
        if hub is not None and svc.settings.live.lowlatency:
            ws_base = "wss" + base[5:] if base.startswith("https") else "ws" + base[4:]
            out.append(
                {
                    "protocol": "ws",
                    "profile": profile,
                    "src": f"{ws_base}wsapi/live?ch={chid}&stream={profile}",
                    "type": "video/mp4",
                    **common,
                }
            )
    return out

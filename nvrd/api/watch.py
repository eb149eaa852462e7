"""``/watch``: the self-contained HTML5 player page, the demo page ``/`` and their files.

``/watch?ch=N[&when=...][&auth=...][&lang=...][&showTitle=...][&showPlayTime=...]``
answers the player page. What the server can decide (credentials, channel,
``when``) it checks here; a problem is answered with the same page, the
matching 4xx status and an ``error`` the page shows in its own language.
Everything else (live transport, recorded files, "no recording at ...") the
page decides in the browser (``nvrd/web/watch.js``).

The settings reach the page as JSON in ``<script type="application/json"
id="nvrd-config">``. ``/static/`` serves only the page's own files and the
pinned hls.js from ``node_modules`` (see package.json); nothing else.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response

import nvrd
from nvrd.api.access import PUBLIC, Part, needs
from nvrd.api.context import Services, services
from nvrd.api.routing import page_route
from nvrd.api.signin import authenticate, set_session_cookie
from nvrd.auth.service import Identity
from nvrd.core.errors import ApiError, Kind, not_found
from nvrd.core.params import bounded_int, parse_bool
from nvrd.core.rights import Right
from nvrd.core.timefmt import format_iso, parse_time

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
NODE_MODULES = Path(nvrd.__file__).resolve().parent.parent / "node_modules"

#: /static/<name> -> (file, media type); nothing outside this table is served.
STATIC_FILES: dict[str, tuple[Path, str]] = {
    "watch.js": (WEB_DIR / "watch.js", "text/javascript; charset=utf-8"),
    "watch.css": (WEB_DIR / "watch.css", "text/css; charset=utf-8"),
    "vendor/hls.min.js": (
        NODE_MODULES / "hls.js" / "dist" / "hls.min.js",
        "text/javascript; charset=utf-8",
    ),
}

#: The page is built per request and carries credentials in its URL: never cache or leak it.
PAGE_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}

#: English texts for the page's errors, shown until (or if) watch.js localises them.
ERROR_TEXT = {
    "badCredentials": "Wrong user ID or password.",
    "signIn": "Sign-in required: add auth= (base64 of uid:password) to the address.",
    "noRight": "This account may not view this video.",
    "lockedOut": "Too many failed sign-ins; try again later.",
    "noChannel": "No such channel.",
    "badWhen": "Invalid date and time in when=.",
    "badParam": "Invalid value in a parameter (true or false).",
}


_PLACEHOLDER = re.compile(r"\{\{(LANG|TITLE|MESSAGE|CONFIG)\}\}")


@dataclass
class PageError:
    """A problem found before the player starts: the status and the page's message key."""

    status: int
    key: str
    detail: dict[str, Any] = field(default_factory=dict)


@cache
def _template(name: str) -> str:
    return (WEB_DIR / name).read_text("utf-8")


def embed_json(data: Any) -> str:
    """JSON safe inside a ``<script>`` element (no ``</script>``, no ``<!--``)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


#: The page's boolean parameters (absent = true).
FLAGS = ("showTitle", "showPlayTime")


def _flags(request: Request) -> tuple[dict[str, bool], PageError | None]:
    """The boolean parameters; a value other than true/false/1/0 is a 400 on the page."""
    out: dict[str, bool] = {}
    error: PageError | None = None
    for name in FLAGS:
        value = request.query_params.get(name)
        try:
            out[name] = parse_bool(name, value, default=True)
        except ApiError:
            out[name] = True
            error = error or PageError(400, "badParam", {"name": name})
    return out, error


def _lang(svc: Services, text: str | None) -> str:
    """The canonical code of ``lang=`` if the server knows it, else as given (the page
    falls back to English for texts and to the browser's rules for dates)."""
    try:
        return svc.i18n.resolve(text)
    except ApiError:
        return (text or "").strip()[:35]


def _recorded(q: Any) -> bool:
    when = (q.get("when") or "").strip().lower()
    return bool(when) and when != "now"


#: The player page: any signed-in user for live video, Playback for a past ``when=``.
#: Refusals are shown in the page (with the matching status), not as JSON.
ACCESS = needs(
    parts=(Part("when= other than now", "when=2020-01-01T00:00:00Z", _recorded, (Right.PLAYBACK,)),)
)


def _auth_error(err: ApiError) -> PageError:
    if err.kind is Kind.TOO_MANY_ATTEMPTS:
        return PageError(429, "lockedOut", {"seconds": err.params.get("seconds")})
    if err.kind is Kind.FORBIDDEN:
        return PageError(403, "noRight")
    return PageError(401, "badCredentials")


def _channel_number(text: str | None) -> int | None:
    value = bounded_int((text or "1").strip())
    return value if value is not None and 0 < value < 1_000_000 else None


async def _check(
    request: Request, svc: Services, config: dict[str, Any]
) -> tuple[Identity | None, PageError | None]:
    """Sign-in, channel and ``when``; fills ``config`` with what the page needs."""
    try:
        identity = await authenticate(request, svc)
    except ApiError as err:
        return None, _auth_error(err)
    user = identity.user
    if user is None:
        return identity, PageError(401, "signIn")
    if ACCESS.refusal(user, request.query_params) is not None:
        return identity, PageError(403, "noRight")
    chid = _channel_number(request.query_params.get("ch"))
    channel = await svc.channels.get(chid) if chid is not None else None
    if chid is None or channel is None:
        return identity, PageError(404 if chid is not None else 400, "noChannel")
    config["title"] = channel.title or f"CH{chid}"
    when_text = (request.query_params.get("when") or "").strip()
    if when_text and when_text.lower() != "now":
        try:
            when = parse_time("when", when_text, svc.tz, svc.clock.now())
        except ApiError:
            return identity, PageError(400, "badWhen", {"when": when_text})
        config["live"] = False
        config["when"] = format_iso(when, svc.tz)
    return identity, None


async def watch_page(request: Request) -> Response:
    svc = services(request)
    q = request.query_params
    chid = _channel_number(q.get("ch"))
    flags, flag_error = _flags(request)
    config: dict[str, Any] = {
        "ch": chid,
        "live": True,
        "when": None,
        "whenText": q.get("when"),
        "title": f"CH{chid}" if chid else "",
        "lang": _lang(svc, q.get("lang")),
        **flags,
        "auth": q.get("auth") or None,
        "timezone": svc.tz.key,
        "transport": q.get("transport") or "auto",
        # the camera's sub stream, shown in small players (stream=main|sub forces one)
        "sub": chid is not None and svc.media.has_sub(chid),
        "stream": q.get("stream") if q.get("stream") in ("main", "sub") else "auto",
        "error": None,
    }
    identity, error = await _check(request, svc, config)
    error = error or flag_error
    if error is not None:
        config["error"] = {"key": error.key, "status": error.status, **error.detail}
    values = {
        "LANG": html.escape(config["lang"] or "en-US"),
        "TITLE": html.escape(config["title"] or "nvrd"),
        "MESSAGE": html.escape(ERROR_TEXT.get(error.key, "") if error else ""),
        "CONFIG": embed_json(config),
    }
    # One pass, so that text from the request is never taken for a placeholder.
    page = _PLACEHOLDER.sub(lambda m: values[m.group(1)], _template("watch.html"))
    response = HTMLResponse(page, status_code=error.status if error else 200, headers=PAGE_HEADERS)
    if identity is not None and identity.user is not None:
        set_session_cookie(response, svc, identity, request)
    return response


async def index_page(request: Request) -> Response:
    return HTMLResponse(_template("index.html"), headers=PAGE_HEADERS)


async def static_file(request: Request) -> Response:
    name = str(request.path_params["name"])
    entry = STATIC_FILES.get(name)
    if entry is None or not entry[0].is_file():
        raise not_found(path=request.url.path)
    path, media_type = entry
    return FileResponse(path, media_type=media_type, headers={"Cache-Control": "no-cache"})


routes = [
    page_route("/watch", watch_page, ACCESS),
    page_route("/", index_page, PUBLIC),
    page_route("/static/{name:path}", static_file, PUBLIC),
]

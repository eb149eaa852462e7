"""The one sign-in step of every HTTP and WebSocket route.

Credentials come from ``auth=``/``login=`` (base64 of ``uid:password``),
HTTP Basic, the session cookie, and on websockets also ``session=`` (the
cookie's value, for clients that cannot send cookies). A request that is
authenticated by the cookie alone is refused (403 ``foreignOrigin``) when a
browser says it comes from another site (``Origin``) and it is a websocket
upgrade or changes state (POST/PUT/DELETE, or a GET its route declares as
changing state); credentials in the request itself are not something a
foreign page can send by accident, so they are unaffected.
"""

from __future__ import annotations

import dataclasses
from urllib.parse import urlsplit

from starlette.requests import HTTPConnection
from starlette.responses import Response

from nvrd.api.context import Services
from nvrd.auth.service import Identity
from nvrd.core.errors import forbidden


def client_address(conn: HTTPConnection) -> str:
    """The caller's address (already resolved through trusted proxies, ``nvrd.api.proxies``)."""
    return conn.client.host if conn.client else "unknown"


def is_tls(conn: HTTPConnection) -> bool:
    return conn.url.scheme in ("https", "wss")


async def authenticate(
    conn: HTTPConnection, svc: Services, *, socket: bool = False, media: bool = False
) -> Identity:
    """Who is calling; raises ApiError 400/401/403/429 for bad credentials.

    A sign-in with explicit credentials gets a session of its own (and a cookie); media
    files, which players fetch many times with ``auth=`` in the URL and no cookie, share
    one per credentials; websockets get none (they keep no cookie)."""
    query = conn.query_params
    cookie = conn.cookies.get(svc.settings.auth.cookie_name)
    explicit = query.get("session") if socket else None
    identity = await svc.auth.identify(
        query,
        conn.headers.get("authorization"),
        explicit or cookie,
        client_address(conn),
        session="none" if socket else "shared" if media else "own",
    )
    if explicit and identity.via == "cookie":
        identity = dataclasses.replace(identity, via="session")
    return identity


def _origin_of(url: str) -> tuple[str, str] | None:
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return None
    scheme = {"ws": "http", "wss": "https"}.get(parts.scheme, parts.scheme)
    host = parts.hostname or ""
    port = parts.port or (443 if scheme == "https" else 80)
    return scheme, f"{host}:{port}"


def same_origin(conn: HTTPConnection, svc: Services) -> bool:
    """True unless the request names an ``Origin`` other than this server's, or, without
    ``Origin`` (a link followed from another site), says ``Sec-Fetch-Site: cross-site``."""
    origin = conn.headers.get("origin")
    if origin is None:
        return conn.headers.get("sec-fetch-site", "").lower() not in ("cross-site", "same-site")
    theirs = _origin_of(origin.strip())
    if theirs is None:  # "null" (sandboxed frames, files) or garbage
        return False
    ours = {_origin_of(str(conn.base_url))}
    if svc.settings.server.public_url:
        ours.add(_origin_of(svc.settings.server.public_url))
    return theirs in ours


def check_origin(conn: HTTPConnection, svc: Services, identity: Identity, changes: bool) -> None:
    if changes and identity.via == "cookie" and not same_origin(conn, svc):
        raise forbidden("foreignOrigin")


def set_session_cookie(
    response: Response, svc: Services, identity: Identity, conn: HTTPConnection
) -> None:
    if identity.new_session and identity.session_token:
        response.set_cookie(
            svc.settings.auth.cookie_name,
            identity.session_token,
            httponly=True,
            samesite="lax",
            secure=is_tls(conn),
            path="/",
        )


def public_base(conn: HTTPConnection, svc: Services) -> str:
    """``http(s)://host[:port]/`` for absolute URLs: ``[server] public_url`` when set,
    otherwise the address the request came to (https when it came over TLS)."""
    configured = svc.settings.server.public_url
    if configured:
        return configured
    base = str(conn.base_url)
    if base.startswith("wss"):
        return "https" + base[3:]
    return "http" + base[2:] if base.startswith("ws") else base

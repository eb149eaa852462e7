"""The route table: every route declares its access, and the app enforces each declaration.

Walks ``nvrd.app.routes()`` (no list kept by hand). For every route and for
every declared part (``?what=eventLog``, ``?restart``, ``topics=systemEvent``
...): an anonymous caller is refused unless the route is public, a user
lacking one of the needed rights is refused (HTTP 403; websockets close
4403; device control answers 200 with code -1, the guide's form), a
non-administrator is refused where administrators only are allowed, and a
user who has what is needed is not refused (any other answer: 400, 404 ...).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx2
import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from nvrd.api.access import Access
from nvrd.api.routing import ApiRoute, PageRoute, SocketRoute
from nvrd.app import routes
from nvrd.core.rights import Right
from tests.conftest import ADMIN, AppHarness, b64

RIGHTS = [r for r in Right if r is not Right.REMOTE]  # without Remote nobody signs in
ALL = ("every", "every-pass", "all", False)
USERS = [ADMIN, ALL] + [
    (f"no{r.value}", "pass", ",".join(x.value for x in Right if x is not r), False) for r in RIGHTS
]


def _path(template: str) -> str:
    def fill(m: re.Match[str]) -> str:
        conv = m.group(2) or ""
        return "1" if conv == ":int" else ("x/y.mp4" if conv == ":path" else "x")

    return re.sub(r"\{(\w+)(:\w+)?\}", fill, template)


def _cases(access: Access) -> list[tuple[str, tuple[Right, ...], bool]]:
    """(query, rights needed, administrators only) for the route and each declared part."""
    out = [("", access.rights, access.admin)]
    for part in access.parts:
        out.append((part.example, access.rights + part.rights, access.admin or part.admin))
    return out


def _http(c: TestClient, route: ApiRoute | PageRoute, query: str, who: Any) -> tuple[int, Any]:
    methods = sorted((route.methods or {"GET"}) - {"HEAD"})
    method = methods[0]
    url = _path(route.path) + (f"?{query}" if query else "")
    auth = (who[0], who[1]) if who else httpx2.Auth()  # the base Auth adds nothing
    c.cookies.clear()
    r = c.request(method, url, auth=auth, content=b"not json" if method != "GET" else None)
    try:
        body = r.json()
    except ValueError:
        body = None
    return r.status_code, body


def _socket(c: TestClient, route: SocketRoute, query: str, who: Any) -> int | None:
    """The close code the socket got at once, or None when it was served."""
    params = [query] if query else []
    if who:
        params.append(f"auth={b64(who[0], who[1])}")
    url = route.path + ("?" + "&".join(params) if params else "")
    try:
        with c.websocket_connect(url) as ws:
            msg = ws.receive()
    except WebSocketDisconnect as exc:
        return int(exc.code)
    return int(msg["code"]) if msg["type"] == "websocket.close" else None


def _refused(c: TestClient, route: Any, query: str, who: Any) -> bool:
    if isinstance(route, SocketRoute):
        return _socket(c, route, query, who) in (4401, 4403)
    status, body = _http(c, route, query, who)
    if isinstance(route, ApiRoute) and route.denied and who:
        return status == 200 and isinstance(body, dict) and body.get("code") == -1
    return status in (401, 403)


def test_every_route_declares_its_access() -> None:
    for route in routes():
        assert isinstance(route, ApiRoute | SocketRoute | PageRoute), route
        assert isinstance(route.access, Access), route


def _route_id(route: Any) -> str:
    return f"{type(route).__name__}:{route.path}"


@pytest.mark.parametrize("route", routes(), ids=_route_id)
def test_route_enforces_its_declared_access(harness: Callable[..., AppHarness], route: Any) -> None:
    access: Access = route.access
    h = harness(users=USERS)
    with h.client() as c:
        for query, rights, admin in _cases(access):
            where = f"{route.path}?{query}"
            if access.public:  # the handler runs: it may still answer 401 (/api/info?all)
                status, _ = _http(c, route, query, None)
                assert status != 403 and status < 500, where
                continue
            assert _refused(c, route, query, None), f"{where}: anonymous"
            for right in rights:
                lacking = next(u for u in USERS if u[0] == f"no{right.value}")
                assert _refused(c, route, query, lacking), f"{where}: without {right.value}"
            if admin:
                assert _refused(c, route, query, ALL), f"{where}: not an administrator"
            allowed = ADMIN if admin else ALL
            assert not _refused(c, route, query, allowed), f"{where}: {allowed[0]} refused"

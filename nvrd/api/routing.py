"""Route builders: every route of the app declares its :class:`~nvrd.api.access.Access`.

``api_route`` (JSON API and files, through ``nvrd.api.endpoint``),
``socket_route`` (websockets: accept, the shared sign-in, the access check,
then the handler with the signed-in user) and ``page_route`` (HTML pages and
their files, which answer sign-in problems in the page itself, using the
declared access). The route-table test walks ``nvrd.app.routes()`` and
requires one of these three kinds for every route.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from nvrd.api.access import Access
from nvrd.api.context import Services, services
from nvrd.api.endpoint import Call, Handler, endpoint
from nvrd.api.signin import authenticate, same_origin
from nvrd.api.wsclose import close_if_open
from nvrd.core.errors import ApiError
from nvrd.store.users import User

SocketHandler = Callable[[WebSocket, Services, User], Awaitable[None]]


class ApiRoute(Route):
    def __init__(
        self,
        path: str,
        app: Callable[[Request], Awaitable[Response]],
        access: Access,
        methods: Sequence[str] | None,
        denied: bool,
    ):
        super().__init__(path, app, methods=list(methods) if methods else None)
        self.access = access
        #: A refused user gets a 200 answer with code -1 (device control), not a 403.
        self.denied = denied


class PageRoute(Route):
    def __init__(self, path: str, app: Callable[[Request], Awaitable[Response]], access: Access):
        super().__init__(path, app)
        self.access = access


class SocketRoute(WebSocketRoute):
    def __init__(self, path: str, app: Callable[[WebSocket], Awaitable[None]], access: Access):
        super().__init__(path, app)
        self.access = access


def api_route(
    path: str,
    handler: Handler,
    access: Access,
    *,
    methods: Sequence[str] | None = None,
    denied: Callable[[Call], Any] | None = None,
    rewrite: Callable[[Request], Request] | None = None,
    media: bool = False,
) -> ApiRoute:
    """``rewrite`` adjusts the request before the sign-in (credentials glued to a path);
    ``media`` files (fetched by players over and over) share one session per credentials."""
    run = endpoint(handler, access, denied=denied, media=media)
    if rewrite is not None:
        wrapped = run
        fix = rewrite

        async def run(request: Request) -> Response:
            return await wrapped(fix(request))

    return ApiRoute(path, run, access, methods, denied is not None)


def page_route(
    path: str, handler: Callable[[Request], Awaitable[Response]], access: Access
) -> PageRoute:
    return PageRoute(path, handler, access)


async def socket_sign_in(ws: WebSocket, svc: Services, access: Access) -> User | None:
    """The caller of an accepted websocket, or None after closing it: 4401 bad or missing
    credentials, 4400 malformed ones, 4403 a foreign Origin with the cookie alone or a
    right the route (or the asked-for part, e.g. a topic) needs."""
    try:
        identity = await authenticate(ws, svc, socket=True)
    except ApiError as err:
        await close_if_open(ws, 4401 if err.kind.status in (401, 403, 429) else 4400, err.key)
        return None
    user = identity.user
    if user is None:
        await close_if_open(ws, 4401, "sign-in required")
        return None
    if identity.via == "cookie" and not same_origin(ws, svc):
        await close_if_open(ws, 4403, "foreign origin")
        return None
    refusal = access.refusal(user, ws.query_params)
    if refusal is not None:
        await close_if_open(ws, 4403, refusal_reason(refusal))
        return None
    return user


def refusal_reason(err: ApiError) -> str:
    right = err.params.get("right")
    return f"needs the {right} right" if right else "administrators only"


def socket_route(path: str, handler: SocketHandler, access: Access) -> SocketRoute:
    async def run(ws: WebSocket) -> None:
        svc = services(ws)
        await ws.accept()
        user = await socket_sign_in(ws, svc, access)
        if user is not None:
            await handler(ws, svc, user)

    return SocketRoute(path, run, access)

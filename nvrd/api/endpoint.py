"""The wrapper every API handler goes through.

It parses the common parameters (``indent``, ``lang``), identifies the
caller, enforces sign-in and rights, renders the handler's result as JSON
and sets the session cookie after a sign-in with explicit credentials.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from nvrd.api.context import Services, services
from nvrd.api.responses import json_response
from nvrd.auth.service import Identity
from nvrd.core.errors import ApiError, Kind, forbidden, unauthorized
from nvrd.core.params import parse_indent
from nvrd.core.rights import Right
from nvrd.store.users import User


@dataclass(frozen=True)
class Call:
    """One API request, parsed."""

    request: Request
    svc: Services
    identity: Identity
    lang: str
    indent: int | None

    @property
    def query(self) -> Any:
        return self.request.query_params

    @property
    def user(self) -> User:
        if self.identity.user is None:
            raise unauthorized()
        return self.identity.user


@dataclass
class Reply:
    """A handler's answer when it is not a plain 200 JSON document."""

    data: Any
    status: int = 200


Handler = Callable[[Call], Awaitable[Any]]


def require(call: Call, *rights: Right) -> None:
    """403 unless the caller has every one of ``rights`` (administrators have all)."""
    for right in rights:
        if not call.user.has(right):
            raise ApiError(Kind.FORBIDDEN, "needRight", {"right": right.value})


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def identify(request: Request, svc: Services) -> Identity:
    cookie = request.cookies.get(svc.settings.auth.cookie_name)
    return await svc.auth.identify(
        request.query_params,
        request.headers.get("authorization"),
        cookie,
        client_address(request),
    )


def set_session_cookie(response: Response, svc: Services, identity: Identity) -> None:
    if identity.new_session and identity.session_token:
        response.set_cookie(
            svc.settings.auth.cookie_name,
            identity.session_token,
            httponly=True,
            samesite="lax",
            path="/",
        )


def _answer(reply: Callable[[Call], Any]) -> Handler:
    async def run(call: Call) -> Any:
        return reply(call)

    return run


def endpoint(
    handler: Handler,
    *,
    public: bool = False,
    right: Right | None = None,
    admin: bool = False,
    denied: Callable[[Call], Any] | None = None,
) -> Callable[[Request], Awaitable[Response]]:
    """Wrap ``handler``: ``public`` handlers run without sign-in. A user without ``right``
    gets a 403, or ``denied(call)`` as a 200 answer when given (device control: code -1)."""

    async def run(request: Request) -> Response:
        svc = services(request)
        indent = parse_indent(request.query_params.get("indent"))
        lang = svc.i18n.resolve(request.query_params.get("lang"))
        identity = await identify(request, svc)
        user = identity.user
        if not public and user is None:
            raise unauthorized()
        call = Call(request, svc, identity, lang, indent)
        target = handler
        if user is not None:
            if admin and not user.is_admin:
                raise forbidden("adminOnly")
            if right is not None and not user.has(right):
                if denied is None:
                    raise ApiError(Kind.FORBIDDEN, "needRight", {"right": right.value})
                target = _answer(denied)
        result = await target(call)
        if isinstance(result, Response):
            response = result
        elif isinstance(result, Reply):
            response = json_response(result.data, indent, result.status)
        else:
            response = json_response(result, indent)
        set_session_cookie(response, svc, identity)
        return response

    return run

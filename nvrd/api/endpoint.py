"""The wrapper every API handler goes through.

It parses the common parameters (``indent``, ``lang``), identifies the
caller (``nvrd.api.signin``), enforces the route's declared access
(``nvrd.api.access``), renders the handler's result as JSON and sets the
session cookie after a sign-in with explicit credentials.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from nvrd.api.access import Access
from nvrd.api.context import Services, services
from nvrd.api.responses import json_response
from nvrd.api.signin import authenticate, check_origin, client_address, set_session_cookie
from nvrd.auth.service import Identity
from nvrd.core.errors import ApiError, Kind, unauthorized
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
    """403 unless the caller has every one of ``rights`` (administrators have all).

    Only for checks that depend on a request body; everything a query or path
    selects is declared on the route (``nvrd.api.access``)."""
    for right in rights:
        if not call.user.has(right):
            raise ApiError(Kind.FORBIDDEN, "needRight", {"right": right.value})


def _answer(reply: Callable[[Call], Any]) -> Handler:
    async def run(call: Call) -> Any:
        return reply(call)

    return run


def endpoint(
    handler: Handler,
    access: Access,
    *,
    denied: Callable[[Call], Any] | None = None,
    media: bool = False,
) -> Callable[[Request], Awaitable[Response]]:
    """Wrap ``handler``: sign in, check ``access``, render the result as JSON.

    A user refused by ``access`` gets a 403, or ``denied(call)`` as a 200 answer when
    given (device control: code -1)."""

    async def run(request: Request) -> Response:
        svc = services(request)
        indent = parse_indent(request.query_params.get("indent"))
        lang = svc.i18n.resolve(request.query_params.get("lang"))
        identity = await authenticate(request, svc, media=media)
        user = identity.user
        if not access.public and user is None:
            raise unauthorized()
        call = Call(request, svc, identity, lang, indent)
        target = handler
        if user is not None:
            check_origin(
                request, svc, identity, access.changes(request.method, request.query_params)
            )
            refusal = access.refusal(user, request.query_params)
            if refusal is not None:
                if denied is None:
                    raise refusal
                target = _answer(denied)
        result = await target(call)
        if isinstance(result, Response):
            response = result
        elif isinstance(result, Reply):
            response = json_response(result.data, indent, result.status)
        else:
            response = json_response(result, indent)
        set_session_cookie(response, svc, identity, request)
        return response

    return run


__all__ = ["Call", "Reply", "client_address", "endpoint", "require"]

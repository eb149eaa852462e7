"""``/api/auth``: sign in (``login=``/``auth=``/Basic, sets the session cookie) and out."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from nvrd.api.context import services
from nvrd.api.endpoint import Call, endpoint
from nvrd.api.info import who_am_i
from nvrd.api.responses import json_response
from nvrd.core.params import flag, parse_indent


async def _signed_in(call: Call) -> Any:
    return {
        "code": 0,
        "message": call.svc.i18n.text(call.lang, "auth.signedIn"),
        "whoAmI": who_am_i(call.user),
    }


_sign_in = endpoint(_signed_in)


async def auth(request: Request) -> Response:
    if flag(request.query_params, "logout"):
        svc = services(request)
        indent = parse_indent(request.query_params.get("indent"))
        lang = svc.i18n.resolve(request.query_params.get("lang"))
        await svc.auth.logout(request.cookies.get(svc.settings.auth.cookie_name))
        response = json_response(
            {"code": 0, "message": svc.i18n.text(lang, "auth.signedOut")}, indent
        )
        response.delete_cookie(svc.settings.auth.cookie_name, path="/", httponly=True)
        return response
    return await _sign_in(request)


routes = [Route("/api/auth", auth)]

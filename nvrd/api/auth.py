"""``/api/auth``: sign in (``login=``/``auth=``/Basic, sets the session cookie) and out.

The route is public so that ``?logout`` works with an expired session too;
without ``logout`` it answers 401 to an anonymous caller. ``?logout`` ends only
the caller's own session (each sign-in has its own) and counts as a
state-changing request for the Origin rule.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from nvrd.api.access import Access, when_param
from nvrd.api.endpoint import Call
from nvrd.api.info import who_am_i
from nvrd.api.responses import json_response
from nvrd.api.routing import api_route
from nvrd.core.params import flag


async def auth(call: Call) -> Any:
    if flag(call.query, "logout"):
        svc = call.svc
        await svc.auth.logout(call.request.cookies.get(svc.settings.auth.cookie_name))
        response: Response = json_response(
            {"code": 0, "message": svc.i18n.text(call.lang, "auth.signedOut")}, call.indent
        )
        response.delete_cookie(svc.settings.auth.cookie_name, path="/", httponly=True)
        return response
    return {
        "code": 0,
        "message": call.svc.i18n.text(call.lang, "auth.signedIn"),
        "whoAmI": who_am_i(call.user),
    }


ACCESS = Access(public=True, parts=(when_param("logout", None, changes_state=True),))

routes = [api_route("/api/auth", auth, ACCESS)]

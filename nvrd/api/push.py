"""``POST /api/push``: events pushed by devices and other software (LPR, emergency calls, ...)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from nvrd.api.access import SIGNED_IN
from nvrd.api.body import read_json
from nvrd.api.endpoint import Call
from nvrd.api.routing import api_route
from nvrd.core.pushspec import parse_body


async def push(call: Call) -> Any:
    doc = await read_json(call.request)
    items = parse_body(doc, call.svc.tz, call.svc.clock.now())
    await call.svc.integrations.push(items)
    return Response(status_code=200)


routes = [api_route("/api/push", push, SIGNED_IN, methods=["POST"])]

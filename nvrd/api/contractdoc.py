"""``/api/openapi.json`` and ``/api/messages.json``: the API description, public.

They describe shapes only (no data of this server beyond its version), as
``/api/info?apiVersion`` does, so tools can read them before signing in.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from nvrd.api import contract
from nvrd.api.access import PUBLIC
from nvrd.api.endpoint import Call
from nvrd.api.routing import api_route
from nvrd.core.errors import bad_request
from nvrd.core.params import COMMON_PARAMS


def _document(build: Callable[[], dict[str, Any]], path: str) -> Any:
    async def run(call: Call) -> Any:
        for key in call.query:
            if key not in COMMON_PARAMS:
                raise bad_request("unknownItem", item=key, name=path)
        return await asyncio.to_thread(build)

    return run


routes = [
    api_route("/api/openapi.json", _document(contract.openapi, "/api/openapi.json"), PUBLIC),
    api_route("/api/messages.json", _document(contract.messages, "/api/messages.json"), PUBLIC),
]

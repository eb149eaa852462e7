"""``/api/openapi.json`` and ``/api/messages.json``: the API description, public.

They describe shapes only (no data of this server beyond its version), as
``/api/info?apiVersion`` does, so tools can read them before signing in.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from starlette.routing import Route

from nvrd.api import contract
from nvrd.api.endpoint import Call, endpoint
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
    Route(
        "/api/openapi.json", endpoint(_document(contract.openapi, "/api/openapi.json"), public=True)
    ),
    Route(
        "/api/messages.json",
        endpoint(_document(contract.messages, "/api/messages.json"), public=True),
    ),
]

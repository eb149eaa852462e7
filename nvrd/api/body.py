"""Reading a request body: size limit (413); for JSON encoding, syntax and depth (400)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from nvrd.core import jsondoc
from nvrd.core.errors import ApiError, Kind, bad_request

#: The largest request body a JSON endpoint takes.
MAX_BODY = 1024 * 1024


async def read_bytes(request: Request, limit: int = MAX_BODY) -> bytes:
    """The body; over ``limit`` bytes (announced or sent) is a 413, read no further."""
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > limit:
        raise ApiError(Kind.TOO_LARGE, "tooLarge")
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > limit:
            raise ApiError(Kind.TOO_LARGE, "tooLarge")
    return bytes(raw)


async def read_json(request: Request, limit: int = MAX_BODY) -> Any:
    """The body as JSON; over ``limit`` bytes is a 413, not UTF-8 JSON a 400."""
    raw = await read_bytes(request, limit)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise bad_request("badJson", reason=str(exc)) from None
    return jsondoc.loads(text)


async def json_items(request: Request, what: str, limit: int = MAX_BODY) -> list[Any]:
    """A body that is one item or an array of them, as a non-empty list."""
    doc = await read_json(request, limit)
    items = doc if isinstance(doc, list) else [doc]
    if not items:
        raise bad_request("badJson", reason=f"no {what} in the request")
    return items

"""Closing a WebSocket whose client may already be gone."""

from __future__ import annotations

import contextlib

from starlette.websockets import WebSocket, WebSocketDisconnect


async def close_if_open(ws: WebSocket, code: int = 1000, reason: str = "") -> None:
    """``ws.close(code, reason)``; a client that has left already is not an error.

    A client that sends its upgrade and goes (a scanner, a page being closed)
    makes Starlette's ``close`` raise ``WebSocketDisconnect``; unhandled, that
    is a traceback in the log for every such client.
    """
    with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
        await ws.close(code, reason)

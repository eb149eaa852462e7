"""What every websocket endpoint shares: pumping a queue to the client.

Sign-in and rights are the route's (``nvrd.api.routing.socket_route``).
Close codes: 4401 bad or missing credentials, 4403 a right missing or a
foreign Origin, 4400 malformed parameters, 4404 unknown stream, 4408 the
client fell too far behind or stopped reading, 1001 the source ended.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any, Literal, Protocol

from starlette.websockets import WebSocket, WebSocketDisconnect

from nvrd.api.wsclose import close_if_open

Outcome = Literal["gone", "dropped", "ended", "stuck"]

_REASONS = {4408: "too slow", 1001: "stream closed"}


class Source(Protocol):
    """A bounded per-client queue (a bus subscription, a live viewer); ``get`` returns
    ``None`` once it has ended."""

    @property
    def dropped(self) -> bool: ...

    async def get(self) -> Any: ...

    def close(self) -> None: ...


async def close_quietly(ws: WebSocket, code: int) -> None:
    with contextlib.suppress(Exception):
        async with asyncio.timeout(1.0):
            await close_if_open(ws, code, _REASONS.get(code, ""))


async def pump(
    ws: WebSocket,
    source: Source,
    send: Callable[[Any], Awaitable[None]],
    send_timeout: float,
) -> Outcome:
    """Send what ``source`` yields until the client leaves, the source ends or the client
    cannot keep up; close the socket accordingly. ``source`` is closed on return.

    A send that has not finished after ``send_timeout`` (the client stopped reading and
    every buffer on the way is full) counts as stuck. A watchdog checks that twice per
    ``send_timeout`` instead of a timer around every message, which would cost more
    than the send itself when one event goes to a thousand subscribers.
    """
    gone = False
    stuck = False
    sending_since: float | None = None
    loop = asyncio.get_running_loop()
    me = asyncio.current_task()

    async def drain_client() -> None:
        nonlocal gone
        with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
            while True:
                await ws.receive_text()
        gone = True
        source.close()  # wakes the sender below

    async def watchdog() -> None:
        nonlocal stuck
        while True:
            await asyncio.sleep(send_timeout / 2)
            if sending_since is not None and loop.time() - sending_since > send_timeout:
                stuck = True
                if me is not None:
                    me.cancel()
                return

    reader = asyncio.create_task(drain_client())
    guard = asyncio.create_task(watchdog())
    try:
        while True:
            item = await source.get()
            if item is None:
                if gone:
                    return "gone"
                outcome: Outcome = "dropped" if source.dropped else "ended"
                await close_quietly(ws, 4408 if source.dropped else 1001)
                return outcome
            sending_since = loop.time()
            await send(item)
            sending_since = None
    except asyncio.CancelledError:
        if not stuck or me is None:
            raise
        me.uncancel()
        await close_quietly(ws, 4408)
        return "stuck"
    except (WebSocketDisconnect, RuntimeError, OSError):
        return "gone"
    finally:
        source.close()
        reader.cancel()
        guard.cancel()

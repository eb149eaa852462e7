"""uvicorn's HTTP and WebSocket protocols with every request head bounded.

uvicorn's httptools protocol takes a request line or headers of any size (an
8 MB header is read into memory) and waits for a head forever. Its
WebSocket protocol (websockets' sans-I/O parser) refuses a line over
8 KiB by setting ``handshake_exc`` and nothing else: no answer is sent and
the socket stays open until the client gives up. Here:

- a request line over :data:`MAX_LINE` bytes is a 414, a header line over
  :data:`MAX_LINE`, headers over :data:`MAX_HEAD` bytes in all or more than
  :data:`MAX_HEADERS` of them a 431 (the connection is then closed);
- a head that is not complete :data:`HEAD_TIMEOUT` seconds after the
  connection opened (or after its first byte) is a 408 and the connection
  is closed (idle keep-alive connections are uvicorn's own business);
- a WebSocket handshake websockets cannot parse is answered 400 and closed.

The WebSocket protocol also hands the application a frame writer (the ASGI
scope extension ``nvrd.frame_writer``, :data:`nvrd.api.fanout.FRAME_WRITER`):
the event fan-out writes one frame, built once, to every idle subscriber
with it, instead of a send per subscriber that encodes and frames the same
text again (docs/design/events.md).

The limits sit at or below websockets' own (8,192-byte lines, 128
headers), so an upgrade that passes the HTTP parser also passes it.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.http11 import Request
from websockets.protocol import State

from nvrd.api.fanout import FRAME_WRITER

MAX_LINE = 8192
MAX_HEAD = 64 * 1024
MAX_HEADERS = 100
HEAD_TIMEOUT = 10.0

_REASONS = {
    400: b"Bad Request",
    408: b"Request Timeout",
    414: b"URI Too Long",
    431: b"Request Header Fields Too Large",
}


def error_bytes(status: int, message: str) -> bytes:
    """A complete ``Connection: close`` answer with a JSON body in the API's error shape."""
    body = ('{"code":-1,"message":"' + message + '"}').encode("ascii")
    return b"".join(
        [
            b"HTTP/1.1 %d %s\r\n" % (status, _REASONS[status]),
            b"content-type: application/json; charset=utf-8\r\n",
            b"content-length: %d\r\n" % len(body),
            b"connection: close\r\n\r\n",
            body,
        ]
    )


class _HeadTooLarge(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


class BoundedHttpProtocol(HttpToolsProtocol):
    """httptools with the head's size, count and time bounded (see the module text)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._refusal: _HeadTooLarge | None = None
        self._head_bytes = 0
        self._head_count = 0
        self._head_timer: asyncio.TimerHandle | None = None
        self._awaiting_head = True

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)

    def _arm_head_timer(self) -> None:
        self._cancel_head_timer()
        self._head_timer = self.loop.call_later(HEAD_TIMEOUT, self._head_timed_out)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self._awaiting_head and not self.transport.is_closing():
            self.transport.write(error_bytes(408, "The request head did not arrive in time."))
            self.transport.close()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_bytes = 0
        self._head_count = 0
        self._awaiting_head = True
        if self._head_timer is None:
            self._arm_head_timer()

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        if len(self.url) > MAX_LINE:
            self._refuse(414, f"The request line is longer than {MAX_LINE} bytes.")

    def on_header(self, name: bytes, value: bytes) -> None:
        super().on_header(name, value)
        self._head_count += 1
        self._head_bytes += len(name) + len(value) + 4
        if len(name) + len(value) + 2 > MAX_LINE:
            self._refuse(431, f"A header line is longer than {MAX_LINE} bytes.")
        if self._head_bytes > MAX_HEAD or self._head_count > MAX_HEADERS:
            self._refuse(431, f"More than {MAX_HEADERS} headers or {MAX_HEAD} bytes of them.")

    def on_headers_complete(self) -> None:
        self._awaiting_head = False
        self._cancel_head_timer()
        super().on_headers_complete()

    def _refuse(self, status: int, message: str) -> None:
        self._refusal = _HeadTooLarge(status, message)
        raise self._refusal  # httptools stops; uvicorn answers via send_400_response

    def send_400_response(self, msg: str) -> None:
        refusal, self._refusal = self._refusal, None
        if refusal is None:
            self.transport.write(error_bytes(400, "The request is not valid HTTP/1.1."))
        else:
            self.transport.write(error_bytes(refusal.status, refusal.message))
        self.transport.close()


class BoundedWebSocketProtocol(WebSocketsSansIOProtocol):
    """websockets' sans-I/O protocol that answers a handshake it cannot parse, and gives
    the application a frame writer."""

    def handle_connect(self, event: Request) -> None:
        super().handle_connect(event)
        scope = getattr(self, "scope", None)  # none when the handshake was refused
        if scope is not None:
            scope["extensions"][FRAME_WRITER] = self.write_frame

    def write_frame(self, frame: bytes) -> bool:
        """Write one complete server frame now, when the socket is open, accepted and its
        transport takes more (not paused by a full buffer); False when it did not."""
        if (
            self.disconnected
            or self.close_sent
            or not self.handshake_complete
            or self.initial_response is not None
            or not self.writable.is_set()
            or self.conn.state is not State.OPEN
            or self.transport.is_closing()
        ):
            return False
        self.transport.write(frame)
        return True

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.handshake_initiated or self.conn.handshake_exc is None:
            return
        if self.transport.is_closing():
            return
        self.handshake_initiated = True
        self.handshake_complete = True
        self.close_sent = True
        self.transport.write(error_bytes(400, "The WebSocket handshake is not valid."))
        self.transport.close()

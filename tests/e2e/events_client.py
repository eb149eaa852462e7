"""A synchronous /wsapi/subscribeEvents client for tests, and a raw frame reader for pings."""

from __future__ import annotations

import base64
import json
import os
import socket
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from tests.conftest import b64
from tests.e2e.server import ServerProcess


def events_url(srv: ServerProcess, query: str, uid: str = "admin", password: str = "") -> str:
    auth = b64(uid, password or srv.admin_password())
    return srv.url.replace("http", "ws", 1) + f"/wsapi/subscribeEvents?auth={auth}&{query}"


class Subscriber:
    def __init__(self, url: str, max_queue: int | None = 16):
        # ``max_queue``: messages the client's reader thread buffers before it stops
        # reading the socket; None reads on while the test does something else.
        self._ctx = connect(url, open_timeout=10, max_size=None, max_queue=max_queue)
        self.ws: ClientConnection = self._ctx.__enter__()
        self.hello: dict[str, Any] = self.recv(10)
        self.seen: list[dict[str, Any]] = []

    def recv(self, timeout: float) -> dict[str, Any]:
        return dict(json.loads(self.ws.recv(timeout=timeout)))

    def wait(self, match: Callable[[dict[str, Any]], bool], timeout: float = 20) -> dict[str, Any]:
        """The next message for which ``match`` is true (others are kept in ``seen``)."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no matching message in {timeout}s; saw {self.seen[-10:]}")
            try:
                msg = self.recv(left)
            except TimeoutError:
                continue
            self.seen.append(msg)
            if match(msg):
                return msg

    def close(self) -> None:
        self._ctx.__exit__(None, None, None)

    def __enter__(self) -> Subscriber:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def close_code(url: str, timeout: float = 10) -> tuple[int | None, list[str]]:
    """Connect and read until the server closes; the close code and the messages read."""
    got: list[str] = []
    with connect(url, open_timeout=10) as ws:
        try:
            while True:
                got.append(str(ws.recv(timeout=timeout)))
        except ConnectionClosed as exc:
            return (exc.rcvd.code if exc.rcvd else None), got
    return None, got


def raw_frames(url: str, seconds: float) -> list[tuple[int, bytes]]:
    """Opcodes and payloads of the frames the server sends in ``seconds`` (pings included,
    which websocket libraries hide)."""
    parts = urlsplit(url)
    key = base64.b64encode(os.urandom(16)).decode()
    sock = socket.create_connection((parts.hostname, parts.port), timeout=seconds + 5)
    request = (
        f"GET {parts.path}?{parts.query} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    sock.sendall(request.encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        buf += sock.recv(4096)
    head, buf = buf.split(b"\r\n\r\n", 1)
    assert b" 101 " in head.split(b"\r\n")[0], head
    frames: list[tuple[int, bytes]] = []
    deadline = time.monotonic() + seconds
    sock.settimeout(0.2)
    while time.monotonic() < deadline:
        try:
            data = sock.recv(65536)
        except TimeoutError:
            data = b""
        if data:
            buf += data
        while len(buf) >= 2:
            opcode, length, offset = buf[0] & 0x0F, buf[1] & 0x7F, 2
            if length == 126:
                if len(buf) < 4:
                    break
                length, offset = int.from_bytes(buf[2:4], "big"), 4
            elif length == 127:
                if len(buf) < 10:
                    break
                length, offset = int.from_bytes(buf[2:10], "big"), 10
            if len(buf) < offset + length:
                break
            payload = buf[offset : offset + length]
            frames.append((opcode, payload))
            if opcode == 0x9:  # answer pings, as browsers do
                mask = os.urandom(4)
                masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
                sock.sendall(bytes([0x8A, 0x80 | len(payload)]) + mask + masked)
            buf = buf[offset + length :]
    sock.close()
    return frames

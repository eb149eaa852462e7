"""Raw HTTP over a socket, for request heads no HTTP client library would send."""

from __future__ import annotations

import socket
import time


def exchange(port: int, request: bytes, wait: float = 2.0) -> tuple[bytes, float]:
    """Send ``request``; what came back before the server closed or ``wait`` ran out."""
    start = time.monotonic()
    got = b""
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as s:
        try:
            s.sendall(request)
            while time.monotonic() - start < wait:
                s.settimeout(max(0.01, wait - (time.monotonic() - start)))
                chunk = s.recv(65536)
                if not chunk:
                    return got, time.monotonic() - start
                got += chunk
        except (TimeoutError, ConnectionResetError, BrokenPipeError):
            pass
    return got, float("inf") if not got else time.monotonic() - start

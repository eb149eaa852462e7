"""Oversized and malformed request heads, over a raw socket to a real ``nvrd serve``:
each is answered (400/414/431) or closed within 2 s, for plain HTTP and WebSocket upgrades."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.server import ServerProcess
from tests.support.rawhttp import exchange


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    srv = ServerProcess(tmp_path_factory.mktemp("limits")).start(timeout=90)
    yield srv
    srv.stop()


WS = (
    b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
)
LONG = b"a" * 10_000


CASES = [
    (
        "ws topics",
        b"GET /wsapi/subscribeEvents?topics=" + LONG + b" HTTP/1.1\r\nHost: x\r\n" + WS,
        414,
    ),
    ("ws auth", b"GET /wsapi/subscribeEvents?auth=" + LONG + b" HTTP/1.1\r\nHost: x\r\n" + WS, 414),
    ("ws live", b"GET /wsapi/live?ch=1&x=" + LONG + b" HTTP/1.1\r\nHost: x\r\n" + WS, 414),
    (
        "ws header",
        b"GET /wsapi/subscribeEvents HTTP/1.1\r\nHost: x\r\nX-A: " + LONG + b"\r\n" + WS,
        431,
    ),
    (
        "ws 300 headers",
        b"GET /wsapi/subscribeEvents HTTP/1.1\r\nHost: x\r\n"
        + b"".join(b"X-%d: a\r\n" % i for i in range(300))
        + WS,
        431,
    ),
    ("http line", b"GET /api/info?x=" + LONG + b" HTTP/1.1\r\nHost: x\r\n", 414),
    ("http 1 MB line", b"GET /api/info?x=" + LONG * 100 + b" HTTP/1.1\r\nHost: x\r\n", 414),
    ("http header", b"GET /api/info HTTP/1.1\r\nHost: x\r\nCookie: " + LONG + b"\r\n", 431),
    (
        "http 64 KB of headers",
        b"GET /api/info HTTP/1.1\r\nHost: x\r\n"
        + b"".join(b"X-%d: %s\r\n" % (i, b"b" * 5000) for i in range(20)),
        431,
    ),
    ("garbage", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 400),
    ("bad header name", b"GET /api/info HTTP/1.1\r\nHost: x\r\nX Y: z\r\n", 400),
    (
        "ws no key",
        b"GET /wsapi/subscribeEvents HTTP/1.1\r\nHost: x\r\n"
        b"Upgrade: websocket\r\nConnection: Upgrade\r\n",
        400,
    ),
    (
        "ws bad version",
        b"GET /wsapi/subscribeEvents HTTP/1.1\r\nHost: x\r\n" + WS.replace(b"13", b"99"),
        400,
    ),
]


@pytest.mark.parametrize(("label", "head", "status"), CASES, ids=[c[0] for c in CASES])
def test_oversized_or_malformed_head_is_answered_quickly(
    server: Any, label: str, head: bytes, status: int
) -> None:
    got, took = exchange(server.port, head + b"\r\n")
    assert took < 2.0, f"{label}: no answer and not closed within 2 s"
    if got:  # closing without an answer is allowed (a reset while the client still sends)
        assert got.startswith(b"HTTP/1.1 %d " % status), got[:120]


def test_server_still_answers_after_the_abuse(server: Any) -> None:
    for _, head, _ in CASES:
        exchange(server.port, head + b"\r\n")
    ok, _ = exchange(server.port, b"GET /api/info?apiVersion HTTP/1.1\r\nHost: x\r\n\r\n", 2.0)
    assert ok.startswith(b"HTTP/1.1 200 ")


def test_a_head_that_never_completes_is_closed(server: Any) -> None:
    from nvrd.cli.protocols import HEAD_TIMEOUT

    got, took = exchange(server.port, b"GET /api/info HTTP/1.1\r\nHost: x\r\n", HEAD_TIMEOUT + 3)
    assert took < HEAD_TIMEOUT + 2
    assert got.startswith(b"HTTP/1.1 408 ")


def test_normal_upgrade_and_long_but_allowed_line_still_work(server: Any) -> None:
    got, _ = exchange(
        server.port,
        b"GET /wsapi/subscribeEvents?topics="
        + b"a" * 7000
        + b" HTTP/1.1\r\nHost: x\r\n"
        + WS
        + b"\r\n",
        1.0,
    )
    assert got.startswith(b"HTTP/1.1 101 ")

"""A hostile client against a real ``nvrd serve`` with recording file channels.

Thousands of malformed requests over every route and parameter (the values of
issue 9 and generated junk, with and without credentials), oversized request
heads and WebSocket upgrades. Afterwards: no 500, every request answered
within the bound, no restart (same process, no second start in the event
log, nothing in the server log about a restart or an unhandled error) and the
stored data as it was.

``make test`` runs about 1,500 requests; ``NVRD_FUZZ_LONG=1`` runs about 8,000.
"""

from __future__ import annotations

import base64
import json
import os
import random
import socket
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from tests.e2e.server import ServerProcess
from tests.integration.recorder import add_channel, recording_server, wait_segments
from tests.support.fuzz import NASTY
from tests.support.rawhttp import exchange

pytestmark = pytest.mark.e2e

LONG_RUN = os.environ.get("NVRD_FUZZ_LONG", "") not in ("", "0")
REQUESTS = 8000 if LONG_RUN else 1500
#: Every request is answered within this many seconds (the server is busy recording).
BOUND = 10.0
SEED = int(os.environ.get("NVRD_FUZZ_SEED", "9"))

REGISTRIES = """
[[lpr_source]]
id = 1
code = "1-1-7"
name = "Gate"
linked_channel = [1]

[[emergency_call]]
code = "0000002"
name = "Stairs"
linked_channel = [1]

[integrations]
accept_unknown_sources = false

[auth]
max_failures = 1000000
"""

#: path -> parameters it reads (besides indent, lang, auth, login, session).
ROUTES: dict[str, list[str]] = {
    "/api/info": ["apiVersion", "siteName", "timezone", "product", "license", "whoAmI", "all"],
    "/api/auth": ["logout"],
    "/api/system": ["info", "health", "restart", "reboot"],
    "/api/status": ["ch", "verbose", "recordingStatus"],
    "/api/enum": ["what", "type", "staticSrc"],
    "/api/find": [
        "what",
        "ch",
        "timeBegin",
        "timeEnd",
        "at",
        "maxCount",
        "sort",
        "type",
        "keyword",
        "src",
        "totalCount",
        "export",
        "format",
    ],
    "/api/vod": [
        "ch",
        "when",
        "duration",
        "id",
        "limit",
        "next",
        "prev",
        "otherwise",
        "protocol",
        "stream",
        "nameonly",
        "nolive",
    ],
    "/api/channel/info": ["ch", "caps", "reload"],
    "/api/channel/ptz": ["ch", "home", "stop", "move", "zoom", "focus", "iris"],
    "/api/channel/preset": ["ch", "list", "reload", "add", "set", "rm", "go", "name"],
    "/api/channel/relay": ["ch", "ls", "list", "on", "off"],
    "/api/channel/aux": ["ch", "on", "off"],
    "/api/channel/reboot": ["ch"],
    "/api/view.mp4": ["ch", "timeBegin", "timeEnd"],
    "/watch": ["ch", "when", "showTitle", "showPlayTime", "transport"],
    "/": [],
    "/api/subscribeEvents": ["topics", "ch", "objectType", "verbose", "session"],
}
FILE_PATHS = [
    "/storage/0/{v}",
    "/storage/0/{v}.mp4",
    "/storage/{v}/x.mp4",
    "/storage/plates/{v}",
    "/event-storage/{v}",
    "/download/{v}/x.mp4",
    "/download/abc/{v}",
    "/download/carNo/{v}/x.xls",
    "/hls/{v}/index.m3u8",
    "/hls/ch1main/{v}",
    "/static/{v}",
]
BODY_PATHS = [("POST", "/api/push"), ("POST", "/api/channel"), ("PUT", "/api/event-videos/trigger")]
WS_PATHS = ["/wsapi/subscribeEvents", "/wsapi/live", "/wsapi/dataExport"]
#: Valid requests that would change what the test checks afterwards.
FORBIDDEN = ("restart", "reboot", "logout")
EXTRA_VALUES = [
    "now",
    "today",
    "yesterday",
    "2024-01-01T00:00:00Z",
    "1",
    "2",
    "99",
    "all",
    "supported",
    "channel",
    "eventLog",
    "recDays",
    "recMinutes",
    "carNo",
    "similarCarNo",
    "lprSrc",
    "emergencyCall",
    "parkingLot",
    "LPR,systemEvent",
    "1,2,3,4",
    "1w",
    "500ms",
    "-1",
    "1.0",
    "%",
    "&",
    "=",
    "<script>",
    "' OR 1=1 --",
]


DEEP = ["[" * 100_000, '{"a":' * 50_000, '"\\ud800"', '["\ud800"]', "NaN", "[Infinity]", ""]
BODY_KEYS = [
    "topic",
    "src",
    "plateNo",
    "when",
    "timeBegin",
    "score",
    "camera",
    "event",
    "chid",
    "objId",
    "type",
    "name",
    "source",
    "uid",
    "password",
    "device",
    "playback",
    "tcp",
    "attributes",
    "image",
    "code",
    "backup",
    "presets",
]
_UPGRADE = (
    b"HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
)


@dataclass
class Run:
    statuses: Counter[int]
    slow: list[tuple[str, float]]
    errors: list[str]
    fives: list[str]


def _q(text: str, safe: str = "") -> str:
    return quote(text.encode("utf-8", "surrogatepass"), safe=safe)


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


class Junk:
    def __init__(self, rng: random.Random, admin_auth: str):
        self.rng = rng
        self.admin_auth = admin_auth

    def value(self) -> str:
        r = self.rng.random()
        if r < 0.45:
            return self.rng.choice(NASTY + EXTRA_VALUES)
        if r < 0.7:
            n = self.rng.choice([1, 3, 8, 30, 300])
            return "".join(chr(self._char()) for _ in range(n))
        if r < 0.85:
            return str(self.rng.choice([-1, 0, 1, 2, 2**31, 2**63, 10**40]))
        return "".join(
            self.rng.choice("0123456789-:TZ+.,") for _ in range(self.rng.randrange(1, 30))
        )

    def _char(self) -> int:
        return self.rng.choice([self.rng.randrange(32, 127), self.rng.randrange(0x80, 0x3000)])

    def credentials(self) -> tuple[str, dict[str, str]]:
        """A query fragment and headers: none, good, wrong or junk."""
        r = self.rng.random()
        if r < 0.2:
            return "", {}
        if r < 0.55:
            return f"auth={quote(self.admin_auth)}", {}
        if r < 0.7:
            return "", {"Authorization": "Basic " + self.admin_auth}
        if r < 0.8:
            return f"auth={quote(_b64('admin:wrong'))}", {}
        if r < 0.9:
            return f"login={_q(self.value())}", {}
        scheme = self.rng.choice(["Basic " + self.value(), "Bearer x", self.value()])
        clean = "".join(ch for ch in scheme if ch >= " " and ch != "\x7f").strip() or "x"
        return "", {"Authorization": clean.encode("utf-8", "replace").decode("latin-1")}

    def query(self, params: list[str]) -> str:
        parts: list[str] = []
        for _ in range(self.rng.choice([0, 1, 2, 3, 5])):
            name = (
                self.rng.choice([*params, "indent", "lang", "x", self.value()]) if params else "x"
            )
            value = self.value()
            if name in FORBIDDEN and value.strip().lower() in ("", "true", "1", "yes", "on"):
                value = self.rng.choice(["false", "0", "junk"])
            part = _q(name)
            if self.rng.random() > 0.1:
                part += "=" + _q(value)
            parts.append(part)
        return "&".join(parts)

    def body(self) -> bytes:
        r = self.rng.random()
        if r < 0.15:
            text = self.rng.choice(DEEP)
            return text.encode("utf-8", "surrogatepass")
        if r < 0.25:
            return b'{"topic":"LPR","src":"1-1-7","plateNo":"A1","score":' + b"9" * 5000 + b"}"
        item: dict[str, Any] = {}
        for key in self.rng.sample(BODY_KEYS, self.rng.randrange(1, 6)):
            item[key] = self.rng.choice(
                [
                    self.value(),
                    self.rng.randrange(-5, 10),
                    2**63,
                    None,
                    True,
                    [self.value()],
                    {"url": self.value()},
                ]
            )
        if self.rng.random() < 0.4:
            item["topic"] = self.rng.choice(
                ["LPR", "emergencyCall", "object", "packing", "bodyTemperature"]
            )
        # never a valid new channel: a channel needs a source, this one's is a number
        if "name" in item or "source" in item:
            item["source"] = 1
        doc: Any = [item, item] if self.rng.random() < 0.3 else item
        return json.dumps(doc, ensure_ascii=self.rng.random() < 0.5).encode(
            "utf-8", "surrogatepass"
        )


def _requests(junk: Junk, count: int) -> list[tuple[str, str, dict[str, str], bytes | None]]:
    out: list[tuple[str, str, dict[str, str], bytes | None]] = []
    rng = junk.rng
    while len(out) < count:
        cred, headers = junk.credentials()
        kind = rng.random()
        if kind < 0.6:
            path = rng.choice(list(ROUTES))
            q = "&".join(p for p in (junk.query(ROUTES[path]), cred) if p)
            out.append(("GET", f"{path}?{q}" if q else path, headers, None))
        elif kind < 0.75:
            v = _q(junk.value(), safe="/")
            path = rng.choice(FILE_PATHS).format(v=v)
            out.append(("GET", path + (f"?{cred}" if cred else ""), headers, None))
        elif kind < 0.92:
            method, path = rng.choice(BODY_PATHS)
            headers = {**headers, "Content-Type": "application/json"}
            out.append((method, path + (f"?{cred}" if cred else ""), headers, junk.body()))
        elif kind < 0.96:
            ids = rng.choice(
                [str(2**64), "9" * 5000, "0", "-1", "abc", "1,,x", junk.value(), "77,88"]
            )
            if _names_a_channel(ids):
                ids = "77"  # never a valid delete of the test's channels
            out.append(("DELETE", "/api/channel/" + _q(ids), headers, None))
        else:
            method = rng.choice(["PATCH", "OPTIONS", "HEAD", "TRACE", "PUT"])
            out.append((method, rng.choice(list(ROUTES)), headers, None))
    return out


def _names_a_channel(ids: str) -> bool:
    """Whether a delete of ``ids`` could remove channel 1 or 2 (``+1``, `` 02``, ``all``...)."""
    for part in ids.split(","):
        if part.strip().lower() == "all":
            return True
        try:
            if int(part) in (1, 2):
                return True
        except ValueError:
            pass
    return False


def _send(
    client: httpx.Client, req: tuple[str, str, dict[str, str], bytes | None]
) -> tuple[str, int, float]:
    method, path, headers, body = req
    start = time.monotonic()
    label = f"{method} {path[:200]}"
    try:
        r = client.request(
            method,
            path,
            headers={k.encode("ascii"): v.encode("latin-1") for k, v in headers.items()},
            content=body,
        )
        took = time.monotonic() - start
        if r.status_code >= 500:
            label += f" -> {r.text[:200]}"
        return label, r.status_code, took
    except httpx.HTTPError as exc:
        return f"{label} -> {type(exc).__name__}: {exc}", -1, time.monotonic() - start


def _ws(port: int, path: str, query: str) -> tuple[str, int, float]:
    """A WebSocket upgrade with ``query``: answered (status line) or closed within the bound."""
    head = (
        f"GET {path}?{query} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n"
    ).encode("utf-8", "surrogatepass")
    start = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=BOUND) as s:
        try:
            s.sendall(head)
            got = s.recv(64)
        except (TimeoutError, ConnectionResetError, BrokenPipeError):
            got = b""
    took = time.monotonic() - start
    status = int(got.split(b" ")[1]) if got.startswith(b"HTTP/1.1 ") else 0
    return f"WS {path}?{query[:200]}", status, took


def _startups(c: httpx.Client) -> int:
    r = c.get("/api/find?what=eventLog&type=0&maxCount=50")
    assert r.status_code == 200, r.text
    return sum(1 for e in r.json()["data"] if e["code"] == 1)


def _snapshot(c: httpx.Client) -> dict[str, Any]:
    return {
        "channels": c.get("/api/enum?what=channel").json(),
        "lprSrc": c.get("/api/enum?what=lprSrc").json(),
        "emergencyCall": c.get("/api/enum?what=emergencyCall").json(),
        "sources": [
            {k: v for k, v in ch.items() if k != "src"} for ch in c.get("/api/vod?nameonly").json()
        ],
        "users": c.get("/api/info?whoAmI").json(),
    }


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory, media_dir: Path) -> Iterator[ServerProcess]:
    server = recording_server(tmp_path_factory.mktemp("hostile"), REGISTRIES, 2).start(timeout=90)
    add_channel(server, {"name": "Lobby", "source": str(media_dir / "cam1.mp4")})
    add_channel(server, {"name": "Yard", "source": str(media_dir / "cam3.mp4")})
    wait_segments(server, 1, 1, 30)
    yield server
    server.stop()


def test_hostile_requests(srv: ServerProcess) -> None:
    assert srv.proc is not None
    pid = srv.proc.pid
    admin_auth = _b64(f"admin:{srv.admin_password()}")
    rng = random.Random(SEED)
    junk = Junk(rng, admin_auth)
    reqs = _requests(junk, REQUESTS)
    ws_params = ["topics", "ch", "auth", "session", "verbose", "objectType", "when"]
    ws = [
        (
            rng.choice(WS_PATHS),
            "&".join(p for p in (junk.query(ws_params), junk.credentials()[0]) if p),
        )
        for _ in range(REQUESTS // 25)
    ]
    heads = [
        b"GET /wsapi/subscribeEvents?topics=" + b"a" * 10_000 + b" " + _UPGRADE,
        b"GET /wsapi/subscribeEvents?auth=" + b"A" * 10_000 + b" " + _UPGRADE,
        b"GET /api/info?x=" + b"a" * 100_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /api/info HTTP/1.1\r\nHost: x\r\nCookie: " + b"c" * 20_000 + b"\r\n\r\n",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n",
    ] * max(1, REQUESTS // 500)

    with httpx.Client(base_url=srv.url, timeout=BOUND) as c:
        c.auth = ("admin", srv.admin_password())
        before = _snapshot(c)
        started = _startups(c)
    run = Run(Counter(), [], [], [])

    def record(result: tuple[str, int, float]) -> None:
        label, status, took = result
        run.statuses[status] += 1
        if status >= 500:
            run.fives.append(label)
        if status == -1:
            run.errors.append(label)
        if took >= BOUND:
            run.slow.append((label, took))

    t0 = time.monotonic()
    with httpx.Client(base_url=srv.url, timeout=BOUND) as client, ThreadPoolExecutor(6) as pool:
        for result in pool.map(lambda r: _send(client, r), reqs):
            record(result)
        for result in pool.map(lambda w: _ws(srv.port, *w), ws):
            record(result)
        for head in heads:
            got, took = exchange(srv.port, head)
            record(("head", int(got.split(b" ")[1]) if got.startswith(b"HTTP/1.1 ") else 0, took))
    elapsed = time.monotonic() - t0
    total = sum(run.statuses.values())
    print(f"hostile run: {total} requests in {elapsed:.1f} s, statuses {dict(run.statuses)}")

    assert run.fives == [], run.fives[:20]
    assert run.errors == [], run.errors[:20]
    assert run.slow == [], run.slow[:20]
    # no restart: the same process, no second start, nothing in the log
    assert srv.proc.poll() is None and srv.proc.pid == pid
    log = srv.stdout() + srv.stderr()
    assert "restarting the server process" not in log
    bad = [i for i in (log.find("unhandled error"), log.find("Traceback")) if i >= 0]
    assert not bad, log[max(0, min(bad) - 500) : min(bad) + 3000]
    with httpx.Client(base_url=srv.url, timeout=BOUND) as c:
        c.auth = ("admin", srv.admin_password())
        assert _startups(c) == started
        assert _snapshot(c) == before
        # the channels still record
        assert c.get("/api/status?ch=1").json()[0]["status"]["code"] == 200

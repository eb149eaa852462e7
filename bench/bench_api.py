"""API overhead: nvrd's request path against a bare Starlette handler, in one process.

Both apps run in-process over httpx's ASGI transport so that only the
application's own work is compared: parameter parsing, identification,
translation and JSON rendering for nvrd; a constant JSON answer for the
baseline. Figures are ratios (nvrd / baseline) because the machines are noisy.
Also measured: a request signed in with a password (scrypt) against one
carrying the session cookie, and ``POST /api/push`` of one LPR record
(PUSHERS requests at a time, each signed in with its cookie: the sign-in,
the log row and its index, the event on the bus) against a baseline push
handler that parses the same body and stores nothing.
"""

from __future__ import annotations

import asyncio
import base64
import json
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from nvrd.app import create_app
from nvrd.config import load_settings
from nvrd.core.rights import ALL_RIGHTS
from nvrd.store.db import Database
from nvrd.store.users import UserStore

N = 2000
PUSHES = 1000
PUSHERS = 8


async def _rate(
    send: Callable[[int], Awaitable[httpx.Response]], n: int, at_a_time: int = 1
) -> float:
    """Requests a second, ``at_a_time`` of them in flight; ``send(i)`` makes the i-th."""
    for i in range(50):  # warm up
        (await send(i)).raise_for_status()

    async def worker(first: int) -> None:
        for i in range(first, n, at_a_time):
            (await send(i)).raise_for_status()

    start = time.perf_counter()
    await asyncio.gather(*(worker(k) for k in range(at_a_time)))
    return n / (time.perf_counter() - start)


def _lpr(i: int) -> dict[str, object]:
    return {"topic": "LPR", "src": "B1", "plateNo": f"P{i:06d}", "score": 90}


def _baseline() -> Starlette:
    async def info(request: Request) -> JSONResponse:
        return JSONResponse({"apiVersion": "TS-API@0.9.20"})

    async def push(request: Request) -> Response:
        doc = json.loads(await request.body())
        return Response(status_code=200 if doc.get("topic") else 400)

    return Starlette(routes=[Route("/api/info", info), Route("/api/push", push, methods=["POST"])])


async def run() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(None, environ={}, flags={"data_dir": Path(tmp), "timezone": "UTC"})
        db = Database(settings.db_url)
        await db.open()
        now = int(datetime.now(UTC).timestamp() * 1000)
        await UserStore(db.engine).add("bench", "bench", ALL_RIGHTS, now_ms=now)
        await db.close()
        app = create_app(settings, announce=lambda _: None)
        async with app.router.lifespan_context(app):
            base = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=_baseline()), base_url="http://b"
            )
            ours = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://n")
            r_base = await _rate(lambda _: base.get("/api/info?apiVersion"), N)
            r_public = await _rate(lambda _: ours.get("/api/info?apiVersion"), N)
            auth = base64.b64encode(b"bench:bench").decode()
            (await ours.get(f"/api/auth?auth={auth}")).raise_for_status()
            r_cookie = await _rate(lambda _: ours.get("/api/status"), N)
            fresh = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://p")
            r_password = await _rate(lambda _: fresh.get(f"/api/status?auth={auth}"), 100)
            r_push_base = await _rate(
                lambda i: base.post("/api/push", json=_lpr(i)), PUSHES, PUSHERS
            )
            r_push = await _rate(lambda i: ours.post("/api/push", json=_lpr(i)), PUSHES, PUSHERS)
            for c in (base, ours, fresh):
                await c.aclose()
    print(f"baseline Starlette JSON:         {r_base:8.0f} req/s")
    print(f"nvrd /api/info?apiVersion:       {r_public:8.0f} req/s  ratio {r_base / r_public:.2f}x")
    print(f"nvrd /api/status (cookie):       {r_cookie:8.0f} req/s  ratio {r_base / r_cookie:.2f}x")
    print(
        f"nvrd /api/status (auth=, scrypt):{r_password:8.0f} req/s  "
        f"ratio {r_cookie / r_password:.1f}x slower than cookie"
    )
    print(f"baseline POST /api/push:         {r_push_base:8.0f} req/s  ({PUSHERS} at a time)")
    print(
        f"nvrd POST /api/push (cookie, LPR):{r_push:7.0f} req/s  ratio {r_push_base / r_push:.2f}x"
    )


def main() -> None:
    asyncio.run(run())

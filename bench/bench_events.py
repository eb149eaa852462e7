"""Event fan-out: 1,000 websocket subscribers, events pushed through POST /api/push.

Two servers are measured the same way, one after the other:

- nvrd (``nvrd serve``), subscribers on ``/wsapi/subscribeEvents?topics=LPR``,
  events pushed as LPR records of a configured source;
- a baseline: a bare Starlette app on the same uvicorn settings that renders
  each POSTed event once into a message of the same shape and size as
  nvrd's and sends it to every websocket through a per-subscriber queue,
  with no sign-in, no storage, no bus.

At each push rate the pusher sends one event per request for a few seconds;
subscriber processes record, per event, the delay from the push to its
arrival (``time.monotonic`` is system-wide on Linux). Reported per rate:
events delivered per second (all subscribers together), p50/p99 delivery
latency, events lost by subscribers that stayed connected, and subscribers
the server dropped. The ratio nvrd/baseline is the figure to compare; the
absolute numbers depend on the machine (clients and server share its cores).
"""

from __future__ import annotations

import asyncio
import base64
import json
import multiprocessing as mp
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

SUBSCRIBERS = int(os.environ.get("BENCH_EVENTS_SUBSCRIBERS", "1000"))
PROCESSES = 2
RATES = tuple(int(r) for r in os.environ.get("BENCH_EVENTS_RATES", "5,10,20,40,80").split(","))
SECONDS = float(os.environ.get("BENCH_EVENTS_SECONDS", "5"))
PHASE = 1_000_000  # sequence numbers of rate i start at i * PHASE
STOP = "STOP"


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- the baseline server ------------------------------------------------------


def baseline_app() -> Any:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route, WebSocketRoute
    from starlette.websockets import WebSocket

    queues: set[asyncio.Queue[str]] = set()

    async def push(request: Request) -> Response:
        # The same message nvrd sends for an LPR event of a source without channels,
        # rendered once for everybody.
        event = json.loads(await request.body())
        now = datetime.now(UTC).isoformat(timespec="milliseconds")
        body = json.dumps(
            {
                "timestamp": now,
                "deviceCode": event["src"],
                "deviceName": "Bench gate",
                "linkedChannel": [],
                "plateNo": event["plateNo"],
                "timeBegin": now,
                "topic": "LPR",
            },
            separators=(",", ":"),
        )
        for q in list(queues):
            q.put_nowait(body)
        return Response(b"", 200)

    async def ws(websocket: WebSocket) -> None:
        await websocket.accept()
        q: asyncio.Queue[str] = asyncio.Queue()
        queues.add(q)
        await websocket.send_text(json.dumps({"subscriberId": "x", "topics": ["LPR"]}))
        try:
            while True:
                await websocket.send_text(await q.get())
        except Exception:
            pass
        finally:
            queues.discard(q)

    return Starlette(routes=[Route("/push", push, methods=["POST"]), WebSocketRoute("/ws", ws)])


def run_baseline(port: int) -> None:
    import uvicorn

    uvicorn.run(
        baseline_app(),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        ws="websockets-sansio",
        ws_ping_interval=30,
        ws_per_message_deflate=False,
    )


# -- subscribers ------------------------------------------------------------


def _plate(message: dict[str, Any]) -> str:
    return str(message.get("plateNo", ""))


def subscriber_process(url: str, n: int, out: Any) -> None:
    """``n`` websockets; report per phase: received counts and latencies."""
    from websockets.asyncio.client import connect

    latencies: dict[int, list[float]] = {}
    counts: list[dict[int, int]] = [{} for _ in range(n)]
    closed = [False] * n
    ready_seen = [False] * n
    ready = failed = 0

    async def one(i: int) -> None:
        nonlocal ready, failed
        try:
            async with connect(url, max_size=None, open_timeout=60) as ws:
                await ws.recv()  # the subscriber id
                ready += 1
                ready_seen[i] = True
                async for raw in ws:
                    plate = _plate(json.loads(raw))
                    if plate == STOP:
                        return
                    seq_text, sent_text = plate[1:].split("T")
                    seq, sent = int(seq_text), int(sent_text) / 1e9
                    phase = seq // PHASE
                    latencies.setdefault(phase, []).append(time.monotonic() - sent)
                    counts[i][phase] = counts[i].get(phase, 0) + 1
        except Exception:
            pass
        if not ready_seen[i]:
            failed += 1  # never connected: it must not hold up the start
        closed[i] = True

    async def main() -> None:
        tasks = []
        for i in range(n):
            tasks.append(asyncio.create_task(one(i)))
            if i % 50 == 49:
                await asyncio.sleep(0.05)
        while ready + failed < n:
            await asyncio.sleep(0.1)
        out.send(("ready", ready))
        await asyncio.gather(*tasks)

    asyncio.run(main())
    summary = {
        phase: {
            "n": len(lat),
            "p50": statistics.median(lat),
            "p99": sorted(lat)[int(len(lat) * 0.99) - 1] if len(lat) > 1 else lat[0],
        }
        for phase, lat in latencies.items()
    }
    out.send(("done", {"counts": counts, "closed": closed, "latency": summary}))


# -- pushing --------------------------------------------------------------------


def _event(seq: int, code: str) -> dict[str, Any]:
    return {"topic": "LPR", "src": code, "plateNo": f"B{seq}T{time.monotonic_ns()}"}


async def push_phase(
    client: httpx.AsyncClient, path: str, rate: int, phase: int, code: str
) -> tuple[int, float]:
    """Push ``rate`` events a second for SECONDS; returns (events pushed, seconds taken)."""
    total = int(rate * SECONDS)
    start = time.monotonic()
    inflight: set[asyncio.Task[Any]] = set()
    for k in range(total):
        due = start + k / rate
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        if len(inflight) >= 16:
            _, inflight = await asyncio.wait(inflight, return_when=asyncio.FIRST_COMPLETED)
        body = _event(phase * PHASE + k, code)
        inflight.add(asyncio.create_task(client.post(path, json=body)))
    if inflight:
        await asyncio.wait(inflight)
    return total, max(SECONDS, time.monotonic() - start)


def measure(name: str, ws_url: str, push_url: str, auth: Any, code: str) -> list[dict[str, Any]]:
    ctx = mp.get_context("spawn")
    per = SUBSCRIBERS // PROCESSES
    pipes, procs = [], []
    for _ in range(PROCESSES):
        parent, child = ctx.Pipe()
        p = ctx.Process(target=subscriber_process, args=(ws_url, per, child), daemon=True)
        p.start()
        pipes.append(parent)
        procs.append(p)
    ready = sum(int(pipe.recv()[1]) for pipe in pipes)
    print(f"   {name}: {ready} subscribers connected", flush=True)

    async def pushing() -> list[tuple[int, float]]:
        out = []
        async with httpx.AsyncClient(auth=auth, timeout=60) as client:
            for phase, rate in enumerate(RATES):
                out.append(await push_phase(client, push_url, rate, phase, code))
                await asyncio.sleep(2)  # let deliveries finish
            await client.post(push_url, json={"topic": "LPR", "src": code, "plateNo": STOP})
        return out

    pushed = asyncio.run(pushing())
    reports = [pipe.recv()[1] for pipe in pipes]
    for p in procs:
        p.join(30)
    rows = []
    for phase, rate in enumerate(RATES):
        total, took = pushed[phase]
        dropped = lost = received = 0
        lat50: list[float] = []
        lat99: list[float] = []
        for rep in reports:
            for counts, closed in zip(rep["counts"], rep["closed"], strict=True):
                got = counts.get(phase, 0)
                received += got
                if closed and max(counts, default=-1) <= phase:  # gone during or before it
                    dropped += 1
                else:
                    lost += max(0, total - got)
            lat = rep["latency"].get(phase)
            if lat:
                lat50.append(lat["p50"])
                lat99.append(lat["p99"])
        rows.append(
            {
                "rate": rate,
                "pushed_per_s": total / took,
                "delivered_per_s": received / (took + 2),
                "p50_ms": 1000 * max(lat50, default=0),
                "p99_ms": 1000 * max(lat99, default=0),
                "lost": lost,
                "dropped_subscribers": dropped,
            }
        )
    return rows


def _wait_http(url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def run_nvrd(tmp: Path) -> list[dict[str, Any]]:
    port = _free_port()
    cfg = tmp / "nvrd.toml"
    cfg.write_text(
        f'[server]\nhost = "127.0.0.1"\nport = {port}\ndata_dir = "{tmp / "data"}"\n'
        'log_level = "warning"\n'
        '[auth]\ndemo_user = "bench"\ndemo_password = "bench"\n'
        "[events]\nsubscriber_queue = 5000\n"
        '[[lpr_source]]\ncode = "B1"\nname = "Bench gate"\n',
        "utf-8",
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "nvrd", "serve", "--config", str(cfg)],
        stdout=subprocess.DEVNULL,
        stderr=(tmp / "nvrd.log").open("wb"),
    )
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_http(base + "/api/info?apiVersion")
        auth = base64.b64encode(b"bench:bench").decode()
        ws = f"ws://127.0.0.1:{port}/wsapi/subscribeEvents?topics=LPR&auth={auth}"
        return measure("nvrd", ws, base + "/api/push", ("bench", "bench"), "B1")
    finally:
        _stop(proc)


def run_base() -> list[dict[str, Any]]:
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "bench.bench_events", "--baseline", str(port)])
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_http(base + "/push")
        return measure("baseline", f"ws://127.0.0.1:{port}/ws", base + "/push", None, "B1")
    finally:
        _stop(proc)


def main() -> None:
    print(f"   {SUBSCRIBERS} subscribers in {PROCESSES} processes, {SECONDS:g} s per rate")
    base = run_base()
    with tempfile.TemporaryDirectory() as tmp:
        ours = run_nvrd(Path(tmp))
    print(
        "   rate/s  pushed/s  delivered/s (ratio)   p50 ms (base)    p99 ms (base)   lost  dropped"
    )
    for o, b in zip(ours, base, strict=True):
        ratio = o["delivered_per_s"] / b["delivered_per_s"] if b["delivered_per_s"] else 0
        print(
            f"   {o['rate']:6d}  {o['pushed_per_s']:8.1f}  {o['delivered_per_s']:10.0f} "
            f"({ratio:4.2f})  {o['p50_ms']:7.1f} ({b['p50_ms']:6.1f})  "
            f"{o['p99_ms']:7.1f} ({b['p99_ms']:6.1f})  {o['lost']:5d}  "
            f"{o['dropped_subscribers']:5d}",
            flush=True,
        )


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--baseline":
        run_baseline(int(sys.argv[2]))
    else:
        main()

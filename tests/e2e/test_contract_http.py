"""Real answers of a running server validated against the OpenAPI description: every
operation with valid requests (and the usual failures), status and body."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.contract_server import ROOT, VIEWER, basic, contract_server
from tests.e2e.server import ServerProcess
from tests.support.contract import check_response, documented_operations
from tests.support.faces import jpeg, photo_bytes
from tests.support.pictures import picture
from tests.support.recordings import Recorded

pytestmark = pytest.mark.e2e

Case = tuple[str, str, str, dict[str, Any], int]


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory, media_dir: Path
) -> Iterator[tuple[ServerProcess, list[Recorded], dict[str, Any]]]:
    srv, files = contract_server(tmp_path_factory.mktemp("contract"), media_dir)
    srv.start()
    try:
        doc = httpx.get(srv.url + "/api/openapi.json", timeout=10).json()
        yield srv, files, doc
    finally:
        srv.stop()


def _push(srv: ServerProcess) -> None:
    body = [
        {"topic": "LPR", "src": "IN", "plateNo": "12GA3456", "direction": "entry"},
        {
            "topic": "emergencyCall",
            "device": "vendor/device",
            "src": "0000001",
            "event": "callStart",
        },
    ]
    r = httpx.post(srv.url + "/api/push", json=body, headers=basic(ROOT), timeout=10)
    assert r.status_code == 200, r.text


def _photo(name: str) -> dict[str, Any]:
    ctype = "image/png" if name.endswith(".png") else "image/jpeg"
    return {"content": photo_bytes(name), "headers": {"Content-Type": ctype}}


def cases(files: list[Recorded]) -> list[Case]:
    """(documented path, method, url, request options, the status it must answer)."""
    rel = files[0].path.name
    t0 = "2023-11-14T22:13:20Z"
    g = "get"
    return [
        ("/api/openapi.json", g, "/api/openapi.json", {}, 200),
        ("/api/messages.json", g, "/api/messages.json", {}, 200),
        ("/api/info", g, "/api/info", {}, 200),
        ("/api/info", g, "/api/info?apiVersion&timezone&license", {"anon": True}, 200),
        ("/api/info", g, "/api/info", {"anon": True}, 401),
        ("/api/info", g, "/api/info?bogus", {}, 400),
        ("/api/auth", g, "/api/auth", {}, 200),
        ("/api/auth", g, "/api/auth", {"anon": True}, 401),
        ("/api/auth", g, "/api/auth?logout", {"anon": True}, 200),
        ("/api/system", g, "/api/system?info=os,cpu", {}, 200),
        ("/api/system", g, "/api/system?health", {}, 200),
        ("/api/system", g, "/api/system?health=supported", {}, 200),
        ("/api/system", g, "/api/system?reboot", {}, 501),
        ("/api/system", g, "/api/system?reboot", {"who": VIEWER}, 403),
        ("/api/status", g, "/api/status?verbose&recordingStatus", {}, 200),
        ("/api/status", g, "/api/status?ch=x", {}, 400),
        *[
            ("/api/enum", g, f"/api/enum?what={w}", {}, 200)
            for w in (
                "channel",
                "lprSrc",
                "emergencyCall",
                "eventType",
                "parkingLot",
                "realtimeEvent",
                "objectType",
                "objectAttr",
            )
        ],
        ("/api/enum", g, "/api/enum?what=channel&staticSrc&caps", {}, 200),
        ("/api/find", g, f"/api/find?what=recDays&ch=1&timeBegin={t0}", {}, 200),
        ("/api/find", g, f"/api/find?what=recMinutes&timeBegin={t0}", {}, 200),
        ("/api/find", g, "/api/find?what=eventLog&maxCount=5", {}, 200),
        ("/api/find", g, "/api/find?what=eventLog", {"who": VIEWER}, 200),
        ("/api/find", g, "/api/find?what=carNo&keyword=12GA", {}, 200),
        ("/api/find", g, "/api/find?what=similarCarNo&keyword=12GA3456", {}, 200),
        ("/api/find", g, "/api/find?what=carNo&export&format=xlsx", {}, 200),
        ("/api/find", g, "/api/find?what=carNo", {"who": VIEWER}, 403),
        ("/api/find", g, "/api/find?what=object", {}, 200),
        ("/api/find", g, "/api/find?what=object&objectType=human&topClothes=red,short", {}, 200),
        ("/api/find", g, "/api/find?what=object&gender=male", {}, 400),
        ("/api/find", g, "/api/find?what=face", {}, 400),
        ("/api/vod", g, "/api/vod", {}, 200),
        ("/api/vod", g, "/api/vod?ch=1&nameonly", {}, 200),
        ("/api/vod", g, f"/api/vod?ch=1&when={t0}&duration=30s", {}, 200),
        ("/api/vod", g, f"/api/vod?ch=1&when={t0}&duration=30s", {"who": VIEWER}, 200),
        ("/api/vod", g, f"/api/vod?id={files[0].file_id}&next", {}, 200),
        ("/api/vod", g, "/api/vod?id=999999", {}, 404),
        ("/api/vod", g, "/api/vod", {"anon": True}, 401),
        ("/api/channel/info", g, "/api/channel/info", {}, 200),
        ("/api/channel/ptz", g, "/api/channel/ptz?ch=1&home", {}, 200),
        ("/api/channel/preset", g, "/api/channel/preset?ch=1&list", {}, 200),
        ("/api/channel/relay", g, "/api/channel/relay?ch=1&ls", {}, 200),
        ("/api/channel/aux", g, "/api/channel/aux?ch=1&on=0", {}, 200),
        ("/api/channel/reboot", g, "/api/channel/reboot?ch=1", {}, 200),
        ("/api/channel/reboot", g, "/api/channel/reboot?ch=1", {"who": VIEWER}, 200),
        (
            "/api/channel",
            "post",
            "/api/channel",
            {"json": {"name": "Added", "source": "/nonexistent/added.mp4"}},
            200,
        ),
        ("/api/channel", "post", "/api/channel", {"json": {"chid": 1, "source": "x"}}, 400),
        ("/api/channel", "post", "/api/channel", {"content": b"{"}, 400),
        ("/api/channel/{ids}", "delete", "/api/channel/4", {}, 200),
        ("/api/channel/{ids}", "delete", "/api/channel/77", {}, 404),
        ("/api/channel/{ids}", "delete", "/api/channel/x", {}, 400),
        ("/api/discover", "post", "/api/discover", {}, 503),
        (
            "/api/push",
            "post",
            "/api/push",
            {"json": {"topic": "parkingCount", "id": 1, "count": 3}},
            400,
        ),
        ("/api/push", "post", "/api/push", {"json": {"topic": "bogus"}}, 400),
        ("/api/searchFace", "post", "/api/searchFace?threshold=60", _photo("obama2.jpg"), 200),
        ("/api/searchFace", "post", "/api/searchFace", _photo("astronaut.png"), 200),
        ("/api/searchFace", "post", "/api/searchFace", {"content": b"x"}, 400),
        ("/api/searchFace", "post", "/api/searchFace?threshold=0", _photo("obama2.jpg"), 400),
        (
            "/api/searchFace",
            "post",
            "/api/searchFace",
            {"content": jpeg(picture("coffee.png")), "headers": {"Content-Type": "image/jpeg"}},
            400,
        ),
        (
            "/api/searchFace",
            "post",
            "/api/searchFace",
            {"content": bytes(11 << 20), "headers": {"Content-Type": "image/jpeg"}},
            413,
        ),
        (
            "/api/view.mp4",
            g,
            f"/api/view.mp4?ch=1&timeBegin={t0}&timeEnd=2023-11-14T22:13:25Z",
            {},
            200,
        ),
        (
            "/api/view.mp4",
            g,
            f"/api/view.mp4?ch=1&timeBegin={t0}&timeEnd=2023-11-14T22:13:25Z",
            {"headers": {"Range": "bytes=0-99"}},
            206,
        ),
        (
            "/api/view.mp4",
            g,
            f"/api/view.mp4?ch=1&timeBegin={t0}&timeEnd=2023-11-14T22:13:25Z",
            {"who": VIEWER},
            403,
        ),
        ("/api/event-videos/trigger", "put", "/api/event-videos/trigger", {"json": []}, 400),
        (
            "/api/event-videos/trigger",
            "put",
            "/api/event-videos/trigger",
            {"json": {"chid": 1, "title": "Door", "tasks": [{"command": "eventBackup"}]}},
            200,
        ),
        (
            "/storage/{root}/{path}",
            g,
            f"/storage/0/{files[0].path.relative_to(files[0].path.parents[2])}",
            {},
            200,
        ),
        ("/storage/{root}/{path}", g, f"/storage/0/ch1/{rel}x", {}, 404),
        ("/storage/plates/{path}", g, "/storage/plates/2023/11/14/none.plate.jpg", {}, 404),
        ("/storage/objects/{path}", g, "/storage/objects/1/2023-11-14/1-2.jpg", {}, 404),
        ("/download/carNo/{token}/{name}", g, "/download/carNo/none/x.xls", {}, 404),
        ("/download/{task}/{file}", g, "/download/none/x.mp4", {}, 404),
        ("/event-storage/{path}", g, "/event-storage/none.mp4", {}, 404),
        ("/hls/{stream}/{name}", g, "/hls/ch1main/index.m3u8", {}, 404),
        ("/watch", g, "/watch?ch=1", {}, 200),
        ("/", g, "/", {}, 200),
        ("/static/{name}", g, "/static/none.js", {}, 404),
    ]


def _call(srv: ServerProcess, method: str, url: str, opts: dict[str, Any]) -> httpx.Response:
    opts = dict(opts)
    headers = dict(opts.pop("headers", {}))
    if not opts.pop("anon", False):
        headers.update(basic(opts.pop("who", ROOT)))
    return httpx.request(method, srv.url + url, headers=headers, timeout=30, **opts)


def test_every_operation_answers_as_documented(
    served: tuple[ServerProcess, list[Recorded], dict[str, Any]],
) -> None:
    srv, files, doc = served
    _push(srv)
    table = cases(files)
    assert {(p, m) for p, m, *_ in table} == documented_operations(doc)
    problems: list[str] = []
    for path, method, url, opts, status in table:
        r = _call(srv, method, url, opts)
        where = f"{method.upper()} {url} -> {r.status_code}"
        if r.status_code != status:
            problems.append(f"{where}, expected {status}: {r.text[:200]}")
            continue
        kind = r.headers.get("content-type", "")
        body: Any = None
        if kind.startswith("application/json"):
            body = json.loads(r.content)
        try:
            check_response(doc, path, method, r.status_code, kind, body)
        except Exception as exc:  # a jsonschema ValidationError or a missing status
            problems.append(f"{where}: {str(exc)[:400]}")
    assert not problems, "\n".join(problems)

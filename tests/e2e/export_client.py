"""A /wsapi/dataExport client for the tests, and a server with recordings made beforehand."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from websockets.sync.client import ClientConnection, connect

from nvrd.config import load_settings
from tests.conftest import add_users
from tests.e2e.server import ServerProcess

Message = dict[str, Any]


def auth(uid: str, password: str) -> str:
    return base64.b64encode(f"{uid}:{password}".encode()).decode()


def export_server(tmp: Path, extra: str = "", min_free_mb: int = 0) -> tuple[ServerProcess, Any]:
    """A server (not started) whose settings are returned so recordings can be made first;
    ``extra`` goes into its ``[export]`` section."""
    srv = ServerProcess(
        tmp,
        f"[recording]\nmin_free_mb = {min_free_mb}\n"
        "[export]\nttl_seconds = 2\nalert_seconds = 0.5\nmax_concurrent = 2\n" + extra,
    )
    settings = load_settings(srv.config, environ={})
    settings.server.data_dir.mkdir(parents=True, exist_ok=True)
    add_users(
        settings,
        [
            ("root", "root-pass", "all", True),
            ("clerk", "clerk-pass", "DataExport,Remote", False),
            ("viewer", "viewer-pass", "Playback,Remote", False),
        ],
    )
    return srv, settings


ROOT = ("root", "root-pass")


def url(srv: ServerProcess, who: tuple[str, str] = ROOT, **q: str) -> str:
    return f"ws://127.0.0.1:{srv.port}/wsapi/dataExport?auth={auth(*who)}&{urlencode(q)}"


def open_export(srv: ServerProcess, **q: str) -> ClientConnection:
    return connect(url(srv, ROOT, **q), open_timeout=10, close_timeout=5, max_size=2**24)


def recv(ws: ClientConnection, timeout: float = 30) -> Message:
    msg: Message = json.loads(ws.recv(timeout=timeout))
    return msg


def drive(
    ws: ClientConnection,
    on_file: Callable[[Message], str] | None = None,
    timeout: float = 60,
    task: str = "",
) -> list[Message]:
    """Read every message until the socket closes; ``on_file(fileEnd)`` returns the command
    to send (default ``next``); ``task``: the id, when ``ready`` was read already."""
    out: list[Message] = []
    while True:
        try:
            msg = recv(ws, timeout)
        except Exception:
            return out
        out.append(msg)
        if msg.get("stage") == "ready":
            task = msg.get("task", {}).get("id", "")
        if msg.get("stage") == "fileEnd":
            cmd = on_file(msg) if on_file else "next"
            if cmd:
                ws.send(json.dumps({"task": task, "cmd": cmd}))
        if msg.get("stage") == "end":
            return out


def stages(messages: list[Message]) -> list[str]:
    return [m["stage"] if "stage" in m else m.get("request", "?") for m in messages]

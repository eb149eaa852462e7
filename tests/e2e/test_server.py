"""A real server process: first start, sign-in paths over HTTP, lockout, restart, shutdown."""

import os
import signal
import stat
import time
from pathlib import Path

import httpx

from tests.conftest import b64
from tests.e2e.server import ServerProcess, nvrd


def test_first_start_creates_admin_once(server: ServerProcess) -> None:
    password = server.admin_password()
    assert password and password in server.stdout()
    mode = stat.S_IMODE(os.stat(server.data_dir / "admin-password").st_mode)
    assert mode == 0o600
    assert server.stop() == 0
    server.start()
    assert server.stdout().count("Created user 'admin'") == 1
    with server.client() as c:
        assert c.get("/api/info?whoAmI", auth=("admin", password)).status_code == 200


def test_cookie_flow(server: ServerProcess) -> None:
    pw = server.admin_password()
    with server.client() as c:
        assert c.get("/api/info?all").status_code == 401
        r = c.get("/api/auth", params={"login": b64("admin", pw)})
        assert r.status_code == 200
        assert "httponly" in r.headers["set-cookie"].lower()
        assert c.get("/api/info?all").status_code == 200
        assert c.get("/api/info?whoAmI").json()["whoAmI"]["uid"] == "admin"
        assert c.get("/api/auth?logout").status_code == 200
        assert c.get("/api/info?whoAmI").status_code == 401
        assert c.get("/api/status").status_code == 401


def test_basic_and_auth_param(server: ServerProcess) -> None:
    pw = server.admin_password()
    with server.client() as c:
        assert c.get("/api/status", auth=("admin", pw)).status_code == 200
    with server.client() as c:
        assert c.get("/api/status", params={"auth": b64("admin", pw)}).status_code == 200
    with server.client() as c:
        r = c.get("/api/status", auth=("admin", "wrong"))
        assert r.status_code == 401
        assert r.json()["code"] == -2


def test_lockout_then_recovery(server: ServerProcess) -> None:
    pw = server.admin_password()
    with server.client() as c:
        for _ in range(3):
            assert c.get("/api/auth", params={"login": b64("admin", "x")}).status_code == 401
        assert c.get("/api/auth", params={"login": b64("admin", pw)}).status_code == 429
        time.sleep(2.2)
        assert c.get("/api/auth", params={"login": b64("admin", pw)}).status_code == 200
    assert "sign-in failed" in server.stderr()


def test_restart_really_restarts(server: ServerProcess) -> None:
    pw = server.admin_password()
    with server.client(auth=("admin", pw)) as c:
        r = c.get("/api/system?restart")
        assert r.status_code == 200 and r.json()["code"] == 0
    deadline = time.monotonic() + 30
    while server.stderr().count("server started") < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert server.stderr().count("server started") == 2
    server.wait_ready()
    with server.client(auth=("admin", pw)) as c:
        assert c.get("/api/info?whoAmI").status_code == 200
    assert server.proc is not None and server.proc.poll() is None


def test_clean_shutdown_on_sigterm_and_sigint(server: ServerProcess) -> None:
    assert server.stop(signal.SIGTERM) == 0
    assert "server stopped" in server.stderr()
    server.start()
    assert server.stop(signal.SIGINT) == 0
    assert server.stderr().count("server stopped") == 2


def test_logs_are_json_lines(server: ServerProcess) -> None:
    import json

    lines = [ln for ln in server.stderr().splitlines() if ln.strip()]
    docs = [json.loads(ln) for ln in lines]
    assert any(d["msg"] == "server started" and d["level"] == "info" for d in docs)


def test_port_in_use_fails_cleanly(server: ServerProcess, tmp_path: Path) -> None:
    cfg = tmp_path / "second.toml"
    cfg.write_text(f'[server]\nport = {server.port}\ndata_dir = "{tmp_path / "d2"}"\n', "utf-8")
    res = nvrd("serve", "--config", str(cfg), timeout=60)
    assert res.returncode != 0
    assert "Traceback" not in res.stderr


def test_unreachable_is_not_500(server: ServerProcess) -> None:
    r = httpx.get(server.url + "/api/info?apiVersion&indent=99")
    assert r.status_code == 400
    assert r.headers["content-type"].startswith("application/json")


def test_serves_from_postgresql(tmp_path: Path, pg_url: str) -> None:
    srv = ServerProcess(tmp_path, database_url=pg_url).start()
    try:
        pw = srv.admin_password()
        with srv.client() as c:
            r = c.get("/api/auth", params={"login": b64("admin", pw)})
            assert r.status_code == 200
            assert c.get("/api/info?all").status_code == 200
        assert srv.stop() == 0
        srv.start()  # the same database: no second admin, the password still works
        assert srv.stdout().count("Created user 'admin'") == 1
        with srv.client() as c:
            assert c.get("/api/info?whoAmI", auth=("admin", pw)).status_code == 200
    finally:
        srv.stop()
    assert '"database": "postgresql"' in srv.stderr()

"""The security edge against a real ``nvrd serve``: per-topic rights on the websocket,
no credential in any log line, forged forwarding headers, private files from the CLI on,
and HTTPS with a certificate made here."""

from __future__ import annotations

import ssl
import stat
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from websockets.sync.client import connect

from nvrd.api.find import WHAT_RIGHTS
from nvrd.api.subscribe import TOPIC_RIGHTS
from nvrd.core.rights import Right
from tests.conftest import b64
from tests.e2e.events_client import Subscriber, close_code
from tests.e2e.server import ServerProcess, nvrd

REMOTE_ONLY = ("remote", "remote-pass-1")
EMBED = ("embed", "Embed-Secret-7781")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _add_user(srv: ServerProcess, uid: str, password: str, rights: str) -> None:
    done = nvrd(
        "user", "add", uid, "--rights", rights, "--password", password, "--config", str(srv.config)
    )
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    server = ServerProcess(tmp_path_factory.mktemp("security"))
    _add_user(server, *REMOTE_ONLY, "Remote")
    _add_user(server, *EMBED, "all")
    server.start()
    yield server
    server.stop()


def _ws(srv: ServerProcess, path: str) -> str:
    return srv.url.replace("http", "ws", 1) + path


def test_files_are_private_from_the_first_cli_command(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path)
    _add_user(server, "first", "first-pass", "Remote")  # before any serve
    assert _mode(server.data_dir) == 0o700
    db = server.data_dir / "nvrd.db"
    for path in (db, db.with_name("nvrd.db-wal"), db.with_name("nvrd.db-shm")):
        if path.exists():
            assert _mode(path) == 0o600, path
    server.start()
    try:
        for path in (db, db.with_name("nvrd.db-wal"), db.with_name("nvrd.db-shm")):
            assert path.exists() and _mode(path) == 0o600, path
    finally:
        server.stop()


@pytest.mark.parametrize("topic", sorted(TOPIC_RIGHTS))
def test_a_topic_needs_the_right_of_the_same_data_over_http(srv: ServerProcess, topic: str) -> None:
    right = TOPIC_RIGHTS[topic]
    who = REMOTE_ONLY  # has no right but Remote
    url = _ws(srv, f"/wsapi/subscribeEvents?topics={topic}&auth={b64(*who)}")
    code, messages = close_code(url)
    assert code == 4403 and messages == [], (topic, code, messages)
    # the same user gets 403 from the search that returns the same data
    what = {r: w for w, r in WHAT_RIGHTS.items()}[right]
    r = httpx.get(srv.url + f"/api/find?what={what}", auth=who)
    assert r.status_code == 403
    # a user with the right is served
    with Subscriber(_ws(srv, f"/wsapi/subscribeEvents?topics={topic}&auth={b64(*EMBED)}")) as s:
        assert s.hello["topics"] == [topic]


def test_remote_only_user_gets_no_event_log_live(srv: ServerProcess) -> None:
    url = _ws(
        srv, f"/wsapi/subscribeEvents?topics=channelStatus,systemEvent&auth={b64(*REMOTE_ONLY)}"
    )
    code, messages = close_code(url)
    assert code == 4403 and messages == []
    assert TOPIC_RIGHTS["systemEvent"] is Right.PLAYBACK
    # topics without a right of their own are open to every signed-in user
    with Subscriber(
        _ws(srv, f"/wsapi/subscribeEvents?topics=channelStatus&auth={b64(*REMOTE_ONLY)}")
    ) as s:
        assert s.hello["topics"] == ["channelStatus"]


def test_foreign_origin_cookie_websocket_is_refused(srv: ServerProcess) -> None:
    with httpx.Client(base_url=srv.url) as c:
        token = c.get(f"/api/auth?login={b64(*EMBED)}").cookies["nvrd_session"]
    url = _ws(srv, "/wsapi/subscribeEvents?topics=LPR")
    cookie = {"Cookie": f"nvrd_session={token}"}
    with connect(url, additional_headers={**cookie, "Origin": "https://evil.example"}) as ws:
        with pytest.raises(Exception) as closed:
            ws.recv(timeout=5)
        assert ws.close_code == 4403, closed.value
    with Subscriber(url.replace("?", f"?session={token}&")) as s:  # explicit: unaffected
        assert s.hello["topics"] == ["LPR"]


def test_no_credential_in_any_log_line(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path, "[auth]\nmax_failures = 50\n")
    _add_user(server, *EMBED, "all")
    server.start()
    creds = b64(*EMBED)
    try:
        with httpx.Client(base_url=server.url) as c:
            assert c.get(f"/api/status?auth={creds}").status_code == 200
            c.cookies.clear()
            r = c.get(f"/api/auth?login={quote(creds)}")
            token = r.cookies["nvrd_session"]
            c.cookies.clear()
            c.get(f"/api/status?session={token}&password={EMBED[1]}")
            c.get("/api/status", auth=EMBED)
            c.get(f"/download/nosuch/CH1.mp4&auth={creds}")
            c.get(f"/api/status?auth={b64(EMBED[0], 'Wrong-Secret-99')}")
        for query in (f"auth={creds}", f"session={token}", f"login={creds}"):
            with Subscriber(_ws(server, f"/wsapi/subscribeEvents?topics=LPR&{query}")):
                pass
        time.sleep(0.5)
    finally:
        server.stop()
    logs = server.stdout() + server.stderr()
    assert "/api/status" in logs and "subscribeEvents" in logs  # the lines are there
    secrets = [creds, creds.rstrip("="), quote(creds, safe=""), token, EMBED[1], "Wrong-Secret-99"]
    secrets.append(b64(EMBED[0], "Wrong-Secret-99").rstrip("="))
    for line in logs.splitlines():
        for secret in secrets:
            assert secret not in line, (secret, line)


def test_a_forged_forwarding_header_does_not_escape_the_lockout(server: ServerProcess) -> None:
    """uvicorn believes X-Forwarded-For from 127.0.0.1 by default; nvrd does not."""
    bad = b64("admin", "wrong")
    for i in range(3):
        r = httpx.get(
            server.url + f"/api/auth?login={bad}", headers={"X-Forwarded-For": f"10.0.0.{i}"}
        )
        assert r.status_code == 401
    good = b64("admin", server.admin_password())
    r = httpx.get(server.url + f"/api/auth?login={good}", headers={"X-Forwarded-For": "10.9.9.9"})
    assert r.status_code == 429


class TlsServer(ServerProcess):
    verify = False

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"


def test_https_with_a_certificate_made_here(tmp_path: Path) -> None:
    from nvrd.cli.tls import make_self_signed

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    make_self_signed(cert, key, ["127.0.0.1"])
    assert _mode(key) == 0o600
    server = TlsServer(tmp_path, f'tls_cert = "{cert}"\ntls_key = "{key}"\n')
    server.start()
    try:
        context = ssl.create_default_context(cafile=str(cert))
        with httpx.Client(base_url=server.url, verify=context) as c:
            r = c.get(f"/api/auth?login={b64('admin', server.admin_password())}")
            assert r.status_code == 200
            assert "secure" in r.headers["set-cookie"].lower()
            assert r.url.scheme == "https"
        with pytest.raises(httpx.HTTPError):  # plain HTTP is not served on the TLS port
            httpx.get(f"http://127.0.0.1:{server.port}/api/info?apiVersion", timeout=3)
        auth = b64("admin", server.admin_password())
        wss = f"wss://127.0.0.1:{server.port}/wsapi/subscribeEvents?topics=LPR&auth={auth}"
        with connect(wss, ssl=context, open_timeout=10) as ws:
            assert "subscriberId" in ws.recv(timeout=10)
    finally:
        server.stop()


def test_self_signed_certificate_is_made_on_first_start(tmp_path: Path) -> None:
    server = TlsServer(tmp_path, "tls_self_signed = true\n")
    server.start()
    try:
        cert, key = server.data_dir / "tls-cert.pem", server.data_dir / "tls-key.pem"
        assert _mode(key) == 0o600 and cert.exists()
        assert _mode(server.data_dir / "admin-password") == 0o600
        context = ssl.create_default_context(cafile=str(cert))
        with httpx.Client(base_url=server.url, verify=context) as c:
            assert c.get("/api/info?apiVersion").status_code == 200
    finally:
        server.stop()

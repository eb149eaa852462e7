"""Sign-in paths in-process: auth=, login=, Basic, cookie, logout, rights, lockout."""

from collections.abc import Callable
from typing import Any

from starlette.testclient import TestClient

from nvrd.core.clock import FakeClock
from tests.conftest import NOREMOTE, VIEWER, AppHarness, b64


def test_login_sets_http_only_cookie_and_logout_ends_it(client: TestClient) -> None:
    r = client.get(f"/api/auth?login={b64(*VIEWER[:2])}")
    assert r.status_code == 200
    assert r.json()["code"] == 0
    assert r.json()["whoAmI"]["uid"] == "viewer"
    cookie = r.headers["set-cookie"]
    assert "nvrd_session=" in cookie and "HttpOnly" in cookie
    assert client.get("/api/status").status_code == 200
    r = client.get("/api/auth?logout")
    assert r.status_code == 200
    assert client.get("/api/status").status_code == 401


def test_guide_raw_base64_in_url(client: TestClient) -> None:
    raw = b64(*VIEWER[:2])
    r = client.get("/api/auth?auth=" + raw.replace("=", "%3D"))
    assert r.status_code == 200


def test_basic_auth(client: TestClient) -> None:
    assert client.get("/api/status", auth=(VIEWER[0], VIEWER[1])).status_code == 200
    assert client.get("/api/status", auth=(VIEWER[0], "nope")).status_code == 401


def test_no_credentials(client: TestClient) -> None:
    r = client.get("/api/auth")
    assert r.status_code == 401
    assert r.json()["code"] == -2


def test_wrong_password_and_unknown_user(client: TestClient) -> None:
    for creds in (b64("viewer", "wrong"), b64("ghost", "x")):
        r = client.get(f"/api/auth?login={creds}")
        assert r.status_code == 401
        assert "set-cookie" not in r.headers


def test_bad_base64_is_400(client: TestClient) -> None:
    for bad in ("%%%", "bm9jb2xvbg", "!!"):
        r = client.get(f"/api/auth?login={bad}")
        assert r.status_code == 400, bad
        assert r.json()["code"] == -1


def test_user_without_remote_right_is_refused(client: TestClient) -> None:
    r = client.get(f"/api/auth?login={b64(*NOREMOTE[:2])}")
    assert r.status_code == 403
    assert "Remote" in r.json()["message"]


def test_bad_credentials_beat_a_valid_cookie(client: TestClient) -> None:
    client.get(f"/api/auth?login={b64(*VIEWER[:2])}")
    assert client.get(f"/api/status?auth={b64('viewer', 'bad')}").status_code == 401


def test_lockout_after_repeated_failures(harness: Callable[..., AppHarness]) -> None:
    h = harness(auth={"max_failures": 3, "lockout_seconds": 60})
    with h.client() as c:
        for _ in range(3):
            assert c.get(f"/api/auth?login={b64('viewer', 'bad')}").status_code == 401
        r = c.get(f"/api/auth?login={b64(*VIEWER[:2])}")  # even the right password now
        assert r.status_code == 429
        assert int(r.headers["retry-after"]) > 0
        assert r.json()["code"] == -7


def test_session_idle_expiry(harness: Callable[..., AppHarness]) -> None:
    h = harness(auth={"session_idle_seconds": 10})
    later = FakeClock(h.app.state.services.clock.now())
    h.app.state.services.auth.clock = later
    with h.client() as c:
        assert c.get(f"/api/auth?login={b64(*VIEWER[:2])}").status_code == 200
        later.advance(8)
        assert c.get("/api/status").status_code == 200  # used: idle timer restarts
        later.advance(8)
        assert c.get("/api/status").status_code == 200
        later.advance(11)
        assert c.get("/api/status").status_code == 401


def test_repeated_auth_param_on_media_files_reuses_one_session(
    harness: Callable[..., AppHarness],
) -> None:
    """Players fetch HLS parts and files with auth= and no cookie: one session, not one each."""
    from nvrd.store.schema import sessions

    h = harness()
    creds = b64(*VIEWER[:2])
    engine = h.app.state.services.users._engine

    async def count() -> int:
        from sqlalchemy import func, select

        async with engine.connect() as conn:
            return int((await conn.execute(select(func.count()).select_from(sessions))).scalar())

    with h.client() as c:
        cookies = set()
        for _ in range(5):
            c.cookies.clear()  # like a player in another site's iframe: no cookie comes back
            r = c.get(f"/hls/ch1main/index.m3u8?auth={creds}")
            assert r.status_code == 404  # signed in (no such stream), not 401
            cookies.add(r.cookies.get("nvrd_session"))
        assert len(cookies) == 1
        assert c.portal.call(count) == 1  # type: ignore[union-attr]
        # after logout the cached pair no longer stands for a session: a new one is made
        c.cookies.set("nvrd_session", str(cookies.pop()))
        c.get("/api/auth?logout")
        c.cookies.clear()
        assert c.get(f"/hls/ch1main/index.m3u8?auth={creds}").status_code == 404
        # a wrong password is never served from the cache
        assert c.get(f"/hls/ch1main/index.m3u8?auth={b64('viewer', 'bad')}").status_code == 401
        assert c.get(f"/api/status?auth={b64('viewer', 'bad')}").status_code == 401


def test_credentials_with_a_cookie_read_the_user_once_and_a_removed_user_is_refused(
    harness: Callable[..., AppHarness],
) -> None:
    """A device that pushes with Basic auth and keeps the cookie: the session's read, which
    brings its user along, serves the remembered credentials too (one read a request, not
    the session, then the user, then the user again); the user is still read on every
    request, so removing it takes effect at once."""
    h = harness()
    svc = h.app.state.services
    reads: list[str] = []
    read = svc.auth.users.get
    read_session = svc.auth.sessions.get_with_user

    async def counted(uid: str) -> Any:
        reads.append(uid)
        return await read(uid)

    async def counted_session(token: str) -> Any:
        found = await read_session(token)
        reads.append(f"session of {found[1].uid if found and found[1] else None}")
        return found

    svc.auth.users.get = counted
    svc.auth.sessions.get_with_user = counted_session
    with h.client() as c:
        c.auth = VIEWER[:2]
        assert c.get("/api/status").status_code == 200  # signs in: a session cookie comes
        assert c.cookies.get("nvrd_session")
        for _ in range(3):
            reads.clear()
            assert c.get("/api/status").status_code == 200
            assert reads == [f"session of {VIEWER[0]}"]
        c.portal.call(svc.users.remove, VIEWER[0])  # type: ignore[union-attr]
        assert c.get("/api/status").status_code == 401

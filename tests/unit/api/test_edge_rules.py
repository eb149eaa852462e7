"""The Origin rule, the Basic challenge, trusted proxies and the lockout, in-process."""

from collections.abc import Callable

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from tests.conftest import ADMIN, VIEWER, AppHarness, b64

FOREIGN = {"Origin": "https://evil.example"}


def _signed_in(c: TestClient, who: tuple[str, str, str, bool] = ADMIN) -> None:
    assert c.get(f"/api/auth?login={b64(who[0], who[1])}").status_code == 200


def _close_code(c: TestClient, url: str, headers: dict[str, str]) -> int | None:
    try:
        with c.websocket_connect(url, headers=headers) as ws:
            msg = ws.receive()
    except WebSocketDisconnect as exc:
        return int(exc.code)
    return int(msg["code"]) if msg["type"] == "websocket.close" else None


def test_cookie_websocket_from_a_foreign_origin_is_refused(client: TestClient) -> None:
    _signed_in(client)
    url = "/wsapi/subscribeEvents?topics=LPR"
    assert _close_code(client, url, FOREIGN) == 4403
    assert _close_code(client, url, {"Origin": "null"}) == 4403
    assert _close_code(client, url, {"Origin": "http://testserver"}) is None  # same site
    assert _close_code(client, url, {}) is None  # not a browser
    # credentials in the request itself: embedding with auth= keeps working
    auth = b64(ADMIN[0], ADMIN[1])
    assert _close_code(client, f"{url}&auth={auth}", FOREIGN) is None


def test_cookie_state_changes_from_a_foreign_origin_are_refused(
    harness: Callable[..., AppHarness],
) -> None:
    h = harness()
    with h.client() as c:
        _signed_in(c)
        r = c.post("/api/channel", content=b"[]", headers=FOREIGN)
        assert r.status_code == 403 and r.json()["code"] == -3
        assert c.get("/api/system?restart", headers=FOREIGN).status_code == 403
        assert c.get("/api/channel/ptz?ch=1&move=left", headers=FOREIGN).status_code == 403
        assert c.get("/api/auth?logout", headers=FOREIGN).status_code == 403
        # a link followed from another site: no Origin, but the browser says where from
        cross = {"Sec-Fetch-Site": "cross-site"}
        assert c.get("/api/system?restart", headers=cross).status_code == 403
        # reading is fine from anywhere; so is a state change with explicit credentials
        assert c.get("/api/status", headers=FOREIGN).status_code == 200
        r = c.post("/api/channel", content=b"[]", headers=FOREIGN, auth=ADMIN[:2])
        assert r.status_code != 403
        # and from the server's own pages
        r = c.get("/api/system?restart", headers={"Origin": "http://testserver"})
        assert r.status_code == 200 and r.json()["code"] == 0


def test_401_carries_a_basic_challenge(client: TestClient) -> None:
    r = client.get("/api/status")
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == 'Basic realm="nvrd"'
    r = client.get("/api/status", auth=("viewer", "wrong"))
    assert r.headers["www-authenticate"] == 'Basic realm="nvrd"'
    r = client.get("/api/status", headers={"Authorization": "Bearer abc"})
    assert r.status_code == 401 and "www-authenticate" not in r.headers
    assert "www-authenticate" not in client.get("/api/info?apiVersion").headers


@pytest.mark.parametrize(
    "header",
    ["X-Forwarded-For", "X-Real-IP", "Forwarded"],
)
def test_a_forged_forwarding_header_does_not_escape_the_lockout(
    harness: Callable[..., AppHarness], header: str
) -> None:
    h = harness(auth={"max_failures": 3, "lockout_seconds": 60})
    with h.client() as c:
        for i in range(3):
            value = f"for=10.0.0.{i}" if header == "Forwarded" else f"10.0.0.{i}"
            r = c.get(f"/api/auth?login={b64('viewer', 'bad')}", headers={header: value})
            assert r.status_code == 401
        value = "for=10.9.9.9" if header == "Forwarded" else "10.9.9.9"
        r = c.get(f"/api/auth?login={b64(*VIEWER[:2])}", headers={header: value})
        assert r.status_code == 429


def test_a_trusted_proxy_names_the_client(harness: Callable[..., AppHarness]) -> None:
    h = harness(
        auth={"max_failures": 3, "lockout_seconds": 60},
        server={"trusted_proxies": ["10.1.0.0/16"]},
    )
    with TestClient(h.app, client=("10.1.2.3", 4000)) as c:  # the proxy
        for _ in range(3):
            bad = f"/api/auth?login={b64('viewer', 'bad')}"
            assert c.get(bad, headers={"X-Forwarded-For": "192.0.2.7"}).status_code == 401
        good = f"/api/auth?login={b64(*VIEWER[:2])}"
        # 192.0.2.7 is locked out; another client behind the same proxy is not
        assert c.get(good, headers={"X-Forwarded-For": "192.0.2.7"}).status_code == 429
        assert c.get(good, headers={"X-Forwarded-For": "192.0.2.8"}).status_code == 200

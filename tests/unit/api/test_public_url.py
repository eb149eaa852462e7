"""``[server] public_url``: every generated absolute URL starts with it, whatever the Host."""

from collections.abc import Callable
from pathlib import Path

from tests.conftest import ADMIN, VIEWER, AppHarness
from tests.unit.api.test_find_vod import CHANNELS, insert, rel

PUBLIC = "https://nvr.example.com/cams/"


def test_public_url_is_used_for_vod_and_view_ranges(
    harness: Callable[..., AppHarness], tmp_path: Path
) -> None:
    h = harness(
        users=[ADMIN, VIEWER],
        server={"timezone": "America/New_York", "public_url": PUBLIC.rstrip("/")},
        channel=CHANNELS,
        storage=[{"path": str(tmp_path / "r0")}, {"path": str(tmp_path / "r1")}],
    )
    insert(h.settings)
    with h.client() as c:
        r = c.get(
            "/api/vod?ch=1&when=2018-01-08T21:30:00-05:00",
            headers={"host": "attacker.example"},
            auth=ADMIN[:2],
        )
        assert r.status_code == 200, r.text
        item = r.json()[0]
        assert item["src"][0]["src"] == f"{PUBLIC}storage/0/{rel(0)}"
        assert item["range"]["src"].startswith(f"{PUBLIC}api/view.mp4?ch=1&")
        assert "attacker" not in r.text


def test_without_public_url_the_request_host_is_used(
    harness: Callable[..., AppHarness], tmp_path: Path
) -> None:
    h = harness(
        users=[ADMIN],
        server={"timezone": "America/New_York"},
        channel=CHANNELS,
        storage=[{"path": str(tmp_path / "r0")}, {"path": str(tmp_path / "r1")}],
    )
    insert(h.settings)
    with h.client() as c:
        r = c.get(
            "/api/vod?ch=1&when=2018-01-08T21:30:00-05:00",
            headers={"host": "nvr.local:8080"},
            auth=ADMIN[:2],
        )
        assert r.json()[0]["src"][0]["src"] == f"http://nvr.local:8080/storage/0/{rel(0)}"


def test_public_url_must_be_an_http_url(tmp_path: Path) -> None:
    import pytest

    from nvrd.config import ConfigError
    from tests.conftest import make_settings

    for bad in ("ftp://x/", "nvr.example.com", "https://x/?a=1"):
        with pytest.raises(ConfigError):
            make_settings(tmp_path, server={"public_url": bad})


def test_over_tls_urls_are_https_and_the_cookie_is_secure(
    harness: Callable[..., AppHarness], tmp_path: Path
) -> None:
    from starlette.testclient import TestClient

    from tests.conftest import b64

    h = harness(
        users=[ADMIN],
        server={"timezone": "America/New_York"},
        channel=CHANNELS,
        storage=[{"path": str(tmp_path / "r0")}, {"path": str(tmp_path / "r1")}],
    )
    insert(h.settings)
    with TestClient(h.app, base_url="https://nvr.local") as c:
        r = c.get(f"/api/auth?login={b64(*ADMIN[:2])}")
        assert "secure" in r.headers["set-cookie"].lower()
        r = c.get("/api/vod?ch=1&when=2018-01-08T21:30:00-05:00")
        assert r.json()[0]["src"][0]["src"] == f"https://nvr.local/storage/0/{rel(0)}"
    with TestClient(h.app, base_url="http://nvr.local") as c:
        r = c.get(f"/api/auth?login={b64(*ADMIN[:2])}")
        assert "secure" not in r.headers["set-cookie"].lower()

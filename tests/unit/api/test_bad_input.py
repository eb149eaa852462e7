"""Every endpoint against the same bad inputs: right status, JSON error, nothing stored."""

import base64
from collections.abc import Callable, Iterator

import httpx2
import pytest
from starlette.testclient import TestClient

from nvrd.core.i18n.languages import LANGUAGES
from tests.conftest import VIEWER, AppHarness

PROTECTED = [
    "/api/info?whoAmI",
    "/api/auth",
    "/api/system?info=os",
    "/api/system?health=memory",
    "/api/status",
    "/api/status?recordingStatus",
    "/api/enum?what=channel",
    "/api/enum?what=eventType",
]
PUBLIC = ["/api/info?apiVersion", "/api/info?license"]
GOOD = base64.b64encode(f"{VIEWER[0]}:{VIEWER[1]}".encode()).decode()
WRONG = base64.b64encode(f"{VIEWER[0]}:nope".encode()).decode()


def check_error(r: httpx2.Response, status: int) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert isinstance(body["code"], int) and body["code"] < 0
    assert isinstance(body["message"], str) and body["message"]
    assert "Traceback" not in r.text


def url(path: str, extra: str) -> str:
    return path + ("&" if "?" in path else "?") + extra


@pytest.fixture(scope="module")
def app_client(module_harness: Callable[..., AppHarness]) -> Iterator[TestClient]:
    with module_harness().client() as c:
        yield c


@pytest.fixture
def shared(app_client: TestClient) -> TestClient:
    """One app for the module's requests that leave nothing behind (no wrong password:
    those count towards the client's lockout), without the cookies of the test before."""
    app_client.cookies.clear()
    return app_client


@pytest.mark.parametrize("path", PROTECTED)
def test_protected_without_sign_in(shared: TestClient, path: str) -> None:
    check_error(shared.get(path), 401)


@pytest.mark.parametrize("path", PROTECTED + PUBLIC)
@pytest.mark.parametrize(
    ("extra", "status"),
    [
        (f"auth={GOOD}&indent=9", 400),
        (f"auth={GOOD}&indent=two", 400),
        (f"auth={GOOD}&lang=xx-XX", 400),
        ("auth=%%%", 400),
        ("login=bm8tY29sb24=", 400),
    ],
)
def test_bad_common_params(shared: TestClient, path: str, extra: str, status: int) -> None:
    check_error(shared.get(url(path, extra)), status)


@pytest.mark.parametrize("path", PROTECTED + PUBLIC)
@pytest.mark.parametrize(
    ("extra", "status"),
    [
        (f"auth={WRONG}", 401),
        (f"login={WRONG}", 401),
    ],
)
def test_wrong_password(client: TestClient, path: str, extra: str, status: int) -> None:
    check_error(client.get(url(path, extra)), status)


@pytest.mark.parametrize("path", PROTECTED + PUBLIC)
def test_good_request(shared: TestClient, path: str) -> None:
    r = shared.get(url(path, f"auth={GOOD}&indent=4&lang=ja-JP"))
    assert r.status_code == 200, r.text
    assert r.text.startswith(("{\n    ", "[\n    ", "[]"))


def test_every_language_of_the_guide_is_accepted(client: TestClient) -> None:
    client.get(f"/api/auth?auth={GOOD}")
    for code in LANGUAGES:
        r = client.get(f"/api/status?verbose&lang={code}")
        assert r.status_code == 200, code


def test_unexpected_failure_is_json_500_without_traceback(
    harness: Callable[..., AppHarness],
) -> None:
    h = harness()

    async def broken() -> None:
        raise RuntimeError("disk on fire")

    with h.client() as c:
        h.app.state.services.channels.all = broken  # after start-up, which lists channels
        r = c.get("/api/status?indent=2", auth=(VIEWER[0], VIEWER[1]))
    check_error(r, 500)
    assert "disk on fire" not in r.text
    assert r.json()["code"] == -9


def test_failed_sign_ins_do_not_touch_stored_users(harness: Callable[..., AppHarness]) -> None:
    h = harness()
    with h.client() as c:
        for bad in ("auth=%%%", f"auth={WRONG}", "login=" + "A" * 5000):
            c.get(f"/api/info?whoAmI&{bad}")
        assert c.get(f"/api/info?whoAmI&auth={GOOD}").status_code == 200

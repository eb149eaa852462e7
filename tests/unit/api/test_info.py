"""/api/info and the JSON conventions (indent, lang, errors), in-process."""

import json
from collections.abc import Callable

import pytest
from starlette.testclient import TestClient

from tests.conftest import ADMIN, VIEWER, AppHarness, b64

VIEWER_AUTH = b64(VIEWER[0], VIEWER[1])


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ("apiVersion", "TS-API@0.9.20"),
        ("siteName", "nvrd"),
    ],
)
def test_public_scalars(client: TestClient, item: str, expected: str) -> None:
    r = client.get(f"/api/info?{item}")
    assert r.status_code == 200
    assert r.json() == {item: expected}
    assert r.headers["content-type"].startswith("application/json")


def test_compact_by_default_and_indent(client: TestClient) -> None:
    r = client.get("/api/info?timezone")
    assert r.text == '{"timezone":{"name":"UTC","bias":"+00:00"}}'
    r = client.get("/api/info?timezone&indent=2")
    assert r.text == '{\n  "timezone": {\n    "name": "UTC",\n    "bias": "+00:00"\n  }\n}'
    r = client.get("/api/info?timezone&indent=0")
    assert r.text == '{"timezone":{"name":"UTC","bias":"+00:00"}}'


@pytest.mark.parametrize("bad", ["9", "-1", "x", ""])
def test_bad_indent(client: TestClient, bad: str) -> None:
    r = client.get(f"/api/info?apiVersion&indent={bad}")
    assert r.status_code == 400
    assert r.json()["code"] < 0 and "indent" in r.json()["message"]


def test_product_and_license(client: TestClient) -> None:
    body = client.get("/api/info?product&license").json()
    assert body["product"]["name"] == "nvrd"
    assert body["product"]["version"].startswith("v") and "(64-bit)" in body["product"]["version"]
    lic = body["license"]
    assert lic["type"] == "genuine" and lic["mediaType"] == "Software"
    assert lic["maxChannels"] == 16 and isinstance(lic["extension"], list)


def test_site_name_is_url_encoded(harness: Callable[..., AppHarness]) -> None:
    with harness(server={"site_name": "My home server"}).client() as c:
        assert c.get("/api/info?siteName").json() == {"siteName": "My%20home%20server"}


def test_timezone_bias_configured(harness: Callable[..., AppHarness]) -> None:
    with harness(server={"timezone": "Asia/Seoul"}).client() as c:
        assert c.get("/api/info?timezone").json() == {
            "timezone": {"name": "Asia/Seoul", "bias": "+09:00"}
        }


def test_who_am_i_needs_sign_in(client: TestClient) -> None:
    r = client.get("/api/info?whoAmI")
    assert r.status_code == 401
    assert set(r.json()) == {"code", "message"}


def test_who_am_i_shapes(client: TestClient) -> None:
    r = client.get(f"/api/info?whoAmI&auth={VIEWER_AUTH}")
    assert r.status_code == 200
    who = r.json()["whoAmI"]
    assert who["uid"] == "viewer" and who["name"] == "viewer"
    assert who["accessRights2"] == {
        "DataExport": False,
        "Control": False,
        "Settings": False,
        "Playback": True,
        "LPR": False,
        "Remote": True,
    }
    assert who["accessRights"] == ["Playback", "Remote"]


def test_admin_has_every_right(client: TestClient) -> None:
    who = client.get("/api/info?whoAmI", auth=(ADMIN[0], ADMIN[1])).json()["whoAmI"]
    assert all(who["accessRights2"].values())
    assert who["accessRights"] == ["DataExport", "Control", "Settings", "Playback", "LPR", "Remote"]


def test_all_signed_out_is_401_without_who_am_i(client: TestClient) -> None:
    r = client.get("/api/info?all")
    assert r.status_code == 401
    body = r.json()
    assert list(body) == ["apiVersion", "siteName", "timezone", "product", "license"]


def test_all_signed_in(client: TestClient) -> None:
    r = client.get(f"/api/info?all&auth={VIEWER_AUTH}")
    assert r.status_code == 200
    assert list(r.json()) == ["apiVersion", "siteName", "timezone", "product", "license", "whoAmI"]
    # the sign-in set the session cookie: the next request needs no credentials
    assert client.get("/api/info?all").status_code == 200


def test_no_item_means_all(client: TestClient) -> None:
    assert client.get("/api/info").status_code == 401


@pytest.mark.parametrize("q", ["bogus", "apiVersion&bogus=1", "apiVersion=maybe"])
def test_unknown_item(client: TestClient, q: str) -> None:
    r = client.get(f"/api/info?{q}")
    assert r.status_code == 400
    assert r.json()["code"] == -1


def test_false_flag_drops_item(client: TestClient) -> None:
    assert client.get("/api/info?apiVersion&siteName=false").json() == {
        "apiVersion": "TS-API@0.9.20"
    }


def test_cache_buster_and_lang_are_accepted(client: TestClient) -> None:
    r = client.get("/api/info?apiVersion&_=12345&lang=ko-KR")
    assert r.status_code == 200


def test_unknown_lang_is_400_in_default_language(client: TestClient) -> None:
    r = client.get("/api/info?apiVersion&lang=xx-XX")
    assert r.status_code == 400
    assert "xx-XX" in r.json()["message"]


def test_error_messages_follow_lang(client: TestClient) -> None:
    en = client.get("/api/info?whoAmI").json()["message"]
    ko = client.get("/api/info?whoAmI&lang=ko-KR").json()["message"]
    assert en != ko
    assert any("\uac00" <= ch <= "\ud7a3" for ch in ko)


def test_unknown_path_is_json_404(client: TestClient) -> None:
    for path in ("/api/nothing", "/nothing", "/wsapi/nothing"):
        r = client.get(path + "?indent=2")
        assert r.status_code == 404
        assert r.json()["code"] == -4
        assert r.text.startswith("{\n")


def test_wrong_method_is_json_405(client: TestClient) -> None:
    r = client.post("/api/info?apiVersion")
    assert r.status_code == 405
    assert json.loads(r.text)["code"] == -5

import base64

import pytest

from nvrd.auth.credentials import decode_userpass, from_request
from nvrd.core.errors import ApiError, Kind


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_guide_example() -> None:
    # The guide's demo:!1234qwer, URL-decoded by the framework.
    assert decode_userpass("auth", "ZGVtbzohMTIzNHF3ZXI=") == ("demo", "!1234qwer")


def test_raw_base64_with_plus_turned_into_space_and_no_padding() -> None:
    value = b64("user:pass>>>?")  # contains '+' and '='
    assert "+" in value or "/" in value or "=" in value
    mangled = value.replace("+", " ").rstrip("=")
    assert decode_userpass("auth", mangled) == ("user", "pass>>>?")


def test_password_may_contain_colons_and_unicode() -> None:
    assert decode_userpass("login", b64("관리자:a:b:c")) == ("관리자", "a:b:c")


@pytest.mark.parametrize("bad", ["!!!", b64("no-colon"), b64(":nouser"), "////"])
def test_bad_values_are_400(bad: str) -> None:
    with pytest.raises(ApiError) as e:
        decode_userpass("auth", bad)
    assert e.value.kind is Kind.BAD_REQUEST


def test_order_auth_login_basic() -> None:
    q = {"auth": b64("a:1"), "login": b64("b:2")}
    assert from_request(q, "Basic " + b64("c:3")).uid == "a"  # type: ignore[union-attr]
    assert from_request({"login": b64("b:2")}, None).via == "login"  # type: ignore[union-attr]
    creds = from_request({}, "Basic " + b64("c:3"))
    assert creds is not None and creds.via == "basic" and creds.password == "3"
    assert from_request({}, "Bearer xyz") is None
    assert from_request({}, None) is None

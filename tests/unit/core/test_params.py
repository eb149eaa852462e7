import pytest

from nvrd.core.errors import ApiError, Kind
from nvrd.core.params import (
    parse_bool,
    parse_indent,
    parse_int_list,
    url_encode,
)


@pytest.mark.parametrize("v", ["", "true", "TRUE", "1", "yes"])
def test_true_values(v: str) -> None:
    assert parse_bool("x", v) is True


@pytest.mark.parametrize("v", ["false", "False", "0", "no"])
def test_false_values(v: str) -> None:
    assert parse_bool("x", v) is False


def test_absent_bool_is_default() -> None:
    assert parse_bool("x", None) is False
    assert parse_bool("x", None, default=True) is True


def test_bad_bool() -> None:
    with pytest.raises(ApiError) as e:
        parse_bool("verbose", "maybe")
    assert e.value.kind is Kind.BAD_REQUEST


def test_indent_range() -> None:
    assert parse_indent(None) is None
    assert parse_indent("0") is None  # compact, as without indent
    assert parse_indent("8") == 8
    for bad in ("9", "-1", "two", ""):
        with pytest.raises(ApiError):
            parse_indent(bad)


def test_int_list() -> None:
    assert parse_int_list("ch", "1,2, 3", lo=1) == [1, 2, 3]
    for bad in ("", ",", "a", "0", "1,,x"):
        with pytest.raises(ApiError):
            parse_int_list("ch", bad, lo=1)


def test_url_encode_like_encode_uri_component() -> None:
    assert url_encode("My home server") == "My%20home%20server"
    assert url_encode("E:\\recData\\") == "E%3A%5CrecData%5C"
    assert url_encode("a'b(c)!~*") == "a'b(c)!~*"
    assert url_encode("서울") == "%EC%84%9C%EC%9A%B8"

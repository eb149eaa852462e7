"""Parsing of TS-API query-string values (pure).

A bare flag (``?apiVersion``) means true; ``true/false/1/0`` (any case) are
accepted wherever a boolean is. Lists are comma separated.
"""

from __future__ import annotations

from collections.abc import Mapping

from nvrd.core.errors import bad_request

_TRUE = {"", "true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


def parse_bool(name: str, value: str | None, default: bool = False) -> bool:
    """A boolean query value; ``None`` (absent) gives ``default``."""
    if value is None:
        return default
    v = value.strip().lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise bad_request("badBool", name=name, value=value)


def flag(query: Mapping[str, str], name: str) -> bool:
    return parse_bool(name, query.get(name), default=False)


def parse_int(name: str, value: str, lo: int | None = None, hi: int | None = None) -> int:
    try:
        n = int(value.strip(), 10)
    except ValueError:
        raise bad_request("badInt", name=name, value=value) from None
    if (lo is not None and n < lo) or (hi is not None and n > hi):
        raise bad_request("outOfRange", name=name, value=value, lo=lo, hi=hi)
    return n


def parse_indent(value: str | None) -> int | None:
    """``indent=0..8``; absent means compact output."""
    if value is None:
        return None
    return parse_int("indent", value, 0, 8)


def split_list(value: str) -> list[str]:
    return [p.strip() for p in value.split(",") if p.strip()]


def parse_int_list(name: str, value: str, lo: int | None = None) -> list[int]:
    """``ch=1,2,3`` style lists; an empty or malformed list is a 400."""
    items = split_list(value)
    if not items:
        raise bad_request("badList", name=name, value=value)
    return [parse_int(name, item, lo=lo) for item in items]


def url_encode(text: str) -> str:
    """Percent-encoding as JavaScript's ``encodeURIComponent`` does it."""
    from urllib.parse import quote

    return quote(text, safe="!~*'()")


#: Parameters any request may carry besides its own: output format, language,
#: credentials, and the cache-busting ``_`` that browsers' libraries add.
COMMON_PARAMS = frozenset({"indent", "lang", "auth", "login", "session", "_"})

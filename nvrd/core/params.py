"""Parsing of TS-API query-string values (pure).

A bare flag (``?apiVersion``) means true; ``true/false/1/0`` (any case) are
accepted wherever a boolean is. Lists are comma separated.
"""

from __future__ import annotations

import re
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


#: Every integer the API takes fits a signed 64-bit column (SQLite, PostgreSQL ``bigint``).
INT_MIN = -(2**63) + 1
INT_MAX = 2**63 - 1
#: Identifiers (channels, files, log entries, devices) are 32-bit columns in PostgreSQL.
MAX_ID = 2**31 - 1
#: Decimal digits (and sign) of the longest integer looked at; longer text is a 400 at once.
_INT_TEXT = re.compile(r"^[+-]?[0-9]{1,20}$", re.ASCII)


def bounded_int(text: str) -> int | None:
    """``text`` as a decimal integer in ``INT_MIN..INT_MAX``, or ``None``.

    ASCII digits only (``int()`` would take ``"١٢"``; ``"²".isdigit()`` is true
    but ``int("²")`` fails), at most 20 of them, so that no caller ever meets a
    number its database, ``datetime`` or ``int()`` itself cannot take.
    """
    if not _INT_TEXT.match(text):
        return None
    n = int(text, 10)
    return n if INT_MIN <= n <= INT_MAX else None


def parse_int(name: str, value: str, lo: int | None = None, hi: int | None = None) -> int:
    n = bounded_int(value.strip())
    if n is None:
        raise bad_request("badInt", name=name, value=value[:64])
    if (lo is not None and n < lo) or (hi is not None and n > hi):
        raise bad_request("outOfRange", name=name, value=value, lo=lo, hi=hi)
    return n


def parse_id(name: str, value: str) -> int:
    """A channel, file or entry number: ``1..MAX_ID``."""
    return parse_int(name, value, 1, MAX_ID)


def parse_indent(value: str | None) -> int | None:
    """``indent=0..8``; absent or ``0`` means compact output (``None``)."""
    if value is None:
        return None
    return parse_int("indent", value, 0, 8) or None


def split_list(value: str) -> list[str]:
    return [p.strip() for p in value.split(",") if p.strip()]


#: The most items a list parameter takes (``ch=1,2,...``).
MAX_LIST = 1024


def parse_int_list(
    name: str, value: str, lo: int | None = None, hi: int | None = MAX_ID
) -> list[int]:
    """``ch=1,2,3`` style lists of identifiers; an empty, malformed or huge list is a 400."""
    items = split_list(value)
    if not items or len(items) > MAX_LIST:
        raise bad_request("badList", name=name, value=value[:64])
    return [parse_int(name, item, lo=lo, hi=hi) for item in items]


def url_encode(text: str) -> str:
    """Percent-encoding as JavaScript's ``encodeURIComponent`` does it."""
    from urllib.parse import quote

    return quote(text, safe="!~*'()")


#: Parameters any request may carry besides its own: output format, language,
#: credentials, and the cache-busting ``_`` that browsers' libraries add.
COMMON_PARAMS = frozenset({"indent", "lang", "auth", "login", "session", "_"})

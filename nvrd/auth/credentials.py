"""Where sign-in credentials come from in a request (pure parsing).

``auth=`` and ``login=`` carry base64 of ``uid:password``; clients send it
URL-encoded or raw, so a ``+`` may arrive as a space and the ``=`` padding may
be missing. HTTP Basic carries the same in the ``Authorization`` header.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass

from nvrd.core.errors import bad_request


@dataclass(frozen=True)
class Credentials:
    uid: str
    password: str
    via: str  # "auth", "login" or "basic"


def decode_userpass(name: str, value: str) -> tuple[str, str]:
    text = value.strip().replace(" ", "+")
    text += "=" * (-len(text) % 4)
    try:
        raw = base64.b64decode(text, validate=True)
        decoded = raw.decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise bad_request("badBase64", name=name) from None
    uid, sep, password = decoded.partition(":")
    if not sep or not uid:
        raise bad_request("badBase64", name=name)
    return uid, password


def from_request(query: Mapping[str, str], authorization: str | None) -> Credentials | None:
    """Explicit credentials of a request, in order ``auth=``, ``login=``, Basic."""
    for name in ("auth", "login"):
        value = query.get(name)
        if value:
            uid, password = decode_userpass(name, value)
            return Credentials(uid, password, name)
    if authorization:
        scheme, _, param = authorization.partition(" ")
        if scheme.lower() == "basic" and param.strip():
            uid, password = decode_userpass("Authorization", param)
            return Credentials(uid, password, "basic")
    return None

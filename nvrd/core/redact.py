"""Credentials out of log text (pure).

Every log line goes through :func:`redact` (``nvrd.core.logs``): credential
query parameters (``auth=``, ``login=``, ``session=``, ``password=`` ...),
``Authorization`` header values and the password of URLs with user info
(``rtsp://user:secret@camera/``) are replaced by ``***``.
"""

from __future__ import annotations

import re

MASK = "***"

#: Query parameters (and ``name=value`` pairs) that carry a credential.
SECRET_PARAMS = ("auth", "login", "session", "password", "passwd", "pwd", "pass", "token")

_PARAM = re.compile(
    r"(?i)(?:(?<![\w-])|(?<=%3F)|(?<=%26))("
    + "|".join(SECRET_PARAMS)
    + r")(=|%3D)((?:[^&\s\"'\\,;%]|%(?!26))+)"
)
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^/\s:@\"'\\]*):([^@/\s\"'\\]*)@")
_HEADER = re.compile(
    r"(?i)\b((?:proxy-)?authorization[\"']?\s*[:=,]\s*[\"']?)((?:basic|bearer|digest)\s+)?[^\s\"',]+"
)


def redact(text: str) -> str:
    if "=" not in text and "%3" not in text.upper() and "@" not in text and "uthoriz" not in text:
        return text
    text = _PARAM.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)
    text = _USERINFO.sub(lambda m: f"{m.group(1)}:{MASK}@", text)
    return _HEADER.sub(lambda m: f"{m.group(1)}{m.group(2) or ''}{MASK}", text)

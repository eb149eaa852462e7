"""The parameters of ``/wsapi/dataExport`` (pure): every one the guide lists, checked.

Times accept what every TS-API time parameter accepts, and the guide's own
examples end them with ``%0D%0A`` (a CR LF): surrounding white space is
ignored. ``mediaSize`` takes ``GB``, ``MB``, ``KB`` or ``B`` (binary
multiples, as the guide's 500MB = 524288000 shows; no unit = bytes);
``statusInterval`` takes ``s`` or ``ms`` (no unit = seconds). Every problem
is an :class:`~nvrd.core.errors.ApiError` naming the parameter.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from nvrd.core.clock import ms_from_datetime
from nvrd.core.errors import bad_request
from nvrd.core.params import COMMON_PARAMS, parse_bool, parse_int_list
from nvrd.core.timefmt import parse_time

SUBTITLE_FORMATS = ("VTT", "SRT", "SMI")
PARAMS = frozenset(
    {
        "timeBegin",
        "timeEnd",
        "ch",
        "subtitleFormat",
        "mediaSize",
        "statusInterval",
        "lang",
        "submitter",
        "recipient",
        "purpose",
        "md5",
        "password",
    }
)
_SIZE = re.compile(r"^(?P<n>\d+(?:\.\d+)?)\s*(?P<unit>GB|MB|KB|B)?$", re.IGNORECASE)
_UNITS = {"gb": 1 << 30, "mb": 1 << 20, "kb": 1 << 10, "b": 1}
_INTERVAL = re.compile(r"^(?P<n>\d+(?:\.\d+)?)\s*(?P<unit>ms|s)?$", re.IGNORECASE)
MIN_MEDIA_SIZE = 1
MAX_MEDIA_SIZE = 1 << 40
MIN_INTERVAL_MS = 1
MAX_INTERVAL_MS = 3_600_000
MAX_NAME = 256
MAX_PURPOSE = 4096
MAX_PASSWORD = 256
MAX_CHANNELS = 4096


@dataclass(frozen=True)
class ExportRequest:
    begin_ms: int
    end_ms: int
    chids: tuple[int, ...] | None  # None: every channel
    subtitle: str | None  # VTT, SRT, SMI or None
    media_size: int
    status_interval_ms: int | None
    lang: str
    submitter: str
    recipient: str
    purpose: str
    md5: bool
    password: bytes | None


def parse_size(name: str, text: str) -> int:
    m = _SIZE.match(text.strip())
    if not m or len(m.group("n")) > 30:
        raise bad_request("badSize", name=name, value=text[:64])
    value = int(float(m.group("n")) * _UNITS[(m.group("unit") or "b").lower()])
    if not MIN_MEDIA_SIZE <= value <= MAX_MEDIA_SIZE:
        raise bad_request("badSize", name=name, value=text)
    return value


def parse_interval(name: str, text: str) -> int:
    m = _INTERVAL.match(text.strip())
    if not m or len(m.group("n")) > 30:
        raise bad_request("badInterval", name=name, value=text[:64])
    unit_ms = 1 if (m.group("unit") or "s").lower() == "ms" else 1000
    value = round(float(m.group("n")) * unit_ms)
    if not MIN_INTERVAL_MS <= value <= MAX_INTERVAL_MS:
        raise bad_request("badInterval", name=name, value=text)
    return value


def parse_password(name: str, text: str) -> bytes:
    raw = text.strip().replace(" ", "+")
    raw += "=" * (-len(raw) % 4)
    try:
        password = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise bad_request("badPassword", name=name) from None
    if not password or len(password) > MAX_PASSWORD:
        raise bad_request("badPassword", name=name)
    return password


def _text(q: Mapping[str, str], name: str, limit: int) -> str:
    value = q.get(name, "")
    if len(value) > limit:
        raise bad_request("textTooLong", name=name, max=limit)
    return value


def _subtitle(text: str | None) -> str | None:
    if text is None or text.strip().lower() in ("", "none"):
        return None
    fmt = text.strip().upper()
    if fmt not in SUBTITLE_FORMATS:
        raise bad_request("unknownItem", name="subtitleFormat", item=text)
    return fmt


def parse_range(q: Mapping[str, str], tz: ZoneInfo, now: datetime, max_ms: int) -> tuple[int, int]:
    for name in ("timeBegin", "timeEnd"):
        if not q.get(name, "").strip():
            raise bad_request("missingParam", name=name)
    begin = ms_from_datetime(parse_time("timeBegin", q["timeBegin"], tz, now))
    end = ms_from_datetime(parse_time("timeEnd", q["timeEnd"], tz, now))
    if end <= begin:
        raise bad_request("emptyRange")
    if end - begin > max_ms:
        raise bad_request("rangeTooLongHours", hours=f"{max_ms / 3_600_000:g}")
    return begin, end


def parse_request(
    q: Mapping[str, str],
    tz: ZoneInfo,
    now: datetime,
    lang: str,
    default_media_size: int,
    max_range_ms: int,
) -> ExportRequest:
    """The request of a query string (``lang`` already resolved by the caller)."""
    for name in q:
        if name not in PARAMS and name not in COMMON_PARAMS:
            raise bad_request("unknownParam", name=name)
    begin, end = parse_range(q, tz, now, max_range_ms)
    chids = None
    if q.get("ch") is not None:
        listed = parse_int_list("ch", q["ch"], lo=1)
        if len(listed) > MAX_CHANNELS:
            raise bad_request("textTooLong", name="ch", max=MAX_CHANNELS)
        chids = tuple(sorted(set(listed)))
    size = default_media_size
    if q.get("mediaSize", "").strip():
        size = parse_size("mediaSize", q["mediaSize"])
    interval = None
    if q.get("statusInterval", "").strip():
        interval = parse_interval("statusInterval", q["statusInterval"])
    password = None
    if q.get("password") is not None:
        password = parse_password("password", q["password"])
    return ExportRequest(
        begin_ms=begin,
        end_ms=end,
        chids=chids,
        subtitle=_subtitle(q.get("subtitleFormat")),
        media_size=size,
        status_interval_ms=interval,
        lang=lang,
        submitter=_text(q, "submitter", MAX_NAME),
        recipient=_text(q, "recipient", MAX_NAME),
        purpose=_text(q, "purpose", MAX_PURPOSE),
        md5=parse_bool("md5", q.get("md5"), default=False),
        password=password,
    )

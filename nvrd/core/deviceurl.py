"""An ONVIF camera's device URL as the add-channel request gives it (pure).

The guide writes ``onvif://192.168.0.220:8000`` for what is really
``http://192.168.0.220:8000/onvif/device_service``; ``http://`` and
``https://`` URLs (with a path or without) and a bare ``host[:port]`` are
taken too. Credentials never travel in the URL: a user part is refused.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import idna

#: The ONVIF device service's path when the URL gives none.
DEFAULT_PATH = "/onvif/device_service"
MAX_URL = 1024
_SCHEMES = {"onvif": False, "http": False, "https": True}
#: One label of a host name once IDNA-encoded (letters, digits, inner hyphens; 1-63).
_LABEL = re.compile(r"[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?")


@dataclass(frozen=True)
class DeviceAddress:
    host: str
    port: int
    https: bool = False
    path: str = DEFAULT_PATH

    @property
    def netloc(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    @property
    def xaddr(self) -> str:
        """The device service's URL."""
        return f"{'https' if self.https else 'http'}://{self.netloc}{self.path}"


def parse_device_url(url: str) -> DeviceAddress:
    """``onvif://host[:port][/path]``, ``http(s)://...`` or ``host[:port]``; ValueError if bad."""
    text = url.strip()
    if not text or len(text) > MAX_URL:
        raise ValueError("must be onvif://host[:port]")
    if "://" not in text:
        text = "onvif://" + text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise ValueError("must be onvif://host[:port]") from None
    scheme = parts.scheme.lower()
    if scheme not in _SCHEMES:
        raise ValueError("must be an onvif://, http:// or https:// URL")
    if parts.username is not None or parts.password is not None:
        raise ValueError("must not carry credentials (use uid and password)")
    host = parts.hostname or ""
    if not _valid_host(host):
        raise ValueError("has no valid host (an IP address or a host name)")
    https = _SCHEMES[scheme]
    if port is None:
        port = 443 if https else 80
    if port == 0:
        raise ValueError("port must be 1-65535")
    if any(ord(c) < 0x21 or ord(c) == 0x7F for c in parts.path + parts.query):
        raise ValueError("has a space or a control character in its path")
    path = parts.path if parts.path not in ("", "/") else DEFAULT_PATH
    if parts.query:
        path += "?" + parts.query
    return DeviceAddress(host, port, https, path)


def _valid_host(host: str) -> bool:
    """An IP address, or a host name whose IDNA form has valid labels and at most 253
    characters: what the camera client can actually connect to."""
    if not host:
        return False
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    try:
        ascii_host = host if host.isascii() else idna.encode(host).decode("ascii")
    except (idna.IDNAError, UnicodeError, ValueError):
        return False
    labels = ascii_host.rstrip(".").split(".")
    return len(ascii_host) <= 253 and all(_LABEL.fullmatch(x.lower()) for x in labels)

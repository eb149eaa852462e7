"""An ONVIF camera's device URL as the add-channel request gives it (pure).

The guide writes ``onvif://192.168.0.220:8000`` for what is really
``http://192.168.0.220:8000/onvif/device_service``; ``http://`` and
``https://`` URLs (with a path or without) and a bare ``host[:port]`` are
taken too. Credentials never travel in the URL: a user part is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

#: The ONVIF device service's path when the URL gives none.
DEFAULT_PATH = "/onvif/device_service"
MAX_URL = 1024
_SCHEMES = {"onvif": False, "http": False, "https": True}


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
    if not host or any(c.isspace() or c in "/?#@" for c in host):
        raise ValueError("has no host")
    https = _SCHEMES[scheme]
    if port is None:
        port = 443 if https else 80
    if port == 0:
        raise ValueError("port must be 1-65535")
    path = parts.path if parts.path not in ("", "/") else DEFAULT_PATH
    if parts.query:
        path += "?" + parts.query
    return DeviceAddress(host, port, https, path)

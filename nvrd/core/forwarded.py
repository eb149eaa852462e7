"""The client address behind trusted reverse proxies (pure).

``X-Forwarded-For``, ``Forwarded`` (RFC 7239 ``for=``) and ``X-Real-IP`` are
believed only when the peer that sent them is one of the configured
proxies. The chain is read from the right: each hop that is itself a
trusted proxy is skipped, the first one that is not is the client. Without
trusted proxies the headers are ignored and the peer is the client.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(items: Iterable[str]) -> tuple[Network, ...]:
    """``["10.0.0.1", "192.168.0.0/16", "::1"]`` -> networks; ValueError for a bad item."""
    return tuple(ipaddress.ip_network(i.strip(), strict=False) for i in items if i.strip())


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip().strip('"')
    if text.startswith("["):  # "[2001:db8::1]:4711"
        text = text[1 : text.find("]")] if "]" in text else text[1:]
    elif text.count(":") == 1:  # "192.0.2.1:4711"
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _trusted(addr: str, proxies: tuple[Network, ...]) -> bool:
    ip = _address(addr)
    return ip is not None and any(ip in net for net in proxies)


def _forwarded_for(value: str) -> list[str]:
    hops: list[str] = []
    for element in value.split(","):
        for pair in element.split(";"):
            key, _, val = pair.strip().partition("=")
            if key.strip().lower() == "for" and val:
                hops.append(val.strip().strip('"'))
    return hops


def client_address(peer: str, headers: Mapping[str, str], proxies: tuple[Network, ...]) -> str:
    """The address of the client: ``peer`` unless it is a trusted proxy that says otherwise.

    ``headers`` maps lower-case header names to values (repeated headers joined by ",").
    """
    if not proxies or not _trusted(peer, proxies):
        return peer
    hops: list[str] = []
    if headers.get("forwarded"):
        hops = _forwarded_for(headers["forwarded"])
    elif headers.get("x-forwarded-for"):
        hops = [h.strip() for h in headers["x-forwarded-for"].split(",") if h.strip()]
    elif headers.get("x-real-ip"):
        hops = [headers["x-real-ip"].strip()]
    for hop in reversed(hops):
        ip = _address(hop)
        if ip is None:
            return peer  # garbage from a trusted proxy: do not guess
        if not any(ip in net for net in proxies):
            return str(ip)
    return str(_address(hops[0])) if hops else peer

"""ASGI middleware: the client address (and scheme) as trusted reverse proxies report them.

The scope's ``client`` is rewritten in place, so the lockout, the event log
and the access log all see the same address. Headers from a peer that is not
in ``[server] trusted_proxies`` are ignored (uvicorn's own proxy handling is
switched off in ``nvrd serve``).
"""

from __future__ import annotations

from typing import Any

from nvrd.core.forwarded import Network, client_address


class TrustedProxies:
    def __init__(self, app: Any, proxies: tuple[Network, ...]):
        self.app = app
        self.proxies = proxies

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if self.proxies and scope["type"] in ("http", "websocket") and scope.get("client"):
            peer = scope["client"][0]
            headers: dict[str, str] = {}
            for raw_name, raw_value in scope.get("headers", ()):
                name = raw_name.decode("latin-1").lower()
                if name in ("forwarded", "x-forwarded-for", "x-real-ip", "x-forwarded-proto"):
                    value = raw_value.decode("latin-1")
                    headers[name] = f"{headers[name]},{value}" if name in headers else value
            client = client_address(peer, headers, self.proxies)
            if client != peer:
                scope["client"] = (client, 0)
                proto = headers.get("x-forwarded-proto", "").split(",")[-1].strip().lower()
                if proto in ("http", "https"):
                    secure = proto == "https"
                    ws = scope["type"] == "websocket"
                    scope["scheme"] = ("wss" if secure else "ws") if ws else proto
        await self.app(scope, receive, send)

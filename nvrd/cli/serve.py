"""``nvrd serve``: run the server under uvicorn; re-execute the process on ``?restart``."""

from __future__ import annotations

import argparse
import contextlib
import gc
import logging
import os
import signal
import sys
import threading
from collections.abc import Iterator
from typing import Any

from nvrd.cli.common import CliError, add_common, settings_from
from nvrd.cli.tls import tls_options


def add_parsers(sub: Any) -> None:
    serve = sub.add_parser("serve", help="run the server")
    add_common(serve)
    serve.add_argument("--host", help="listen address (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="listen port (default 8080)")


def _server_class() -> type[Any]:
    import uvicorn

    class Server(uvicorn.Server):
        """uvicorn's server, but a SIGINT/SIGTERM shutdown ends with exit status 0.

        uvicorn re-raises the caught signal once it has shut down gracefully,
        which makes a clean stop look like a kill to whoever started us.
        """

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            if threading.current_thread() is not threading.main_thread():
                yield
                return
            sigs = (signal.SIGINT, signal.SIGTERM)
            original = {sig: signal.signal(sig, self.handle_exit) for sig in sigs}
            try:
                yield
            finally:
                for sig, handler in original.items():
                    signal.signal(sig, handler)

        async def startup(self, sockets: Any = None) -> None:
            await super().startup(sockets=sockets)
            settle_heap()

    return Server


def settle_heap() -> None:
    """Once the server has started: what exists by then (modules, models, services) lives
    as long as the process, so it is moved out of the garbage collector's sight. A full
    collection walks every object it tracks, and stopped the event loop for 100-200 ms
    with 1,000 event subscribers connected (docs/design/events.md)."""
    gc.collect()
    gc.freeze()


def run(args: argparse.Namespace) -> None:
    import uvicorn

    from nvrd.app import create_app
    from nvrd.cli.protocols import BoundedHttpProtocol, BoundedWebSocketProtocol
    from nvrd.core.logs import setup_logging

    settings = settings_from(args)
    setup_logging(settings.server.log_format, settings.server.log_level)
    restart = {"wanted": False}
    server: Any = None

    def request_restart() -> None:
        restart["wanted"] = True
        if server is not None:
            server.should_exit = True

    app = create_app(settings, request_restart=request_restart, announce=_announce)
    config = uvicorn.Config(
        app,
        host=settings.server.host,
        port=settings.server.port,
        log_config=None,
        lifespan="on",
        # uvicorn's httptools and websockets-sansio protocols, with the request head
        # bounded and always answered (nvrd/cli/protocols.py).
        http=BoundedHttpProtocol,
        ws=BoundedWebSocketProtocol,
        ws_ping_interval=settings.events.ping_seconds,
        ws_ping_timeout=max(20.0, settings.events.ping_seconds),
        # Live video is compressed already and event messages are small: per-message
        # deflate would cost CPU for every receiver of every message (docs/design/events.md).
        ws_per_message_deflate=False,
        timeout_graceful_shutdown=5,
        # Forwarding headers are believed only from [server] trusted_proxies (nvrd.api.proxies).
        proxy_headers=False,
        **tls_options(settings),
    )
    server = _server_class()(config)
    server.run()
    if restart["wanted"]:
        logging.getLogger("nvrd").warning("restarting the server process")
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os.execv(sys.executable, [sys.executable, "-m", "nvrd", *sys.argv[1:]])
    if not server.started:
        raise CliError("the server could not start (see the log above)")


def _announce(text: str) -> None:
    print(text, flush=True)

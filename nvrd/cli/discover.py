"""``nvrd discover``: ONVIF cameras that answer WS-Discovery on the configured interface.

Probes go out only from ``[discovery] interface`` (or ``NVRD_DISCOVERY_INTERFACE``);
without it the command refuses. One JSON object per camera on stdout. With
``--uid``, the password is read from stdin (or asked for) and each camera
tells whether the pair works (``credentials``).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import sys
from typing import Any

from nvrd.cli.common import CliError, add_common
from nvrd.config import Settings


def add_parsers(sub: Any) -> None:
    p = sub.add_parser("discover", help="find ONVIF cameras on the configured interface")
    add_common(p)
    p.add_argument("--uid", default="", help="check these credentials on each camera found")


def _password(uid: str) -> str:
    if not uid:
        return ""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    return getpass.getpass(f"password of {uid}: ")


def run(args: argparse.Namespace, settings: Settings) -> None:
    cfg = settings.discovery
    if not cfg.interface:
        raise CliError(
            "discovery is off: set [discovery] interface to the IPv4 address of the "
            "network interface to search"
        )
    password = _password(args.uid)
    # The ONVIF client is imported here, so that other commands do not load it.
    from nvrd.devices.discovery import discover

    try:
        found = asyncio.run(
            discover(cfg.interface, cfg.group, cfg.port, cfg.timeout_seconds, args.uid, password)
        )
    except OSError as exc:
        raise CliError(f"cannot probe from {cfg.interface}: {exc.strerror or exc}") from None
    for cam in found:
        print(json.dumps(cam.to_doc()))
    if not found:
        print(f"nvrd: no ONVIF camera answered on {cfg.interface}", file=sys.stderr)

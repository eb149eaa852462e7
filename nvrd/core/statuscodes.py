"""Channel status codes of the guide (pure). Messages: ``status.<code>`` in the catalogs."""

from __future__ import annotations

from enum import IntEnum


class ChannelStatus(IntEnum):
    REBOOTING = -5
    RECONNECTING = -4
    CONNECTING = -3
    LOADING = -2
    NOT_USED = -1
    NO_RESPONSE = 0
    USED = 1
    HAS_VIDEO = 2
    CONNECTED = 200
    LOGIN_FAILED = 401
    BLOCKED = 403
    NO_NETWORK = 404
    TIMEOUT = 408
    NO_VIDEO = 410
    SERVICE_FAILURE = 503
    PLAYBACK_COMPLETE = 1000
    NO_FILE = 1404


def status_key(code: int) -> str:
    return f"status.{code}"

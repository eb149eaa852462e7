"""The event log's type and code catalogue (pure).

The guide prints parts of it (System log 0: 1 System startup, 2 System
shutdown, 3 Abnormal shutdown, 25 Storage ready, 27 License applied,
30 Storage path changed; Privacy 1: 4 Sign in; 6 User-defined event); the
rest (and type 7, event backup) is nvrd's own numbering, recorded in docs/design/api-decisions.md.
Names live in the i18n catalogs as ``eventType.<type>`` and
``eventCode.<type>.<code>``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any


class EventType(IntEnum):
    SYSTEM = 0
    PRIVACY = 1
    CHANNEL = 2
    DEVICE = 3
    LPR = 4
    EMERGENCY_CALL = 5
    USER_DEFINED = 6
    EVENT_BACKUP = 7


class SystemCode(IntEnum):
    STARTUP = 1
    SHUTDOWN = 2
    ABNORMAL_SHUTDOWN = 3
    RESTART_REQUESTED = 4
    REBOOT_REQUESTED = 5
    SETTINGS_CHANGED = 6
    SERVICE_FAILURE = 7
    LOAD_SHEDDING = 8
    STORAGE_FULL = 20
    STORAGE_WRITE_ERROR = 21
    STORAGE_OVERWRITE = 22
    STORAGE_NOT_FOUND = 23
    STORAGE_READ_ONLY = 24
    STORAGE_READY = 25
    DATABASE_READY = 26
    LICENSE_APPLIED = 27
    STORAGE_PATH_CHANGED = 30


class PrivacyCode(IntEnum):
    USER_ADDED = 1
    USER_REMOVED = 2
    USER_CHANGED = 3
    SIGN_IN = 4
    SIGN_OUT = 5
    SIGN_IN_FAILED = 6
    LOCKED_OUT = 7
    SESSION_EXPIRED = 8
    EXPORT_STARTED = 9
    EXPORT_ENDED = 10
    VIDEO_DOWNLOADED = 11


class ChannelCode(IntEnum):
    ADDED = 1
    REMOVED = 2
    CHANGED = 3
    CAMERA_CONNECTED = 4
    CAMERA_LOST = 5
    RECORDING_STARTED = 6
    RECORDING_FAILURE = 7
    MOTION_DETECTED = 8
    PLAYBACK_COMPLETE = 9
    FILE_NOT_FOUND = 10


class DeviceCode(IntEnum):
    REBOOTED = 1
    PTZ_CONTROL = 2
    RELAY_OUTPUT = 3
    AUX_OUTPUT = 4
    DIGITAL_INPUT = 5


class LprCode(IntEnum):
    RECOGNIZED = 1
    PARKING_ENTRY = 2
    PARKING_EXIT = 3


class EmergencyCallCode(IntEnum):
    CALL_STARTED = 1
    CALL_ENDED = 2


class EventBackupCode(IntEnum):
    EVENT_TRIGGERED = 1
    EVENT_VIDEO_SAVED = 2
    EVENT_VIDEO_MISSING = 3


CATALOGUE: dict[EventType, tuple[int, ...]] = {
    EventType.SYSTEM: tuple(SystemCode),
    EventType.PRIVACY: tuple(PrivacyCode),
    EventType.CHANNEL: tuple(ChannelCode),
    EventType.DEVICE: tuple(DeviceCode),
    EventType.LPR: tuple(LprCode),
    EventType.EMERGENCY_CALL: tuple(EmergencyCallCode),
    EventType.USER_DEFINED: (),
    EventType.EVENT_BACKUP: tuple(EventBackupCode),
}


def type_key(t: int) -> str:
    return f"eventType.{t}"


def code_key(t: int, code: int) -> str:
    return f"eventCode.{t}.{code}"


@dataclass(frozen=True)
class LogEntry:
    """One event-log row. ``end_ms`` is set once an event that lasts is over."""

    type: int
    code: int
    begin_ms: int
    param: dict[str, Any] = field(default_factory=dict)
    comment: str | None = None
    chid: int | None = None
    end_ms: int | None = None
    id: int = 0

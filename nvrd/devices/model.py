"""What nvrd knows about an ONVIF camera (pure data)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any


class Code(IntEnum):
    """The guide's device control response codes."""

    SUCCESS = 0
    NO_RIGHT = -1
    UNSUPPORTED = -2
    NOT_READY = -3
    BUSY = -4
    BAD_CHANNEL = -5
    BAD_TOKEN = -6
    BAD_REQUEST = -7
    BAD_PARAMETER = -8
    DEVICE_ERROR = -9


class DeviceError(Exception):
    """A command that could not be carried out, with its guide code and, when the camera
    answered, the HTTP status of that answer (``0``: no answer)."""

    def __init__(self, code: Code, detail: str = "", device_status: int = 0):
        super().__init__(detail or code.name)
        self.code = code
        self.detail = detail
        self.device_status = device_status


@dataclass(frozen=True)
class Caps:
    pantilt: bool = False
    zoom: bool = False
    focus: bool = False
    iris: bool = False
    home: bool = False
    max_preset: int = 0
    aux: int = 0
    digital_inputs: int = 0
    relay_outputs: int = 0
    reboot: bool = False

    def to_doc(self) -> dict[str, Any]:
        return {
            "pantilt": self.pantilt,
            "zoom": self.zoom,
            "focus": self.focus,
            "iris": self.iris,
            "home": self.home,
            "maxPreset": self.max_preset,
            "aux": self.aux,
            "digitalInputs": self.digital_inputs,
            "relayOutputs": self.relay_outputs,
            "reboot": self.reboot,
        }


NO_CAPS = Caps()


@dataclass(frozen=True)
class StreamProfile:
    token: str
    name: str
    width: int
    height: int
    encoding: str
    uri: str = ""

    def to_doc(self) -> dict[str, Any]:
        return {
            "token": self.token,
            "name": self.name,
            "size": [self.width, self.height],
            "encoding": self.encoding,
            "uri": self.uri,
        }


@dataclass(frozen=True)
class Preset:
    token: str
    name: str


@dataclass(frozen=True)
class DeviceInfo:
    """``onvif.basic`` and ``onvif.product`` of /api/channel/info."""

    host: str
    manufacturer: str = ""
    model: str = ""
    firmware: str = ""
    serial: str = ""
    hardware_id: str = ""
    mac: str = ""
    name: str = ""
    location: str = ""
    city: str = ""
    country: str = ""
    device_type: str = "NVT"

    def to_doc(self) -> dict[str, Any]:
        return {
            "basic": {
                "city": self.city,
                "country": self.country,
                "deviceType": self.device_type,
                "host": self.host,
                "location": self.location,
                "name": self.name,
            },
            "product": {
                "firmwareVersion": self.firmware,
                "hardwareId": self.hardware_id,
                "macAddress": self.mac,
                "manufacturer": self.manufacturer,
                "model": self.model,
                "serialNumber": self.serial,
            },
        }


@dataclass(frozen=True)
class DeviceState:
    """One read of a camera: everything the commands and the API need, cached per channel."""

    info: DeviceInfo
    caps: Caps
    main: StreamProfile | None
    sub: StreamProfile | None
    #: The media profile PTZ and AUX commands go to ("" without PTZ).
    ptz_profile: str = ""
    video_source: str = ""
    presets: tuple[Preset, ...] = ()
    relays: tuple[str, ...] = ()
    #: AUX outputs by number: the command names ("tt:Wiper") that have On and Off.
    aux: tuple[str, ...] = ()
    inputs: tuple[str, ...] = ()
    #: Event topics the camera offers; motion events replace server-side detection.
    events: bool = False
    motion_events: bool = False
    #: The camera's clock minus ours, in seconds (WS-Security timestamps are corrected by it).
    clock_offset_s: float = 0.0
    read_ms: int = 0
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def stream_doc(self) -> dict[str, Any]:
        return {
            "main": self.main.to_doc() if self.main else None,
            "sub": self.sub.to_doc() if self.sub else None,
        }

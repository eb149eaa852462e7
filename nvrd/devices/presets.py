"""Moving a camera to a preset for others (event backup's ``presetGo`` task)."""

from __future__ import annotations

from typing import Protocol

from nvrd.devices import control
from nvrd.devices.manager import DeviceManager
from nvrd.devices.model import Code, DeviceError


class PresetMover(Protocol):
    async def go(self, chid: int, preset: str) -> None: ...


class CameraPresetMover:
    """:class:`PresetMover` for ONVIF channels: returns once the camera accepted the move;
    raises :class:`~nvrd.devices.model.DeviceError` (``code``: the guide's device control
    code) when the channel has no ONVIF camera, the camera is not reachable, the preset is
    unknown or the camera refused."""

    def __init__(self, devices: DeviceManager):
        self.devices = devices

    async def go(self, chid: int, preset: str) -> None:
        session = self.devices.session(chid)
        if session is None:
            raise DeviceError(Code.UNSUPPORTED, f"channel {chid} has no ONVIF camera")
        await control.go_preset_now(session, preset)

"""The device control commands of the guide, on one channel's session.

Motion commands (``ptz``, ``preset go``) and outputs (relay, AUX, reboot)
are queued and answered at once; preset changes wait for the camera,
because the answer carries the token the camera made. Every command first
checks what the cached state says the camera can do (``-2``), then its
parameters (``-6`` unknown token, ``-8`` bad value).
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
from typing import Protocol

from onveef import AsyncOnvifClient

from nvrd.core.eventtypes import DeviceCode
from nvrd.devices.model import Code, DeviceError, DeviceState, Preset
from nvrd.devices.session import DeviceSession

#: Preset names a camera is sent as they are; others stay on the server only.
_CAMERA_SAFE = re.compile(r"[A-Za-z0-9 _.\-]{1,32}")


class NameStore(Protocol):
    async def names(self, chid: int) -> dict[str, str]: ...

    async def put(self, chid: int, token: str, name: str) -> None: ...

    async def remove(self, chid: int, tokens: list[str]) -> None: ...


class EventLog(Protocol):
    def log_event(self, chid: int, code: DeviceCode, param: dict[str, object]) -> None: ...


def _cam(session: DeviceSession) -> AsyncOnvifClient:
    """The session's client when the command runs (a refresh replaces it)."""
    return session.camera.onvif


def _need(ok: bool, what: str) -> None:
    if not ok:
        raise DeviceError(Code.UNSUPPORTED, f"the camera has no {what}")


def _speed(value: float, name: str) -> float:
    if not -1.0 <= value <= 1.0 or value != value:
        raise DeviceError(Code.BAD_PARAMETER, f"{name} must be between -1 and 1")
    return value


def ptz(session: DeviceSession, command: str, x: float = 0.0, y: float = 0.0) -> None:
    """``home``, ``stop``, ``move`` (x, y), ``zoom``/``focus``/``iris`` (x); queued."""
    state = session.require()
    caps, profile = state.caps, state.ptz_profile
    if command == "move" and x == 0 and y == 0:
        command = "stop"
    if command == "home":
        _need(caps.home, "home position")
        session.sender.motion(
            "home", lambda: _cam(session).ptz_goto_home_position(profile_token=profile)
        )
    elif command == "stop":
        _need(caps.pantilt or caps.zoom or caps.focus, "pan, tilt, zoom or focus")
        session.sender.motion("stop", lambda: _stop_all(session, state))
    elif command == "move":
        _need(caps.pantilt, "pan/tilt")
        px, py = _speed(x, "move"), _speed(y, "move")
        session.sender.motion(
            "move",
            lambda: _cam(session).ptz_continuous_move(
                profile_token=profile, pan=px, tilt=py, zoom=None
            ),
        )
    elif command == "zoom":
        _need(caps.zoom, "zoom")
        z = _speed(x, "zoom")
        session.sender.motion(
            "zoom",
            lambda: (
                _cam(session).ptz_continuous_move(
                    profile_token=profile, pan=None, tilt=None, zoom=z
                )
                if z
                else _cam(session).ptz_stop(profile_token=profile, pan_tilt=False, zoom=True)
            ),
        )
    elif command == "focus":
        _need(caps.focus, "focus control")
        f, source = _speed(x, "focus"), state.video_source
        session.sender.motion(
            "focus",
            lambda: (
                _cam(session).imaging_move(video_source_token=source, focus_continuous=f)
                if f
                else _cam(session).imaging_stop(video_source_token=source)
            ),
        )
    elif command == "iris":
        _need(caps.iris, "iris control")
    else:
        raise DeviceError(Code.BAD_REQUEST, f"unknown command {command!r}")


async def _stop_all(session: DeviceSession, state: DeviceState) -> None:
    if state.caps.pantilt or state.caps.zoom:
        await _cam(session).ptz_stop(
            profile_token=state.ptz_profile, pan_tilt=state.caps.pantilt, zoom=state.caps.zoom
        )
    if state.caps.focus:
        await _cam(session).imaging_stop(video_source_token=state.video_source)


def _ptz_profile(session: DeviceSession) -> DeviceState:
    state = session.require()
    _need(bool(state.ptz_profile) and state.caps.max_preset > 0, "PTZ presets")
    return state


async def presets(session: DeviceSession, names: NameStore) -> list[Preset]:
    """The cached presets, with the names the server keeps."""
    state = _ptz_profile(session)
    kept = await names.names(session.chid)
    return [Preset(p.token, kept.get(p.token, p.name)) for p in state.presets]


async def reload_presets(session: DeviceSession) -> None:
    """Read the camera's presets again into the cached state."""
    state = _ptz_profile(session)
    raw = await session.camera.run(
        session.camera.onvif.ptz_get_presets(profile_token=state.ptz_profile)
    )
    found = tuple(
        Preset(str(p.get("token")), str(p.get("name") or p.get("token")))
        for p in raw[:256]
        if p.get("token")
    )
    if session.state is not None:
        session.state = dataclasses.replace(session.state, presets=found)


async def save_preset(
    session: DeviceSession, names: NameStore, token: str, name: str
) -> tuple[str, str]:
    """``add`` (``token == ""``) or ``set``: the current position as a preset; returns the
    camera's token and the name. A ``set`` of a token the camera does not have adds one."""
    state = _ptz_profile(session)
    known = {p.token: p.name for p in state.presets}
    if token not in known and len(known) >= state.caps.max_preset:
        raise DeviceError(Code.BAD_PARAMETER, "the camera holds no more presets")
    send_token = token if token in known else ""
    camera_name = name if _CAMERA_SAFE.fullmatch(name) else ""
    if not camera_name:  # keep the camera's own name, or give it the token
        camera_name = known[send_token] if send_token else token
        camera_name = camera_name if _CAMERA_SAFE.fullmatch(camera_name) else ""
    profile = state.ptz_profile

    async def set_preset() -> str:
        return await _cam(session).ptz_set_preset(
            profile_token=profile, preset_name=camera_name, preset_token=send_token
        )

    made = str(await session.sender.call("preset", set_preset, session.timeout * 2))
    if not made:
        raise DeviceError(Code.DEVICE_ERROR, "the camera returned no preset token", 200)
    shown = name or (token if token and not send_token else "") or made
    if shown != made or name:
        await names.put(session.chid, made, shown[:255])
    await _quiet_reload(session)
    return made, shown


async def remove_preset(session: DeviceSession, names: NameStore, token: str) -> None:
    state = _ptz_profile(session)
    profile = state.ptz_profile

    async def remove() -> None:
        await _cam(session).ptz_remove_preset(profile_token=profile, preset_token=token)

    await session.sender.call("preset remove", remove, session.timeout * 2)
    await names.remove(session.chid, [token])
    await _quiet_reload(session)


async def _quiet_reload(session: DeviceSession) -> None:
    with contextlib.suppress(DeviceError):
        await reload_presets(session)


def _preset_token(session: DeviceSession, token: str) -> DeviceState:
    state = _ptz_profile(session)
    if token not in {p.token for p in state.presets}:
        raise DeviceError(Code.BAD_TOKEN, f"no preset {token!r}")
    return state


def go_preset(session: DeviceSession, token: str) -> None:
    """Queue a move to a preset."""
    state = _preset_token(session, token)
    session.sender.motion(
        "preset go",
        lambda: _cam(session).ptz_goto_preset(profile_token=state.ptz_profile, preset_token=token),
    )


async def go_preset_now(session: DeviceSession, token: str) -> None:
    """Move to a preset and wait until the camera took the command."""
    state = _preset_token(session, token)

    async def go() -> None:
        await _cam(session).ptz_goto_preset(profile_token=state.ptz_profile, preset_token=token)

    await session.sender.call("preset go", go, session.timeout * 2)


def relay(session: DeviceSession, tokens: list[str], on: bool, events: EventLog) -> None:
    state = session.require()
    _need(bool(state.relays), "relay outputs")
    for t in tokens:
        if t not in state.relays:
            raise DeviceError(Code.BAD_TOKEN, f"no relay output {t!r}")
    value = "active" if on else "inactive"

    async def switch() -> None:
        for t in tokens:
            await _cam(session).set_relay_output_state(token=t, logical_state=value)
        events.log_event(session.chid, DeviceCode.RELAY_OUTPUT, {"relay": tokens, "on": on})

    session.sender.exclusive("relay", switch)


def aux(session: DeviceSession, numbers: list[int], on: bool, events: EventLog) -> None:
    state = session.require()
    _need(bool(state.aux), "AUX outputs")
    for n in numbers:
        if not 0 <= n < len(state.aux):
            raise DeviceError(Code.BAD_PARAMETER, f"AUX {n} does not exist")
    profile = state.ptz_profile
    commands = [f"{state.aux[n]}|{'On' if on else 'Off'}" for n in numbers]

    async def switch() -> None:
        for data in commands:
            await _cam(session).ptz_send_auxiliary_command(
                profile_token=profile, auxiliary_data=data
            )
        events.log_event(session.chid, DeviceCode.AUX_OUTPUT, {"aux": numbers, "on": on})

    session.sender.exclusive("aux", switch)


def reboot(session: DeviceSession, events: EventLog) -> None:
    state = session.require()
    _need(state.caps.reboot, "remote reboot")

    async def restart() -> None:
        await _cam(session).system_reboot()
        events.log_event(session.chid, DeviceCode.REBOOTED, {})

    session.sender.exclusive("reboot", restart)

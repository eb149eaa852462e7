"""Channel information and device control (the guide's ``/api/channel/info``, ``ptz``,
``preset``, ``relay``, ``aux`` and ``reboot``).

Control commands answer HTTP 200 with the guide's codes 0 .. -9 and a message
in ``lang``; a user without the Control right gets code -1. The work is in
``nvrd.devices``; this module parses and shapes.
"""

from __future__ import annotations

import asyncio
import math
from typing import Any

from nvrd.api.access import SIGNED_IN, needs
from nvrd.api.endpoint import Call
from nvrd.api.routing import ApiRoute, api_route
from nvrd.core.channelspec import ChannelSpec
from nvrd.core.params import bounded_int, flag, parse_int_list, split_list
from nvrd.core.rights import Right
from nvrd.devices import control
from nvrd.devices.model import NO_CAPS, Code, DeviceError
from nvrd.devices.session import DeviceSession
from nvrd.store.channels import Channel

#: The most tokens or numbers one command takes, and the longest token and name.
MAX_ITEMS = 64
MAX_TOKEN = 128
MAX_NAME = 255
_PTZ = ("home", "stop", "move", "zoom", "focus", "iris")
_PRESET = ("list", "reload", "add", "set", "rm", "go")


def result(call: Call, code: Code | int, **extra: Any) -> dict[str, Any]:
    code = int(code)
    return {**extra, "code": code, "message": call.svc.i18n.text(call.lang, f"device.{code}")}


def no_right(call: Call) -> dict[str, Any]:
    return result(call, Code.NO_RIGHT)


def _one_chid(call: Call) -> int:
    chid = bounded_int(call.query.get("ch", "").strip())
    if chid is None or not 0 <= chid < 10**9:
        raise DeviceError(Code.BAD_CHANNEL, "ch must be one channel number")
    return chid


async def _channel(call: Call, chid: int) -> Channel:
    ch = await call.svc.channels.get(chid)
    if ch is None:
        raise DeviceError(Code.BAD_CHANNEL, f"no channel {chid}")
    return ch


async def _session(call: Call) -> DeviceSession:
    chid = _one_chid(call)
    session = call.svc.devices.session(chid)  # a running ONVIF channel: no database look-up
    if session is None:
        await _channel(call, chid)
        raise DeviceError(Code.UNSUPPORTED, "the channel has no ONVIF camera")
    return session


#: Commands that take no value: a boolean (``home=false`` asks for nothing).
_FLAGS = ("home", "stop", "list", "reload")


def _given(call: Call, name: str) -> bool:
    """``name`` is asked for: present, and for a flag command not ``false``/``0``."""
    if name in _FLAGS:
        return flag(call.query, name)
    return name in call.query


def _only(call: Call, names: tuple[str, ...]) -> str:
    given = [n for n in names if _given(call, n)]
    if len(given) != 1:
        raise DeviceError(Code.BAD_REQUEST, f"give one of {', '.join(names)}")
    return given[0]


def _speeds(raw: str, most: int) -> list[float]:
    parts = [p.strip() for p in raw.split(",")] if raw.strip() else []
    if len(parts) > most or len(raw) > 64:
        raise DeviceError(Code.BAD_PARAMETER, "too many values")
    try:
        values = [float(p) if p else 0.0 for p in parts]
    except ValueError:
        raise DeviceError(Code.BAD_PARAMETER, "speeds are numbers from -1 to 1") from None
    if any(not math.isfinite(v) or not -1 <= v <= 1 for v in values):
        raise DeviceError(Code.BAD_PARAMETER, "speeds are numbers from -1 to 1")
    return values + [0.0] * (most - len(values))


def _tokens(raw: str) -> list[str]:
    items = list(dict.fromkeys(split_list(raw)))
    if not items or len(items) > MAX_ITEMS or any(len(t) > MAX_TOKEN for t in items):
        raise DeviceError(Code.BAD_PARAMETER, "bad token list")
    return items


async def _guarded(call: Call, work: Any) -> Any:
    try:
        return await work(call)
    except DeviceError as err:
        return result(call, err.code)


# -- /api/channel/info ---------------------------------------------------------


async def info(call: Call) -> Any:
    caps_only = flag(call.query, "caps")
    wanted = None
    if call.query.get("ch") is not None:
        wanted = set(parse_int_list("ch", call.query["ch"], lo=1))
    chans = [c for c in await call.svc.channels.all() if wanted is None or c.chid in wanted]
    devices = call.svc.devices
    if flag(call.query, "reload"):
        sessions = [s for c in chans if (s := devices.session(c.chid)) is not None]
        await asyncio.gather(*(s.refresh() for s in sessions), return_exceptions=True)
    out = []
    for ch in chans:
        session = devices.session(ch.chid)
        spec = ChannelSpec.from_doc(ch.source)
        item: dict[str, Any] = {"chid": ch.chid, "type": spec.kind if spec else "none"}
        item["caps"] = (session.state.caps if session and session.state else NO_CAPS).to_doc()
        if not caps_only and session is not None:
            item.update(_device_doc(session))
        out.append(item)
    return out


def _device_doc(session: DeviceSession) -> dict[str, Any]:
    state = session.state
    status = "ready" if state else ("unreachable" if session.error else "connecting")
    doc: dict[str, Any] = {
        "device": {
            "url": session.spec.device_url,
            "status": status,
            "events": session.events_active,
        }
    }
    if state is not None:
        doc["onvif"] = state.info.to_doc()
        doc["streams"] = state.stream_doc()
        doc["device"]["clockOffset"] = round(state.clock_offset_s, 3)
    return doc


# -- /api/channel/ptz -------------------------------------------------------------


async def _ptz(call: Call) -> Any:
    session = await _session(call)
    command = _only(call, _PTZ)
    raw = call.query.get(command, "")
    x, y = 0.0, 0.0
    if command == "move":
        x, y = _speeds(raw, 2)
    elif command in ("zoom", "focus", "iris"):
        (x,) = _speeds(raw, 1)
    control.ptz(session, command, x, y)
    return result(call, Code.SUCCESS)


async def ptz(call: Call) -> Any:
    return await _guarded(call, _ptz)


# -- /api/channel/preset ------------------------------------------------------------


async def _preset_list(call: Call, reload: bool) -> list[dict[str, Any]]:
    raw = call.query.get("ch")
    try:
        wanted = set(parse_int_list("ch", raw, lo=1)) if raw is not None else None
    except Exception:
        raise DeviceError(Code.BAD_CHANNEL, "bad ch") from None
    known = {c.chid for c in await call.svc.channels.all()}
    devices, names = call.svc.devices, call.svc.preset_names
    chids = sorted(wanted) if wanted is not None else sorted(known)

    async def one(chid: int) -> dict[str, Any]:
        try:
            if chid not in known:
                raise DeviceError(Code.BAD_CHANNEL)
            session = devices.session(chid)
            if session is None:
                raise DeviceError(Code.UNSUPPORTED)
            if reload:
                await control.reload_presets(session)
            found = await control.presets(session, names)
        except DeviceError as err:
            return result(call, err.code, chid=chid, preset=[])
        doc = [{"name": p.name, "token": p.token} for p in found]
        return result(call, Code.SUCCESS, chid=chid, preset=doc)

    return list(await asyncio.gather(*(one(c) for c in chids[:4096])))


def _name(call: Call) -> str:
    name = str(call.query.get("name", ""))
    if len(name) > MAX_NAME:
        raise DeviceError(Code.BAD_PARAMETER, "name too long")
    return name


async def _preset_save(call: Call, session: DeviceSession, token: str) -> dict[str, Any]:
    name = _name(call)
    try:
        made, shown = await control.save_preset(session, call.svc.preset_names, token, name)
    except DeviceError as err:
        return result(call, err.code, chid=session.chid, deviceResponseCode=err.device_status)
    return result(
        call, Code.SUCCESS, chid=session.chid, deviceResponseCode=200, token=made, name=shown
    )


async def _preset_remove(call: Call, session: DeviceSession) -> dict[str, Any]:
    out = []
    for token in _tokens(call.query.get("rm", "")):
        try:
            await control.remove_preset(session, call.svc.preset_names, token)
            out.append(result(call, Code.SUCCESS, deviceResponseCode=200, token=token))
        except DeviceError as err:
            out.append(result(call, err.code, deviceResponseCode=err.device_status, token=token))
    return {"chid": session.chid, "preset": out}


async def _preset(call: Call) -> Any:
    command = _only(call, _PRESET)
    if command in ("list", "reload"):
        return await _preset_list(call, command == "reload")
    session = await _session(call)
    if command == "add":
        return await _preset_save(call, session, "")
    if command == "set":
        (token,) = _tokens(call.query["set"])[:1]
        return await _preset_save(call, session, token)
    if command == "rm":
        return await _preset_remove(call, session)
    (token,) = _tokens(call.query["go"])[:1]
    control.go_preset(session, token)
    return result(call, Code.SUCCESS)


async def preset(call: Call) -> Any:
    return await _guarded(call, _preset)


# -- /api/channel/relay, aux, reboot -------------------------------------------------


async def _relay(call: Call) -> Any:
    session = await _session(call)
    if flag(call.query, "ls") or flag(call.query, "list"):
        state = session.require()
        if not state.relays:
            raise DeviceError(Code.UNSUPPORTED, "the camera has no relay outputs")
        relays = [{"name": t, "token": t} for t in state.relays]
        return result(call, Code.SUCCESS, chid=session.chid, relay=relays)
    on = "on" in call.query
    if not on and "off" not in call.query:
        raise DeviceError(Code.BAD_REQUEST, "give ls, on or off")
    tokens = _tokens(call.query["on" if on else "off"])
    control.relay(session, tokens, on, call.svc.devices)
    return result(call, Code.SUCCESS)


async def relay(call: Call) -> Any:
    return await _guarded(call, _relay)


async def _aux(call: Call) -> Any:
    session = await _session(call)
    on = "on" in call.query
    if not on and "off" not in call.query:
        raise DeviceError(Code.BAD_REQUEST, "give on or off")
    raw = _tokens(call.query["on" if on else "off"])
    outputs = [bounded_int(t) for t in raw]
    if not all(n is not None and 0 <= n < 100_000 for n in outputs):
        raise DeviceError(Code.BAD_PARAMETER, "AUX outputs are numbers from 0")
    control.aux(session, [n for n in outputs if n is not None], on, call.svc.devices)
    return result(call, Code.SUCCESS)


async def aux(call: Call) -> Any:
    return await _guarded(call, _aux)


async def _reboot(call: Call) -> Any:
    control.reboot(await _session(call), call.svc.devices)
    return result(call, Code.SUCCESS)


async def reboot(call: Call) -> Any:
    return await _guarded(call, _reboot)


def _control(path: str, handler: Any) -> ApiRoute:
    """Camera control changes state even as a GET; without Control the answer is code -1."""
    access = needs(Right.CONTROL, changes_state=True)
    return api_route(path, handler, access, methods=["GET"], denied=no_right)


routes = [
    api_route("/api/channel/info", info, SIGNED_IN, methods=["GET"]),
    _control("/api/channel/ptz", ptz),
    _control("/api/channel/preset", preset),
    _control("/api/channel/relay", relay),
    _control("/api/channel/aux", aux),
    _control("/api/channel/reboot", reboot),
]

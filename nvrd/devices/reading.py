"""Reading a camera into a :class:`~nvrd.devices.model.DeviceState`.

Device information and the media profiles are required; everything else
(PTZ, presets, imaging, relays, inputs, events, scopes, network) is read if
the camera offers it, and a part that fails only leaves that feature out.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit, urlunsplit

from onveef import parsers

from nvrd.devices.client import Camera, aux_commands, plain_dict
from nvrd.devices.model import Caps, DeviceError, DeviceInfo, DeviceState, Preset, StreamProfile

log = logging.getLogger("nvrd.devices")

T = TypeVar("T")

#: At most this many profiles, presets, relays and inputs are taken from a camera.
MAX_ITEMS = 256


async def _optional(what: str, call: Awaitable[T], default: T) -> T:
    try:
        return await call
    except DeviceError as err:
        log.debug("camera part unavailable", extra={"part": what, "why": err.detail})
        return default


def without_credentials(uri: str) -> str:
    """A stream URI with any ``user:password@`` removed (cameras sometimes put them in)."""
    try:
        parts = urlsplit(uri)
    except ValueError:
        return ""
    if parts.username is None and parts.password is None:
        return uri
    host = parts.hostname or ""
    netloc = (f"[{host}]" if ":" in host else host) + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def _int(value: Any) -> int:
    try:
        return max(0, int(str(value).strip()))
    except ValueError:
        return 0


def pick_streams(
    profiles: list[dict[str, Any]],
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """Main: the largest video profile (the first on a tie); sub: the smallest other one."""
    video = [p for p in profiles if plain_dict(p.get("video_encoder"))][:MAX_ITEMS]
    if not video:
        return None, None

    def area(p: dict[str, Any]) -> int:
        enc = plain_dict(p.get("video_encoder"))
        return _int(enc.get("width")) * _int(enc.get("height"))

    main = max(video, key=area)
    others = [p for p in video if p is not main and area(p) < area(main)]
    return main, (min(others, key=area) if others else None)


def stream_profile(profile: dict[str, Any], uri: str) -> StreamProfile:
    enc = plain_dict(profile.get("video_encoder"))
    return StreamProfile(
        token=str(profile.get("token") or ""),
        name=str(profile.get("name") or ""),
        width=_int(enc.get("width")),
        height=_int(enc.get("height")),
        encoding=str(enc.get("encoding") or ""),
        uri=without_credentials(uri),
    )


def info_from(
    host: str, device: dict[str, str], scopes: list[dict[str, str]], mac: str
) -> DeviceInfo:
    """Device information plus what the ``onvif://www.onvif.org/...`` scopes tell."""
    found: dict[str, str] = {}
    for s in scopes[:MAX_ITEMS]:
        item = str(s.get("scope_item") or "")
        rest = item.split("onvif://www.onvif.org/", 1)[-1] if "onvif.org/" in item else ""
        key, _, value = rest.partition("/")
        if key == "location":
            sub, _, text = value.partition("/")
            key, value = (sub, text) if sub in ("city", "country") else ("location", value)
        if key in ("name", "location", "city", "country", "type") and key not in found:
            found[key] = parsers_unquote(value)
    return DeviceInfo(
        host=host,
        manufacturer=device.get("Manufacturer", ""),
        model=device.get("Model", ""),
        firmware=device.get("FirmwareVersion", ""),
        serial=device.get("SerialNumber", ""),
        hardware_id=device.get("HardwareId", ""),
        mac=mac,
        name=found.get("name", ""),
        location=found.get("location", ""),
        city=found.get("city", ""),
        country=found.get("country", ""),
    )


def parsers_unquote(text: str) -> str:
    return unquote(text)[:255]


def ptz_caps(nodes: list[dict[str, Any]]) -> dict[str, Any]:
    node = nodes[0] if nodes else {}
    ranges = plain_dict(node.get("ranges"))
    return {
        "pantilt": "continuous_pan_tilt" in ranges,
        "zoom": "continuous_zoom" in ranges,
        "home": str(node.get("home_supported", "")).lower() == "true",
        "max_preset": min(_int(node.get("max_presets")), 10_000),
    }


async def _mac(camera: Camera) -> str:
    nics = await _optional("network", camera.run(camera.onvif.get_network_interfaces()), [])
    for nic in nics[:MAX_ITEMS]:
        mac = str(nic.get("hardware_address") or "")
        if mac:
            return mac[:64]
    return ""


async def _ptz(
    camera: Camera, profile: str
) -> tuple[dict[str, Any], tuple[str, ...], list[Preset]]:
    xml = await _optional("ptz nodes", camera.ptz_nodes_xml(), "")
    if not xml:
        return {}, (), []
    caps = ptz_caps(parsers.parse_ptz_nodes(xml))
    raw = await _optional(
        "presets", camera.run(camera.onvif.ptz_get_presets(profile_token=profile)), []
    )
    presets = [
        Preset(str(p.get("token") or ""), str(p.get("name") or p.get("token") or ""))
        for p in raw[:MAX_ITEMS]
        if p.get("token")
    ]
    return caps, aux_commands(xml), presets


async def read_state(camera: Camera, now_ms: int) -> DeviceState:
    """Read everything nvrd keeps about a camera; DeviceError when it cannot be reached."""
    offset = await _optional("clock", camera.clock_offset(), 0.0)
    services = await camera.services()
    device = await camera.run(camera.onvif.get_device_information())
    profiles = await camera.run(camera.onvif.get_profiles())
    main_p, sub_p = pick_streams(profiles)
    main = sub = None
    if main_p is not None:
        uri = await camera.run(camera.onvif.get_stream_uri(profile_token=str(main_p["token"])))
        main = stream_profile(main_p, uri)
    if sub_p is not None:
        uri = await _optional(
            "sub stream",
            camera.run(camera.onvif.get_stream_uri(profile_token=str(sub_p["token"]))),
            "",
        )
        sub = stream_profile(sub_p, uri) if uri else None
    scopes = await _optional("scopes", camera.run(camera.onvif.get_scopes()), [])
    info = info_from(camera.address.netloc, device, scopes, await _mac(camera))
    ptz_profile = str(main_p["token"]) if main_p and plain_dict(main_p.get("ptz")) else ""
    ptz: dict[str, Any] = {}
    aux: tuple[str, ...] = ()
    presets: list[Preset] = []
    if "ptz" in services and ptz_profile:
        ptz, aux, presets = await _ptz(camera, ptz_profile)
    source = str(plain_dict(main_p.get("video_source")).get("source_token") or "") if main_p else ""
    focus = False
    if "imaging" in services and source:
        moves = await _optional(
            "imaging",
            camera.run(camera.onvif.imaging_get_move_options(video_source_token=source)),
            {},
        )
        focus = "continuous" in moves
    relays = await _optional("relays", camera.run(camera.onvif.get_relay_outputs()), [])
    inputs: list[dict[str, Any]] = []
    if "deviceio" in services:
        inputs = await _optional("inputs", camera.run(camera.onvif.get_digital_inputs()), [])
    topics = await _optional("events", camera.event_topics(), []) if "events" in services else []
    caps = Caps(
        pantilt=bool(ptz.get("pantilt")),
        zoom=bool(ptz.get("zoom")),
        focus=focus,
        home=bool(ptz.get("home")),
        max_preset=int(ptz.get("max_preset", 0)),
        aux=len(aux),
        digital_inputs=len(inputs[:MAX_ITEMS]),
        relay_outputs=len(relays[:MAX_ITEMS]),
        reboot=True,  # SystemReboot is a mandatory device-management operation
    )
    return DeviceState(
        info=info,
        caps=caps,
        main=main,
        sub=sub,
        ptz_profile=ptz_profile,
        video_source=source,
        presets=tuple(presets),
        relays=tuple(str(r.get("token") or "") for r in relays[:MAX_ITEMS] if r.get("token")),
        aux=aux,
        inputs=tuple(str(i.get("token") or "") for i in inputs[:MAX_ITEMS] if i.get("token")),
        events="events" in services,
        motion_events=any("motion" in t.lower() for t in topics),
        clock_offset_s=offset,
        read_ms=now_ms,
    )

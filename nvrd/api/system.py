"""``/api/system``: host information, health, S.M.A.R.T., restart and reboot."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Sequence
from typing import Any

from nvrd.api.access import Access, when_param
from nvrd.api.endpoint import Call
from nvrd.api.routing import api_route
from nvrd.core.errors import ApiError, Kind, bad_request
from nvrd.core.params import COMMON_PARAMS, parse_bool, parse_int_list, split_list
from nvrd.core.timefmt import format_iso
from nvrd.system import hostinfo, smart
from nvrd.system.health import HEALTH_ITEMS
from nvrd.system.power import RebootDisabled

ACTIONS = ("info", "health", "hddsmart", "restart", "reboot")
#: Actions whose value is a boolean: ``restart=false`` (or ``0``) asks for nothing.
FLAG_ACTIONS = ("restart", "reboot")


def _items(
    name: str, value: str, known: Sequence[str], aliases: dict[str, str] | None = None
) -> list[str] | None:
    """Requested items; ``None`` means the ``supported`` list was asked for."""
    if value.strip() == "" or value.strip() == "all":
        return list(known)
    if value.strip() == "supported":
        return None
    out: list[str] = []
    for raw in split_list(value):
        item = (aliases or {}).get(raw, raw)
        if item == "all":
            return list(known)
        if item not in known:
            raise bad_request("unknownItem", item=raw, name=name)
        if item not in out:
            out.append(item)
    return out


async def _info(call: Call, value: str) -> Any:
    items = _items("info", value, hostinfo.INFO_ITEMS, hostinfo.INFO_ALIASES)
    if items is None:
        return [*hostinfo.INFO_ITEMS, "all"]
    data = await asyncio.to_thread(hostinfo.collect_info, items, call.svc.health.host)
    return {"lastUpdate": format_iso(call.svc.clock.now(), call.svc.tz), **data}


def _recording(call: Call) -> dict[str, Any]:
    i18n = call.svc.i18n
    storage = call.svc.settings.storage_paths
    writable = call.svc.media.storage.writable_root()
    current = str(writable) if writable is not None else ""
    return {
        "current": current,
        "shed": list(call.svc.media.shedder.shed),
        "storage": [
            {
                "comment": i18n.text(call.lang, f"storage.usage.{s.usage}"),
                "path": str(s.path),
                "usage": s.usage,
            }
            for s in storage
        ],
    }


#: Health items nvrd adds to the guide's: the licence-plate recognisers, object detection.
EXTRA_HEALTH = ("lpr", "objects")


async def _health(call: Call, value: str) -> Any:
    known = (*HEALTH_ITEMS, *EXTRA_HEALTH)
    items = _items("health", value, known)
    if items is None:
        return [*known, "all"]
    sampled = [i for i in items if i not in ("recording", *EXTRA_HEALTH)]
    data = await asyncio.to_thread(call.svc.health.sample, sampled) if sampled else {}
    if "recording" in items:
        data["recording"] = _recording(call)
    if "lpr" in items:
        data["lpr"] = call.svc.lpr.health()
    if "objects" in items:
        data["objects"] = call.svc.detection.health()
    return {"lastUpdate": format_iso(call.svc.clock.now(), call.svc.tz), **data}


async def _hddsmart(call: Call, value: str) -> Any:
    tool = call.svc.settings.server.smartctl
    try:
        disks: list[int] | None = None
        if value.strip() not in ("", "all"):
            disks = parse_int_list("hddsmart", value, lo=1)
            count = len(await smart.list_disks(tool))
            for n in disks:
                if n > count:
                    raise bad_request("outOfRange", name="hddsmart", value=n, lo=1, hi=count)
        result = await smart.read_smart(tool, disks)
    except FileNotFoundError:
        raise ApiError(Kind.UNAVAILABLE, "smartctlMissing", {"tool": tool}) from None
    for entry in result:
        entry["message"] = call.svc.i18n.text(call.lang, f"smart.{entry['code']}")
    return result


async def _restart(call: Call, value: str) -> Any:
    call.svc.power.restart()
    return {"code": 0, "message": call.svc.i18n.text(call.lang, "system.restart")}


async def _reboot(call: Call, value: str) -> Any:
    command = call.svc.settings.server.reboot_command
    if command and shutil.which(command[0]) is None:
        raise ApiError(
            Kind.UNAVAILABLE, "rebootFailed", {"reason": f"{command[0]}: command not found"}
        )
    try:
        call.svc.power.reboot()
    except RebootDisabled:
        raise ApiError(Kind.NOT_IMPLEMENTED, "rebootDisabled") from None
    return {"code": 0, "message": call.svc.i18n.text(call.lang, "system.reboot")}


_ACTIONS = {
    "info": _info,
    "health": _health,
    "hddsmart": _hddsmart,
    "restart": _restart,
    "reboot": _reboot,
}


async def system(call: Call) -> Any:
    chosen = [
        (k, v)
        for k, v in call.query.multi_items()
        if k not in COMMON_PARAMS and (k not in FLAG_ACTIONS or parse_bool(k, v))
    ]
    if not chosen:
        return await _info(call, "")
    if len(chosen) > 1:
        raise bad_request("oneAction", names=", ".join(ACTIONS))
    key, value = chosen[0]
    action = _ACTIONS.get(key)
    if action is None:
        raise bad_request("unknownItem", item=key, name="/api/system")
    return await action(call, value)


#: Restart and reboot: administrators only, and state-changing GETs (the Origin rule).
ACCESS = Access(
    parts=(
        when_param("restart", None, admin=True, changes_state=True),
        when_param("reboot", None, admin=True, changes_state=True),
    )
)

routes = [api_route("/api/system", system, ACCESS)]

"""``/api/info``: API version, site name, time zone, product, license, who am I."""

from __future__ import annotations

from typing import Any

from nvrd import API_VERSION, PRODUCT_NAME, __version__
from nvrd.api.access import PUBLIC
from nvrd.api.endpoint import Call, Reply
from nvrd.api.routing import api_route
from nvrd.core.errors import bad_request, unauthorized
from nvrd.core.params import COMMON_PARAMS, parse_bool, url_encode
from nvrd.core.rights import access_rights, access_rights2
from nvrd.core.timefmt import bias
from nvrd.store.users import User

PUBLIC_ITEMS = ("apiVersion", "siteName", "timezone", "product", "license")
ITEMS = (*PUBLIC_ITEMS, "whoAmI", "all")


def who_am_i(user: User) -> dict[str, Any]:
    return {
        "uid": user.uid,
        "name": user.name,
        "accessRights2": access_rights2(user.effective_rights),
        "accessRights": access_rights(user.effective_rights),
        "isAdmin": user.is_admin,
    }


async def extensions(call: Call) -> list[str]:
    """The guide's add-ons this server has switched on: ``lprExt`` and ``lprKiosk``
    (similar-plate search) with LPR sources, ``emergencyCall`` with call devices,
    ``packing`` always (``POST /api/push`` takes it)."""
    integrations = call.svc.integrations
    out: list[str] = []
    if await integrations.lpr_sources():
        out += ["lprExt", "lprKiosk"]
    if await integrations.emergency_devices():
        out.append("emergencyCall")
    out.append("packing")
    return out


async def _item(call: Call, name: str) -> Any:
    svc = call.svc
    if name == "apiVersion":
        return API_VERSION
    if name == "siteName":
        return url_encode(svc.settings.server.site_name)
    if name == "timezone":
        return {"name": svc.tz.key, "bias": bias(svc.tz, svc.clock.now())}
    if name == "product":
        return {"name": PRODUCT_NAME, "version": f"v{__version__} (64-bit)"}
    if name == "license":
        return {
            "type": "genuine",
            "maxChannels": svc.settings.server.max_channels,
            "mediaType": "Software",
            "extension": await extensions(call),
        }
    raise AssertionError(name)


def _requested(call: Call) -> list[str]:
    wanted: list[str] = []
    for key, value in call.query.multi_items():
        if key in COMMON_PARAMS:
            continue
        if key not in ITEMS:
            raise bad_request("unknownItem", item=key, name="/api/info")
        if parse_bool(key, value, default=True) and key not in wanted:
            wanted.append(key)
    return wanted or ["all"]


async def info(call: Call) -> Any:
    wanted = _requested(call)
    if "all" in wanted:
        wanted = [*PUBLIC_ITEMS, "whoAmI"]
        body = {name: await _item(call, name) for name in PUBLIC_ITEMS}
        if call.identity.user is None:
            return Reply(body, 401)
        body["whoAmI"] = who_am_i(call.identity.user)
        return body
    body = {}
    for name in wanted:
        if name == "whoAmI":
            if call.identity.user is None:
                raise unauthorized()
            body[name] = who_am_i(call.identity.user)
        else:
            body[name] = await _item(call, name)
    return body


routes = [api_route("/api/info", info, PUBLIC)]

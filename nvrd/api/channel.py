"""``POST /api/channel`` (add channels) and ``DELETE /api/channel/{ids|all}``."""

from __future__ import annotations

from typing import Any

from nvrd.api.access import needs
from nvrd.api.body import json_items
from nvrd.api.endpoint import Call, Reply
from nvrd.api.routing import api_route
from nvrd.core.channelspec import BadField, ChannelSpec, SpecError, parse_item
from nvrd.core.errors import bad_request
from nvrd.core.params import bounded_int
from nvrd.core.rights import Right

_ADD_KEYS = {
    -1: "channelInUse",
    -2: "channelNoSource",
    -3: "channelNoDeviceUrl",
    -4: "channelLicense",
}


def _status(call: Call, code: int, key: str) -> dict[str, Any]:
    return {"code": code, "message": call.svc.i18n.text(call.lang, f"channel.{key}")}


async def add_channels(call: Call) -> Any:
    items = await json_items(call.request, "channel")
    parsed: list[tuple[int | None, ChannelSpec] | SpecError] = []
    for n, item in enumerate(items):
        try:
            parsed.append(parse_item(item))
        except SpecError as err:
            parsed.append(err)
        except BadField as err:
            raise bad_request("badField", field=f"[{n}].{err.field}", problem=err.problem) from None
    wanted = [(p[0], p[1].name, p[1].to_doc()) for p in parsed if not isinstance(p, SpecError)]
    now_ms = call.svc.clock.now_ms()
    stored = iter(
        await call.svc.channels.add_many(wanted, call.svc.settings.server.max_channels, now_ms)
    )
    admin = call.user.is_admin
    added: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    for item, p in zip(items, parsed, strict=True):
        code, chid = (p.code, 0) if isinstance(p, SpecError) else next(stored)
        source = str(item.get("source") or "")
        if code != 0:
            failed.append(
                {
                    "source": source,
                    "code": code,
                    "message": call.svc.i18n.text(call.lang, f"error.{_ADD_KEYS[code]}"),
                }
            )
            continue
        assert not isinstance(p, SpecError)
        spec = p[1]
        added.append(spec.echo(chid, with_credentials=admin))
    if added:
        await call.svc.reconciler.apply()
    if not failed:
        return {"status": _status(call, 0, "added"), "added": added}
    if added:
        return {"status": _status(call, -5, "addedSome"), "added": added, "failed": failed}
    return Reply({"status": _status(call, -6, "addFailed"), "failed": failed}, 400)


async def delete_channels(call: Call) -> Any:
    raw = call.request.path_params.get("ids", "").strip()
    if not raw:
        return Reply({"status": _status(call, -7, "noIdGiven")}, 400)
    if raw == "all":
        ids = [c.chid for c in await call.svc.channels.all()]
    else:
        parsed = [bounded_int(p.strip()) for p in raw.split(",") if p.strip()]
        ids = list(dict.fromkeys(i for i in parsed if i is not None))
        if not ids or len(ids) != len(set(parsed)) or any(i < 1 for i in ids):
            return Reply({"status": _status(call, -7, "noIdGiven")}, 400)
    deleted = await call.svc.channels.delete(ids)
    if deleted:
        await call.svc.reconciler.apply()
        for chid in deleted:
            await call.svc.preset_names.forget(chid)
    failed = [i for i in ids if i not in deleted]
    if not failed:
        return {"status": _status(call, 0, "deleted"), "deleted": deleted}
    if deleted:
        return {"status": _status(call, -9, "deletedSome"), "deleted": deleted, "failed": failed}
    code, key = (-8, "notFound") if len(ids) == 1 else (-10, "deleteFailed")
    return Reply({"status": _status(call, code, key), "failed": failed}, 404)


routes = [
    api_route("/api/channel", add_channels, needs(Right.SETTINGS), methods=["POST"]),
    api_route(
        "/api/channel/{ids:path}", delete_channels, needs(Right.SETTINGS), methods=["DELETE"]
    ),
]

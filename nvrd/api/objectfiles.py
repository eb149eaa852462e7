"""``/storage/objects/<chid>/<YYYY-MM-DD>/<at_ms>-<objId>.jpg``: crops of the object log.

The API's credentials (Basic, cookie, ``auth=``) and the right that gates the
object search (``WHAT_RIGHTS["object"]``, the ``object`` topic's too). Only
names of the detection's form inside the objects folder are served, and
only when the resolved file (links followed) is still inside it; anything
else is a JSON 404.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import FileResponse

from nvrd.api.access import needs
from nvrd.api.endpoint import Call
from nvrd.api.find import WHAT_RIGHTS
from nvrd.api.routing import api_route
from nvrd.core.errors import not_found
from nvrd.core.objects import CROP


async def object_crop(call: Call) -> Any:
    rel = str(call.request.path_params["path"])
    root = call.svc.settings.objects_dir.resolve()
    if CROP.match(rel):
        target = (root / rel).resolve()
        if target.is_relative_to(root) and target.is_file():
            return FileResponse(
                target, media_type="image/jpeg", headers={"Cache-Control": "private"}
            )
    raise not_found(path=call.request.url.path[:256])


routes = [
    api_route(
        "/storage/objects/{path:path}", object_crop, needs(WHAT_RIGHTS["object"]), media=True
    ),
]

"""Files of the vehicle-number log: plate images and exported searches.

``/storage/plates/<yyyy>/<mm>/<dd>/<name>.plate.jpg`` (the LPR right) and
``/download/carNo/<token>/<name>`` (the LPR and DataExport rights), with the
API's credentials (Basic, cookie, ``auth=``). Only well-formed names inside
their folders are served; anything else is a JSON 404.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.responses import FileResponse

from nvrd.api.access import needs
from nvrd.api.endpoint import Call
from nvrd.api.routing import api_route
from nvrd.core.errors import not_found
from nvrd.core.rights import Right
from nvrd.integrations.carexport import MEDIA_TYPES

PLATE = re.compile(r"^\d{4}/\d{2}/\d{2}/[A-Za-z0-9.-]{1,200}\.plate\.jpg$")


async def plate_image(call: Call) -> Any:
    rel = str(call.request.path_params["path"])
    root = call.svc.settings.plates_dir.resolve()
    if PLATE.match(rel):
        target = (root / rel).resolve()
        if target.is_relative_to(root) and target.is_file():
            return FileResponse(
                target, media_type="image/jpeg", headers={"Cache-Control": "private"}
            )
    raise not_found(path=call.request.url.path)


async def export_file(call: Call) -> Any:
    token = str(call.request.path_params["token"])
    name = str(call.request.path_params["name"])
    path = call.svc.exports.path(token, name)
    if path is None:
        raise not_found(path=call.request.url.path)
    ext = name.rsplit(".", 1)[1]
    return FileResponse(
        path,
        media_type=MEDIA_TYPES[ext],
        filename=name,
        headers={"Cache-Control": "private, no-store"},
    )


routes = [
    api_route("/storage/plates/{path:path}", plate_image, needs(Right.LPR), media=True),
    api_route(
        "/download/carNo/{token}/{name}",
        export_file,
        needs(Right.LPR, Right.DATA_EXPORT),
        media=True,
    ),
]

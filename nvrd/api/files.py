"""``/storage/<root>/<path>``: recorded segment files, with HTTP Range support.

Same credentials as the API (Basic, cookie, ``auth=``) and the Playback
right. Only ``.mp4`` files inside a configured storage root are served;
anything else, including paths that climb out of the root, is a 404.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import FileResponse

from nvrd.api.access import needs
from nvrd.api.endpoint import Call
from nvrd.api.routing import api_route
from nvrd.core.errors import not_found
from nvrd.core.params import bounded_int
from nvrd.core.rights import Right


async def storage_file(call: Call) -> Any:
    params = call.request.path_params
    root = bounded_int(str(params["root"]))
    path = None if root is None else call.svc.media.segment_path(root, str(params["path"]))
    if path is None:
        raise not_found(path=call.request.url.path)
    return FileResponse(path, media_type="video/mp4", headers={"Cache-Control": "private"})


# ``{root}``, not ``{root:int}``: Starlette's int convertor calls ``int()`` on 5,000 digits (a
# ValueError, a 500). ``/storage/plates/`` is routed before this one (nvrd/app.py).
routes = [api_route("/storage/{root}/{path:path}", storage_file, needs(Right.PLAYBACK), media=True)]

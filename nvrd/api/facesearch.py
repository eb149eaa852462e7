"""``POST /api/searchFace``: stored faces that resemble the face in a photo (the guide's
"Face Search"; the Playback right, like the object search it answers in the shape of).

The photo is the body, ``image/jpeg`` or ``image/png``, at most ``MAX_PHOTO``
bytes (10 MB; more is a 413). Its one face is found and embedded in a helper
process (``recognition/objects/photos.py``: no OpenCV or dlib in the server,
nothing on the event loop); no face, several faces, a picture that cannot be
read are 400s, a busy or slow helper a 503. The stored faces of the time range
(``timeBegin``/``timeEnd``, inclusive) and channels (``ch``) with a similarity
of at least ``threshold`` percent (1..100, default 50: ``core/faces.py``) are
answered nearest first, ``at``/``maxCount`` paging them, each in the shape of a
``what=object`` item plus ``similarity``. See docs/design/api-decisions.md
("Face search").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from nvrd.api.access import needs
from nvrd.api.body import read_bytes
from nvrd.api.endpoint import Call
from nvrd.api.find import WHAT_RIGHTS
from nvrd.api.objects import render
from nvrd.api.routing import api_route
from nvrd.api.searchwindow import parse_window
from nvrd.api.signin import public_base
from nvrd.core.errors import ApiError, Kind, bad_request
from nvrd.core.faces import DEFAULT_THRESHOLD, max_distance, similarity
from nvrd.core.params import parse_int, parse_int_list
from nvrd.objectlog.faceindex import FaceQuery
from nvrd.recognition.objects.photos import PhotoBusy, PhotoFace, PhotoFailed

#: the largest photo taken (bytes)
MAX_PHOTO = 10 * 1024 * 1024
PHOTO_TYPES = ("image/jpeg", "image/png")
#: seconds a client is told to wait when the face search is busy
BUSY_RETRY_SECONDS = 2
_WINDOW = ("timeBegin", "timeEnd", "at", "maxCount")


@dataclass(frozen=True)
class FaceSearch:
    threshold: int
    begin_ms: int | None
    end_ms: int | None
    chids: list[int] | None
    at: int
    max_count: int


def parse_face_query(q: Mapping[str, str], tz: ZoneInfo, now: datetime) -> FaceSearch:
    """The search a query asks for; a malformed value is a 400 (``ApiError``)."""
    window = parse_window({k: q[k] for k in _WINDOW if q.get(k) is not None}, tz, now)
    chids = None
    if q.get("ch") is not None:
        chids = sorted(set(parse_int_list("ch", q["ch"], lo=1)))
    threshold = DEFAULT_THRESHOLD
    if q.get("threshold") is not None:
        threshold = parse_int("threshold", q["threshold"][:64], lo=1, hi=100)
    return FaceSearch(threshold, window.begin_ms, window.end_ms, chids, window.at, window.max_count)


def photo_type(content_type: str | None) -> str:
    """The photo's media type; a 400 unless JPEG or PNG."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media not in PHOTO_TYPES:
        raise bad_request("badPhotoType", value=media[:64] or "-", allowed=", ".join(PHOTO_TYPES))
    return media


def photo_problem(face: PhotoFace) -> ApiError:
    """The 400 of a photo without one usable face."""
    match face.problem:
        case "noFace":
            return bad_request("noFace")
        case "manyFaces":
            return bad_request("manyFaces", count=face.faces)
        case "faceTooSmall":
            return bad_request("faceTooSmall")
        case "imageTooLarge":
            return bad_request("photoTooLarge", megapixels=40)
        case _:
            return bad_request("badPhoto")


async def search_face(call: Call) -> Any:
    svc = call.svc
    photo_type(call.request.headers.get("content-type"))
    query = parse_face_query(call.query, svc.tz, svc.clock.now())
    data = await read_bytes(call.request, MAX_PHOTO)
    if not data:
        raise bad_request("badPhoto")
    try:
        face = await svc.photo_faces.face(data)
    except PhotoFailed:
        raise ApiError(Kind.UNAVAILABLE, "faceSearchFailed") from None
    except PhotoBusy:
        headers = {"Retry-After": str(BUSY_RETRY_SECONDS)}
        raise ApiError(Kind.UNAVAILABLE, "faceSearchBusy", headers=headers) from None
    if face.problem is not None or face.embedding is None:
        raise photo_problem(face)
    total, hits = await svc.faces.search(
        FaceQuery(
            face.embedding,
            max_distance(query.threshold),
            query.begin_ms,
            query.end_ms,
            query.chids,
            limit=query.at + query.max_count,
        )
    )
    page = hits[query.at :]
    records = await svc.objects.get_many([h.id for h in page])
    gone = [h.id for h in page if h.id not in records]
    svc.faces.forget(gone)
    base = public_base(call.request, svc)
    data_out = []
    for hit in page:
        rec = records.get(hit.id)
        if rec is not None:
            item = render(rec, svc.tz, base)
            item["similarity"] = round(similarity(hit.distance), 1)
            data_out.append(item)
    return {"totalCount": total - len(gone), "at": query.at, "data": data_out}


#: the object search's right (``what=object``), so that the two cannot drift apart
ACCESS = needs(WHAT_RIGHTS["object"])

routes = [api_route("/api/searchFace", search_face, ACCESS, methods=["POST"])]

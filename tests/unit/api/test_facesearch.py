"""POST /api/searchFace in the app, with its real helper process (face detection and
dlib embeddings) and faces stored through the object log: the same person's other photo
ranks first above the threshold, other people stay below it, time range, channels,
threshold and paging; photos with no face, two faces, not a picture, the wrong type, too
large; bad parameters; the object search's right. The app is shared by the module
(nothing here changes what is stored)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest
from starlette.testclient import TestClient

from nvrd.api.facesearch import MAX_PHOTO
from nvrd.core.faces import DEFAULT_THRESHOLD
from nvrd.events.types import ObjectSeen
from nvrd.recognition.objects.photo import read_photo
from tests.conftest import ADMIN, VIEWER, AppHarness
from tests.support.faces import jpeg, photo_bytes, side_by_side
from tests.support.pictures import picture

PLATES_ONLY = ("plates", "plates-pass", "LPR,Remote", False)
T0 = 1_700_000_000_000  # 2023-11-14T22:13:20Z
# objId -> (chid, seconds after T0, photo of the stored face)
STORED: dict[int, tuple[int, int, str]] = {
    1: (1, 0, "obama.jpg"),
    2: (1, 60, "biden.jpg"),
    3: (2, 120, "astronaut.png"),
    4: (2, 180, "obama3.jpg"),
    5: (1, 240, "obama_partial_face2.jpg"),
}
OBAMA = {1, 4, 5}


def seen(obj: int) -> ObjectSeen:
    chid, sec, name = STORED[obj]
    face = read_photo(photo_bytes(name))
    assert face.embedding is not None, name
    return ObjectSeen(
        at_ms=T0 + sec * 1000,
        chid=chid,
        obj_id=obj,
        type="face",
        likelihood=90.0,
        attributes={},
        image=f"https://cam.example/{obj}.jpg",
        embedding=face.embedding,
    )


@pytest.fixture(scope="module")
def client(module_harness: Callable[..., AppHarness]) -> Iterator[TestClient]:
    app = module_harness(users=[ADMIN, VIEWER, PLATES_ONLY], objects={"keep_days": 36_600})
    with app.client() as c:
        assert c.portal is not None
        c.auth = VIEWER[:2]
        svc = app.app.state.services
        for obj in STORED:
            c.portal.call(svc.bus.publish, seen(obj))
        c.portal.call(  # a human has no embedding and is never found
            svc.bus.publish, ObjectSeen(at_ms=T0, chid=1, obj_id=9, type="human")
        )
        deadline = time.monotonic() + 10
        while c.get("/api/find?what=object").json().get("totalCount") != len(STORED) + 1:
            assert time.monotonic() < deadline, "the writer did not store the faces"
            time.sleep(0.02)
        yield c


def search(c: TestClient, name: str, query: str = "", status: int = 200, **kw: Any) -> Any:
    data = photo_bytes(name)
    ctype = "image/png" if name.endswith(".png") else "image/jpeg"
    r = c.post("/api/searchFace" + query, content=data, headers={"Content-Type": ctype}, **kw)
    assert r.status_code == status, r.text
    return r.json()


def found(body: Any) -> list[int]:
    return [d["objId"] for d in body["data"]]


def test_the_same_persons_other_photos_rank_first(client: TestClient) -> None:
    body = search(client, "obama2.jpg")
    assert set(found(body)) == OBAMA and body["totalCount"] == 3 and body["at"] == 0
    scores = [d["similarity"] for d in body["data"]]
    assert scores == sorted(scores, reverse=True)
    assert all(DEFAULT_THRESHOLD <= s <= 100 for s in scores)
    first = body["data"][0]
    assert list(first) == [
        "timestamp",
        "chid",
        "objId",
        "type",
        "likelihood",
        "attributes",
        "image",
        "similarity",
    ]
    assert first["type"] == "face" and first["image"] == f"https://cam.example/{first['objId']}.jpg"


@pytest.mark.parametrize(("name", "want"), [("biden.jpg", [2]), ("astronaut.png", [3])])
def test_other_people_do_not_pass_the_threshold(
    client: TestClient, name: str, want: list[int]
) -> None:
    assert found(search(client, name)) == want


def test_time_range_channels_threshold_and_paging(client: TestClient) -> None:
    assert found(search(client, "obama2.jpg", "?ch=2")) == [4]
    assert set(found(search(client, "obama2.jpg", "?ch=1,3"))) == {1, 5}
    window = "?timeBegin=2023-11-14T22:14:20Z&timeEnd=2023-11-14T22:16:20Z"  # +60 s .. +180 s
    assert found(search(client, "obama2.jpg", window)) == [4]
    everyone = search(client, "obama2.jpg", "?threshold=1")
    assert everyone["totalCount"] == 5 and set(found(everyone)[:3]) == OBAMA
    assert search(client, "obama2.jpg", "?threshold=100")["data"] == []
    strict = search(client, "obama2.jpg", "?threshold=70")
    assert all(d["similarity"] >= 70 for d in strict["data"])
    page = search(client, "obama2.jpg", "?threshold=1&at=1&maxCount=2")
    assert page["totalCount"] == 5 and page["at"] == 1
    assert found(page) == found(everyone)[1:3]


def post(c: TestClient, data: bytes, ctype: str | None = "image/jpeg", query: str = "") -> Any:
    headers = {"Content-Type": ctype} if ctype is not None else {}
    return c.post("/api/searchFace" + query, content=data, headers=headers)


def error(r: Any, status: int = 400) -> str:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["code"] < 0
    return str(body["message"])


def test_a_photo_without_one_face_is_refused(client: TestClient) -> None:
    assert "No face" in error(post(client, jpeg(picture("coffee.png"))))
    two = jpeg(side_by_side("obama.jpg", "biden.jpg"))
    assert "2 faces" in error(post(client, two))
    assert "JPEG or PNG" in error(post(client, b"not a picture at all"))
    assert "JPEG or PNG" in error(post(client, b""))
    assert "JPEG or PNG" in error(post(client, photo_bytes("obama.jpg")[:2000]))


def test_only_jpeg_and_png_are_taken(client: TestClient) -> None:
    data = photo_bytes("obama2.jpg")
    for ctype in ("text/plain", "application/octet-stream", "image/gif", None):
        message = error(post(client, data, ctype))
        assert "image/jpeg, image/png" in message and str(ctype or "-") in message
    r = post(client, data, "Image/JPEG; charset=binary")
    assert r.status_code == 200, r.text


def test_an_oversized_body_is_refused_unread(client: TestClient) -> None:
    big = photo_bytes("obama2.jpg") + bytes(MAX_PHOTO)
    error(post(client, big), 413)

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit holds while reading
        for _ in range(12):
            yield bytes(1024 * 1024)

    r = client.post("/api/searchFace", content=chunks(), headers={"Content-Type": "image/jpeg"})
    error(r, 413)


@pytest.mark.parametrize(
    "query",
    [
        "?threshold=0",
        "?threshold=101",
        "?threshold=abc",
        "?threshold=",
        "?threshold=" + "9" * 300,
        "?ch=0",
        "?ch=x",
        "?timeBegin=soon",
        "?timeBegin=2023-11-15&timeEnd=2023-11-14",
        "?maxCount=0",
        "?at=-1",
    ],
)
def test_bad_parameters_are_400(client: TestClient, query: str) -> None:
    message = error(post(client, photo_bytes("obama2.jpg"), query=query))
    assert len(message) < 300


def test_the_object_searchs_right(client: TestClient) -> None:
    data = photo_bytes("obama2.jpg")
    refused = client.get("/api/find?what=object", auth=PLATES_ONLY[:2])
    r = client.post(
        "/api/searchFace",
        content=data,
        headers={"Content-Type": "image/jpeg"},
        auth=PLATES_ONLY[:2],
    )
    assert r.status_code == refused.status_code == 403
    assert r.json()["code"] == refused.json()["code"]
    anonymous = TestClient(client.app, raise_server_exceptions=False)
    r = anonymous.post("/api/searchFace", content=data, headers={"Content-Type": "image/jpeg"})
    assert r.status_code == 401
    assert found(search(client, "obama2.jpg", auth=ADMIN[:2]))


def test_no_opencv_or_dlib_in_the_server_process(client: TestClient) -> None:
    import subprocess
    import sys

    code = (
        "import sys, nvrd.app, nvrd.api.facesearch, nvrd.recognition.objects.photos;"
        "print(sorted(m for m in ('cv2', 'dlib') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_damaged_and_random_photos_are_400_or_answered_never_a_failure(
    client: TestClient,
) -> None:
    import random

    import cv2

    rng = random.Random(11)
    image = cv2.imdecode(np.frombuffer(photo_bytes("obama2.jpg"), np.uint8), cv2.IMREAD_COLOR)
    assert image is not None
    small = jpeg(cv2.resize(image, (313, 600)))
    ok, png = cv2.imencode(".png", cv2.resize(image, (156, 300)))
    assert ok
    cases: list[tuple[str, bytes]] = []
    for _ in range(12):
        for ctype, base in (("image/jpeg", small), ("image/png", png.tobytes())):
            broken = bytearray(base)
            for _ in range(rng.randint(1, 40)):  # flipped bytes, some in the headers
                at = rng.randrange(min(len(broken), 600 if rng.random() < 0.5 else len(broken)))
                broken[at] ^= rng.randrange(1, 256)
            cases.append((ctype, bytes(broken[: rng.randint(10, len(broken))])))
        cases.append((rng.choice(["image/jpeg", "image/png"]), rng.randbytes(rng.randint(1, 5000))))
    seen = set()
    for ctype, data in cases:
        r = post(client, data, ctype)
        seen.add(r.status_code)
        assert r.status_code in (200, 400), (r.status_code, r.text)
        assert r.json()["code"] < 0 if r.status_code == 400 else "data" in r.json()
    assert 400 in seen

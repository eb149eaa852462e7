"""/api/find?what=object: every filter on stored objects, paging, sort, totalCount, the
items' shape, bad input (examples and a property test of the parser), the right on the
search and on the crops under /storage/objects/ (and no way out of that folder)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from nvrd.api.objects import FILTERS, parse_object_query
from nvrd.core.errors import ApiError
from nvrd.events.types import ObjectSeen
from nvrd.store.objects import ObjectQuery
from tests.conftest import ADMIN, VIEWER, AppHarness

PLATES_ONLY = ("plates", "plates-pass", "LPR,Remote", False)
CONFIG: dict[str, Any] = {
    "server": {"timezone": "America/New_York"},
    "channel": [{"chid": 1, "title": "Door"}, {"chid": 2, "title": "Yard"}],
    "objects": {"keep_days": 36_600},  # the objects of 2020 stay
}
T0 = 1590436695819  # 2020-05-25T15:58:15.819-04:00
JPEG = b"\xff\xd8\xff\xe0crop\xff\xd9"


def tops(length: str | None, *colours: str) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "tops", "colors": list(colours)}
    if length:
        out["length"] = length
    return out


def bottoms(length: str | None, *colours: str) -> dict[str, Any]:
    return {**tops(length, *colours), "type": "bottoms"}


# objId -> (chid, seconds after T0, type, attributes)
OBJECTS: dict[int, tuple[int, int, str, dict[str, Any]]] = {
    1: (1, 0, "face", {"gender": "female", "age": "middle", "glasses": True, "mask": False}),
    2: (1, 10, "face", {"gender": "male"}),
    3: (2, 20, "face", {"gender": "male", "age": "adult", "mask": True, "hat": True}),
    4: (
        1,
        30,
        "human",
        {"gender": "male", "clothes": [tops("long", "red"), bottoms("long", "red")]},
    ),
    5: (2, 40, "human", {"gender": "female", "bag": True, "clothes": [tops("short", "yellow")]}),
    6: (
        1,
        50,
        "human",
        {"bag": True, "hat": True, "gender": "male", "clothes": [tops(None, "white", "black")]},
    ),
    7: (2, 60, "human", {"clothes": [tops("long", "red", "blue"), bottoms("short", "black")]}),
    8: (1, 70, "vehicle", {"vehicleType": "car", "colors": ["gray"]}),
    9: (2, 80, "vehicle", {"vehicleType": "car", "colors": ["yellow", "black"]}),
    10: (1, 90, "vehicle", {"vehicleType": "bus", "colors": ["yellow"]}),
    11: (1, 100, "human", {"clothes": [tops("short", "black"), bottoms("long", "black")]}),
}


def crop_of(obj: int) -> str:
    chid, sec = OBJECTS[obj][0], OBJECTS[obj][1]
    day = datetime.fromtimestamp((T0 + sec * 1000) / 1000, UTC).strftime("%Y-%m-%d")
    return f"objects/{chid}/{day}/{T0 + sec * 1000}-{obj}.jpg"


def seen(obj: int) -> ObjectSeen:
    chid, sec, otype, attrs = OBJECTS[obj]
    return ObjectSeen(
        at_ms=T0 + sec * 1000,
        chid=chid,
        obj_id=obj,
        type=otype,
        parent_id=4 if obj == 2 else None,
        likelihood=82.59 if obj == 1 else 60 + obj,
        attributes=attrs,
        image=crop_of(obj) if obj != 3 else "https://cam.example/face3.jpg",
    )


@pytest.fixture
def app(harness: Callable[..., AppHarness]) -> AppHarness:
    return harness(users=[ADMIN, VIEWER, PLATES_ONLY], **CONFIG)


def stored(app: AppHarness) -> Iterator[TestClient]:
    """A viewer's client of ``app`` once the objects and their crops are stored."""
    with app.client() as c:
        c.auth = VIEWER[:2]
        svc = app.app.state.services
        for obj in OBJECTS:
            c.portal.call(svc.bus.publish, seen(obj))  # type: ignore[union-attr]
            path = app.settings.server.data_dir / crop_of(obj)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(JPEG)
        deadline = time.monotonic() + 10
        while find(c, "")["totalCount"] < len(OBJECTS):
            assert time.monotonic() < deadline, "the writer did not store the objects"
            time.sleep(0.02)
        yield c


@pytest.fixture
def client(app: AppHarness) -> Iterator[TestClient]:
    yield from stored(app)


@pytest.fixture(scope="module")
def reader(module_harness: Callable[..., AppHarness]) -> Iterator[TestClient]:
    """:func:`client` shared by the module's searches that change nothing."""
    yield from stored(module_harness(users=[ADMIN, VIEWER, PLATES_ONLY], **CONFIG))


def find(c: TestClient, query: str, **kw: Any) -> Any:
    r = c.get("/api/find?what=object" + query, **kw)
    assert r.status_code == 200, r.text
    return r.json()


def ids(body: Any) -> list[int]:
    return [d["objId"] for d in body["data"]]


def test_items_have_the_guides_shape(reader: TestClient) -> None:
    body = find(reader, "&objectType=face&sort=asc")
    assert body["totalCount"] == 3 and body["at"] == 0
    assert body["data"][0] == {
        "timestamp": "2020-05-25T15:58:15.819-04:00",
        "chid": 1,
        "objId": 1,
        "type": "face",
        "likelihood": 82.59,
        "attributes": {"gender": "female", "age": "middle", "glasses": True, "mask": False},
        "image": "http://testserver/storage/" + crop_of(1),
    }
    assert body["data"][1]["parentId"] == 4
    assert body["data"][2]["image"] == "https://cam.example/face3.jpg"
    assert list(body["data"][1]) == [
        "timestamp",
        "chid",
        "objId",
        "parentId",
        "type",
        "likelihood",
        "attributes",
        "image",
    ]


FILTER_CASES = [
    ("", list(range(11, 0, -1))),
    ("&objectType=face", [3, 2, 1]),
    ("&objectType=human", [11, 7, 6, 5, 4]),
    ("&objectType=vehicle", [10, 9, 8]),
    ("&ch=2", [9, 7, 5, 3]),
    ("&ch=1,2&objectType=vehicle", [10, 9, 8]),
    ("&objectType=face&gender=male", [3, 2]),
    ("&objectType=face&age=adult", [3]),
    ("&objectType=face&gender=female&age=middle", [1]),
    ("&objectType=face&glasses=true", [1]),
    ("&objectType=face&glasses=1&hat=1", []),
    ("&objectType=face&hat=1", [3]),
    ("&objectType=face&mask=false", [1]),
    ("&objectType=face&mask=true", [3]),
    ("&objectType=face&glasses=true&mask=false", [1]),
    ("&objectType=face&glasses=false", []),
    ("&objectType=human&gender=female", [5]),
    ("&objectType=human&gender=male", [6, 4]),
    ("&objectType=human&bag=true", [6, 5]),
    ("&objectType=human&bag=0", []),
    ("&objectType=human&bag", [6, 5]),  # a flag given alone is true, as everywhere
    ("&objectType=human&hat=true&bag=true", [6]),
    ("&objectType=human&topClothes=short", [11, 5]),
    ("&objectType=human&topClothes=yellow", [5]),
    ("&objectType=human&topClothes=red,blue", [7]),
    ("&objectType=human&topClothes=red", [7, 4]),
    ("&objectType=human&bottomClothes=short", [7]),
    ("&objectType=human&topClothes=black&bottomClothes=black", [11]),
    ("&objectType=human&topClothes=long,red&bottomClothes=short,black", [7]),
    ("&objectType=human&hat=1&bag=1&topClothes=white&gender=male", [6]),
    ("&objectType=vehicle&vehicleType=bus", [10]),
    ("&objectType=vehicle&vehicleType=car,yellow", [9]),
    ("&objectType=vehicle&vehicleType=car", [9, 8]),
    ("&objectType=vehicle&vehicleType=yellow", [10, 9]),
    ("&objectType=vehicle&colors=yellow,black", [9]),
    ("&objectType=vehicle&vehicleType=truck", []),
    ("&objectType=human&topClothes=red&ch=1", [4]),
    (
        "&timeBegin=2020-05-25T15:58:25.819-04:00&timeEnd=2020-05-25T15:59:05.819-04:00",
        [6, 5, 4, 3, 2],
    ),
    ("&objectType=face&gender=male&timeEnd=2020-05-25T19:58:25.819Z", [2]),
]


@pytest.mark.parametrize(("query", "want"), FILTER_CASES)
def test_each_filter_returns_exactly_its_objects(
    reader: TestClient, query: str, want: list[int]
) -> None:
    body = find(reader, query)
    assert ids(body) == want
    assert body["totalCount"] == len(want)


def test_paging_sort_and_total_count(reader: TestClient) -> None:
    assert ids(find(reader, "&at=2&maxCount=3")) == [9, 8, 7]
    assert ids(find(reader, "&sort=asc&at=2&maxCount=3")) == [3, 4, 5]
    assert ids(find(reader, "&sort=ASC&maxCount=1")) == [1]
    body = find(reader, "&at=10&maxCount=20")
    assert ids(body) == [1] and body["at"] == 10 and body["totalCount"] == 11
    body = find(reader, "&at=50")
    assert body == {"totalCount": 11, "at": 50, "data": []}
    body = find(reader, "&totalCount=false&maxCount=2")
    assert "totalCount" not in body and ids(body) == [11, 10]
    body = find(reader, "&objectType=human&topClothes=red&maxCount=1&sort=asc")
    assert ids(body) == [4] and body["totalCount"] == 2


BAD = [
    "&objectType=cat",
    "&objectType=",
    "&gender=male",
    "&objectType=vehicle&gender=male",
    "&objectType=face&topClothes=red",
    "&objectType=human&age=adult",
    "&objectType=face&gender=other",
    "&objectType=face&age=old",
    "&objectType=face&mask=maybe",
    "&objectType=human&topClothes=",
    "&objectType=human&topClothes=,,",
    "&objectType=human&topClothes=red,teal",
    "&objectType=human&bottomClothes=medium",
    "&objectType=human&topClothes=" + ",".join(["red"] * 17),
    "&objectType=vehicle&vehicleType=plane",
    "&objectType=vehicle&colors=car",
    "&ch=0",
    "&ch=a",
    "&at=-1",
    "&maxCount=0",
    "&maxCount=1001",
    "&sort=up",
    "&totalCount=perhaps",
    "&timeBegin=2020-13-45T00:00:00Z",
    "&timeEnd=not-a-time",
    "&timeBegin=2020-05-26T00:00:00Z&timeEnd=2020-05-25T00:00:00Z",
]


@pytest.mark.parametrize("query", BAD)
def test_bad_input_is_a_400(reader: TestClient, query: str) -> None:
    r = reader.get("/api/find?what=object" + query)
    assert r.status_code == 400, (query, r.text)
    body = r.json()
    assert body["code"] < 0 and body["message"]


NAMES = ["objectType", "ch", "at", "maxCount", "sort", "totalCount", "timeBegin", "timeEnd"]
VALUES = st.one_of(
    st.sampled_from(
        [
            "face",
            "human",
            "vehicle",
            "male",
            "adult",
            "1",
            "0",
            "true",
            "red,short",
            "car,yellow",
            "asc",
            "",
            ",",
            "-1",
            "2020-05-25T00:00:00Z",
            "99999999999999999999",
            "\x00",
            "%",
        ]
    ),
    st.text(max_size=40),
)


@settings(max_examples=400, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(NAMES + sorted({n for f in FILTERS.values() for n in f})), VALUES
    )
)
def test_parser_answers_a_query_or_a_400(query: dict[str, str]) -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    try:
        q = parse_object_query(query, ZoneInfo("America/New_York"), now)
    except ApiError as e:
        assert e.kind.status == 400
        return
    assert isinstance(q, ObjectQuery)
    assert 1 <= q.max_count <= 1000 and q.at >= 0
    assert q.type in (None, "face", "human", "vehicle")
    assert all(t.startswith(f"{q.type}.") for t in q.tags)
    assert q.tags == sorted(set(q.tags))


def test_search_needs_sign_in_and_the_objects_right(client: TestClient) -> None:
    client.auth = None  # type: ignore[assignment]
    client.cookies.clear()
    assert client.get("/api/find?what=object").status_code == 401
    r = client.get("/api/find?what=object", auth=PLATES_ONLY[:2])
    assert r.status_code == 403 and r.json()["code"] < 0
    assert client.get("/api/find?what=object", auth=ADMIN[:2]).status_code == 200


def test_crops_are_served_behind_the_same_right(client: TestClient) -> None:
    url = "/storage/" + crop_of(1)
    r = client.get(url)
    assert r.status_code == 200 and r.content == JPEG
    assert r.headers["content-type"] == "image/jpeg"
    assert client.get(url, auth=PLATES_ONLY[:2]).status_code == 403
    client.auth = None  # type: ignore[assignment]
    client.cookies.clear()
    assert client.get(url).status_code == 401
    image = find(client, "&objectType=face&sort=asc&maxCount=1", auth=VIEWER[:2])["data"][0]
    assert image["image"].endswith(url)


def test_no_way_out_of_the_objects_folder(client: TestClient, app: AppHarness) -> None:
    data = app.settings.server.data_dir
    secret = data / "secret.jpg"
    secret.write_bytes(b"secret")
    day = data / "objects" / "1" / "2020-05-25"
    os.symlink(secret, day / "1-1.jpg")
    os.symlink(data, data / "objects" / "7")
    for path in (
        "/storage/objects/1/2020-05-25/1-1.jpg",  # a link to a file outside
        "/storage/objects/7/2020-05-25/1-1.jpg",
        "/storage/objects/../secret.jpg",
        "/storage/objects/%2e%2e/secret.jpg",
        "/storage/objects/1/2020-05-25/..%2f..%2f..%2fsecret.jpg",
        "/storage/objects//" + str(secret).lstrip("/"),
        "/storage/objects/" + str(secret),
        "/storage/objects/1/2020-05-25/missing-1.jpg",
        "/storage/objects/1/2020-05-25/1-1.png",
        "/storage/objects/0/2020-05-25/1-1.jpg",
        "/storage/objects/",
    ):
        r = client.get(path)
        assert r.status_code == 404, (path, r.status_code)
        assert r.json()["code"] < 0


def test_pushed_objects_are_logged_with_their_url(client: TestClient) -> None:
    item = {
        "topic": "object",
        "chid": 2,
        "objId": 99,
        "type": "face",
        "attributes": {"glasses": True, "hat": True},
        "image": "https://cam.example/99.jpg",
        "when": "2020-05-26T10:00:00-04:00",
    }
    assert client.post("/api/push", json=item, auth=ADMIN[:2]).status_code == 200
    deadline = time.monotonic() + 10
    while not ids(body := find(client, "&objectType=face&glasses=1&hat=1")):
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert ids(body) == [99]
    assert body["data"][0]["image"] == "https://cam.example/99.jpg"
    assert body["data"][0]["timestamp"] == "2020-05-26T10:00:00.000-04:00"

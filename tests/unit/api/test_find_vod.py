"""/api/find?what=recDays|recMinutes and /api/vod, in-process, server zone America/New_York."""

import asyncio
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx2
import pytest
from starlette.testclient import TestClient

from nvrd.config import Settings
from nvrd.core.clock import ms_from_datetime
from nvrd.core.video import resolution_label
from nvrd.store.db import Database
from nvrd.store.recordings import NewSegment, RecordingIndex
from tests.conftest import ADMIN, NOREMOTE, VIEWER, AppHarness

REMOTE_ONLY = ("remote", "remote-pass", "Remote", False)
CHANNELS = [{"title": "Front door"}, {"title": "192.168.0.111"}, {"title": ""}]
# (chid, root index, start, end, width, height); times in New York local time.
ROWS = [
    (1, 0, "2018-01-08T21:30:00-05:00", "2018-01-08T21:35:00-05:00", 1920, 1080),
    (1, 0, "2018-01-08T21:35:00-05:00", "2018-01-08T21:40:00-05:00", 1920, 1080),
    (1, 0, "2018-01-08T21:40:00-05:00", "2018-01-08T21:45:00-05:00", 1920, 1080),
    (1, 0, "2018-01-23T23:59:30-05:00", "2018-01-24T00:00:30-05:00", 1920, 1080),
    (1, 0, "2018-11-04T01:30:00-04:00", "2018-11-04T01:35:00-04:00", 1920, 1080),  # EDT
    (1, 0, "2018-11-04T01:32:00-05:00", "2018-11-04T01:40:00-05:00", 1920, 1080),  # EST
    (2, 1, "2018-02-05T17:57:12.935-05:00", "2018-02-05T17:57:20.036-05:00", 640, 480),
    (2, -1, "2018-02-06T10:00:00-05:00", "2018-02-06T10:05:00-05:00", 640, 480),  # gone root
    *[
        (3, 0, f"2018-03-01T10:{k:02d}:00-05:00", f"2018-03-01T10:{k + 1:02d}:00-05:00", 1280, 720)
        for k in range(12)
    ],
]


def ms(text: str) -> int:
    return ms_from_datetime(datetime.fromisoformat(text))


@dataclass
class Env:
    client: TestClient
    ids: list[int]  # fileId of each ROWS entry
    settings: Settings

    def get(self, url: str, **kw: Any) -> Any:
        return self.client.get(url, **kw)

    def ok(self, url: str, **kw: Any) -> Any:
        r = self.client.get(url, **kw)
        assert r.status_code == 200, r.text
        return r.json()

    def fids(self, url: str) -> list[int]:
        return [x["fileId"] for x in self.ok(url)]

    def src(self, i: int) -> str:
        root = ROWS[i][1]
        return f"http://testserver/storage/{root}/{rel(i)}"


def rel(i: int) -> str:
    return f"ch{ROWS[i][0]}/{ms(ROWS[i][2])}.mp4"


def insert(settings: Settings) -> list[int]:
    """Index ROWS, with a file of the row's size for each (the start-up storage check
    drops rows whose file is missing)."""
    roots = [str(s.path) for s in settings.storage_paths]

    async def run() -> list[int]:
        db = Database(settings.db_url)
        await db.open()
        try:
            index = RecordingIndex(db.engine)
            out = []
            for i, (chid, root, start, end, w, h) in enumerate(ROWS):
                where = roots[root] if root >= 0 else "/no/longer/configured"
                if root >= 0:
                    path = Path(where) / rel(i)
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_bytes(b"\0" * 100)
                seg = NewSegment(chid, where, rel(i), ms(start), ms(end), 100, "h264", w, h)
                out.append(await index.add(seg))
            return out
        finally:
            await db.close()

    return asyncio.run(run())


@pytest.fixture(scope="module")
def shared_env(
    module_harness: Callable[..., AppHarness], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Env]:
    """The app with ROWS indexed, shared by the module's tests: they only read."""
    roots = tmp_path_factory.mktemp("roots")
    h = module_harness(
        users=[ADMIN, VIEWER, NOREMOTE, REMOTE_ONLY],
        server={"timezone": "America/New_York"},
        channel=CHANNELS,
        storage=[{"path": str(roots / "r0")}, {"path": str(roots / "r1")}],
    )
    ids = insert(h.settings)
    with h.client() as c:
        yield Env(c, ids, h.settings)


@pytest.fixture
def env(shared_env: Env) -> Env:
    """:func:`shared_env` for one test: signed in as the viewer, no cookies from before."""
    shared_env.client.auth = (VIEWER[0], VIEWER[1])
    shared_env.client.cookies.clear()
    return shared_env


def days(month: int, *mdays: int) -> dict[str, Any]:
    return {"year": 2018, "month": month, "days": list(mdays)}


def mins(month: int, day: int, hour: int, minutes: Iterable[int]) -> dict[str, Any]:
    return {"year": 2018, "month": month, "day": day, "hour": hour, "minutes": list(minutes)}


def check_error(r: Any, status: int) -> None:
    assert r.status_code == status, (str(r.url), r.text)
    body = r.json()
    assert body["code"] < 0 and body["message"]


# ---------------------------------------------------------------- recDays


def test_rec_days_all(env: Env) -> None:
    assert env.ok("/api/find?what=recDays") == {
        "timeBegin": "2018-01-08T00:00:00.000-05:00",
        "timeEnd": "2018-11-04T23:59:59.999-05:00",
        "data": [days(1, 8, 23, 24), days(2, 5, 6), days(3, 1), days(11, 4)],
    }


def test_rec_days_per_channel(env: Env) -> None:
    body = env.ok("/api/find?what=recDays&ch=1,2,7")
    assert body["timeBegin"] == "2018-01-08T00:00:00.000-05:00"
    assert body["timeEnd"] == "2018-11-04T23:59:59.999-05:00"
    ch1 = {"chid": 1, "data": [days(1, 8, 23, 24), days(11, 4)]}
    assert body["data"] == [ch1, {"chid": 2, "data": [days(2, 5, 6)]}]
    assert env.ok("/api/find?what=recDays&ch=7")["data"] == []


def test_rec_days_window_as_in_the_guide(env: Env) -> None:
    url = (
        "/api/find?what=recDays&ch=1&timeBegin=2018-01-01T00%3A00%3A00-05%3A00"
        "&timeEnd=2018-01-31T23%3A59%3A59.999-05%3A00"
    )
    assert env.ok(url) == {
        "timeBegin": "2018-01-01T00:00:00.000-05:00",
        "timeEnd": "2018-01-31T23:59:59.999-05:00",
        "data": [{"chid": 1, "data": [days(1, 8, 23, 24)]}],
    }
    # Only timeBegin: from then on; the end is the last recorded day.
    body = env.ok("/api/find?what=recDays&timeBegin=2018-02-06T00:00:00")
    assert body["timeBegin"] == "2018-02-06T00:00:00.000-05:00"
    assert body["timeEnd"] == "2018-11-04T23:59:59.999-05:00"
    assert [x["chid"] for x in body["data"]] == [1, 2, 3]
    assert body["data"][1]["data"] == [days(2, 6)]
    # The window clips a file that crosses midnight: only the day inside counts.
    body = env.ok("/api/find?what=recDays&ch=1&timeBegin=2018-01-24T00:00:00-05:00")
    assert body["data"][0]["data"][0] == days(1, 24)
    body = env.ok("/api/find?what=recDays&ch=1&timeEnd=2018-01-24T00:00:00-05:00")
    assert body["data"][0]["data"] == [days(1, 8, 23)]
    assert body["timeBegin"] == "2018-01-08T00:00:00.000-05:00"


def test_rec_days_in_utc(env: Env) -> None:
    url = "/api/find?what=recDays&ch=1&timeBegin=2018-01-01T00:00:00Z&timeEnd=2018-02-01T00:00:00Z"
    assert env.ok(url) == {
        "timeBegin": "2018-01-01T00:00:00.000+00:00",
        "timeEnd": "2018-02-01T00:00:00.000+00:00",
        "data": [{"chid": 1, "data": [days(1, 9, 24)]}],
    }
    # +00:00 or a mix is not "in UTC": local days.
    for q in (
        "timeBegin=2018-01-01T00:00:00%2B00:00&timeEnd=2018-02-01T00:00:00Z",
        "timeBegin=2018-01-01T00:00:00Z&timeEnd=2018-02-01T00:00:00-05:00",
    ):
        body = env.ok(f"/api/find?what=recDays&ch=1&{q}")
        assert body["data"][0]["data"] == [days(1, 8, 23, 24)]
        assert body["timeBegin"].endswith("-05:00")


def test_rec_days_nothing_recorded(env: Env) -> None:
    body = env.ok("/api/find?what=recDays&timeBegin=2030-01-01T00:00:00")
    assert body == {
        "timeBegin": "2030-01-01T00:00:00.000-05:00",
        "timeEnd": "2030-01-01T23:59:59.999-05:00",
        "data": [],
    }


# ---------------------------------------------------------------- recMinutes


def test_rec_minutes_local(env: Env) -> None:
    url = (
        "/api/find?what=recMinutes&timeBegin=2018-01-08T00%3A00%3A00-05%3A00"
        "&timeEnd=2018-01-09T00%3A00%3A00-05%3A00"
    )
    assert env.ok(url) == {
        "timeBegin": "2018-01-08T00:00:00.000-05:00",
        "timeEnd": "2018-01-09T00:00:00.000-05:00",
        "data": [{"chid": 1, "data": [mins(1, 8, 21, range(30, 45))]}],
    }


def test_rec_minutes_utc_and_midnight(env: Env) -> None:
    url = (
        "/api/find?what=recMinutes&ch=1&timeBegin=2018-01-09T00:00:00Z&timeEnd=2018-01-10T00:00:00Z"
    )
    body = env.ok(url)
    assert body["timeBegin"] == "2018-01-09T00:00:00.000+00:00"
    assert body["timeEnd"] == "2018-01-10T00:00:00.000+00:00"
    assert body["data"] == [{"chid": 1, "data": [mins(1, 9, 2, range(30, 45))]}]
    body = env.ok("/api/find?what=recMinutes&ch=1&timeBegin=2018-01-23T12:00:00")
    assert body["timeEnd"] == "2018-01-24T12:00:00.000-05:00"
    assert body["data"][0]["data"] == [mins(1, 23, 23, [59]), mins(1, 24, 0, [0])]


def test_rec_minutes_one_time_means_one_day(env: Env) -> None:
    body = env.ok("/api/find?what=recMinutes&timeEnd=2018-02-06T00:00:00-05:00")
    assert body["timeBegin"] == "2018-02-05T00:00:00.000-05:00"
    assert body["timeEnd"] == "2018-02-06T00:00:00.000-05:00"
    assert body["data"] == [{"chid": 2, "data": [mins(2, 5, 17, [57])]}]


def test_rec_minutes_fall_back_merges_the_repeated_hour(env: Env) -> None:
    body = env.ok("/api/find?what=recMinutes&ch=1&timeBegin=2018-11-04")
    assert body["timeBegin"] == "2018-11-04T00:00:00.000-04:00"
    assert body["timeEnd"] == "2018-11-05T00:00:00.000-05:00"  # 25 hours
    assert body["data"] == [{"chid": 1, "data": [mins(11, 4, 1, range(30, 40))]}]


def test_rec_minutes_range_limits(env: Env) -> None:
    base = "/api/find?what=recMinutes"
    check_error(env.get(base), 400)
    check_error(env.get(f"{base}&ch=1"), 400)
    # Three calendar days are fine (73 hours over the fall-back), more is not.
    assert env.get(f"{base}&timeBegin=2018-11-03&timeEnd=2018-11-06").status_code == 200
    check_error(env.get(f"{base}&timeBegin=2018-11-03&timeEnd=2018-11-06T00:00:00.001"), 400)
    check_error(env.get(f"{base}&timeBegin=2018-01-01&timeEnd=2018-02-01"), 400)
    check_error(env.get(f"{base}&timeBegin=2018-01-02&timeEnd=2018-01-01"), 400)
    assert env.ok(f"{base}&timeBegin=2018-01-08T21:30:00&timeEnd=2018-01-08T21:30:00")["data"] == []


# ---------------------------------------------------------------- /api/find errors and rights


FIND_BAD = [
    *("what=recDays&" + q for q in ("ch=abc", "ch=0", "ch=", "timeBegin=", "timeEnd=2018-13-01")),
    "what=recDays&timeBegin=yesterdayish",
    "what=recDays&timeBegin=2018-01-02&timeEnd=2018-01-01",
    "what=recMinutes&ch=1,x&timeBegin=2018-01-01",
    "what=nope",
    "what=",
    "",
]


def test_find_bad_input(env: Env) -> None:
    for q in FIND_BAD:
        check_error(env.get(f"/api/find?{q}"), 400)


def test_find_what_face_is_no_what_of_find(env: Env) -> None:
    r = env.get("/api/find?what=face")  # the face search is POST /api/searchFace
    check_error(r, 400)
    assert r.json()["code"] == -1


def test_find_needs_sign_in_and_playback(env: Env) -> None:
    env.client.auth = httpx2.Auth()  # none: the base Auth adds nothing
    check_error(env.get("/api/find?what=recDays"), 401)
    check_error(env.get("/api/find?what=recDays", auth=REMOTE_ONLY[:2]), 403)
    assert env.get("/api/find?what=recDays", auth=ADMIN[:2]).status_code == 200


# ---------------------------------------------------------------- /api/vod live


def test_vod_live(env: Env) -> None:
    expected = [
        {"chid": 1, "title": "Front%20door", "display": "CH1: Front door", "src": []},
        {"chid": 2, "title": "192.168.0.111", "display": "CH2: 192.168.0.111", "src": []},
        {"chid": 3, "title": "", "display": "CH3", "src": []},
    ]
    assert env.ok("/api/vod") == expected
    assert env.ok("/api/vod?when=now") == expected
    assert env.ok("/api/vod?ch=2,3") == expected[1:]
    assert env.ok("/api/vod?ch=9") == []
    assert env.ok("/api/vod?protocol=hls&stream=sub") == expected
    assert env.ok("/api/vod?stream=main&protocol=ws") == expected
    assert env.ok("/api/vod?nameonly") == [
        {k: v for k, v in x.items() if k != "src"} for x in expected
    ]
    assert env.ok("/api/vod?nameonly=false") == expected
    # Live needs only sign-in.
    assert env.get("/api/vod", auth=REMOTE_ONLY[:2]).status_code == 200


def test_vod_live_bad_input(env: Env) -> None:
    for q in ["ch=abc", "ch=0", "ch=", "stream=sbu", "protocol=", "protocol=h%20ls", "nameonly=2"]:
        check_error(env.get(f"/api/vod?{q}"), 400)


# ---------------------------------------------------------------- /api/vod recorded


def test_vod_when_one_second_default(env: Env) -> None:
    body = env.ok("/api/vod?ch=1&when=2018-01-08T21%3A30%3A00-05%3A00")
    assert body == [
        {
            "chid": 1,
            "title": "Front%20door",
            "fileId": env.ids[0],
            "src": [
                {
                    "src": env.src(0),
                    "type": "video/mp4",
                    "label": "1080p FHD",
                    "size": [1920, 1080],
                    "timeRange": ["2018-01-08T21:30:00.000-05:00", "2018-01-08T21:35:00.000-05:00"],
                }
            ],
        }
    ]
    # One second before the first file: still nothing (the window is [when, when+1s)).
    assert env.ok("/api/vod?ch=1&when=2018-01-08T21:29:59-05:00") == []
    assert len(env.ok("/api/vod?ch=1&when=2018-01-08T21:29:59.5-05:00")) == 1


def test_vod_when_duration_and_limit(env: Env) -> None:
    fids = env.fids
    base = "/api/vod?ch=1&when=2018-01-08T21:30:00-05:00"
    assert fids(f"{base}&duration=1h") == env.ids[0:3]
    assert fids(f"{base}&duration=6m") == env.ids[0:2]
    assert fids(f"{base}&duration=360000ms") == env.ids[0:2]
    assert fids(f"{base}&duration=1h&limit=2") == env.ids[0:2]
    assert fids(f"{base}&duration=1h&nolive") == env.ids[0:3]
    ch3 = "/api/vod?ch=3&when=2018-03-01T10:00:00&duration=1h"
    assert fids(ch3) == env.ids[8:18]  # default limit 10
    assert fids(f"{ch3}&limit=50") == env.ids[8:20]
    body = env.ok(f"{ch3}&limit=1")
    assert body[0]["src"][0]["label"] == "720p HD"
    assert body[0]["title"] == ""


def test_vod_timestamps_root_index_and_gone_root(env: Env) -> None:
    body = env.ok("/api/vod?ch=2&when=2018-02-05T00:00:00-05:00&duration=2d")
    assert len(body) == 1  # the file under an unconfigured root is skipped
    src = body[0]["src"][0]
    assert src["src"] == env.src(6) and "/storage/1/" in src["src"]
    assert src["label"] == "480p SD" and src["size"] == [640, 480]
    assert src["timeRange"] == ["2018-02-05T17:57:12.935-05:00", "2018-02-05T17:57:20.036-05:00"]
    assert body[0]["title"] == "192.168.0.111"


def test_vod_url_uses_the_host_the_client_used(env: Env) -> None:
    url = "/api/vod?ch=1&when=2018-01-08T21:30:00-05:00"
    body = env.ok(url, headers={"host": "nvr.example:8080"})
    assert body[0]["src"][0]["src"] == f"http://nvr.example:8080/storage/0/{rel(0)}"


def test_vod_otherwise(env: Env) -> None:
    fids = env.fids
    empty = "/api/vod?ch=1&when=2018-01-08T22:00:00-05:00&duration=1h"
    assert fids(empty) == []
    # Nearest first in both directions.
    assert fids(f"{empty}&otherwise=nearBefore") == [env.ids[2], env.ids[1], env.ids[0]]
    assert fids(f"{empty}&otherwise=nearBefore&limit=1") == [env.ids[2]]
    assert fids(f"{empty}&otherwise=nearAfter") == [env.ids[3], env.ids[4], env.ids[5]]
    # A search with results ignores `otherwise`.
    hit = "/api/vod?ch=1&when=2018-01-08T21:40:00-05:00&otherwise=nearBefore"
    assert fids(hit) == [env.ids[2]]
    assert fids("/api/vod?ch=1&when=2017-01-01&otherwise=nearBefore") == []


def test_vod_by_id(env: Env) -> None:
    fids = env.fids
    i = env.ids
    assert fids(f"/api/vod?id={i[0]}") == i[0:6]
    assert fids(f"/api/vod?id={i[0]}&limit=2") == i[0:2]
    assert fids(f"/api/vod?ch=1&id={i[1]}&next=true") == i[2:6]
    assert fids(f"/api/vod?ch=1&id={i[1]}&next") == i[2:6]
    assert fids(f"/api/vod?ch=1&id={i[3]}&prev") == [i[2], i[1], i[0]]
    assert fids(f"/api/vod?id={i[3]}&prev=true&limit=1") == [i[2]]
    assert fids(f"/api/vod?id={i[0]}&prev") == []
    assert fids(f"/api/vod?id={i[5]}&next") == []
    assert fids(f"/api/vod?id={i[0]}&next=false") == i[0:6]
    # `id` wins over `when`, also over when=now.
    assert fids(f"/api/vod?id={i[6]}&when=now") == [i[6]]
    assert fids(f"/api/vod?ch=2&id={i[6]}&when=2018-01-08T21:30:00-05:00") == [i[6]]


def test_vod_by_id_not_found(env: Env) -> None:
    check_error(env.get("/api/vod?id=999999"), 404)
    check_error(env.get(f"/api/vod?ch=2&id={env.ids[0]}"), 404)
    check_error(env.get(f"/api/vod?ch=2&id={env.ids[0]}&next"), 404)


WHEN = "ch=1&when=2018-01-08"
VOD_BAD = [
    "when=2018-01-08T21:30:00-05:00",  # no ch
    "ch=1,2&when=2018-01-08T21:30:00-05:00",
    "ch=0&when=2018-01-08T21:30:00-05:00",
    "ch=x&id=1",
    "ch=1&when=2018-01-08T25:30:00",
    "ch=1&when=soon",
    *(f"{WHEN}&duration={d}" for d in ("abc", "1h30m", "0")),
    *(f"{WHEN}&limit={n}" for n in ("0", "51", "1000", "x")),
    f"{WHEN}&otherwise=nearest",
    f"{WHEN}&nolive=maybe",
    f"{WHEN}&next",
    *(f"id={x}" for x in ("abc", "0", "1&next&prev", "1&next=perhaps")),
]


def test_vod_recorded_bad_input(env: Env) -> None:
    for q in VOD_BAD:
        check_error(env.get(f"/api/vod?{q}"), 400)


def test_vod_recorded_needs_playback(env: Env) -> None:
    env.client.auth = httpx2.Auth()  # none: the base Auth adds nothing
    check_error(env.get("/api/vod"), 401)
    check_error(env.get(f"/api/vod?id={env.ids[0]}"), 401)
    remote = REMOTE_ONLY[:2]
    check_error(env.get("/api/vod?ch=1&when=2018-01-08T21:30:00-05:00", auth=remote), 403)
    check_error(env.get(f"/api/vod?id={env.ids[0]}", auth=remote), 403)
    check_error(env.get("/api/vod?id=999999", auth=remote), 403)  # no probing without the right
    assert env.get(f"/api/vod?id={env.ids[0]}", auth=ADMIN[:2]).status_code == 200


def test_resolution_label() -> None:
    labels = {2160: "4K UHD", 4320: "4K UHD", 1440: "1440p QHD", 1080: "1080p FHD"}
    labels |= {1200: "1080p FHD", 720: "720p HD", 480: "480p SD", 576: "480p SD"}
    labels |= {360: "360p", 0: ""}
    assert {h: resolution_label(h) for h in labels} == labels

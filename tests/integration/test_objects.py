"""Object detection end to end: a real server analyses a file channel (the demo's yard) in
which one person (the cameraman of the scikit-image pictures) walks across gravel, then a
motorcycle (a scikit-image picture too) rides across; the worker gets its pictures from
the channel's frame source through shared memory, only while the channel's motion
detector sees movement. One ``object`` event arrives per track (one person, his face
linked to him when it was found, one motorcycle), the ``objectType`` filter is honoured,
the crop is on disk where the event says, the face search finds his face by his photo,
and health=objects shows what was analysed."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import cv2
import httpx
import pytest

from nvrd.media.traffic.yard import make_yard
from tests.e2e.events_client import Subscriber, events_url
from tests.e2e.server import ServerProcess
from tests.integration.recorder import admin, recording_server
from tests.integration.workers import camera_sessions, overload_spares_recording_and_the_api
from tests.support.cameras import FileCameraServer
from tests.support.media import ffmpeg_exe
from tests.support.pictures import make_walk, picture

#: Two detectors at 4 frames a second load a core; frame times matter: run alone.
pytestmark = pytest.mark.serial


@pytest.fixture(scope="module")
def walk(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    return make_walk(ffmpeg_exe(), tmp_path_factory.mktemp("walk") / "walk.mp4")


@pytest.fixture(scope="module")
def yard(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    return make_yard(ffmpeg_exe(), tmp_path_factory.mktemp("yard") / "yard.mp4")


def objects_config(source: str, gate: bool = True) -> str:
    return (
        f"[objects]\nchannels = [1]\nfps = 4\nmotion_gate = {str(gate).lower()}\n"
        f'[[channel]]\ntitle = "Yard"\nsource = "{source}"\nplayback = "once"\n'
    )


def objects_health(c: httpx.Client) -> dict[str, Any]:
    items = c.get("/api/system?health=objects").json()["objects"]
    return dict(items[0]) if items else {}


def face_search(c: httpx.Client, name: str) -> dict[str, Any]:
    """POST /api/searchFace with a scikit-image picture (the cameraman, the astronaut)."""
    ok, data = cv2.imencode(".png", picture(name))
    assert ok
    headers = {"Content-Type": "image/png"}
    r = c.post("/api/searchFace", content=data.tobytes(), headers=headers, timeout=60)
    assert r.status_code == 200, r.text
    return dict(r.json())


def collect(sub: Subscriber, until: float) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    while time.monotonic() < until:
        try:
            out.append(sub.recv(max(0.1, until - time.monotonic())))
        except TimeoutError:
            break
    return [m for m in out if m.get("topic") == "object"]


def test_a_person_and_a_motorcycle_are_one_object_each(
    tmp_path: Path, yard: tuple[Path, dict[str, Any]]
) -> None:
    path, truth = yard
    srv = ServerProcess(tmp_path, objects_config(str(path))).start()
    try:
        everything = Subscriber(events_url(srv, "topics=object"), max_queue=None)
        people = Subscriber(events_url(srv, "topics=object&objectType=human"), max_queue=None)
        with everything, people:
            try:
                human = people.wait(lambda m: m.get("topic") == "object", truth["seconds"] + 20)
            except AssertionError:
                with admin(srv) as c:
                    logs = [x for x in srv.stderr().splitlines() if "objects" in x]
                    raise AssertionError(f"no object; {objects_health(c)}; {logs[-20:]}") from None
            # the face (a track of its own) ends with its person, the motorcycle later
            deadline = time.monotonic() + truth["seconds"] + 20
            seen: list[dict[str, Any]] = []
            while time.monotonic() < deadline and not any(m["type"] == "vehicle" for m in seen):
                seen += collect(everything, min(deadline, time.monotonic() + 1))
            seen += collect(everything, time.monotonic() + 3)  # anything else now
            more_people = collect(people, time.monotonic() + 0.5)
            with admin(srv) as c:
                health = objects_health(c)
                found = face_search(c, "camera.png")
                stranger = face_search(c, "astronaut.png")
    finally:
        srv.stop()

    # one person: one human object, on both sockets; the filtered one has nothing else
    assert more_people == [], more_people
    humans = [m for m in seen if m["type"] == "human"]
    assert [m["objId"] for m in humans] == [human["objId"]], seen
    assert {m["type"] for m in seen} <= {"human", "face", "vehicle"}, seen
    # one motorcycle: one vehicle object of that type, with its colours
    (vehicle,) = [m for m in seen if m["type"] == "vehicle"]
    assert vehicle["attributes"]["vehicleType"] == "motorcycle", vehicle
    assert vehicle["attributes"]["colors"], vehicle
    assert "parentId" not in vehicle and vehicle["objId"] != human["objId"]
    assert datetime.fromisoformat(vehicle["timestamp"]) > datetime.fromisoformat(human["timestamp"])
    assert human["chid"] == 1 and 40 <= human["likelihood"] <= 100
    faces = [m for m in seen if m["type"] == "face"]
    # his face: an object of its own, linked to him, not sent to the human-only socket
    assert len(faces) == 1, seen
    face = faces[0]
    assert face["parentId"] == human["objId"] and face["objId"] != human["objId"]
    assert face["likelihood"] >= 80
    # his face is about 45 px wide: an age group, and his gender only when the network is sure
    assert set(face["attributes"]) <= {"gender", "age", "mask"} and "age" in face["attributes"]
    assert face["attributes"].get("mask", False) is False, face  # a bare face
    assert face["attributes"].get("gender", "male") == "male", face
    # he carries his face's gender (no bag), and his black coat when his best crop's body
    # keypoints were sure enough
    gender = face["attributes"].get("gender")
    worn = dict(human["attributes"]).pop("clothes", [])
    assert worn and all(part["colors"][0] == "black" for part in worn), human
    assert {k: v for k, v in human["attributes"].items() if k != "clothes"} == (
        {"gender": gender} if gender else {}
    ), human

    # the face search: the cameraman's photo finds his face's track; another face does not
    assert [d["objId"] for d in found["data"]] == [face["objId"]], found
    assert found["data"][0]["similarity"] >= 50 and found["data"][0]["type"] == "face"
    assert stranger == {"totalCount": 0, "at": 0, "data": []}, stranger

    # the crop: <data>/objects/<chid>/<UTC day>/<at_ms>-<objId>.jpg, a whole JPEG
    at = datetime.fromisoformat(human["timestamp"])
    at_ms = round(at.timestamp() * 1000)
    name = f"objects/1/{at.astimezone(UTC):%Y-%m-%d}/{at_ms}-{human['objId']}.jpg"
    assert human["image"].endswith(name), (human["image"], name)
    crop = (srv.data_dir / name).read_bytes()
    assert crop[:2] == b"\xff\xd8" and crop[-2:] == b"\xff\xd9"
    assert not list((srv.data_dir / "objects").rglob("*.part"))

    # the figures: the worker ran, analysed frames of 960 wide, the motion gate worked
    assert health["state"] == "running" and health["pid"], health
    assert health["pictureSize"] == [960, 540], health
    assert health["framesAnalysed"] >= 4 and health["framesReceived"] >= health["framesAnalysed"]
    assert health["tracks"] == len(seen) and health["msPerFrame"] > 0
    assert health["restarts"] == 0 and "lastError" not in health, health
    # still gravel before the walk: nothing was decoded for detection then
    assert health["gatePauses"] >= 1, health


def test_overload_drops_frames_and_spares_recording_and_the_api(
    tmp_path: Path, walk: tuple[Path, dict[str, Any]]
) -> None:
    """10 frames a second (the most allowed) without the motion gate: far more than the
    detectors take."""
    path, _ = walk
    config = objects_config(str(path), gate=False).replace("fps = 4", "fps = 10")
    config = config.replace('playback = "once"', 'playback = "repeat"')
    srv = recording_server(tmp_path, config).start()
    try:
        overload_spares_recording_and_the_api(srv, objects_health, "objects worker")
    finally:
        srv.stop()


def test_a_person_seen_by_a_fake_rtsp_camera_is_an_object(
    tmp_path: Path, walk: tuple[Path, dict[str, Any]]
) -> None:
    """The same walk from an RTSP camera: the worker's pictures come from the channel's
    own connection (the camera sees one session)."""
    path, truth = walk
    with FileCameraServer(path.parent) as camera:
        srv = ServerProcess(tmp_path, objects_config(camera.url(path.name, loop=True))).start()
        try:
            with Subscriber(
                events_url(srv, "topics=object&objectType=human"), max_queue=None
            ) as sub:
                human = sub.wait(lambda m: m.get("topic") == "object", truth["seconds"] + 30)
                sessions = camera_sessions(camera)
                with admin(srv) as c:
                    health = objects_health(c)
        finally:
            srv.stop()
    assert human["type"] == "human" and human["chid"] == 1 and "parentId" not in human
    assert 40 <= human["likelihood"] <= 100
    assert sessions == 1
    assert health["framesAnalysed"] >= 4 and health["restarts"] == 0, health

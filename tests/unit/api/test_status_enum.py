"""/api/status and /api/enum, in-process."""

from collections.abc import Callable, Iterator

import pytest
from starlette.testclient import TestClient

from tests.conftest import ADMIN, VIEWER, AppHarness

# Channel 1 has a camera that does not exist (its ingest keeps failing);
# channels 2, 5 and 7 have no source, so nothing but the tests changes their status.
# The app is shared by the module's tests: only channel 7's status is changed, by the
# tests that do, and no other test reads it.
CHANNELS = [
    {"title": "Front door", "source": "rtsp://user:pw@127.0.0.1:9/stream"},
    {"title": ""},
    {"chid": 5, "title": "Yard"},
    {"chid": 7, "title": "Spare"},
]


@pytest.fixture(scope="module")
def chans(module_harness: Callable[..., AppHarness]) -> Iterator[TestClient]:
    with module_harness(channel=CHANNELS).client() as c:
        c.auth = (VIEWER[0], VIEWER[1])
        yield c


def test_status_needs_sign_in(harness: Callable[..., AppHarness]) -> None:
    with harness().client() as c:
        assert c.get("/api/status").status_code == 401


def test_status_lists_configured_channels(chans: TestClient) -> None:
    body = chans.get("/api/status").json()
    assert [x["chid"] for x in body] == [1, 2, 5, 7]
    assert body[1] == {"chid": 2, "status": {"code": -1}}
    assert body[0]["status"]["code"] in (-3, -4, 404)  # connecting, reconnecting, refused


def test_status_filters_and_verbose(chans: TestClient) -> None:
    body = chans.get("/api/status?ch=5,2&verbose=true").json()
    assert body == [
        {"chid": 2, "status": {"code": -1, "message": "Not used"}},
        {"chid": 5, "status": {"code": -1, "message": "Not used"}},
    ]
    es = chans.get("/api/status?ch=2&verbose&lang=es-ES").json()
    assert es[0]["status"]["message"] not in ("", "Not used")
    assert chans.get("/api/status?ch=99").json() == []


def test_status_codes_reported_with_translations(chans: TestClient) -> None:
    board = chans.app.state.services.status  # type: ignore[attr-defined]
    expected = {200: "Connected", 401: "Camera login failed", 1404: "No file found"}
    for code, text in expected.items():
        board.set_code(7, code)
        body = chans.get("/api/status?ch=7&verbose").json()
        assert body[0]["status"] == {"code": code, "message": text}


def test_recording_status(chans: TestClient) -> None:
    from datetime import UTC, datetime

    state = chans.app.state.services.status.state(7)  # type: ignore[attr-defined]
    state.streaming = True
    state.recording_failed_at = datetime(2020, 3, 25, 15, 7, 9, 646000, tzinfo=UTC)
    body = chans.get("/api/status?ch=7,2&recordingStatus").json()
    assert body[0]["recordingStatus"] == {"streaming": False, "recording": False}
    assert body[1]["recordingStatus"] == {
        "streaming": True,
        "recording": False,
        "timestampRecordingFailure": "2020-03-25T15:07:09.646+00:00",
    }


@pytest.mark.parametrize("q", ["ch=", "ch=a", "ch=0", "ch=1,,x", "verbose=perhaps"])
def test_status_bad_params(chans: TestClient, q: str) -> None:
    r = chans.get(f"/api/status?{q}")
    assert r.status_code == 400
    assert r.json()["code"] == -1


def test_enum_channel(chans: TestClient) -> None:
    assert chans.get("/api/enum?what=channel").json() == [
        {"chid": 1, "title": "Front door", "displayName": "CH1. Front door"},
        {"chid": 2, "title": "", "displayName": "CH2"},
        {"chid": 5, "title": "Yard", "displayName": "CH5. Yard"},
        {"chid": 7, "title": "Spare", "displayName": "CH7. Spare"},
    ]


def test_enum_channel_static_src_and_caps(chans: TestClient) -> None:
    body = chans.get("/api/enum?what=channel&staticSrc&caps").json()
    assert [s["protocol"] for s in body[0]["src"]] == ["hls", "ws"]  # ch1 has a camera
    assert body[0]["src"][0]["src"] == "http://testserver/hls/ch1main/index.m3u8"
    assert body[1]["src"] == []  # no source, no stream
    caps = body[0]["caps"]
    assert set(caps) == {
        "pantilt",
        "zoom",
        "focus",
        "iris",
        "home",
        "maxPreset",
        "aux",
        "digitalInputs",
        "relayOutputs",
        "reboot",
    }


def test_enum_never_shows_source_credentials(chans: TestClient) -> None:
    text = chans.get("/api/enum?what=channel&staticSrc&caps").text
    assert "rtsp://cam1" not in text


@pytest.mark.parametrize(
    ("what", "expected"),
    [
        ("lprSrc", []),
        ("emergencyCall", []),
        ("parkingLot", {"counter": [], "group": []}),
        ("objectType", ["face", "human", "vehicle"]),
    ],
)
def test_enum_simple(chans: TestClient, what: str, expected: object) -> None:
    assert chans.get(f"/api/enum?what={what}").json() == expected


def test_enum_realtime_event(chans: TestClient) -> None:
    topics = chans.get("/api/enum?what=realtimeEvent").json()
    for t in (
        "channelStatus",
        "emergencyCall",
        "LPR",
        "systemEvent",
        "motionChanges",
        "recordingStatus",
        "parkingCount",
        "packing",
        "object",
        "bodyTemperature",
    ):
        assert t in topics


def test_enum_object_attr(chans: TestClient) -> None:
    face = chans.get("/api/enum?what=objectAttr&type=face").json()
    assert face == {
        "age": ["young", "adult", "middle", "senior"],
        "gender": ["female", "male"],
        "mask": [True, False],
    }
    every = chans.get("/api/enum?what=objectAttr").json()
    assert set(every) == {"face", "human", "vehicle"}
    assert every["vehicle"]["vehicleType"] == [
        "car",
        "truck",
        "bus",
        "bicycle",
        "motorcycle",
        "train",
    ]
    assert every["human"] == {
        "bag": [True, False],
        "clothes": {"type": ["tops", "bottoms"], "colors": every["vehicle"]["colors"]},
        "gender": ["female", "male"],
    }  # clothes colours, not their length
    assert len(every["vehicle"]["colors"]) == 15
    r = chans.get("/api/enum?what=objectAttr&type=cat")
    assert r.status_code == 400


def test_enum_event_type_catalogue(chans: TestClient) -> None:
    body = chans.get("/api/enum?what=eventType").json()
    assert [t["id"] for t in body] == [0, 1, 2, 3, 4, 5, 6, 7]
    system = body[0]
    assert system["name"] == "System log"
    codes = {c["id"]: c["name"] for c in system["code"]}
    assert codes[1] == "System startup" and codes[2] == "System shutdown"
    assert codes[25] == "Storage ready" and codes[27] == "License applied"
    assert codes[30] == "Storage path changed"
    assert {c["id"]: c["name"] for c in body[1]["code"]}[4] == "Sign in"
    assert body[6] == {"id": 6, "name": "User-defined event"}
    assert {c["id"]: c["name"] for c in body[7]["code"]}[1] == "Event triggered"


def test_enum_event_type_spanish(chans: TestClient) -> None:
    body = chans.get("/api/enum?what=eventType&lang=es-ES").json()
    assert body[0]["name"] == "Registro del sistema"
    codes = {c["id"]: c["name"] for c in body[0]["code"]}
    assert codes[1] == "Inicio del sistema"
    assert codes[2] == "Apagado del sistema"
    assert codes[3] == "Apagado anormal"
    assert body[6]["name"] == "Evento definido por el usuario"


def test_enum_falls_back_to_english_for_untranslated_language(chans: TestClient) -> None:
    body = chans.get("/api/enum?what=eventType&lang=ar-AE").json()
    assert body[0]["name"] == "System log"


@pytest.mark.parametrize("q", ["", "what=", "what=bogus", "what=Channel"])
def test_enum_bad_what(chans: TestClient, q: str) -> None:
    r = chans.get(f"/api/enum?{q}")
    assert r.status_code == 400
    assert r.json()["code"] == -1


def test_enum_needs_sign_in(harness: Callable[..., AppHarness]) -> None:
    with harness().client() as c:
        for what in ("channel", "eventType", "objectType"):
            assert c.get(f"/api/enum?what={what}").status_code == 401
        assert c.get("/api/enum?what=channel", auth=(ADMIN[0], ADMIN[1])).status_code == 200

"""Channel and recording status events while a real RTSP camera goes away and comes back,
and the event log entries they leave."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.e2e.events_client import Subscriber, events_url
from tests.integration.recorder import add_channel, admin, recording_server, wait_status
from tests.support.cameras import LiveCameraServer


def is_event(event: str, **fields: Any) -> Any:
    def match(m: dict[str, Any]) -> bool:
        return (
            m["topic"] == "channelStatus"
            and m.get("event") == event
            and all(m.get(k) == v for k, v in fields.items())
        )

    return match


def test_status_events_follow_the_camera(tmp_path: Path, live_camera: LiveCameraServer) -> None:
    srv = recording_server(tmp_path).start()
    try:
        chid = add_channel(srv, {"name": "Door", "source": live_camera.url()})
        wait_status(srv, chid, {200}, 20)
        url = events_url(srv, f"topics=channelStatus,recordingStatus&verbose&ch={chid}")
        with Subscriber(url) as sub:
            snap, rec = sub.recv(5), sub.recv(5)
            assert snap["event"] == "currentStatus" and rec["event"] == "currentStatus"
            (ch,) = snap["channel"]
            assert ch["chid"] == chid and ch["title"] == "Door"
            assert ch["status"] == {"code": 200, "message": "Connected"}
            assert ch["caps"]["pantilt"] is False
            assert {s["protocol"] for s in ch["src"]} == {"hls", "ws"}
            assert ch["src"][0]["src"].startswith(srv.url + "/hls/")
            assert ch["src"][0]["size"] == [640, 360]
            (r,) = rec["channel"]
            assert r["chid"] == chid and r["streaming"] is True

            live_camera.stop()
            lost = sub.wait(
                lambda m: is_event("statusChanged")(m) and m["status"]["code"] not in (200, -3, -4)
            )
            failed = sub.wait(
                lambda m: (
                    m["topic"] == "recordingStatus"
                    and m["event"] == "statusChanged"
                    and m["channel"][0]["recording"] is False
                    and "timestampRecordingFailure" in m["channel"][0]
                )
            )
            live_camera.start()
            back = sub.wait(is_event("statusChanged", chid=chid), timeout=30)
            while back["status"]["code"] != 200:
                back = sub.wait(is_event("statusChanged", chid=chid), timeout=30)
            sub.wait(is_event("videoStreamChanged", chid=chid))
            sub.wait(
                lambda m: m["topic"] == "recordingStatus" and m["channel"][0]["recording"] is True,
                timeout=30,
            )
        assert lost["chid"] == chid and lost["status"]["message"]
        assert failed["channel"][0]["streaming"] is False
        with admin(srv) as c:
            log = c.get("/api/find?what=eventLog&type=2&sort=asc").json()["data"]
        codes = [(d["code"], len(d["timeRange"])) for d in log]
        assert (4, 1) in codes  # camera connected
        assert (5, 2) in codes  # camera lost, and back again: a two-item timeRange
        assert (7, 1) in codes  # recording failure
        assert codes.index((5, 2)) < len(codes) - 1
    finally:
        srv.stop()


def test_motion_changes_follow_the_scene(tmp_path: Path, live_camera: LiveCameraServer) -> None:
    live_camera.set_scene("still")
    srv = recording_server(tmp_path, "[motion]\nhold_seconds = 2\n").start()
    try:
        chid = add_channel(srv, {"name": "Hall", "source": live_camera.url()})
        wait_status(srv, chid, {200}, 20)
        with Subscriber(events_url(srv, f"topics=motionChanges&ch={chid}")) as sub:
            first = sub.recv(5)
            assert first == {"topic": "motionChanges", "updated": [{"chid": chid, "motion": False}]}
            live_camera.set_scene("moving")
            on = sub.wait(lambda m: m["topic"] == "motionChanges", timeout=15)
            assert on["updated"] == [{"chid": chid, "motion": True}]
            live_camera.set_scene("still")
            off = sub.wait(lambda m: m["topic"] == "motionChanges", timeout=20)
            assert off["updated"] == [{"chid": chid, "motion": False}]
        with admin(srv) as c:
            log = c.get("/api/find?what=eventLog&type=2").json()["data"]
        assert any(d["code"] == 8 and d["param"] == {"chid": chid} for d in log)
    finally:
        srv.stop()

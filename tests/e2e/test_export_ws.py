"""/wsapi/dataExport against a real server: every stage, every command, every status code,
downloads, encryption, clean-up, a camera outage; /api/view.mp4 with Range."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import re
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import av
import httpx
import pytest
import pyzipper
from babel.dates import format_datetime
from websockets.exceptions import ConnectionClosed

from tests.e2e.export_client import (
    Message,
    auth,
    drive,
    export_server,
    open_export,
    recv,
    stages,
)
from tests.e2e.server import ServerProcess
from tests.support.recordings import record

pytestmark = pytest.mark.e2e

T0 = 1_700_000_000_000  # 2023-11-14T22:13:20Z
ROOT = ("root", "root-pass")


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


RANGE = {"timeBegin": iso(T0 + 3_500) + "\r\n", "timeEnd": iso(T0 + 123_500) + "\r\n"}


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory, media_dir: Path) -> Iterator[ServerProcess]:
    tmp = tmp_path_factory.mktemp("export")
    server, settings = export_server(tmp)
    record(settings, 1, media_dir / "cam1.mp4", T0, 130, 10)
    record(settings, 2, media_dir / "cam2.mp4", T0, 130, 10)
    # channel 3: 30 s, a 20 s camera outage, 30 s
    record(settings, 3, media_dir / "cam1.mp4", T0, 30, 10)
    record(settings, 3, media_dir / "cam1.mp4", T0 + 50_000, 30, 10)
    server.start()
    yield server
    server.stop()


def get(srv: ServerProcess, src: str, **kw: Any) -> httpx.Response:
    return httpx.get(src, timeout=30, **kw)


def duration(data: bytes) -> float:
    """Presented seconds: container duration plus its (negative) start, the pre-roll the
    edit list hides."""
    with av.open(io.BytesIO(data), "r") as c:
        frames = sum(1 for _ in c.decode(video=0))
        assert frames > 0
        assert c.duration is not None
        return (c.duration + (c.start_time or 0)) / 1_000_000


def test_full_export_of_two_channels(srv: ServerProcess) -> None:
    files: dict[str, bytes] = {}
    ends: list[dict[str, Any]] = []

    def fetch(msg: dict[str, Any]) -> str:
        ends.append(msg)
        for d in msg["channel"]["file"]["download"]:
            r = get(srv, d["src"] + "?auth=" + auth(*ROOT))
            assert r.status_code == 200, r.text
            assert hashlib.md5(r.content).hexdigest() == d["md5"]
            files[d["fileName"]] = r.content
        return "next"

    q = {**RANGE, "ch": "1,2", "mediaSize": "8MB", "subtitleFormat": "VTT",
         "statusInterval": "1ms", "md5": "true", "submitter": "Begger", "recipient": "Prince",
         "purpose": "cold\r\nand hungry"}  # fmt: skip
    with open_export(srv, **q) as ws:
        msgs = drive(ws, fetch)
    names = stages(msgs)
    assert names[0] == "ready" and msgs[0]["status"] == {"code": 0, "message": "Success"}
    task = msgs[0]["task"]
    assert task["ch"] == [1, 2] and task["mediaSize"] == 8 << 20
    assert task["subtitleFormat"] == "VTT" and task["language"] == "en-US"
    assert task["timeRange"] == ["2023-11-14T22:13:23.500+00:00", "2023-11-14T22:15:23.500+00:00"]
    assert names[1] == "begin" and names[-1] == "end"
    assert msgs[-1]["status"]["code"] == 0 and msgs[-1]["overallProgress"] == "100%"
    # per channel: channelBegin, then (fileBegin, fileWriting*, fileEnd)+, channelEnd
    flow = " ".join(n for n in names[2:-1] if n != "fileWriting")
    assert re.fullmatch(r"(channelBegin (fileBegin fileEnd )+channelEnd ?){2}", flow + " "), flow
    assert "fileWriting" in names
    overall = [int(m["overallProgress"][:-1]) for m in msgs if "overallProgress" in m]
    assert overall == sorted(overall)
    for chid in (1, 2):
        chan = [int(m["channel"]["progress"][:-1]) for m in msgs
                if m.get("channel", {}).get("chid") == chid]  # fmt: skip
        assert chan == sorted(chan) and chan[-1] == 100
    per_channel = {1: 0.0, 2: 0.0}
    for end in ends:
        begin = next(m for m in msgs if m.get("stage") == "fileBegin"
                     and m["channel"]["file"]["fid"] == end["channel"]["file"]["fid"])  # fmt: skip
        start = datetime.fromisoformat(begin["timestamp"])
        stop = datetime.fromisoformat(end["timestamp"])
        name = begin["channel"]["file"]["name"]
        assert name == f"CH{end['channel']['chid']}.{start.strftime('%Y-%m-%dT%H.%M.%S')}.mp4"
        assert end["channel"]["file"]["ttl"] == 2000
        video = files[name]
        assert len(video) <= 8 << 20
        seconds = duration(video)
        assert seconds == pytest.approx((stop - start).total_seconds(), abs=1.0)
        per_channel[end["channel"]["chid"]] += seconds
        check_subtitles(files[name[:-4] + ".vtt"].decode(), start)
    assert len(ends) >= 6
    assert per_channel[1] == pytest.approx(120, abs=1.0)
    assert per_channel[2] == pytest.approx(120, abs=1.0)
    first = ends[0]["channel"]["file"]["download"][0]["src"]
    assert get(srv, first + "?auth=" + auth(*ROOT)).status_code == 404  # deleted after next
    log = httpx.get(srv.url + "/api/find?what=eventLog&type=1&maxCount=50", auth=ROOT).json()
    started = [e for e in log["data"] if e["code"] == 9 and e["param"]["task"] == task["id"]]
    assert started and started[0]["param"]["purpose"] == "cold\r\nand hungry"
    assert started[0]["param"]["submitter"] == "Begger"
    assert started[0]["param"]["recipient"] == "Prince"
    assert started[0]["param"]["ch"] == [1, 2] and started[0]["param"]["uid"] == "root"
    ended = [e for e in log["data"] if e["code"] == 10 and e["param"]["task"] == task["id"]]
    assert ended and ended[0]["param"]["statusCode"] == 0


def check_subtitles(vtt: str, start: datetime) -> None:
    assert vtt.startswith("WEBVTT")
    cues = re.findall(r"(\d\d):(\d\d):(\d\d)\.(\d{3}) --> [^\n]+\n([^\n]+)", vtt)
    assert cues
    for h, m, s, ms, text in cues[:3] + cues[-2:]:
        at = (int(h) * 3600 + int(m) * 60 + int(s)) * 1000 + int(ms)
        wall = datetime.fromtimestamp((start.timestamp() * 1000 + at) // 1000, UTC)
        assert text.endswith(format_datetime(wall, "medium", tzinfo=UTC, locale="en_US")), text


def test_encrypted_output_opens_only_with_the_password(srv: ServerProcess, tmp_path: Path) -> None:
    import base64

    zips: dict[str, bytes] = {}

    def fetch(msg: dict[str, Any]) -> str:
        (d,) = msg["channel"]["file"]["download"]
        assert d["fileName"].endswith(".zip")
        r = get(srv, d["src"], auth=ROOT)
        assert r.status_code == 200
        assert hashlib.md5(r.content).hexdigest() == d["md5"]
        zips[d["fileName"]] = r.content
        return "next"

    q = {"timeBegin": iso(T0 + 10_000), "timeEnd": iso(T0 + 20_000), "ch": "1",
         "subtitleFormat": "SRT", "md5": "1",
         "password": base64.b64encode(b"open sesame").decode()}  # fmt: skip
    with open_export(srv, **q) as ws:
        msgs = drive(ws, fetch)
    assert msgs[-1]["status"]["code"] == 0 and len(zips) == 1
    name, data = next(iter(zips.items()))
    path = tmp_path / name
    path.write_bytes(data)
    with pyzipper.AESZipFile(path) as zf:
        assert sorted(zf.namelist()) == [name[:-4] + ".mp4", name[:-4] + ".srt"]
        with pytest.raises(RuntimeError):
            zf.read(name[:-4] + ".mp4")  # no password
        zf.setpassword(b"wrong")
        with pytest.raises(RuntimeError):
            zf.read(name[:-4] + ".mp4")
        zf.setpassword(b"open sesame")
        video = zf.read(name[:-4] + ".mp4")
    assert duration(video) == pytest.approx(10, abs=1.0)
    # the tool a recipient would use
    bad = subprocess.run(["7zz", "t", "-pwrong", str(path)], capture_output=True, timeout=60)
    assert bad.returncode != 0
    out = tmp_path / "out"
    good = subprocess.run(
        ["7zz", "x", "-popen sesame", f"-o{out}", str(path)], capture_output=True, timeout=60
    )
    assert good.returncode == 0, good.stdout
    assert (out / (name[:-4] + ".mp4")).read_bytes() == video


def test_wait_keeps_a_file_past_its_ttl(srv: ServerProcess) -> None:
    q = {"timeBegin": iso(T0 + 10_000), "timeEnd": iso(T0 + 14_000), "ch": "1"}
    with open_export(srv, **q) as ws:
        ready = recv(ws)
        task = ready["task"]["id"]
        msg = recv(ws)
        while msg.get("stage") != "fileEnd":
            msg = recv(ws)
        src = msg["channel"]["file"]["download"][0]["src"]
        t0 = time.monotonic()
        alerts = 0
        while time.monotonic() - t0 < 5:  # 2.5 ttl
            alert = recv(ws, 5)
            assert alert["stage"] == "timeoutAlert" and alert["request"] == "timeoutAlert"
            assert 0 < alert["ttl"] <= 500
            alerts += 1
            ws.send(json.dumps({"task": task, "cmd": "wait"}))
        assert alerts >= 2
        assert get(srv, src, auth=ROOT).status_code == 200
        ws.send(json.dumps({"task": task, "cmd": "cancel"}))
        rest = drive(ws)
    assert rest[-1]["stage"] == "end" and rest[-1]["status"]["code"] == -1003
    assert get(srv, src, auth=ROOT).status_code == 404


def test_no_command_times_out_and_deletes_the_file(srv: ServerProcess) -> None:
    q = {"timeBegin": iso(T0 + 10_000), "timeEnd": iso(T0 + 14_000), "ch": "1"}
    srcs: list[str] = []

    def keep_src(m: Message) -> str:  # and send nothing
        srcs.append(m["channel"]["file"]["download"][0]["src"])
        return ""

    with open_export(srv, **q) as ws:
        msgs = drive(ws, keep_src)
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=5)
    assert stages(msgs)[-2:] == ["timeoutAlert", "end"]
    assert msgs[-1]["status"] == {"code": -1004, "message": "Task terminated by timeout"}
    assert get(srv, srcs[0], auth=ROOT).status_code == 404


def test_cancel(srv: ServerProcess) -> None:
    with open_export(srv, **RANGE, ch="2", mediaSize="2MB") as ws:
        msgs = drive(ws, lambda m: "cancel")
    assert msgs[-1]["status"]["code"] == -1003
    assert stages(msgs).count("fileEnd") == 1


def test_empty_range_and_bad_parameters(srv: ServerProcess) -> None:
    with open_export(srv, timeBegin="2001-01-01T00:00:00", timeEnd="2001-01-01T01:00:00") as ws:
        msgs = drive(ws)
    no_data = "No data in the requested time range and channels"
    assert msgs == [
        {"stage": "ready", "status": {"code": -1, "message": no_data}, "task": msgs[0]["task"]}
    ]
    bad_ones = [
        ({"mediaSize": "lots"}, "mediaSize"),
        ({"ch": "x"}, "ch"),
        ({"subtitleFormat": "ASS"}, "subtitleFormat"),
        ({"timeEnd": "later"}, "timeEnd"),
        ({"statusInterval": "9h9m"}, "statusInterval"),
    ]
    for bad, word in bad_ones:
        with open_export(srv, **{**RANGE, **bad}) as ws:
            msgs = drive(ws)
        assert len(msgs) == 1 and msgs[0]["status"]["code"] == -2
        assert word in msgs[0]["status"]["message"]


def test_sign_in_and_right(srv: ServerProcess) -> None:
    from websockets.sync.client import connect

    from tests.e2e.export_client import url

    for who, code in [(("root", "nope"), 4401), (("viewer", "viewer-pass"), 4403)]:
        with connect(url(srv, who, **RANGE)) as ws, pytest.raises(ConnectionClosed) as err:
            ws.recv(timeout=10)
        assert err.value.rcvd is not None and err.value.rcvd.code == code


def test_closing_the_socket_stops_the_task_and_deletes_its_files(srv: ServerProcess) -> None:
    with open_export(srv, **RANGE, ch="2", mediaSize="2MB") as ws:
        ready = recv(ws)
        msg = recv(ws)
        while msg.get("stage") != "fileEnd":
            msg = recv(ws)
        src = msg["channel"]["file"]["download"][0]["src"]
        assert get(srv, src, auth=ROOT).status_code == 200
    folder = srv.data_dir / "exports" / ready["task"]["id"]
    deadline = time.monotonic() + 5
    while folder.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not folder.exists()
    assert get(srv, src, auth=ROOT).status_code == 404


def test_an_outage_yields_the_recorded_parts_only(srv: ServerProcess) -> None:
    files: list[bytes] = []

    def fetch(msg: dict[str, Any]) -> str:
        # decoded after the task: decoding here, under load, outlasted the file's 2 s ttl
        files.append(get(srv, msg["channel"]["file"]["download"][0]["src"], auth=ROOT).content)
        return "next"

    with open_export(srv, timeBegin=iso(T0), timeEnd=iso(T0 + 80_000), ch="3") as ws:
        msgs = drive(ws, fetch)
    assert msgs[-1]["status"]["code"] == 0
    begins = [m for m in msgs if m.get("stage") == "fileBegin"]
    assert [b["channel"]["file"]["name"] for b in begins] == [
        "CH3.2023-11-14T22.13.20.mp4",
        "CH3.2023-11-14T22.14.10.mp4",
    ]
    assert [round(duration(f)) for f in files] == [30, 30]


def test_downloads_need_the_task_owner_and_accept_the_glued_auth(srv: ServerProcess) -> None:
    seen: dict[str, int] = {}

    def fetch(msg: dict[str, Any]) -> str:
        src = msg["channel"]["file"]["download"][0]["src"]
        seen["glued"] = get(srv, src + "&auth=" + auth(*ROOT)).status_code
        seen["none"] = get(srv, src).status_code
        seen["other"] = get(srv, src, auth=("clerk", "clerk-pass")).status_code
        seen["viewer"] = get(srv, src, auth=("viewer", "viewer-pass")).status_code
        r = get(srv, src, auth=ROOT)
        seen["cors"] = r.headers.get("access-control-allow-origin") == "*"
        return "cancel"

    with open_export(srv, timeBegin=iso(T0 + 1000), timeEnd=iso(T0 + 3000), ch="1") as ws:
        drive(ws, fetch)
    assert seen == {"glued": 200, "none": 401, "other": 404, "viewer": 403, "cors": True}


def test_exports_beyond_the_limit_wait_in_ready(srv: ServerProcess) -> None:
    q = {"timeBegin": iso(T0 + 1000), "timeEnd": iso(T0 + 3000), "ch": "1"}
    with contextlib.ExitStack() as stack:
        held = [stack.enter_context(open_export(srv, **q)) for _ in range(2)]
        tasks = []
        for ws in held:
            tasks.append(recv(ws)["task"]["id"])
            while recv(ws).get("stage") != "fileEnd":
                pass
        with open_export(srv, **q) as third:
            assert recv(third)["stage"] == "ready"
            with pytest.raises(TimeoutError):
                third.recv(timeout=1.0)  # no begin while both slots are taken
            held[0].send(json.dumps({"task": tasks[0], "cmd": "cancel"}))
            assert recv(third, 10)["stage"] == "begin"


# ---------------------------------------------------------------- view.mp4


def view_url(srv: ServerProcess, ch: int, begin: int, end: int) -> str:
    return f"{srv.url}/api/view.mp4?ch={ch}&timeBegin={iso(begin)}&timeEnd={iso(end)}"


def test_view_mp4_with_ranges(srv: ServerProcess) -> None:
    u = view_url(srv, 2, T0 + 5_250, T0 + 95_250)
    whole = get(srv, u, auth=ROOT)
    assert whole.status_code == 200 and whole.headers["accept-ranges"] == "bytes"
    size = int(whole.headers["content-length"])
    assert size == len(whole.content)
    assert duration(whole.content) == pytest.approx(90, abs=0.1)
    assert 'filename="CH2.2023-11-14T22.13.25.mp4"' in whole.headers["content-disposition"]
    with av.open(io.BytesIO(whole.content)) as c:
        assert c.metadata["date"] == "2023-11-14T22:13:25.250+00:00"
    part = get(srv, u, auth=ROOT, headers={"Range": "bytes=1000-200999"})
    assert part.status_code == 206 and part.content == whole.content[1000:201000]
    assert part.headers["content-range"] == f"bytes 1000-200999/{size}"
    tail = get(srv, u, auth=ROOT, headers={"Range": "bytes=-5000"})
    assert tail.content == whole.content[-5000:]
    head = httpx.head(u, auth=ROOT)
    assert head.status_code == 200 and head.headers["content-length"] == str(size)
    assert get(srv, u, auth=ROOT, headers={"Range": f"bytes={size}-"}).status_code == 416
    other = get(srv, u, auth=ROOT, headers={"Range": "bytes=0-9", "If-Range": '"stale"'})
    assert other.status_code == 200


def test_view_mp4_errors_and_rights(srv: ServerProcess) -> None:
    u = view_url(srv, 1, T0, T0 + 10_000)
    assert get(srv, u).status_code == 401
    assert get(srv, u, auth=("viewer", "viewer-pass")).status_code == 403
    assert get(srv, u, auth=("clerk", "clerk-pass")).status_code == 200
    assert get(srv, view_url(srv, 9, T0, T0 + 10_000), auth=ROOT).status_code == 404
    r = get(srv, view_url(srv, 1, T0 + 10_000, T0), auth=ROOT)
    assert r.status_code == 400 and r.json()["code"] == -1


def test_vod_lists_the_whole_result_as_one_mp4(srv: ServerProcess) -> None:
    r = httpx.get(
        f"{srv.url}/api/vod?ch=1&when={iso(T0 + 5000)}&duration=30s&limit=10", auth=ROOT
    ).json()
    assert len(r) >= 3
    ranges = {json.dumps(item["range"]) for item in r}
    assert len(ranges) == 1
    whole = r[0]["range"]
    assert whole["timeRange"][0] == r[0]["src"][0]["timeRange"][0]
    assert whole["timeRange"][1] == r[-1]["src"][0]["timeRange"][1]
    video = get(srv, whole["src"], auth=ROOT)
    assert video.status_code == 200
    lo, hi = (datetime.fromisoformat(t) for t in whole["timeRange"])
    assert duration(video.content) == pytest.approx((hi - lo).total_seconds(), abs=0.1)
    viewer = httpx.get(
        f"{srv.url}/api/vod?ch=1&when={iso(T0 + 5000)}&duration=30s", auth=("viewer", "viewer-pass")
    ).json()
    assert viewer and "range" not in viewer[0]


def test_bad_commands_are_rejected_and_the_task_goes_on(srv: ServerProcess) -> None:
    with open_export(srv, timeBegin=iso(T0 + 1000), timeEnd=iso(T0 + 3000), ch="1") as ws:
        ready = recv(ws)
        ws.send("not json")
        ws.send(json.dumps({"task": "someone-else", "cmd": "next"}))
        ws.send(json.dumps({"task": ready["task"]["id"], "cmd": "jump"}))
        ws.send("x" * 10_000)
        msgs = drive(ws, task=ready["task"]["id"])
    rejected = [m for m in msgs if m.get("stage") == "commandRejected"]
    assert len(rejected) == 4 and all(m["status"]["code"] == -2 for m in rejected)
    assert "jump" in rejected[2]["status"]["message"]
    assert msgs[-1]["stage"] == "end" and msgs[-1]["status"]["code"] == 0

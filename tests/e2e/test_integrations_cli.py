"""``nvrd lpr-source|emergency-call|parking-lot``: a real process, and a running server that
sees what the command line changes without a restart."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.events_client import Subscriber, events_url
from tests.e2e.server import ServerProcess, nvrd


def ok(*args: str) -> str:
    res = nvrd(*args)
    assert res.returncode == 0, res.stderr
    return res.stdout


def fails(fragment: str, *args: str) -> None:
    res = nvrd(*args)
    assert res.returncode == 2, res.stdout
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("nvrd: "), res.stderr
    assert fragment in lines[0], lines[0]


def test_registry_commands(tmp_path: Path) -> None:
    a = ["--data-dir", str(tmp_path / "data")]
    assert ok("parking-lot", "add", "--name", "B1", "--max", "50", *a) == "added parking lot 1\n"
    ok("parking-lot", "add", "--name", "B2", "--max", "40", *a)
    ok("parking-lot", "add", "--id", "9", "--name", "All", "--group", "--member", "1,2", *a)
    fails("a group needs --member", "parking-lot", "add", "--group", *a)
    fails("--member 9: there is no parking lot counter 9", "parking-lot", "add", "--group",
          "--member", "1,9", *a)  # fmt: skip
    fails("id 1 is already used", "parking-lot", "add", "--id", "1", *a)
    ok("parking-lot", "set-count", "1", "3", *a)
    fails("no parking lot counter 9", "parking-lot", "set-count", "9", "3", *a)
    assert ok("parking-lot", "list", *a) == (
        "1\tB1\tcounter\t3/50\tcli\n2\tB2\tcounter\t0/40\tcli\n9\tAll\tgroup\t3/90\tmember=1,2\tcli\n"
    )

    out = ok("lpr-source", "add", "--code", "F00001", "--linked", "1,2", "--entrance", "1", *a)
    assert out == "added LPR source 1 (F00001)\n"
    ok("lpr-source", "add", "--code", "1-1-1", "--name", "Zone", "--zone-chid", "3",
       "--rect", "0,0,7680,4320", "--mode", "parking", "--exit", "2", "--entry-movement", "down",
       *a)  # fmt: skip
    fails("direction", "lpr-source", "add", "--code", "X", "--zone-chid", "1", "--rect",
          "1,1,5,5", "--direction", "sideways", *a)  # fmt: skip
    fails("entry_movement", "lpr-source", "add", "--code", "X", "--zone-chid", "1", "--rect",
          "1,1,5,5", "--entry-movement", "diagonal", *a)  # fmt: skip
    fails("code F00001 is already used", "lpr-source", "add", "--code", "F00001", *a)
    fails("--entrance: there is no parking lot counter 9", "lpr-source", "add", "--code", "X",
          "--entrance", "9", *a)  # fmt: skip
    fails("rect: must be x0,y0,x1,y1", "lpr-source", "add", "--code", "X", "--zone-chid", "1",
          "--rect", "5,5,1,1", *a)  # fmt: skip
    fails("a zone needs both", "lpr-source", "add", "--code", "X", "--rect", "1,1,5,5", *a)
    fails("mode", "lpr-source", "add", "--code", "X", "--zone-chid", "1", "--rect", "1,1,5,5",
          "--mode", "flying", *a)  # fmt: skip
    fails("tag", "lpr-source", "add", "--code", "X", "--tag", "Broken", *a)
    assert ok("lpr-source", "list", *a) == (
        "1\tF00001\tF00001\tlinked=1,2\ttag=Normal\tentrance=1\tcli\n"
        "2\t1-1-1\tZone\tlinked=\ttag=Normal\tzone=0:ch3:0,0,7680,4320:parking:entry=down"
        "\texit=2\tcli\n"
    )

    ok("emergency-call", "add", "--code", "0000001", "--name", "B1 stairs", "--linked", "1", *a)
    assert ok("emergency-call", "list", *a) == "1\t0000001\tB1 stairs\tlinked=1\tcli\n"
    assert ok("emergency-call", "rm", "1", *a) == "removed emergency call device 1\n"
    fails("no emergency call device 1", "emergency-call", "rm", "1", *a)
    assert ok("emergency-call", "list", *a) == ""
    assert ok("lpr-source", "rm", "2", *a) == "removed LPR source 2\n"
    assert ok("parking-lot", "rm", "9", *a) == "removed parking lot 9\n"
    assert "9\tAll" not in ok("parking-lot", "list", *a)


def wait_for(check: Callable[[], Any], timeout: float = 10) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_running_server_sees_cli_changes(tmp_path: Path) -> None:
    srv = ServerProcess(
        tmp_path,
        # strict: a push from a code the CLI has not added (or has removed) is refused
        "[integrations]\naccept_unknown_sources = false\n"
        '[[parking_lot]]\nid = 1\nname = "B1"\nmax_count = 2\n'
        '[[emergency_call]]\ncode = "0000001"\nname = "Lobby"\n',
    )
    srv.start()
    cfg = ["--config", str(srv.config)]
    try:
        with srv.client(auth=("admin", srv.admin_password())) as c:
            assert c.get("/api/enum?what=lprSrc").json() == []
            push = {"topic": "LPR", "src": "GATE", "plateNo": "A1", "direction": "entry"}
            assert c.post("/api/push", json=push).status_code == 400

            ok("lpr-source", "add", "--code", "GATE", "--entrance", "1", *cfg)
            codes = wait_for(lambda: [s["code"] for s in c.get("/api/enum?what=lprSrc").json()])
            assert codes == ["GATE"]
            assert c.post("/api/push", json=push).status_code == 200
            assert c.post("/api/push", json=push).status_code == 200

            ok("parking-lot", "set-count", "1", "40", *cfg)
            assert c.get("/api/enum?what=parkingLot").json()["counter"][0]["count"] == 40
            fails("defined in the configuration file", "parking-lot", "rm", "1", *cfg)
            fails("defined in the configuration file", "emergency-call", "rm", "1", *cfg)

            ok("lpr-source", "rm", "1", *cfg)
            wait_for(lambda: c.get("/api/enum?what=lprSrc").json() == [])
            assert c.post("/api/push", json=push).status_code == 400
    finally:
        srv.stop()
    counts = ok("parking-lot", "list", *cfg)
    assert counts == "1\tB1\tcounter\t40/2\tconfig\n"


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_subscribers_hear_of_cli_counts(
    tmp_path: Path, database: str, request: pytest.FixtureRequest
) -> None:
    url = str(request.getfixturevalue("pg_url")) if database == "postgresql" else ""
    srv = ServerProcess(
        tmp_path,
        '[[parking_lot]]\nid = 1\nname = "B1"\nmax_count = 2\n'
        '[[parking_lot]]\nid = 2\nname = "B2"\nmax_count = 3\n'
        '[[parking_lot]]\nid = 3\nname = "All"\ntype = "group"\nmember = [1, 2]\n',
        database_url=url,
    )
    srv.start()
    cfg = ["--config", str(srv.config)]
    try:
        with (
            Subscriber(events_url(srv, "topics=parkingCount")) as every,
            Subscriber(events_url(srv, "topics=parkingCount&ch=2")) as b2,
        ):
            assert [u["count"] for u in every.recv(5)["updated"]] == [0, 0, 0]
            assert [u["id"] for u in b2.recv(5)["updated"]] == [2]
            assert ok("parking-lot", "set-count", "1", "5", *cfg) == "parking lot 1: 5 cars\n"
            msg = every.recv(10)
            fails("cannot be negative", "parking-lot", "set-count", "1", "-1", *cfg)
            ok("parking-lot", "set-count", "2", "1", *cfg)
            (b2_msg,) = b2.recv(10)["updated"]
            after = every.recv(10)
    finally:
        srv.stop()
    assert msg["topic"] == "parkingCount" and "timestamp" in msg
    assert msg["updated"] == [
        {"id": 1, "name": "B1", "type": "counter", "count": 5, "maxCount": 2},
        {"id": 3, "name": "All", "type": "group", "count": 5, "maxCount": 5, "member": [1, 2]},
    ]
    assert b2_msg == {"id": 2, "name": "B2", "type": "counter", "count": 1, "maxCount": 3}
    assert [(u["id"], u["count"]) for u in after["updated"]] == [(2, 1), (3, 6)]


def test_a_busy_database_is_a_one_line_error(tmp_path: Path) -> None:
    a = ["--data-dir", str(tmp_path / "data")]
    ok("parking-lot", "add", "--name", "B1", "--max", "50", *a)
    config = tmp_path / "nvrd.toml"
    config.write_text(f'[server]\ndata_dir = "{tmp_path / "data"}"\ndatabase_busy_ms = 100\n')
    other = sqlite3.connect(tmp_path / "data" / "nvrd.db", isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another writer holds the database
        fails("the database is busy", "parking-lot", "set-count", "1", "3", "--config", str(config))
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert ok("parking-lot", "list", *a) == "1\tB1\tcounter\t0/50\tcli\n"
    ok("parking-lot", "set-count", "1", "3", "--config", str(config))
    assert ok("parking-lot", "list", *a) == "1\tB1\tcounter\t3/50\tcli\n"

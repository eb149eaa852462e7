"""/api/enum?what=lprSrc|emergencyCall|parkingLot from the configuration file and the database."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from nvrd.config import ConfigError, load_settings
from nvrd.store.integrations import EmergencyDevice, LprSource, ParkingLot
from tests.conftest import VIEWER, AppHarness, add_users

REGISTRY_TOML = """
[[lpr_source]]
code = "F00001"
linked_channel = [1, 2]

[[lpr_source]]
code = "1-1-1"
name = "Zone one"
tag = "ReadOnly"
parking_entrance = 1
parking_exit = 2
zone = { chid = 1, rect = [2622, 1499, 4297, 4297], mode = "parking", no_parking_allowed = true }

[[emergency_call]]
id = 7
code = "0000001"
name = "B1 stairs"
linked_channel = [1, 2]

[[parking_lot]]
id = 1
name = "B1 Parking Lot"
max_count = 50

[[parking_lot]]
id = 2
name = "B2 Parking Lot"
max_count = 40

[[parking_lot]]
id = 3
name = "Basement Parking Lot"
type = "group"
member = [1, 2]
"""


def write_config(tmp_path: Path, extra: str) -> Path:
    cfg = tmp_path / "nvrd.toml"
    cfg.write_text(
        f'[server]\ndata_dir = "{tmp_path / "data"}"\ntimezone = "UTC"\n{extra}', "utf-8"
    )
    return cfg


@pytest.fixture
def app(tmp_path: Path) -> AppHarness:
    settings = load_settings(write_config(tmp_path, REGISTRY_TOML), environ={})
    add_users(settings, [VIEWER])
    return AppHarness(settings, [], [])


def test_enum_shapes_from_the_configuration(app: AppHarness) -> None:
    with app.client() as c:
        c.auth = (VIEWER[0], VIEWER[1])
        assert c.get("/api/enum?what=lprSrc").json() == [
            {
                "id": 1,
                "code": "F00001",
                "name": "F00001",
                "linkedChannel": [1, 2],
                "tag": "Normal",
            },
            {
                "id": 2,
                "code": "1-1-1",
                "name": "Zone one",
                "linkedChannel": [],
                "tag": "ReadOnly",
                "zone": {
                    "id": 0,
                    "chid": 1,
                    "rect": [2622, 1499, 4297, 4297],
                    "mode": "parking",
                    "disabledOnly": False,
                    "noParkingAllowed": True,
                },
                "parkingLot": {"entrance": 1, "exit": 2},
            },
        ]
        assert c.get("/api/enum?what=emergencyCall").json() == [
            {"id": 7, "code": "0000001", "name": "B1 stairs", "linkedChannel": [1, 2]}
        ]
        assert c.get("/api/enum?what=parkingLot").json() == {
            "counter": [
                {"id": 1, "name": "B1 Parking Lot", "type": "counter", "count": 0, "maxCount": 50},
                {"id": 2, "name": "B2 Parking Lot", "type": "counter", "count": 0, "maxCount": 40},
            ],
            "group": [
                {
                    "id": 3,
                    "name": "Basement Parking Lot",
                    "type": "group",
                    "count": 0,
                    "maxCount": 90,
                    "member": [1, 2],
                }
            ],
        }


def test_database_changes_are_seen_without_restart(app: AppHarness) -> None:
    with app.client() as c:
        c.auth = (VIEWER[0], VIEWER[1])
        svc = c.app.state.services  # type: ignore[attr-defined]
        store = svc.integrations.store
        assert len(c.get("/api/enum?what=lprSrc").json()) == 2
        call = c.portal.call  # type: ignore[union-attr]
        call(store.lpr.add, LprSource(9, "NEW", "New one", (3,)), 1)
        call(store.calls.add, EmergencyDevice(1, "0000009", "Lift"), 1)
        call(store.lots.add, ParkingLot(4, "Roof", max_count=5), 1)
        call(store.set_count, 1, 12, 1)
        # parking lots are read fresh; devices within the cache's lifetime (1 s)
        assert c.get("/api/enum?what=parkingLot").json()["group"][0]["count"] == 12
        assert [d["id"] for d in c.get("/api/enum?what=parkingLot").json()["counter"]] == [1, 2, 4]
        deadline = time.monotonic() + 5
        while len(c.get("/api/enum?what=lprSrc").json()) < 3:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert c.get("/api/enum?what=lprSrc").json()[2]["code"] == "NEW"
        assert [d["id"] for d in c.get("/api/enum?what=emergencyCall").json()] == [1, 7]
        r = c.post("/api/push", json={"topic": "LPR", "src": "NEW", "plateNo": "A"})
        assert r.status_code == 200


def test_configuration_changes_apply_at_the_next_start(app: AppHarness, tmp_path: Path) -> None:
    with app.client() as c:
        c.auth = (VIEWER[0], VIEWER[1])
        c.post(
            "/api/push", json={"topic": "LPR", "src": "1-1-1", "plateNo": "A", "direction": "entry"}
        )
        svc = c.app.state.services  # type: ignore[attr-defined]
        c.portal.call(svc.integrations.store.calls.add, EmergencyDevice(1, "cli", "by hand"), 1)  # type: ignore[union-attr]
    changed = REGISTRY_TOML.replace('name = "B1 Parking Lot"', 'name = "Level 1"').replace(
        'code = "F00001"\n', 'code = "F00002"\n'
    )
    settings = load_settings(write_config(tmp_path, changed), environ={})
    with AppHarness(settings, [], []).client() as c:
        c.auth = (VIEWER[0], VIEWER[1])
        assert [s["code"] for s in c.get("/api/enum?what=lprSrc").json()] == ["F00002", "1-1-1"]
        assert [d["code"] for d in c.get("/api/enum?what=emergencyCall").json()] == [
            "cli",
            "0000001",
        ]
        counter = c.get("/api/enum?what=parkingLot").json()["counter"][0]
        assert (counter["name"], counter["count"]) == ("Level 1", 1)


@pytest.mark.parametrize(
    ("toml", "fragment"),
    [
        ('[[lpr_source]]\ncode = "A"\n[[lpr_source]]\ncode = "A"\n', "lpr_source: code 'A' is"),
        ("[[lpr_source]]\nid = 1\n", "lpr_source.0.code: Field required"),
        (
            '[[lpr_source]]\ncode = "A"\nzone = { chid = 1, rect = [10, 10, 5, 20] }\n',
            "lpr_source.0.zone.rect: must be x0,y0,x1,y1",
        ),
        (
            '[[lpr_source]]\ncode = "A"\nzone = { chid = 1, rect = [0, 0, 7681, 20] }\n',
            "lpr_source.0.zone.rect",
        ),
        ('[[lpr_source]]\ncode = "A"\ntag = "Off"\n', "lpr_source.0.tag"),
        ('[[emergency_call]]\ncode = "A"\nlinked_channel = [0]\n', "emergency_call.0"),
        ("[[parking_lot]]\nid = 1\n[[parking_lot]]\nid = 1\n", "parking_lot: id 1 is listed"),
        ('[[parking_lot]]\ntype = "group"\nmax_count = 3\n', "parking_lot.0: a group has no"),
        ("[[parking_lot]]\nmember = [1]\n", "parking_lot.0: only a group"),
        ('[[parking_lot]]\nname = "x"\ncolour = "red"\n', "parking_lot.0.colour: unknown setting"),
    ],
)
def test_bad_registry_settings(tmp_path: Path, toml: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(write_config(tmp_path, toml), environ={})
    assert fragment in str(info.value)


def test_seed_reports_lots_that_are_not_counters(tmp_path: Path) -> None:
    toml = (
        '[[lpr_source]]\ncode = "A"\nparking_entrance = 3\nparking_exit = 9\n'
        '[[parking_lot]]\nid = 1\n[[parking_lot]]\nid = 3\ntype = "group"\nmember = [1, 5]\n'
    )
    settings = load_settings(write_config(tmp_path, toml), environ={})
    add_users(settings, [VIEWER])
    harness = AppHarness(settings, [], [])
    with harness.client() as c:
        svc = c.app.state.services  # type: ignore[attr-defined]
        problems = c.portal.call(svc.integrations.seed, settings)  # type: ignore[union-attr]
    assert problems == [
        "LPR source 1 (A): parking entrance 3 is not a counter",
        "LPR source 1 (A): parking exit 9 is not a counter",
        "parking lot group 3: member 5 is not a counter",
    ]

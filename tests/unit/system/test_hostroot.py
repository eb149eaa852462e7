"""Host files read from a fixture tree laid out like a host (server.host_root)."""

from __future__ import annotations

from pathlib import Path

from nvrd.system import hostinfo
from nvrd.system.health import _disk_of, _packages
from nvrd.system.hostroot import HostRoot
from nvrd.system.smart import physical_disk_names

CPUINFO = """processor\t: 0
vendor_id\t: GenuineIntel
model name\t: Test CPU A
physical id\t: 0
core id\t: 0
cpu cores\t: 2

processor\t: 1
vendor_id\t: GenuineIntel
model name\t: Test CPU B
physical id\t: 1
core id\t: 0
cpu cores\t: 4
"""
ROUTE = (
    "Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\n"
    "eth0\t00000000\t0101A8C0\t0003\t0\t0\t0\t00000000\n"
)


def host(tmp_path: Path) -> HostRoot:
    files = {
        "proc/cpuinfo": CPUINFO,
        "proc/net/route": ROUTE,
        "etc/resolv.conf": "nameserver 127.0.0.53\n",
        "run/systemd/resolve/resolv.conf": "nameserver 192.0.2.53\n",
        "sys/class/dmi/id/board_name": "Fixture Board\n",
        "sys/class/dmi/id/board_vendor": "Fixture Inc.\n",
        "sys/block/vda/size": "2048\n",
        "sys/block/loop0/size": "2048\n",
        "sys/block/vdb/size": "0\n",
        "sys/devices/system/cpu/cpu1/topology/physical_package_id": "1\n",
        "sys/class/block/vda1/partition": "1\n",
    }
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    (tmp_path / "sys/block/sr0").mkdir(parents=True)
    return HostRoot(tmp_path)


def test_paths_map_under_the_root(tmp_path: Path) -> None:
    h = HostRoot(tmp_path)
    assert h("/proc/cpuinfo") == tmp_path / "proc/cpuinfo"
    assert h("sys") == tmp_path / "sys" and HostRoot()("/proc") == Path("/proc")


def test_host_information_comes_from_the_root(tmp_path: Path) -> None:
    h = host(tmp_path)
    info = hostinfo.collect_info(["cpu", "mainboard"], h)
    assert [c["name"] for c in info["cpu"]] == ["Test CPU A", "Test CPU B"]
    assert [c["cores"] for c in info["cpu"]] == [2, 4]
    assert info["mainboard"] == {"name": "Fixture Board", "manufacturer": "Fixture Inc."}
    assert hostinfo._gateways(h) == {"eth0": ["192.168.1.1"]}
    assert hostinfo._nameservers(h) == ["192.0.2.53"]  # behind the local stub: its upstream
    assert physical_disk_names(host=h) == ["vda"]
    assert physical_disk_names(include_optical=True, host=h) == ["sr0", "vda"]
    assert _packages(2, h) == {0: [0], 1: [1]}
    assert _disk_of("/dev/vdz", h) == "vdz"


def test_an_empty_root_gives_empty_answers(tmp_path: Path) -> None:
    h = HostRoot(tmp_path)
    assert hostinfo.collect_info(["cpu", "mainboard"], h) == {"cpu": []}
    assert physical_disk_names(host=h) == [] and hostinfo._gateways(h) == {}

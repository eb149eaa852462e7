"""``nvrd.system.hostinfo`` against the real host (plus the pure dmidecode parser)."""

from __future__ import annotations

import json
import os
import platform
import re
import socket
from typing import Any

import psutil
import pytest

from nvrd.system import hostinfo

IPV4_PREFIXED = re.compile(r"^\d{1,3}(\.\d{1,3}){3}/\d{1,2}$")
MAC = re.compile(r"^[0-9A-F]{2}(:[0-9A-F]{2})+$")


@pytest.fixture(scope="module")
def info() -> dict[str, Any]:
    return hostinfo.collect_info(hostinfo.INFO_ITEMS)


def test_item_names() -> None:
    assert hostinfo.INFO_ITEMS == (
        "os",
        "cpu",
        "mainboard",
        "memory",
        "graphicAdapter",
        "disk",
        "cdrom",
        "networkAdapter",
    )
    assert hostinfo.INFO_ALIASES == {"storage": "disk", "network": "networkAdapter"}
    assert set(hostinfo.INFO_ALIASES.values()) <= set(hostinfo.INFO_ITEMS)


def test_all_items_keys_and_json(info: dict[str, Any]) -> None:
    always = {
        "os",
        "cpu",
        "memoryAmount",
        "graphicAdapter",
        "disk",
        "storageAmount",
        "cdrom",
        "networkAdapter",
    }
    assert always <= set(info)
    assert set(info) <= always | {"mainboard", "physicalMemory"}
    json.dumps(info)


def test_only_requested_items() -> None:
    assert set(hostinfo.collect_info(["os"])) == {"os"}
    assert set(hostinfo.collect_info(["memory"])) <= {"physicalMemory", "memoryAmount"}
    assert "memoryAmount" in hostinfo.collect_info(["memory"])
    assert set(hostinfo.collect_info(["disk"])) == {"disk", "storageAmount"}
    assert hostinfo.collect_info([]) == {}


def test_os(info: dict[str, Any]) -> None:
    os_info = info["os"]
    assert isinstance(os_info["name"], str) and os_info["name"]
    assert os_info["version"] == platform.release()
    assert os_info["arch"] in ("64-bit", "32-bit")
    assert "servicePack" not in os_info
    if os.path.exists("/etc/os-release"):
        assert os_info["name"] == platform.freedesktop_os_release()["PRETTY_NAME"]


def test_cpu(info: dict[str, Any]) -> None:
    cpus = info["cpu"]
    assert isinstance(cpus, list) and cpus
    logical = psutil.cpu_count() or 0
    for cpu in cpus:
        assert set(cpu) <= {"name", "manufacturer", "cores"}
        assert isinstance(cpu["cores"], int) and 1 <= cpu["cores"] <= logical
        for key in ("name", "manufacturer"):
            assert key not in cpu or (isinstance(cpu[key], str) and cpu[key])
    assert sum(c["cores"] for c in cpus) <= logical


def test_mainboard(info: dict[str, Any]) -> None:
    # Left out entirely when /sys/class/dmi/id is unreadable (e.g. a Firecracker VM).
    board = info.get("mainboard")
    if board is None:
        return
    assert board and set(board) <= {"name", "manufacturer"}
    assert all(isinstance(v, str) and v for v in board.values())


def test_memory(info: dict[str, Any]) -> None:
    assert info["memoryAmount"] == psutil.virtual_memory().total
    for module in info.get("physicalMemory", []):
        assert isinstance(module["capacity"], int) and module["capacity"] > 0
        assert set(module) <= {
            "name",
            "manufacturer",
            "bank",
            "capacity",
            "serialNo",
            "type",
            "speed",
        }
        assert "speed" not in module or isinstance(module["speed"], int)


def test_graphic_adapters(info: dict[str, Any]) -> None:
    assert isinstance(info["graphicAdapter"], list)
    for gpu in info["graphicAdapter"]:
        assert isinstance(gpu["name"], str) and gpu["name"]
        assert set(gpu) <= {"name", "manufacturer", "videoMemory"}
        assert "videoMemory" not in gpu or isinstance(gpu["videoMemory"], int)


def test_disks(info: dict[str, Any]) -> None:
    disks = info["disk"]
    assert isinstance(disks, list) and disks, "this host has at least one disk"
    for disk in disks:
        assert isinstance(disk["capacity"], int) and disk["capacity"] > 0
        assert disk["deviceId"].startswith("/dev/")
        assert not re.match(r"/dev/(loop|ram|zram)", disk["deviceId"])
        assert isinstance(disk["name"], str) and disk["name"]
        assert isinstance(disk["smartCaps"], bool)
        for key in ("interface", "manufacturer", "serialNo"):
            assert key not in disk or (isinstance(disk[key], str) and disk[key])
        assert isinstance(disk["partition"], list)
        for part in disk["partition"]:
            assert isinstance(part["name"], str) and part["name"]
            assert isinstance(part["size"], int) and part["size"] >= 0
            assert part["numberOfBlocks"] == part["size"] // 512
            assert part["size"] <= disk["capacity"]
            if "startingOffset" in part:
                assert isinstance(part["startingOffset"], int) and part["startingOffset"] >= 0
                assert part["startingOffset"] + part["size"] <= disk["capacity"]
            for key in ("fileSystem", "mount", "volumeName"):
                assert key not in part or (isinstance(part[key], str) and part[key])
    assert info["storageAmount"] == sum(d["capacity"] for d in disks)


def test_root_filesystem_is_shown(info: dict[str, Any]) -> None:
    root = next(p for p in psutil.disk_partitions(all=False) if p.mountpoint == "/")
    device = os.path.basename(os.path.realpath(root.device))
    if not os.path.exists(f"/sys/block/{device}") and not os.path.exists(
        f"/sys/class/block/{device}/partition"
    ):
        pytest.skip(f"root is on {root.device}, not directly on a disk or partition")
    mounts = {p.get("mount"): p for d in info["disk"] for p in d["partition"]}
    assert "/" in mounts
    assert mounts["/"]["fileSystem"] == root.fstype


def test_cdrom(info: dict[str, Any]) -> None:
    assert isinstance(info["cdrom"], list)
    for drive in info["cdrom"]:
        assert isinstance(drive["name"], str) and drive["name"]
        assert set(drive) <= {"name", "manufacturer", "type"}


def test_network_adapters(info: dict[str, Any]) -> None:
    adapters = info["networkAdapter"]
    names = [a["connectionId"] for a in adapters]
    assert "lo" not in names
    assert set(names) <= set(psutil.net_if_stats()) | set(psutil.net_if_addrs())
    stats = psutil.net_if_stats()
    for adapter in adapters:
        assert isinstance(adapter["name"], str) and adapter["name"]
        if "mac" in adapter:
            assert MAC.match(adapter["mac"]), adapter["mac"]
        if adapter["connectionId"] in stats:
            assert adapter["netEnabled"] is stats[adapter["connectionId"]].isup
        for key in ("dlSpeed", "ulSpeed"):
            assert key not in adapter or (isinstance(adapter[key], int) and adapter[key] > 0)
        if "ipv4" in adapter:
            v4 = adapter["ipv4"]
            assert v4["ip"] and all(IPV4_PREFIXED.match(ip) for ip in v4["ip"])
            assert all(IPV4_PREFIXED.match(f"{gw}/0") for gw in v4["gateway"])
            assert all(isinstance(s, str) for s in v4["dns"])
            assert "dhcp" not in v4 or isinstance(v4["dhcp"], bool)
        if "ipv6" in adapter:
            assert adapter["ipv6"]["ip"]
            assert all(":" in ip and "/" in ip and "%" not in ip for ip in adapter["ipv6"]["ip"])
    with_v4 = {
        n for n, a in psutil.net_if_addrs().items() if any(x.family == socket.AF_INET for x in a)
    }
    assert {a["connectionId"] for a in adapters if "ipv4" in a} == with_v4 - {"lo"}


def test_parse_dmidecode_memory() -> None:
    text = """# dmidecode 3.4
Getting SMBIOS data from sysfs.
SMBIOS 3.3.0 present.

Handle 0x0011, DMI type 17, 92 bytes
Memory Device
\tArray Handle: 0x000F
\tTotal Width: 64 bits
\tSize: 16 GB
\tForm Factor: DIMM
\tLocator: DIMM_A1
\tBank Locator: BANK 0
\tType: DDR4
\tSpeed: 3200 MT/s
\tManufacturer: Samsung
\tSerial Number: 1234ABCD
\tPart Number: M378A2K43EB1-CWE
\tConfigured Memory Speed: 2933 MT/s

Handle 0x0012, DMI type 17, 92 bytes
Memory Device
\tSize: No Module Installed
\tLocator: DIMM_A2
\tBank Locator: BANK 1
\tType: Unknown
\tSpeed: Unknown

Handle 0x0013, DMI type 17, 40 bytes
Memory Device
\tSize: 8192 MB
\tLocator: ChannelB-DIMM0
\tBank Locator: Not Specified
\tType: DDR3
\tSpeed: Unknown
\tManufacturer: Not Specified
\tSerial Number: Not Specified
\tConfigured Clock Speed: 1600 MHz
"""
    assert hostinfo.parse_dmidecode_memory(text) == [
        {
            "name": "DIMM_A1",
            "manufacturer": "Samsung",
            "bank": "BANK 0",
            "capacity": 16 * 1024**3,
            "serialNo": "1234ABCD",
            "type": "DDR4",
            "speed": 3200,
        },
        {"name": "ChannelB-DIMM0", "capacity": 8 * 1024**3, "type": "DDR3", "speed": 1600},
    ]
    assert hostinfo.parse_dmidecode_memory("") == []
    assert hostinfo.parse_dmidecode_memory("/dev/mem: No such file or directory") == []

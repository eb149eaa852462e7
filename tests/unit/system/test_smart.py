"""``nvrd.system.smart``: JSON parsing with hand-written smartctl documents, plus the host."""

from __future__ import annotations

import json
import shutil
import stat
from pathlib import Path
from typing import Any

import pytest

from nvrd.system import smart

SMARTCTL = {"version": [7, 3], "svn_revision": "5338", "exit_status": 0}

SCAN_DOC: dict[str, Any] = {
    "json_format_version": [1, 0],
    "smartctl": {**SMARTCTL, "argv": ["smartctl", "--scan-open", "--json"]},
    "devices": [
        {"name": "/dev/sda", "info_name": "/dev/sda [SAT]", "type": "sat", "protocol": "ATA"},
        {"name": "/dev/nvme0", "info_name": "/dev/nvme0", "type": "nvme", "protocol": "NVMe"},
        {
            "name": "/dev/bus/0",
            "info_name": "/dev/bus/0 [megaraid_disk_00]",
            "type": "megaraid,0",
            "protocol": "SCSI",
        },
    ],
}


def _ata_row(
    attr_id: int, name: str, value: int, worst: int, thresh: int, raw: int
) -> dict[str, Any]:
    return {
        "id": attr_id,
        "name": name,
        "value": value,
        "worst": worst,
        "thresh": thresh,
        "when_failed": "",
        "flags": {"value": 51, "string": "PO--CK ", "prefailure": True},
        "raw": {"value": raw, "string": str(raw)},
    }


ATA_DOC: dict[str, Any] = {
    "json_format_version": [1, 0],
    "smartctl": {**SMARTCTL, "argv": ["smartctl", "--all", "--json", "/dev/sda"]},
    "device": {"name": "/dev/sda", "info_name": "/dev/sda [SAT]", "type": "sat", "protocol": "ATA"},
    "model_family": "Western Digital Red",
    "model_name": "WDC WD40EFRX-68N32N0",
    "serial_number": "WD-WCC7K1234567",
    "user_capacity": {"blocks": 7814037168, "bytes": 4000787030016},
    "smart_support": {"available": True, "enabled": True},
    "smart_status": {"passed": True},
    "ata_smart_attributes": {
        "revision": 16,
        "table": [
            _ata_row(1, "Raw_Read_Error_Rate", 200, 200, 51, 0),
            _ata_row(5, "Reallocated_Sector_Ct", 200, 200, 140, 3),
            _ata_row(9, "Power_On_Hours", 61, 61, 0, 28835),
            _ata_row(194, "Temperature_Celsius", 118, 103, 0, 176093659170),
            _ata_row(197, "Current_Pending_Sector", 200, 200, 0, 0),
        ],
    },
    "temperature": {"current": 34},
}

NVME_DOC: dict[str, Any] = {
    "json_format_version": [1, 0],
    "smartctl": {**SMARTCTL, "argv": ["smartctl", "--all", "--json", "/dev/nvme0"]},
    "device": {"name": "/dev/nvme0", "info_name": "/dev/nvme0", "type": "nvme", "protocol": "NVMe"},
    "model_name": "Samsung SSD 970 EVO Plus 1TB",
    "serial_number": "S4EWNX0N123456",
    "smart_status": {"passed": True, "nvme": {"value": 0}},
    "nvme_smart_health_information_log": {
        "critical_warning": 0,
        "temperature": 38,
        "available_spare": 100,
        "available_spare_threshold": 10,
        "percentage_used": 2,
        "data_units_read": 22791405,
        "data_units_written": 37011253,
        "host_reads": 260347624,
        "host_writes": 763440734,
        "controller_busy_time": 2215,
        "power_cycles": 496,
        "power_on_hours": 3457,
        "unsafe_shutdowns": 57,
        "media_errors": 0,
        "num_err_log_entries": 1161,
        "warning_temp_time": 0,
        "critical_comp_time": 0,
        "temperature_sensors": [38, 42],
    },
}

VIRTIO_DOC: dict[str, Any] = {
    "json_format_version": [1, 0],
    "smartctl": {**SMARTCTL, "exit_status": 4},
    "device": {"name": "/dev/vda", "info_name": "/dev/vda", "type": "scsi", "protocol": "SCSI"},
    "scsi_vendor": "QEMU",
    "scsi_product": "HARDDISK",
    "smart_support": {"available": False},
}


def test_parse_scan() -> None:
    assert smart.parse_scan(SCAN_DOC) == ["/dev/sda", "/dev/nvme0", "/dev/bus/0"]
    assert smart.parse_scan({"json_format_version": [1, 0], "smartctl": SMARTCTL}) == []
    assert smart.parse_scan({"devices": [{"info_name": "no name"}, "junk"]}) == []


def test_parse_ata_device() -> None:
    entry = smart.parse_device(ATA_DOC, "/dev/sda")
    assert entry["code"] == 1
    assert entry["model"] == "WDC WD40EFRX-68N32N0"
    assert entry["name"] == "/dev/sda"
    assert "message" not in entry
    by_id = {a["id"]: a for a in entry["smart"]}
    assert list(by_id) == [1, 5, 9, 194, 197]
    assert by_id[5] == {
        "attribute": "Reallocated Sector Ct",
        "critical": True,
        "id": 5,
        "raw": 3,
        "rawHex": "000000000003",
        "threshold": 140,
        "value": 200,
        "worst": 200,
    }
    assert by_id[9]["rawHex"] == "0000000070A3" and by_id[9]["critical"] is False
    assert by_id[194]["rawHex"] == "002900000022"  # max temperature packed in raw
    assert by_id[194]["worst"] == 103
    assert by_id[197]["critical"] is True and by_id[1]["critical"] is False
    assert all(len(a["rawHex"]) == 12 for a in entry["smart"])
    json.dumps(entry)


def test_parse_nvme_device() -> None:
    entry = smart.parse_device(NVME_DOC, "/dev/nvme0")
    assert entry["code"] == 1
    assert entry["model"] == "Samsung SSD 970 EVO Plus 1TB"
    by_id = {a["id"]: a for a in entry["smart"]}
    assert set(by_id) == {
        0,
        1,
        3,
        5,
        32,
        48,
        64,
        80,
        96,
        112,
        128,
        144,
        160,
        176,
        192,
        196,
        200,
        202,
    }
    assert by_id[3]["attribute"] == "Available spare"
    assert (by_id[3]["value"], by_id[3]["threshold"], by_id[3]["raw"]) == (100, 10, 100)
    assert (by_id[5]["value"], by_id[5]["raw"]) == (98, 2)  # percentage used -> life left
    assert (by_id[0]["value"], by_id[0]["threshold"]) == (100, 1)
    assert by_id[1]["raw"] == 38 and by_id[202]["raw"] == 42
    assert by_id[128]["raw"] == 3457 and by_id[128]["rawHex"] == "000000000D81"
    assert {i for i, a in by_id.items() if a["critical"]} == {0, 3, 5, 160}


def test_nvme_critical_warning_fails_threshold() -> None:
    doc = json.loads(json.dumps(NVME_DOC))
    doc["nvme_smart_health_information_log"]["critical_warning"] = 4
    warning = next(a for a in smart.parse_device(doc, "/dev/nvme0")["smart"] if a["id"] == 0)
    assert warning["raw"] == 4 and warning["value"] <= warning["threshold"]


def test_parse_virtio_without_smart() -> None:
    entry = smart.parse_device(VIRTIO_DOC, "/dev/vda")
    assert entry == {"code": 0, "model": "QEMU HARDDISK", "name": "/dev/vda", "smart": []}


def test_parse_disabled_and_unreadable() -> None:
    disabled = {**ATA_DOC, "smart_support": {"available": True, "enabled": False}}
    disabled.pop("ata_smart_attributes")
    assert smart.parse_device(disabled, "/dev/sda")["code"] == 0
    unreadable = {
        "smartctl": {
            **SMARTCTL,
            "messages": [{"string": "/dev/vda: Unable to detect device type", "severity": "error"}],
            "exit_status": 1,
        }
    }
    assert smart.parse_device(unreadable, "/dev/vda") == {
        "code": 0,
        "name": "/dev/vda",
        "smart": [],
    }


def test_is_smart_capable() -> None:
    assert smart.is_smart_capable(ATA_DOC)
    assert smart.is_smart_capable(NVME_DOC)
    assert not smart.is_smart_capable(VIRTIO_DOC)
    assert not smart.is_smart_capable({})


async def test_missing_smartctl_raises() -> None:
    with pytest.raises(FileNotFoundError):
        await smart.read_smart("/nonexistent/smartctl")
    with pytest.raises(FileNotFoundError):
        await smart.list_disks("/nonexistent/smartctl")


async def test_real_host() -> None:
    if shutil.which("smartctl") is None:
        pytest.skip("smartctl (Debian package smartmontools) is not installed on this host")
    disks = await smart.list_disks("smartctl")
    result = await smart.read_smart("smartctl")
    assert [e["name"] for e in result] == disks
    for entry in result:
        assert entry["code"] in (-1, 0, 1)
        assert isinstance(entry["name"], str) and entry["name"].startswith("/dev/")
        assert isinstance(entry["smart"], list)
        assert "model" not in entry or isinstance(entry["model"], str)
    json.dumps(result)
    if disks:
        chosen = await smart.read_smart("smartctl", [1, len(disks) + 1])
        assert [e["name"] for e in chosen] == disks[:1]


def _fake_smartctl(tmp_path: Path, device_doc: str, delay: float = 0.0) -> str:
    """A stand-in smartctl: answers --scan-open with SCAN_DOC's first disk."""
    scan = json.dumps({"devices": SCAN_DOC["devices"][:1]})
    script = tmp_path / "smartctl"
    script.write_text(
        "#!/bin/sh\n"
        f"if [ \"$1\" = --scan-open ]; then echo '{scan}'; exit 0; fi\n"
        + (f"exec sleep {delay}\n" if delay else "")
        + f"cat <<'EOF'\n{device_doc}\nEOF\n"
        "exit 4\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return str(script)


async def test_read_smart_with_fake_tool(tmp_path: Path) -> None:
    tool = _fake_smartctl(tmp_path, json.dumps(ATA_DOC))
    assert await smart.list_disks(tool) == ["/dev/sda"]
    result = await smart.read_smart(tool)
    assert result == [smart.parse_device(ATA_DOC, "/dev/sda")]
    assert await smart.read_smart(tool, [2]) == []


async def test_read_smart_timeout(tmp_path: Path) -> None:
    tool = _fake_smartctl(tmp_path, json.dumps(ATA_DOC), delay=5)
    result = await smart.read_smart(tool, timeout=0.5)
    assert result == [{"code": -1, "name": "/dev/sda", "smart": []}]

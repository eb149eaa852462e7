"""``nvrd.system.health`` against the real host."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import psutil

from nvrd.system.health import HEALTH_ITEMS, HealthSampler

DISK_KEYS = {
    "name",
    "fileSystem",
    "volumeName",
    "totalSpace",
    "freeSpace",
    "totalTimePercent",
    "readTimePercent",
    "writeTimePercent",
    "totalBytesPerSec",
    "readBytesPerSec",
    "writeBytesPerSec",
}


def _is_percent(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 100


def _mount_of(path: Path, entries: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The health disk entry whose mount point is the longest prefix of ``path``."""
    real = os.path.realpath(path)
    best: dict[str, Any] | None = None
    for entry in entries:
        mount = entry["name"].rstrip("/") + "/"
        if (real + "/").startswith(mount) and (best is None or len(mount) > len(best["name"])):
            best = entry
    return best


def test_items() -> None:
    assert HEALTH_ITEMS == ("cpu", "memory", "disk", "recording", "network")


def test_full_sample_shapes() -> None:
    sampler = HealthSampler()
    started = time.monotonic()
    data = sampler.sample(["cpu", "memory", "disk", "recording", "network"])
    assert time.monotonic() - started >= 0.2, "first call waits for a real interval"
    assert set(data) == {"cpu", "memory", "disk", "network"}
    json.dumps(data)

    cpus = data["cpu"]
    assert isinstance(cpus, list) and cpus
    assert sum(len(c["usage"]["threads"]) for c in cpus) == psutil.cpu_count()
    for cpu in cpus:
        assert set(cpu) <= {"usage", "temperatureKelvin"}
        assert all(_is_percent(t) for t in cpu["usage"]["threads"])
        assert _is_percent(cpu["usage"]["total"])
        if "temperatureKelvin" in cpu:
            temp = cpu["temperatureKelvin"]
            assert isinstance(temp["current"], float) and 200 < temp["current"] < 400
            assert "critical" not in temp or isinstance(temp["critical"], float)

    memory = data["memory"]
    assert set(memory) == {"totalPhysical", "freePhysical", "totalVirtual", "freeVirtual"}
    assert all(isinstance(v, int) for v in memory.values())
    assert memory["totalPhysical"] == psutil.virtual_memory().total
    assert 0 <= memory["freePhysical"] <= memory["totalPhysical"]
    assert memory["totalVirtual"] == memory["totalPhysical"] + psutil.swap_memory().total
    assert memory["freePhysical"] <= memory["freeVirtual"] <= memory["totalVirtual"]

    disks = data["disk"]
    assert any(d["name"] == "/" for d in disks) or _mount_of(Path("/"), disks) is not None
    names = [d["name"] for d in disks]
    assert len(names) == len(set(names))
    for disk in disks:
        assert DISK_KEYS - {"volumeName"} <= set(disk) <= DISK_KEYS
        assert isinstance(disk["fileSystem"], str) and disk["fileSystem"]
        assert 0 <= disk["freeSpace"] <= disk["totalSpace"]
        for key in ("totalTimePercent", "readTimePercent", "writeTimePercent"):
            assert _is_percent(disk[key]), (key, disk[key])
        for key in ("totalBytesPerSec", "readBytesPerSec", "writeBytesPerSec"):
            assert isinstance(disk[key], int) and disk[key] >= 0
        assert disk["totalBytesPerSec"] == disk["readBytesPerSec"] + disk["writeBytesPerSec"]

    network = data["network"]
    assert "lo" not in [n["name"] for n in network]
    assert {n["name"] for n in network} <= set(psutil.net_io_counters(pernic=True))
    for nic in network:
        assert set(nic) == {
            "name",
            "totalBytesPerSec",
            "recvBytesPerSec",
            "sendBytesPerSec",
            "curBandwidth",
        }
        assert all(isinstance(nic[k], int) and nic[k] >= 0 for k in nic if k != "name")
        assert nic["totalBytesPerSec"] == nic["recvBytesPerSec"] + nic["sendBytesPerSec"]


def test_recording_is_left_to_the_api_layer() -> None:
    assert HealthSampler().sample(["recording"]) == {}


def test_memory_only_does_not_wait() -> None:
    started = time.monotonic()
    data = HealthSampler(min_interval=5.0).sample(["memory"])
    assert set(data) == {"memory"}
    assert time.monotonic() - started < 1.0


def test_waits_only_when_previous_snapshot_is_too_young() -> None:
    now = [100.0]
    sampler = HealthSampler(monotonic=lambda: now[0], min_interval=0.3)
    started = time.monotonic()
    sampler.sample(["cpu"])  # no previous snapshot: waits the full interval
    assert time.monotonic() - started >= 0.25
    now[0] += 60.0  # the previous snapshot is a minute old by the sampler's clock
    started = time.monotonic()
    data = sampler.sample(["cpu", "network"])
    assert time.monotonic() - started < 0.2
    assert all(_is_percent(t) for c in data["cpu"] for t in c["usage"]["threads"])


def test_disk_write_is_measured(tmp_path: Path) -> None:
    sampler = HealthSampler(min_interval=0.2)
    before = sampler.sample(["disk"])["disk"]
    target = _mount_of(tmp_path, before)
    assert target is not None, f"no health disk entry holds {tmp_path}"
    chunk = os.urandom(1 << 20)
    with open(tmp_path / "load.bin", "wb") as fh:
        for _ in range(8):
            fh.write(chunk)
        fh.flush()
        os.fsync(fh.fileno())
    after = sampler.sample(["disk"])["disk"]
    entry = next(d for d in after if d["name"] == target["name"])
    # 8 MiB were fsync'ed since the previous sample, so the disk under tmp must show writes.
    # (On a VM whose root is a virtio disk this is reliable: fsync waits for the block layer.)
    assert entry["writeBytesPerSec"] > 0
    assert entry["totalBytesPerSec"] >= entry["writeBytesPerSec"]

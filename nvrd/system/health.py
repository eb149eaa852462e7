"""Live host load for ``/api/system?health=...``.

Rates are averages over the interval between two psutil counter snapshots: the previous call
of the same :class:`HealthSampler` and this one.  When there is no previous snapshot, or it
is younger than ``min_interval``, the sampler waits until ``min_interval`` has passed so the
figures are real measurements, never zeros by construction.  The figures:

``cpu`` (one entry per physical package)
    ``usage.threads``: busy time of each logical CPU of the package, % of the interval
    (idle and iowait count as idle); ``usage.total``: the same over all its logical CPUs.
    ``temperatureKelvin``: the package sensor (coretemp "Package id N", k10temp/zenpower
    Tdie or Tctl, cpu_thermal on ARM boards) in kelvin, ``critical`` its critical trip point;
    left out on hosts without such a sensor.
``memory`` (bytes)
    ``totalPhysical`` installed RAM as the kernel sees it; ``freePhysical`` RAM available to
    new programs without swapping (MemAvailable); ``totalVirtual`` RAM + swap;
    ``freeVirtual`` available RAM + free swap.
``disk`` (one entry per mounted block-device filesystem, first mount of each device)
    ``name`` mount point, ``fileSystem``, ``volumeName`` (the filesystem label, when udev
    publishes one), ``totalSpace`` / ``freeSpace`` in bytes (free = usable by non-root).
    The I/O figures are those of the whole disk holding the filesystem (``/proc/diskstats``):
    ``totalTimePercent`` share of the interval the disk had requests in flight;
    ``readTimePercent`` / ``writeTimePercent`` summed time of read / write requests relative
    to the interval (like Windows' "% Disk Read Time", can saturate with queued requests and
    is capped at 100); ``*BytesPerSec`` bytes transferred per second.
``network`` (per interface except loopback)
    ``recvBytesPerSec`` / ``sendBytesPerSec`` / ``totalBytesPerSec`` bytes per second;
    ``curBandwidth`` link speed in bit/s (0 when the driver does not report one, e.g. virtio).
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import psutil

from nvrd.system.hostroot import HostRoot

HEALTH_ITEMS: tuple[str, ...] = ("cpu", "memory", "disk", "recording", "network")

_RATE_ITEMS = frozenset({"cpu", "disk", "network"})
_PSEUDO_FS = frozenset({"squashfs", "overlay", "aufs", "tmpfs", "devtmpfs", "ramfs"})
_ARM_SENSORS = ("cpu_thermal", "cpu-thermal", "soc_thermal", "cpu")


@dataclass(frozen=True)
class _Snapshot:
    at: float
    cpu: list[Any]  # psutil scputimes per logical CPU
    disk: dict[str, Any]  # psutil sdiskio per block device
    net: dict[str, Any]  # psutil snetio per interface


def _percent(part: float, whole: float) -> int:
    return max(0, min(100, round(100.0 * part / whole))) if whole > 0 else 0


def _delta(before: Any, after: Any, field: str) -> float:
    """Growth of a counter field between two psutil records (0 when either is missing)."""
    if before is None or after is None:
        return 0.0
    return float(max(getattr(after, field, 0) - getattr(before, field, 0), 0))


def _cpu_totals(times: Any) -> tuple[float, float]:
    """(all time, idle time) of a scputimes; guest time is already included in user."""
    total = sum(times) - getattr(times, "guest", 0.0) - getattr(times, "guest_nice", 0.0)
    return total, times.idle + getattr(times, "iowait", 0.0)


def _busy(before: list[Any], after: list[Any]) -> int:
    """Busy % between two lists of per-CPU times (summed over the CPUs)."""
    total = idle = 0.0
    for a, b in zip(before, after, strict=False):
        (ta, ia), (tb, ib) = _cpu_totals(a), _cpu_totals(b)
        total += tb - ta
        idle += ib - ia
    return _percent(total - idle, total)


def _packages(count: int, h: HostRoot) -> dict[int, list[int]]:
    """Physical package id -> indices of its logical CPUs (all in package 0 if unknown)."""
    out: dict[int, list[int]] = {}
    for cpu in range(count):
        path = h(f"/sys/devices/system/cpu/cpu{cpu}/topology/physical_package_id")
        try:
            package = int(path.read_text().strip())
        except (OSError, ValueError):
            package = 0
        out.setdefault(max(package, 0), []).append(cpu)
    return out


def _kelvin(celsius: float) -> float:
    return round(celsius + 273.15, 1)


def _temperatures() -> dict[int, dict[str, float]]:
    """Package index -> ``temperatureKelvin`` object, from psutil's hwmon readings."""
    try:
        sensors = psutil.sensors_temperatures()
    except (AttributeError, OSError):
        return {}
    chosen: dict[int, Any] = {}
    for entry in sensors.get("coretemp", []):
        match = re.fullmatch(r"Package id (\d+)", entry.label)
        if match:
            chosen.setdefault(int(match.group(1)), entry)
    for chip in ("k10temp", "zenpower"):
        entries = sensors.get(chip, [])
        by_label = [e for e in entries if e.label == "Tdie"] or [
            e for e in entries if e.label == "Tctl"
        ]
        for index, entry in enumerate(by_label or entries[:1]):
            chosen.setdefault(index, entry)
    for chip in _ARM_SENSORS:
        if sensors.get(chip):
            chosen.setdefault(0, sensors[chip][0])
    out: dict[int, dict[str, float]] = {}
    for index, entry in chosen.items():
        out[index] = {"current": _kelvin(entry.current)}
        if entry.critical:
            out[index]["critical"] = _kelvin(entry.critical)
    return out


def _labels(h: HostRoot) -> dict[str, str]:
    """Device path -> filesystem label from udev's ``/dev/disk/by-label`` links."""
    out: dict[str, str] = {}
    try:
        links = list(h("/dev/disk/by-label").iterdir())
    except OSError:
        return out
    for link in links:
        label = re.sub(r"\\x([0-9a-fA-F]{2})", lambda m: chr(int(m.group(1), 16)), link.name)
        out.setdefault(os.path.realpath(link), label)
    return out


def _disk_of(device: str, h: HostRoot) -> str:
    """Kernel name of the whole disk holding ``device`` (``/dev/sda1`` -> ``sda``)."""
    name = os.path.basename(device)
    sys_path = h("/sys/class/block") / name
    if (sys_path / "partition").exists():
        return sys_path.resolve().parent.name
    return name


class HealthSampler:
    """Keeps the previous counter snapshot; one instance per server, thread-safe."""

    def __init__(
        self,
        monotonic: Callable[[], float] = time.monotonic,
        min_interval: float = 0.25,
        host: HostRoot | None = None,
    ) -> None:
        self.host = host or HostRoot()
        self._monotonic = monotonic
        self._min_interval = min_interval
        self._last: _Snapshot | None = None
        self._lock = threading.Lock()

    def _snapshot(self) -> _Snapshot:
        return _Snapshot(
            at=self._monotonic(),
            cpu=list(psutil.cpu_times(percpu=True)),
            disk=dict(psutil.disk_io_counters(perdisk=True) or {}),
            net=dict(psutil.net_io_counters(pernic=True) or {}),
        )

    def _pair(self) -> tuple[_Snapshot, _Snapshot]:
        with self._lock:
            before = self._last if self._last is not None else self._snapshot()
            wait = self._min_interval - (self._monotonic() - before.at)
            if wait > 0:
                time.sleep(wait)
            after = self._snapshot()
            self._last = after
        return before, after

    def sample(self, items: Iterable[str]) -> dict[str, Any]:
        """The ``health`` object for the requested items (``recording`` is ignored)."""
        wanted = [i for i in dict.fromkeys(items) if i in HEALTH_ITEMS and i != "recording"]
        pair = self._pair() if _RATE_ITEMS & set(wanted) else None
        out: dict[str, Any] = {}
        for item in wanted:
            if item == "memory":
                out["memory"] = self._memory()
            elif pair is not None:
                before, after = pair
                elapsed = max(after.at - before.at, 0.0)
                if item == "cpu":
                    out["cpu"] = self._cpu(before, after)
                elif item == "disk":
                    out["disk"] = self._disk(before, after, elapsed)
                elif item == "network":
                    out["network"] = self._network(before, after, elapsed)
        return out

    @staticmethod
    def _memory() -> dict[str, Any]:
        vm, swap = psutil.virtual_memory(), psutil.swap_memory()
        return {
            "totalPhysical": int(vm.total),
            "freePhysical": int(vm.available),
            "totalVirtual": int(vm.total + swap.total),
            "freeVirtual": int(vm.available + swap.free),
        }

    def _cpu(self, before: _Snapshot, after: _Snapshot) -> list[dict[str, Any]]:
        count = min(len(before.cpu), len(after.cpu))
        temperatures = _temperatures()
        out: list[dict[str, Any]] = []
        for index, (package, cpus) in enumerate(sorted(_packages(count, self.host).items())):
            threads = [_busy([before.cpu[c]], [after.cpu[c]]) for c in cpus]
            total = _busy([before.cpu[c] for c in cpus], [after.cpu[c] for c in cpus])
            entry: dict[str, Any] = {"usage": {"threads": threads, "total": total}}
            temperature = temperatures.get(package, temperatures.get(index))
            if temperature is not None:
                entry["temperatureKelvin"] = temperature
            out.append(entry)
        return out

    def _disk(self, before: _Snapshot, after: _Snapshot, elapsed: float) -> list[dict[str, Any]]:
        labels = _labels(self.host)
        seen: set[str] = set()
        out: list[dict[str, Any]] = []
        for part in psutil.disk_partitions(all=False):
            device = os.path.realpath(part.device)
            if part.fstype in _PSEUDO_FS or not device.startswith("/dev/"):
                continue
            if device in seen or part.mountpoint in seen:
                continue
            seen.update((device, part.mountpoint))
            try:
                usage = psutil.disk_usage(part.mountpoint)
            except OSError:
                continue
            entry: dict[str, Any] = {"name": part.mountpoint, "fileSystem": part.fstype}
            if device in labels:
                entry["volumeName"] = labels[device]
            entry["totalSpace"] = int(usage.total)
            entry["freeSpace"] = int(usage.free)
            disk = _disk_of(device, self.host)
            a, b = before.disk.get(disk), after.disk.get(disk)
            ms = elapsed * 1000.0
            for key, field in (
                ("total", "busy_time"),
                ("read", "read_time"),
                ("write", "write_time"),
            ):
                entry[f"{key}TimePercent"] = _percent(_delta(a, b, field), ms)
            read = int(_delta(a, b, "read_bytes") / elapsed) if elapsed > 0 else 0
            write = int(_delta(a, b, "write_bytes") / elapsed) if elapsed > 0 else 0
            entry["totalBytesPerSec"] = read + write
            entry["readBytesPerSec"] = read
            entry["writeBytesPerSec"] = write
            out.append(entry)
        return out

    @staticmethod
    def _network(before: _Snapshot, after: _Snapshot, elapsed: float) -> list[dict[str, Any]]:
        stats = psutil.net_if_stats()
        out: list[dict[str, Any]] = []
        for name, b in sorted(after.net.items()):
            st = stats.get(name)
            if name == "lo" or (st is not None and "loopback" in st.flags.split(",")):
                continue
            a = before.net.get(name)
            recv = send = 0
            if a is not None and elapsed > 0:
                recv = int(max(b.bytes_recv - a.bytes_recv, 0) / elapsed)
                send = int(max(b.bytes_sent - a.bytes_sent, 0) / elapsed)
            speed = int(st.speed) * 1_000_000 if st is not None and st.speed > 0 else 0
            out.append(
                {
                    "name": name,
                    "totalBytesPerSec": recv + send,
                    "recvBytesPerSec": recv,
                    "sendBytesPerSec": send,
                    "curBandwidth": speed,
                }
            )
        return out

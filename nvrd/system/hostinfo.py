"""Static host description for ``/api/system?info=...``.

Everything is read from the host itself: ``/proc``, ``/sys``, psutil and the stock tools
``lsblk`` (util-linux), ``lspci`` (pciutils), ``dmidecode`` and ``smartctl`` (smartmontools).
A figure that cannot be read on this host is left out (its key is omitted); nothing is
guessed and no exception reaches the caller.  All functions block; call them in a thread.
"""

from __future__ import annotations

import functools
import ipaddress
import json
import logging
import os
import platform
import re
import socket
import struct
import subprocess
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import psutil

from nvrd.system.hostroot import HostRoot
from nvrd.system.smart import find_tool, is_smart_capable, physical_disk_names

log = logging.getLogger("nvrd.system")

INFO_ITEMS: tuple[str, ...] = (
    "os",
    "cpu",
    "mainboard",
    "memory",
    "graphicAdapter",
    "disk",
    "cdrom",
    "networkAdapter",
)
INFO_ALIASES: dict[str, str] = {"storage": "disk", "network": "networkAdapter"}

_PLACEHOLDER = re.compile(
    r"|unknown|none|not (specified|provided|applicable)|to be filled by o\.e\.m\."
    r"|default string|no module installed",
    re.IGNORECASE,
)
_PCI_SLOT = re.compile(r"^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$")


def run_tool(args: Sequence[str], timeout: float = 10.0, any_status: bool = False) -> str | None:
    """Stdout of a host tool (C locale), or ``None`` when it is missing, fails or hangs."""
    exe = find_tool(args[0])
    if exe is None:
        return None
    try:
        proc = subprocess.run(
            [exe, *args[1:]],
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
            check=False,
            env={**os.environ, "LC_ALL": "C"},
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout if any_status or proc.returncode == 0 else None


def _read(path: str | Path) -> str | None:
    try:
        return Path(path).read_text(errors="replace").strip()
    except OSError:
        return None


def _clean(value: Any) -> str | None:
    """A trimmed string, or ``None`` for empty values and firmware placeholders."""
    if value is None:
        return None
    text = str(value).strip().strip("\x00").strip()
    return None if _PLACEHOLDER.fullmatch(text) else text


def _fields(block: str, sep: str = ":") -> dict[str, str]:
    """``key<sep>value`` lines of a text block (the first occurrence of a key wins)."""
    out: dict[str, str] = {}
    for line in block.splitlines():
        key, found, value = line.partition(sep)
        if found:
            out.setdefault(key.strip(), value.strip())
    return out


def _put(target: dict[str, Any], key: str, value: Any) -> None:
    if value is not None:
        target[key] = value


def _os_info() -> dict[str, Any]:
    try:
        name = platform.freedesktop_os_release().get("PRETTY_NAME")
    except OSError:
        name = None
    out: dict[str, Any] = {"name": name or f"{platform.system()} {platform.release()}".strip()}
    _put(out, "version", platform.release() or None)
    machine = platform.machine().lower()
    bits = struct.calcsize("P") * 8 if not machine else 64 if "64" in machine else 32
    out["arch"] = "64-bit" if bits == 64 or machine == "s390x" else "32-bit"
    return out


def _cpu_info(h: HostRoot) -> list[dict[str, Any]]:
    """One entry per physical package, from ``/proc/cpuinfo`` (``lscpu`` fills gaps on ARM)."""
    packages: dict[int, list[dict[str, str]]] = {}
    for block in (_read(h("/proc/cpuinfo")) or "").split("\n\n"):
        fields = _fields(block)
        if "processor" in fields:
            pid = fields.get("physical id", "0")
            packages.setdefault(int(pid) if pid.isdigit() else 0, []).append(fields)
    missing = any("model name" not in cpus[0] for cpus in packages.values())
    extra = _fields(run_tool(["lscpu"]) or "") if missing else {}
    out: list[dict[str, Any]] = []
    for _, cpus in sorted(packages.items()):
        first = cpus[0]
        entry: dict[str, Any] = {}
        _put(entry, "name", _clean(first.get("model name") or extra.get("Model name")))
        _put(entry, "manufacturer", _clean(first.get("vendor_id") or extra.get("Vendor ID")))
        cores = first.get("cpu cores", "")
        core_ids = {c["core id"] for c in cpus if "core id" in c}
        physical = psutil.cpu_count(logical=False) if len(packages) == 1 else None
        entry["cores"] = int(cores) if cores.isdigit() else len(core_ids) or physical or len(cpus)
        out.append(entry)
    return out


def _mainboard_info(h: HostRoot) -> dict[str, Any] | None:
    dmi = h("/sys/class/dmi/id")
    out: dict[str, Any] = {}
    _put(out, "name", _clean(_read(dmi / "board_name")))
    _put(out, "manufacturer", _clean(_read(dmi / "board_vendor")))
    if "name" not in out:  # device-tree boards (ARM) describe themselves here
        _put(out, "name", _clean(_read(h("/sys/firmware/devicetree/base/model"))))
    return out or None


_UNITS = {"bytes": 1, "kb": 1 << 10, "mb": 1 << 20, "gb": 1 << 30, "tb": 1 << 40}


def parse_dmidecode_memory(text: str) -> list[dict[str, Any]]:
    """Installed modules from ``dmidecode -t memory`` output (empty slots are skipped)."""
    out: list[dict[str, Any]] = []
    for block in re.split(r"\n\s*\n", text):
        lines = block.strip().splitlines()
        if not any(line.strip() == "Memory Device" for line in lines):
            continue
        fields = _fields(block)
        size = re.fullmatch(r"(\d+)\s*(bytes|[kKMGT]B)", fields.get("Size", ""))
        if size is None or int(size.group(1)) == 0:
            continue
        entry: dict[str, Any] = {}
        _put(entry, "name", _clean(fields.get("Locator")))
        _put(entry, "manufacturer", _clean(fields.get("Manufacturer")))
        _put(entry, "bank", _clean(fields.get("Bank Locator")))
        entry["capacity"] = int(size.group(1)) * _UNITS[size.group(2).lower()]
        _put(entry, "serialNo", _clean(fields.get("Serial Number")))
        _put(entry, "type", _clean(fields.get("Type")))
        for key in ("Speed", "Configured Memory Speed", "Configured Clock Speed"):
            speed = re.match(r"(\d+)\s*(MT/s|MHz)", fields.get(key, ""))
            if speed:
                entry["speed"] = int(speed.group(1))
                break
        out.append(entry)
    return out


def _memory_info() -> dict[str, Any]:
    out: dict[str, Any] = {}
    modules = parse_dmidecode_memory(run_tool(["dmidecode", "-t", "memory"]) or "")
    if modules:
        out["physicalMemory"] = modules
    out["memoryAmount"] = int(psutil.virtual_memory().total)
    return out


def _pci_names() -> dict[str, dict[str, str]]:
    """``lspci -vmm -D`` records keyed by slot (``0000:00:02.0``); empty without lspci."""
    out: dict[str, dict[str, str]] = {}
    for block in (run_tool(["lspci", "-vmm", "-D"]) or "").split("\n\n"):
        record = _fields(block, ":\t")
        if "Slot" in record:
            out[record["Slot"]] = record
    return out


def _pci_slot(sys_device: Path) -> str | None:
    """The PCI function a ``/sys`` device hangs off, e.g. a virtio disk's controller."""
    try:
        path = sys_device.resolve(strict=True)
    except OSError:
        return None
    for part in (path, *path.parents):
        if _PCI_SLOT.match(part.name):
            return part.name
    return None


def _graphic_info(pci: dict[str, dict[str, str]], h: HostRoot) -> list[dict[str, Any]]:
    """PCI display-class (0x03xxxx) functions; names from lspci, else ``vendor:device`` ids."""
    out: list[dict[str, Any]] = []
    root = h("/sys/bus/pci/devices")
    for dev in sorted(root.iterdir()) if root.is_dir() else []:
        if not (_read(dev / "class") or "").startswith("0x03"):
            continue
        record = pci.get(dev.name, {})
        ids = f"{(_read(dev / 'vendor') or '')[2:]}:{(_read(dev / 'device') or '')[2:]}"
        entry: dict[str, Any] = {"name": _clean(record.get("Device")) or ids}
        _put(entry, "manufacturer", _clean(record.get("Vendor")))
        vram = _read(dev / "mem_info_vram_total")  # amdgpu exposes the real VRAM size
        if vram and vram.isdigit():
            entry["videoMemory"] = int(vram)
        out.append(entry)
    return out


_LSBLK_COLUMNS = "KNAME,TYPE,SIZE,MODEL,VENDOR,SERIAL,TRAN,FSTYPE,LABEL,MOUNTPOINT,START"
_CD_MEDIA = (
    ("Can write DVD-R", "DVD-RW"),
    ("Can read DVD", "DVD-ROM"),
    ("Can write CD-R", "CD-RW"),
)


def _block_devices(h: HostRoot) -> list[dict[str, Any]]:
    """lsblk records of the physical disks and optical drives, partitions as children."""
    try:
        doc = json.loads(run_tool(["lsblk", "-J", "-b", "-o", _LSBLK_COLUMNS]) or "{}")
    except ValueError:
        return []
    allowed = set(physical_disk_names(include_optical=True, host=h))
    devices = doc.get("blockdevices") if isinstance(doc, dict) else None
    keep = [d for d in devices or [] if isinstance(d, dict) and d.get("kname") in allowed]
    return [d for d in keep if d.get("type") in ("disk", "rom")]


def _transport(dev: dict[str, Any], h: HostRoot) -> str | None:
    """lsblk's transport, else the bus the disk sits on (lsblk leaves virtio/mmc empty)."""
    path = os.path.realpath(h(f"/sys/block/{dev.get('kname')}"))
    buses = ("virtio", "nvme", "usb", "mmc")
    return _clean(dev.get("tran")) or next((b for b in buses if f"/{b}" in path), None)


def _smart_caps(name: str) -> bool:
    """``smartctl -i`` says S.M.A.R.T. is available; ``-n standby`` leaves sleeping disks be."""
    args = ["smartctl", "-i", "-n", "standby", "--json", name]
    text = run_tool(args, timeout=5.0, any_status=True)
    try:
        return is_smart_capable(json.loads(text)) if text else False
    except ValueError:
        return False


def _partition(
    raw: dict[str, Any],
    mounts: dict[str, tuple[str, str]],
    h: HostRoot,
    whole_disk: bool = False,
) -> dict[str, Any]:
    """One partition; fstype and mount point fall back to the kernel's mount table because
    lsblk takes them from udev, which minimal systems and containers may not run."""
    name, size = str(raw.get("kname")), int(raw.get("size") or 0)
    out: dict[str, Any] = {"name": name, "numberOfBlocks": size // 512, "size": size}
    start = 0 if whole_disk else raw.get("start")
    if start is None:
        start = _read(h("/sys/class/block") / name / "start")
    if isinstance(start, int) or (isinstance(start, str) and start.isdigit()):
        out["startingOffset"] = int(start) * 512
    mount, fstype = mounts.get(f"/dev/{name}", (None, None))
    _put(out, "fileSystem", _clean(raw.get("fstype")) or fstype)
    mount = _clean(raw.get("mountpoint")) or mount
    _put(out, "mount", None if mount == "[SWAP]" else mount)
    _put(out, "volumeName", _clean(raw.get("label")))
    return out


def _disk_info(
    devices: list[dict[str, Any]], pci: dict[str, dict[str, str]], h: HostRoot
) -> dict[str, Any]:
    """``disk`` and ``storageAmount``.

    A disk that carries a filesystem directly (no partition table, e.g. this kind of VM's
    ``/dev/vda`` mounted as ``/``) is listed with a single pseudo-partition named like the
    disk itself, starting at offset 0 and spanning the whole device, so that its filesystem,
    mount point and label are still reported.  A disk with neither partitions nor a filesystem
    has an empty ``partition`` list.  ``smartCaps`` is what ``smartctl -i`` says (false when
    smartctl is missing, not permitted, cannot classify the device or the disk is asleep).
    """
    mounts: dict[str, tuple[str, str]] = {}
    for p in psutil.disk_partitions(all=False):
        mounts.setdefault(os.path.realpath(p.device), (p.mountpoint, p.fstype))
    disks: list[dict[str, Any]] = []
    for dev in devices:
        name, size = str(dev.get("kname")), int(dev.get("size") or 0)
        if dev.get("type") != "disk" or size <= 0:
            continue
        vendor = _clean(dev.get("vendor"))
        if vendor and re.fullmatch(r"0x[0-9a-fA-F]{4}", vendor):  # virtio: a PCI vendor id
            slot = _pci_slot(h("/sys/block") / name / "device")
            vendor = _clean(pci.get(slot or "", {}).get("Vendor")) or vendor
        entry: dict[str, Any] = {"capacity": size, "deviceId": f"/dev/{name}"}
        _put(entry, "interface", _transport(dev, h))
        _put(entry, "manufacturer", vendor)
        entry["name"] = _clean(dev.get("model")) or name
        _put(entry, "serialNo", _clean(dev.get("serial")))
        entry["smartCaps"] = _smart_caps(f"/dev/{name}")
        children = [c for c in dev.get("children") or [] if c.get("type") == "part"]
        parts = [_partition(c, mounts, h) for c in children]
        whole = _partition(dev, mounts, h, whole_disk=True)
        if not parts and ("fileSystem" in whole or "mount" in whole):
            parts = [whole]
        entry["partition"] = parts
        disks.append(entry)
    return {"disk": disks, "storageAmount": sum(d["capacity"] for d in disks)}


def _cdrom_info(devices: list[dict[str, Any]], h: HostRoot) -> list[dict[str, Any]]:
    """Optical drives; ``type`` from the kernel's ``/proc/sys/dev/cdrom/info`` table."""
    rows = {k: v.split() for k, v in _fields(_read(h("/proc/sys/dev/cdrom/info")) or "").items()}
    drives = rows.get("drive name", [])
    out: list[dict[str, Any]] = []
    for dev in devices:
        if dev.get("type") != "rom":
            continue
        name = str(dev.get("kname"))
        entry: dict[str, Any] = {"name": _clean(dev.get("model")) or name}
        _put(entry, "manufacturer", _clean(dev.get("vendor")))
        if name in drives:
            i = drives.index(name)
            can = [m for f, m in _CD_MEDIA if rows.get(f, [])[i : i + 1] == ["1"]]
            entry["type"] = (can or ["CD-ROM"])[0]
        out.append(entry)
    return out


def _nameservers(h: HostRoot) -> list[str]:
    """IPv4 name servers; behind systemd-resolved's 127.0.0.53 stub, its upstream servers."""
    servers: list[str] = []
    for path in ("/etc/resolv.conf", "/run/systemd/resolve/resolv.conf"):
        lines = [line.split() for line in (_read(h(path)) or "").splitlines()]
        servers = [w[1] for w in lines if len(w) >= 2 and w[0] == "nameserver" and "." in w[1]]
        if not all(s.startswith("127.") for s in servers):
            break
    return servers


def _gateways(h: HostRoot) -> dict[str, list[str]]:
    """Interface -> IPv4 default gateways from ``/proc/net/route``."""
    out: dict[str, list[str]] = {}
    for line in (_read(h("/proc/net/route")) or "").splitlines()[1:]:
        cols = line.split()
        if len(cols) >= 4 and cols[1] == "00000000" and int(cols[3], 16) & 0x2:
            gw = socket.inet_ntoa(struct.pack("<I", int(cols[2], 16)))
            out.setdefault(cols[0], []).append(gw)
    return out


def _dhcp(name: str, h: HostRoot) -> bool | None:
    """Whether systemd-networkd or ifupdown configures ``name`` by DHCP; ``None`` if unknown."""
    try:
        index = socket.if_nametoindex(name)
    except OSError:
        return None
    if h(f"/run/systemd/netif/leases/{index}").exists():
        return True
    if "ADMIN_STATE=configured" in (_read(h(f"/run/systemd/netif/links/{index}")) or ""):
        return False
    extra = h("/etc/network/interfaces.d")
    for path in [h("/etc/network/interfaces"), *(extra.iterdir() if extra.is_dir() else [])]:
        for words in (line.split() for line in (_read(path) or "").splitlines()):
            if words[:3] == ["iface", name, "inet"] and len(words) >= 4:
                return words[3] == "dhcp"
    return None


def _prefixed(address: str, netmask: str | None) -> str:
    """``addr/prefix`` (psutil gives dotted or colon-hex netmasks)."""
    address = address.split("%", 1)[0]
    try:
        bits = bin(int(ipaddress.ip_address(netmask or ""))).count("1")
    except ValueError:
        return address
    return f"{address}/{bits}"


def _adapter_names(
    name: str, pci: dict[str, dict[str, str]], h: HostRoot
) -> tuple[str, str | None]:
    """Model and manufacturer of a NIC from lspci, else its driver name, else ``name``."""
    device = h("/sys/class/net") / name / "device"
    record = pci.get(_pci_slot(device) or "", {})
    model, vendor = _clean(record.get("Device")), _clean(record.get("Vendor"))
    if model is None and device.exists():
        model = os.path.basename(os.path.realpath(device / "driver")) or None
    return model or name, vendor


def _network_info(pci: dict[str, dict[str, str]], h: HostRoot) -> list[dict[str, Any]]:
    stats = psutil.net_if_stats()
    addrs = psutil.net_if_addrs()
    gateways, dns = _gateways(h), _nameservers(h)
    out: list[dict[str, Any]] = []
    for name in sorted(set(stats) | set(addrs)):
        st = stats.get(name)
        if name == "lo" or (st is not None and "loopback" in st.flags.split(",")):
            continue
        model, vendor = _adapter_names(name, pci, h)
        entry: dict[str, Any] = {"connectionId": name, "name": model}
        _put(entry, "manufacturer", vendor)
        v4: list[str] = []
        v6: list[str] = []
        for a in addrs.get(name, []):
            if a.family == psutil.AF_LINK and a.address:
                entry["mac"] = a.address.upper()
            elif a.family == socket.AF_INET:
                v4.append(_prefixed(a.address, a.netmask))
            elif a.family == socket.AF_INET6:
                v6.append(_prefixed(a.address, a.netmask))
        if st is not None:
            entry["netEnabled"] = bool(st.isup)
            if st.speed > 0:
                entry["dlSpeed"] = entry["ulSpeed"] = int(st.speed) * 1_000_000
        if v4:
            entry["ipv4"] = {"ip": v4, "gateway": gateways.get(name, []), "dns": dns}
            _put(entry["ipv4"], "dhcp", _dhcp(name, h))
        if v6:
            entry["ipv6"] = {"ip": v6}
        out.append(entry)
    return out


def collect_info(items: Iterable[str], h: HostRoot | None = None) -> dict[str, Any]:
    """The ``info`` object for the requested, already validated :data:`INFO_ITEMS`.

    ``memory`` yields ``physicalMemory`` (when dmidecode can read the modules) and
    ``memoryAmount``; ``disk`` yields ``disk`` and ``storageAmount``.  An item that fails
    unexpectedly is logged and left out.
    """
    h = h or HostRoot()
    wanted = list(dict.fromkeys(items))
    need_pci = {"graphicAdapter", "disk", "networkAdapter"} & set(wanted)
    pci = _pci_names() if need_pci else {}
    block = functools.cache(functools.partial(_block_devices, h))
    producers: dict[str, Callable[[], dict[str, Any]]] = {
        "os": lambda: {"os": _os_info()},
        "cpu": lambda: {"cpu": _cpu_info(h)},
        "mainboard": lambda: {k: v for k, v in [("mainboard", _mainboard_info(h))] if v},
        "memory": _memory_info,
        "graphicAdapter": lambda: {"graphicAdapter": _graphic_info(pci, h)},
        "disk": lambda: _disk_info(block(), pci, h),
        "cdrom": lambda: {"cdrom": _cdrom_info(block(), h)},
        "networkAdapter": lambda: {"networkAdapter": _network_info(pci, h)},
    }
    out: dict[str, Any] = {}
    for item in wanted:
        try:
            out.update(producers[item]() if item in producers else {})
        except Exception:
            log.exception("cannot collect host information %r", item)
    return out

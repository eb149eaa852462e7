"""S.M.A.R.T. data for ``/api/system?hddsmart=...`` via smartmontools' ``smartctl --json``.

Disks are the devices ``smartctl --scan-open`` lists; when it lists none (typically a VM
whose virtio disks smartctl cannot classify) the physical disks of ``/sys/block`` are used
instead so that they still appear, with ``code`` 0.  Per disk the result is::

    {"code": 1 | 0 | -1, "model": "...", "name": "/dev/sda", "smart": [attribute, ...]}

``code`` is 1 when S.M.A.R.T. is available and enabled (NVMe drives always have their
health log), 0 when it is not or smartctl could not read the device, and -1 ("not tested
yet") when smartctl did not answer within the timeout.

ATA attributes map one to one from ``ata_smart_attributes.table``.  NVMe has no attribute
table; the fields of ``nvme_smart_health_information_log`` become attributes whose ``id`` is
the field's byte offset in the NVMe SMART / Health Information log page (02h), e.g. 0 critical
warning, 1 temperature (raw in °C), 3 available spare, 5 percentage used, 160 media errors,
200 + 2·n temperature sensor n+1.  NVMe has no normalised values either, so ``value`` and
``worst`` are 100 except: available spare (value = spare %, threshold = the drive's spare
threshold), percentage used (value = 100 - used, i.e. life left) and critical warning (value
0 with threshold 1 while any warning bit is set, so the ATA rule "value <= threshold" flags
it).  ``critical`` marks critical warning, available spare, percentage used and media errors.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shutil
from collections.abc import Sequence
from typing import Any

from nvrd.system.hostroot import HostRoot

CRITICAL_ATA_IDS = frozenset({5, 10, 184, 187, 188, 196, 197, 198, 201})

# (field of nvme_smart_health_information_log, offset in log page 02h, critical)
_NVME_FIELDS: tuple[tuple[str, int, bool], ...] = (
    ("critical_warning", 0, True),
    ("temperature", 1, False),
    ("available_spare", 3, True),
    ("percentage_used", 5, True),
    ("data_units_read", 32, False),
    ("data_units_written", 48, False),
    ("host_reads", 64, False),
    ("host_writes", 80, False),
    ("controller_busy_time", 96, False),
    ("power_cycles", 112, False),
    ("power_on_hours", 128, False),
    ("unsafe_shutdowns", 144, False),
    ("media_errors", 160, True),
    ("num_err_log_entries", 176, False),
    ("warning_temp_time", 192, False),
    ("critical_comp_time", 196, False),
)
_VIRTUAL_DISKS = ("loop", "ram", "zram", "dm-", "md", "nbd", "fd")
_TOOL_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def find_tool(name: str) -> str | None:
    """Path of an executable, also looking in the sbin directories a daemon's PATH may lack."""
    if os.sep in name:
        return name if os.access(name, os.X_OK) and os.path.isfile(name) else None
    return shutil.which(name) or shutil.which(name, path=_TOOL_PATH)


def _natural(name: str) -> list[Any]:
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name)]


def physical_disk_names(include_optical: bool = False, host: HostRoot | None = None) -> list[str]:
    """Kernel names of the physical disks in ``/sys/block`` (no loop/ram/zram/dm/md/nbd).

    Empty disks are skipped; optical drives (``sr*``) only with ``include_optical``, and then
    also without a medium.
    """
    block = (host or HostRoot())("/sys/block")
    try:
        names = os.listdir(block)
    except OSError:
        return []
    out: list[str] = []
    for name in names:
        if name.startswith(_VIRTUAL_DISKS):
            continue
        if name.startswith("sr"):
            if include_optical:
                out.append(name)
            continue
        try:
            size = int((block / name / "size").read_text().strip() or 0)
        except (OSError, ValueError):
            size = 0
        if size > 0:
            out.append(name)
    return sorted(out, key=_natural)


def is_smart_capable(doc: dict[str, Any]) -> bool:
    """Whether a ``smartctl --json`` document says the device has S.M.A.R.T. at all."""
    support = doc.get("smart_support")
    if isinstance(support, dict) and support.get("available") is True:
        return True
    device = doc.get("device")
    return isinstance(device, dict) and device.get("protocol") == "NVMe"


def _scan_entries(doc: dict[str, Any]) -> list[tuple[str, str | None]]:
    out: list[tuple[str, str | None]] = []
    for dev in doc.get("devices") or []:
        if isinstance(dev, dict) and isinstance(dev.get("name"), str) and dev["name"]:
            kind = dev.get("type")
            out.append((dev["name"], kind if isinstance(kind, str) and kind else None))
    return out


def parse_scan(doc: dict[str, Any]) -> list[str]:
    """Device names of a ``smartctl --scan-open --json`` document, in scan order."""
    return [name for name, _ in _scan_entries(doc)]


def _int(value: Any, default: int = 0) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    return default


def _attribute(
    attr_id: int, name: str, critical: bool, raw: int, value: int, worst: int, thresh: int
) -> dict[str, Any]:
    return {
        "attribute": name,
        "critical": critical,
        "id": attr_id,
        "raw": raw,
        "rawHex": f"{raw & 0xFFFFFFFFFFFF:012X}",
        "threshold": thresh,
        "value": value,
        "worst": worst,
    }


def _ata_attributes(doc: dict[str, Any]) -> list[dict[str, Any]]:
    table = (doc.get("ata_smart_attributes") or {}).get("table") or []
    out: list[dict[str, Any]] = []
    for row in table:
        if not isinstance(row, dict) or not isinstance(row.get("id"), int):
            continue
        attr_id = row["id"]
        raw = _int((row.get("raw") or {}).get("value"))
        name = str(row.get("name") or f"Attribute {attr_id}").replace("_", " ")
        out.append(
            _attribute(
                attr_id,
                name,
                attr_id in CRITICAL_ATA_IDS,
                raw,
                _int(row.get("value")),
                _int(row.get("worst")),
                _int(row.get("thresh")),
            )
        )
    return out


def _nvme_attributes(log: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for key, attr_id, critical in _NVME_FIELDS:
        if not isinstance(log.get(key), int):
            continue
        raw = _int(log[key])
        value, thresh = 100, 0
        if key == "critical_warning":
            value, thresh = (100 if raw == 0 else 0), 1
        elif key == "available_spare":
            value, thresh = raw, _int(log.get("available_spare_threshold"))
        elif key == "percentage_used":
            value = max(0, 100 - raw)
        name = key.replace("_", " ").capitalize()
        out.append(_attribute(attr_id, name, critical, raw, value, value, thresh))
    for i, temp in enumerate(log.get("temperature_sensors") or []):
        if isinstance(temp, int):
            out.append(
                _attribute(200 + 2 * i, f"Temperature sensor {i + 1}", False, temp, 100, 100, 0)
            )
    return out


def _model(doc: dict[str, Any]) -> str | None:
    for key in ("model_name", "scsi_model_name"):
        if isinstance(doc.get(key), str) and doc[key].strip():
            return str(doc[key]).strip()
    parts = [doc.get(k) for k in ("scsi_vendor", "scsi_product")]
    text = " ".join(p.strip() for p in parts if isinstance(p, str) and p.strip())
    return text or None


def parse_device(doc: dict[str, Any], name: str) -> dict[str, Any]:
    """The hddsmart entry for one ``smartctl --all --json`` document (``message`` excluded)."""
    support = doc.get("smart_support")
    support = support if isinstance(support, dict) else {}
    nvme = doc.get("nvme_smart_health_information_log")
    enabled = support.get("available") is True and support.get("enabled") is not False
    out: dict[str, Any] = {"code": 1 if enabled or isinstance(nvme, dict) else 0}
    model = _model(doc)
    if model:
        out["model"] = model
    out["name"] = name
    out["smart"] = _nvme_attributes(nvme) if isinstance(nvme, dict) else _ata_attributes(doc)
    return out


async def _run(argv: Sequence[str], timeout: float) -> bytes | None:
    """Stdout of ``argv`` (any exit status); ``None`` on timeout.  Spawn errors propagate."""
    proc = await asyncio.create_subprocess_exec(
        *argv,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        env={**os.environ, "LC_ALL": "C"},
    )
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        return None
    finally:
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
    return out


def _json(data: bytes | None) -> dict[str, Any]:
    try:
        doc = json.loads(data or b"")
    except ValueError:
        return {}
    return doc if isinstance(doc, dict) else {}


async def _scan(smartctl: str, timeout: float) -> list[tuple[str, str | None]]:
    exe = find_tool(smartctl)
    if exe is None:
        raise FileNotFoundError(2, "smartctl not found", smartctl)
    try:
        entries = _scan_entries(_json(await _run([exe, "--scan-open", "--json"], timeout)))
    except FileNotFoundError:
        raise
    except OSError:
        entries = []
    return entries or [(f"/dev/{n}", None) for n in physical_disk_names()]


async def list_disks(smartctl: str) -> list[str]:
    """Device paths that ``hddsmart`` indices (1-based) refer to.

    Raises :class:`FileNotFoundError` when the smartctl executable is missing.
    """
    return [name for name, _ in await _scan(smartctl, 20.0)]


async def _read_one(exe: str, name: str, kind: str | None, timeout: float) -> dict[str, Any]:
    argv = [exe, "--all", "--json", *(["-d", kind] if kind else []), name]
    try:
        data = await _run(argv, timeout)
    except OSError:
        return {"code": 0, "name": name, "smart": []}
    if data is None:
        return {"code": -1, "name": name, "smart": []}
    return parse_device(_json(data), name)


async def read_smart(
    smartctl: str, disks: Sequence[int] | None = None, timeout: float = 20.0
) -> list[dict[str, Any]]:
    """S.M.A.R.T. entries of all disks or of the 1-based ``disks`` of :func:`list_disks`.

    Out-of-range indices are left out.  Disks are read concurrently, each smartctl run
    limited to ``timeout`` seconds.  Raises :class:`FileNotFoundError` without smartctl.
    """
    entries = await _scan(smartctl, timeout)
    exe = find_tool(smartctl) or smartctl
    if disks is not None:
        chosen = list(dict.fromkeys(disks))
        entries = [entries[i - 1] for i in chosen if 1 <= i <= len(entries)]
    return list(
        await asyncio.gather(*(_read_one(exe, name, kind, timeout) for name, kind in entries))
    )

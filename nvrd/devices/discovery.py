"""WS-Discovery of ONVIF cameras on one network interface.

A Probe goes from the configured interface's address to the WS-Discovery
group (239.255.255.250:3702 by default), a few times over the listening
window (UDP is lossy); every ProbeMatch that answers is one camera. The
probe is built and the answers parsed by onveef's pure functions; the
socket is nvrd's own, bound to that one address, so nothing is sent on any
other interface. With credentials, each camera found is asked for its
device information to tell whether they work.
"""

from __future__ import annotations

import asyncio
import socket
import uuid
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

from onveef import wsdiscovery

from nvrd.core.deviceurl import parse_device_url
from nvrd.devices.client import Camera
from nvrd.devices.model import DeviceError

#: The most cameras one discovery reports, and the largest datagram read.
MAX_FOUND = 256
MAX_DATAGRAM = 65_535


@dataclass(frozen=True)
class FoundCamera:
    address: str
    url: str
    xaddr: str
    name: str = ""
    hardware: str = ""
    location: str = ""
    manufacturer: str = ""
    model: str = ""
    credentials: bool | None = None

    def to_doc(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "url": self.url,
            "xaddr": self.xaddr,
            "name": self.name,
            "hardware": self.hardware,
            "location": self.location,
            "manufacturer": self.manufacturer,
            "model": self.model,
            "credentials": self.credentials,
        }


class _Collector(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.found: dict[str, wsdiscovery.DiscoveredDevice] = {}

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        if len(self.found) >= MAX_FOUND or len(data) > MAX_DATAGRAM:
            return
        for dev in wsdiscovery.parse_probe_matches(data.decode("utf-8", "replace")):
            key = dev.endpoint_reference or (dev.xaddrs[0] if dev.xaddrs else str(addr[0]))
            self.found.setdefault(key, dev)


async def probe(
    interface: str, group: str, port: int, timeout: float, probes: int = 3
) -> list[wsdiscovery.DiscoveredDevice]:
    """Probe from ``interface`` (an IPv4 address of this host) and collect the answers."""
    loop = asyncio.get_running_loop()
    transport, proto = await loop.create_datagram_endpoint(
        _Collector, local_addr=(interface, 0), family=socket.AF_INET
    )
    try:
        raw = transport.get_extra_info("socket")
        raw.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(interface))
        raw.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
        for _ in range(max(1, probes)):
            message = wsdiscovery.build_probe(message_id=f"urn:uuid:{uuid.uuid4()}")
            transport.sendto(message.encode("utf-8"), (group, port))
            await asyncio.sleep(timeout / max(1, probes))
    finally:
        transport.close()
    return list(proto.found.values())


def _camera(dev: wsdiscovery.DiscoveredDevice) -> FoundCamera | None:
    for xaddr in dev.xaddrs:
        try:
            addr = parse_device_url(xaddr)
        except ValueError:
            continue
        scheme = "https" if addr.https else "onvif"
        path = "" if addr.path == "/onvif/device_service" else addr.path
        return FoundCamera(
            address=urlsplit(xaddr).hostname or "",
            url=f"{scheme}://{addr.netloc}{path}",
            xaddr=xaddr,
            name=dev.name[:255],
            hardware=dev.hardware[:255],
            location=dev.location[:255],
        )
    return None


async def _check(cam: FoundCamera, uid: str, password: str, timeout: float) -> FoundCamera:
    camera = Camera(parse_device_url(cam.xaddr), uid, password, timeout)
    try:
        info = await camera.run(camera.onvif.get_device_information())
    except DeviceError as err:
        return cam if err.device_status == 0 else _with(cam, credentials=False)
    finally:
        await camera.close()
    return _with(
        cam,
        credentials=True,
        manufacturer=info.get("Manufacturer", "")[:255],
        model=info.get("Model", "")[:255],
    )


def _with(cam: FoundCamera, **changes: Any) -> FoundCamera:
    return replace(cam, **changes)


async def discover(
    interface: str,
    group: str = wsdiscovery.WS_DISCOVERY_ADDRESS,
    port: int = wsdiscovery.WS_DISCOVERY_PORT,
    timeout: float = 3.0,
    uid: str = "",
    password: str = "",
) -> list[FoundCamera]:
    """The cameras that answer a probe on ``interface``, checked with the credentials."""
    found = [c for d in await probe(interface, group, port, timeout) if (c := _camera(d))]
    if uid:
        found = list(await asyncio.gather(*(_check(c, uid, password, timeout) for c in found)))
    return sorted(found, key=lambda c: (c.address, c.url))

"""WS-Discovery on loopback: a probe from nvrd to the multicast group on 127.0.0.1 and a
non-standard port, answered by a responder that sends ipycam's own ProbeMatch (ipycam's
discovery server itself listens on every interface, so it is not started). The camera
it points at is the SOAP test device, which tells whether the credentials work.
"""

from __future__ import annotations

import re
import socket
import struct
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from ipycam.config import CameraConfig
from ipycam.onvif import ONVIFService

from tests.conftest import ADMIN, VIEWER, AppHarness
from tests.support.cameras import free_port
from tests.support.soap_device import SoapDevice

GROUP = "239.255.255.250"
ROOT = ("root", "root-pass")


class Responder:
    """Answers WS-Discovery probes on 127.0.0.1 (group membership on loopback only)."""

    def __init__(self, camera_port: int):
        self.port = free_port()
        cfg = CameraConfig(local_ip="127.0.0.1", onvif_port=camera_port, name="Dock")
        self.onvif = ONVIFService(cfg)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((GROUP, self.port))
        membership = struct.pack("4s4s", socket.inet_aton(GROUP), socket.inet_aton("127.0.0.1"))
        self.sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, membership)
        self.sock.settimeout(0.2)
        self.probes = 0
        self._stop = False
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop:
            try:
                data, sender = self.sock.recvfrom(65535)
            except TimeoutError:
                continue
            text = data.decode("utf-8", "replace")
            if "ProbeMatch" in text or "Probe" not in text:
                continue
            self.probes += 1
            found = re.search(r"<(?:\w+:)?MessageID>([^<]+)<", text)
            reply = self.onvif.create_probe_match(found.group(1) if found else "")
            self.sock.sendto(reply.encode(), sender)

    def close(self) -> None:
        self._stop = True
        self._thread.join(2)
        self.sock.close()


@pytest.fixture
def device() -> Iterator[SoapDevice]:
    with SoapDevice() as dev:
        yield dev


@pytest.fixture
def responder(device: SoapDevice) -> Iterator[Responder]:
    r = Responder(device.port)
    yield r
    r.close()


def settings_for(responder: Responder) -> dict[str, object]:
    return {"interface": "127.0.0.1", "group": GROUP, "port": responder.port,
            "timeout_seconds": 0.6}  # fmt: skip


def test_discover_endpoint(
    harness: Callable[..., AppHarness], device: SoapDevice, responder: Responder
) -> None:
    with harness([ADMIN, VIEWER], discovery=settings_for(responder)).client() as c:
        r = c.post("/api/discover", json={"uid": "admin", "password": "secret"}, auth=ROOT)
        assert r.status_code == 200, r.text
        (cam,) = r.json()["devices"]
        assert cam["url"] == f"onvif://127.0.0.1:{device.port}"
        assert cam["address"] == "127.0.0.1" and cam["name"] == "Dock"
        assert cam["credentials"] is True and cam["model"] == "SOAP-1"
        wrong = c.post("/api/discover", json={"uid": "admin", "password": "no"}, auth=ROOT)
        assert wrong.json()["devices"][0]["credentials"] is False
        bare = c.post("/api/discover", auth=ROOT).json()["devices"][0]
        assert bare["credentials"] is None
        assert c.post("/api/discover", content=b"[1]", auth=ROOT).status_code == 400
        assert c.post("/api/discover", json={"uid": 5}, auth=ROOT).status_code == 400
        assert c.post("/api/discover", auth=("viewer", "viewer-pass")).status_code == 403
    assert responder.probes >= 3


def test_discovery_is_off_without_an_interface(harness: Callable[..., AppHarness]) -> None:
    with harness([ADMIN]).client() as c:
        r = c.post("/api/discover", auth=ROOT)
        assert r.status_code == 503 and r.json()["code"] < 0


def test_cli_discover(tmp_path: Path, device: SoapDevice, responder: Responder) -> None:
    cfg = tmp_path / "nvrd.toml"
    cfg.write_text(
        f'[server]\ndata_dir = "{tmp_path / "data"}"\n[discovery]\ninterface = "127.0.0.1"\n'
        f"port = {responder.port}\ntimeout_seconds = 0.6\n"
    )
    cmd = [sys.executable, "-m", "nvrd", "discover", "--config", str(cfg), "--uid", "admin"]
    out = subprocess.run(cmd, input="secret\n", capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert f'"url": "onvif://127.0.0.1:{device.port}"' in out.stdout
    assert '"credentials": true' in out.stdout
    off = tmp_path / "off.toml"
    off.write_text(f'[server]\ndata_dir = "{tmp_path / "data"}"\n')
    refused = subprocess.run(
        [sys.executable, "-m", "nvrd", "discover", "--config", str(off)],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert refused.returncode == 2 and refused.stderr.startswith("nvrd: discovery is off")

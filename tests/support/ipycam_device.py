"""ipycam's ONVIF device service as a camera for the tests, in a child process.

Only ipycam's ONVIF part runs (its SOAP handler, its PTZ controller and its
HTTP handler on 127.0.0.1); its WS-Discovery server and its own streaming
are not started, so nothing reaches the network. Its stream URIs point at an
RTSP server the test gives (``rtsp_port``, ``main``/``sub`` paths). Two
namespace prefixes that its preset and PTZ-status replies use (``ptz``,
``tptz``) are missing from its envelope template; they are added here.
Presets are saved to ``ptz_presets.json`` in the child's working directory
(a temporary directory).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.support.cameras import PARENT_WATCH, free_port

_BOOT = (
    PARENT_WATCH
    + """\
import http.server, socketserver, sys
from ipycam.config import CameraConfig
from ipycam.http import IPCameraHTTPHandler
from ipycam.onvif import ONVIFService
from ipycam.ptz import PTZController

port, rtsp_port, main, sub, user, password = sys.argv[1:7]
cfg = CameraConfig(local_ip="127.0.0.1", onvif_port=int(port), rtsp_port=int(rtsp_port),
                   main_stream_name=main, sub_stream_name=sub, main_width=1280,
                   main_height=720, sub_width=640, sub_height=360)
cfg.set_credentials(user, password)
ptz = PTZController()
onvif = ONVIFService(cfg, ptz)
onvif._templates["envelope"] = onvif._templates["envelope"].replace(
    "xmlns:tt=",
    'xmlns:ptz="http://www.onvif.org/ver20/ptz/wsdl" '
    'xmlns:tptz="http://www.onvif.org/ver20/ptz/wsdl" xmlns:tt=',
)

class Camera:
    config = cfg
Camera.onvif = onvif
Camera.ptz = ptz

class Handler(IPCameraHTTPHandler):
    camera = Camera

class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True

print("ipycam ready", flush=True)
Server(("127.0.0.1", int(port)), Handler).serve_forever()
"""
)
_TIME_REQUEST = (
    '<?xml version="1.0"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope">'
    '<s:Body><GetSystemDateAndTime xmlns="http://www.onvif.org/ver10/device/wsdl"/>'
    "</s:Body></s:Envelope>"
)


class IpycamDevice:
    """``url``: the camera's device URL (``onvif://127.0.0.1:PORT``)."""

    def __init__(self, rtsp_port: int, main: str, sub: str, user: str = "", password: str = ""):
        self.port = free_port()
        self.args = [str(self.port), str(rtsp_port), main, sub, user, password]
        self._dir = tempfile.TemporaryDirectory(prefix="ipycam-")
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"onvif://127.0.0.1:{self.port}"

    def start(self) -> IpycamDevice:
        self._proc = subprocess.Popen(
            [sys.executable, "-c", _BOOT, *self.args],
            cwd=self._dir.name,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                err = self._proc.stderr.read().decode() if self._proc.stderr else ""
                raise RuntimeError(f"ipycam did not start: {err[-2000:]}")
            if self._answers():
                return self
            time.sleep(0.1)
        self.stop()
        raise TimeoutError("ipycam did not answer")

    def _answers(self) -> bool:
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/onvif/device_service",
            data=_TIME_REQUEST.encode(),
            headers={"Content-Type": "application/soap+xml"},
        )
        try:
            with urllib.request.urlopen(req, timeout=1) as r:
                status: int = r.status
                return status == 200
        except urllib.error.HTTPError:
            return True  # it answers (401 when it wants credentials)
        except OSError:
            return False

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        if self._proc is not None and self._proc.stderr is not None:
            self._proc.stderr.close()  # else a ResourceWarning when it is collected
        self._proc = None

    def saved_presets(self) -> str:
        path = Path(self._dir.name) / "ptz_presets.json"
        return path.read_text() if path.exists() else ""

    def __enter__(self) -> IpycamDevice:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
        self._dir.cleanup()

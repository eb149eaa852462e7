"""Fake IP cameras for integration tests: RTSP servers run as subprocesses on 127.0.0.1.

* `FileCameraServer` loops media files in real time (pure-Python server from aio-rtsp-toolkit,
  RTP over RTSP/TCP interleaved only, no authentication).
* `LiveCameraServer` encodes a live test pattern with GStreamer (gst-rtsp-server, run by the
  system python) behind DIGEST authentication; its scene can switch between still and moving.

Both are context managers; `stop()` then `start()` reuses the same port (camera outage).
"""

from __future__ import annotations

import atexit
import functools
import hashlib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import weakref
from pathlib import Path
from typing import ClassVar, Literal, Self

HOST = "127.0.0.1"
SYSTEM_PYTHON = "/usr/bin/python3"
GST_SCRIPT = Path(__file__).with_name("gst_rtsp_camera.py")
READY_TIMEOUT = 10.0
Scene = Literal["still", "moving"]

# The rtsp-server console script is `server_demo:main`; we run it via -c so that the child also
# exits when the test process dies without cleaning up (its parent pid changes).
#: Python source that makes a child process exit when its parent goes away.
PARENT_WATCH = """\
import os, sys, threading, time
_ppid = os.getppid()
def _watch_parent():
    while os.getppid() == _ppid:
        time.sleep(0.5)
    os._exit(0)
threading.Thread(target=_watch_parent, daemon=True).start()
"""
_FILE_SERVER_BOOT = (
    PARENT_WATCH
    + """\
sys.argv[0] = "rtsp-server"
import server_demo
server_demo.main()
"""
)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _digest(user: str, password: str, realm: str, nonce: str, method: str, uri: str) -> str:
    def md5(text: str) -> str:
        return hashlib.md5(text.encode()).hexdigest()

    response = md5(f"{md5(f'{user}:{realm}:{password}')}:{nonce}:{md5(f'{method}:{uri}')}")
    return (
        f'Digest username="{user}", realm="{realm}", nonce="{nonce}", uri="{uri}", '
        f'response="{response}"'
    )


def rtsp_request(port: int, method: str, url: str, auth: tuple[str, str] | None = None) -> int:
    """Send one RTSP request to 127.0.0.1:`port`, answering a Digest challenge with `auth`
    (user, password). Returns the status code; raises OSError when the server does not answer."""
    with socket.create_connection((HOST, port), timeout=3.0) as sock:
        reader = sock.makefile("rb")
        authorization = ""
        for cseq in (1, 2):
            lines = [f"{method} {url} RTSP/1.0", f"CSeq: {cseq}", "User-Agent: nvrd-tests"]
            if method == "DESCRIBE":
                lines.append("Accept: application/sdp")
            if authorization:
                lines.append(f"Authorization: {authorization}")
            sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
            status_line = reader.readline().decode("latin-1")
            if not status_line.startswith("RTSP/1.0 "):
                raise OSError(f"not an RTSP answer: {status_line!r}")
            status = int(status_line.split()[1])
            headers: dict[str, str] = {}
            while (line := reader.readline().decode("latin-1").strip()) != "":
                key, _, value = line.partition(":")
                headers[key.strip().lower()] = value.strip()
            reader.read(int(headers.get("content-length", "0")))
            challenge = headers.get("www-authenticate", "")
            if status != 401 or authorization or auth is None or not challenge.startswith("Digest"):
                return status
            params = dict(re.findall(r'(\w+)="([^"]*)"', challenge))
            authorization = _digest(*auth, params["realm"], params["nonce"], method, url)
        return status


class _ServerProcess:
    """A server subprocess on a fixed port, restartable, never left behind."""

    _running: ClassVar[set[_ServerProcess]] = set()
    name = "server"

    def __init__(self) -> None:
        self.port = free_port()
        self._workdir = Path(tempfile.mkdtemp(prefix=f"nvrd-{self.name}-"))
        weakref.finalize(self, shutil.rmtree, self._workdir, ignore_errors=True)
        self.log_path = self._workdir / "server.log"
        self._proc: subprocess.Popen[bytes] | None = None

    # subclass hooks
    def _command(self) -> list[str]:
        raise NotImplementedError

    def _is_ready(self) -> bool:
        raise NotImplementedError

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def start(self) -> Self:
        """Start the server (on the same port as before) and wait until it answers RTSP."""
        if self.running:
            return self
        with self.log_path.open("ab") as log:
            self._proc = subprocess.Popen(
                self._command(), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
            )
        _ServerProcess._running.add(self)
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            if self._proc.poll() is not None:
                code = self._proc.returncode
                self.stop()
                raise RuntimeError(f"{self.name} exited with {code}:\n{self.log_text()[-2000:]}")
            try:
                if self._is_ready():
                    return self
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"{self.name} not ready in {READY_TIMEOUT}s:\n{self.log_text()}")
            time.sleep(0.05)

    def stop(self) -> None:
        """Stop the server: SIGTERM, then SIGKILL after 5 s; the port stays reserved for start()."""
        proc, self._proc = self._proc, None
        _ServerProcess._running.discard(self)
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


@atexit.register
def _stop_all() -> None:
    for server in list(_ServerProcess._running):
        server.stop()


class FileCameraServer(_ServerProcess):
    """RTSP server streaming every .mp4/.mkv file under `media_dir`, paced in real time.

    URL: ``rtsp://127.0.0.1:PORT/<path relative to media_dir>``; the server plays a file once
    and closes the session unless ``?play_count=0`` (loop forever, continuous timestamps) or
    ``?play_count=N`` is added, which `url()` does. Clients must use RTSP over TCP
    (``-rtsp_transport tcp``): UDP SETUP is answered 461. Unknown paths get 404.
    """

    name = "file-camera"

    def __init__(self, media_dir: Path) -> None:
        super().__init__()
        self.media_dir = Path(media_dir).resolve()
        self.control_port = free_port()

    def _command(self) -> list[str]:
        args = ["-d", str(self.media_dir), "-H", HOST, "-p", str(self.port)]
        return [sys.executable, "-c", _FILE_SERVER_BOOT, *args, "-cp", str(self.control_port)]

    def _is_ready(self) -> bool:
        return rtsp_request(self.port, "OPTIONS", f"rtsp://{HOST}:{self.port}/") == 200

    def url(self, name: str, *, loop: bool = True, play_count: int | None = None) -> str:
        """URL of the file `name` (relative to media_dir); loops forever unless loop=False."""
        url = f"rtsp://{HOST}:{self.port}/{urllib.parse.quote(name)}"
        if play_count is None:
            play_count = 0 if loop else 1
        return f"{url}?play_count={play_count}"


@functools.cache
def live_camera_unavailable() -> str | None:
    """Why LiveCameraServer cannot run here (None when it can)."""
    check = (
        "import gi; gi.require_version('Gst', '1.0'); gi.require_version('GstRtspServer', '1.0')\n"
        "from gi.repository import Gst, GstRtspServer\n"
        "Gst.init(None)\n"
        "missing = [e for e in ('videotestsrc', 'clockoverlay', 'x264enc', 'h264parse',\n"
        "    'rtph264pay') if Gst.ElementFactory.find(e) is None]\n"
        "assert not missing, 'missing GStreamer elements: ' + ' '.join(missing)\n"
    )
    if not os.access(SYSTEM_PYTHON, os.X_OK):
        return f"{SYSTEM_PYTHON} not found"
    proc = subprocess.run(
        [SYSTEM_PYTHON, "-c", check], capture_output=True, text=True, timeout=30, check=False
    )
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["?"])[-1]
        return f"gst-rtsp-server unusable ({last}); run scripts/system-deps.sh"
    return None


class LiveCameraServer(_ServerProcess):
    """Live H.264 camera (videotestsrc + clockoverlay + x264enc) at ``/live``, DIGEST auth.

    URL: ``rtsp://USER:PASSWORD@127.0.0.1:PORT/live``. Only ``/live`` exists (others: 404),
    and with ``sub_size`` a second, smaller stream at ``/sub`` (a camera with two streams).
    Without credentials or with wrong ones the server answers 401.
    """

    name = "live-camera"

    def __init__(
        self,
        user: str | None = "cam",
        password: str | None = "secret",
        size: str = "640x360",
        fps: int = 25,
        gop: int = 25,
        sub_size: str | None = None,
    ) -> None:
        super().__init__()
        self.user, self.password = user, password
        self.sub_size = sub_size
        self.width, self.height = (int(v) for v in size.lower().split("x"))
        self.fps, self.gop = fps, gop
        self.scene_file = self._workdir / "scene"
        self.scene: Scene = "moving"
        self.scene_file.write_text(self.scene)

    def _command(self) -> list[str]:
        cmd = [SYSTEM_PYTHON, str(GST_SCRIPT), "--host", HOST, "--port", str(self.port)]
        cmd += ["--width", str(self.width), "--height", str(self.height)]
        cmd += ["--fps", str(self.fps), "--gop", str(self.gop)]
        cmd += ["--scene-file", str(self.scene_file)]
        if self.sub_size:
            cmd += ["--sub-size", self.sub_size]
        if self.user is not None:
            cmd += ["--user", self.user, "--password", self.password or ""]
        return cmd

    def _is_ready(self) -> bool:
        # An authorized DESCRIBE builds the pipeline and returns the SDP: the camera really works.
        url = f"rtsp://{HOST}:{self.port}/live"
        auth = None if self.user is None else (self.user, self.password or "")
        return rtsp_request(self.port, "DESCRIBE", url, auth) == 200

    def url(
        self,
        name: str = "live",
        *,
        user: str | None = None,
        password: str | None = None,
        anonymous: bool = False,
    ) -> str:
        """URL with the camera's credentials; `user`/`password` override them, or none at all
        with ``anonymous=True``."""
        user = None if anonymous else (user if user is not None else self.user)
        password = None if anonymous else (password if password is not None else self.password)
        auth = ""
        if user is not None:
            auth = urllib.parse.quote(user, safe="")
            if password is not None:
                auth += ":" + urllib.parse.quote(password, safe="")
            auth += "@"
        return f"rtsp://{auth}{HOST}:{self.port}/{name.lstrip('/')}"

    def set_scene(self, scene: Scene, timeout: float = 3.0) -> None:
        """Switch the picture: "still" (static colour bars, clock hidden) or "moving" (ball and
        clock). Applies to running streams; returns once the camera has picked it up."""
        if scene not in ("still", "moving"):
            raise ValueError(f"unknown scene {scene!r}")
        if scene == self.scene:
            return
        marker = f"gst_rtsp_camera: scene {scene}"
        before = self.log_text().count(marker)
        tmp = self.scene_file.with_suffix(".tmp")
        tmp.write_text(scene)
        tmp.replace(self.scene_file)
        self.scene = scene
        deadline = time.monotonic() + timeout
        while self.running and self.log_text().count(marker) <= before:
            if time.monotonic() > deadline:
                raise TimeoutError(f"camera did not switch to {scene!r}")
            time.sleep(0.05)


class SharedFileCameraServer(LiveCameraServer):
    """An H.264 MP4 file served by GStreamer in real time, once, without encoding: one shared
    pipeline for every client, so a client costs the server little more than its socket (a
    whole file played for many cameras; the pure-Python ``FileCameraServer`` spends about 2 %
    of a core per camera). No authentication. Each camera has its own URL
    (``/live?cam=NAME``), all of them the same stream."""

    name = "file-camera"

    def __init__(self, media: Path) -> None:
        super().__init__(user=None, password=None)
        self.media = media

    def _command(self) -> list[str]:
        return [*super()._command(), "--file", str(self.media)]  # the pattern's options unused

    def url(self, name: str = "live", **_: object) -> str:
        return f"rtsp://{HOST}:{self.port}/live?cam={urllib.parse.quote(name, safe='')}"

"""A live fake IP camera: GStreamer RTSP server encoding a test pattern with x264 in real time.

Run with the SYSTEM python (Debian's python3-gi + gir1.2-gst-rtsp-server-1.0), not a venv:

    /usr/bin/python3 gst_rtsp_camera.py --port 8554 [--user cam --password secret]
        [--width 640 --height 360 --fps 25 --gop 25] [--scene-file PATH] [--sub-size 320x180]

Serves ``rtsp://[user:password@]127.0.0.1:PORT/live`` (one shared pipeline for all clients;
with --file that MP4 file in real time instead of the pattern, without encoding anything),
and with --sub-size a second, smaller stream of the same scene at ``/sub`` (a camera's sub
stream: its own pipeline and encoder).
With --user/--password every request needs DIGEST authentication (no anonymous access).
The scene is read from --scene-file every 200 ms: ``still`` shows static SMPTE 100% colour bars
with the clock hidden (nothing changes between frames), ``moving`` (default) a bouncing ball
with a running clock. Exits on SIGTERM/SIGINT, or when its parent process goes away.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from typing import Any

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtsp", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402

MOUNT = "/live"
SUB_MOUNT = "/sub"
ROLE = "camera-user"
SCENES: dict[str, tuple[str, bool]] = {
    # scene -> (videotestsrc pattern, hide the clock overlay)
    "still": ("smpte100", True),
    "moving": ("ball", False),
}


def build_launch(width: int, height: int, fps: int, gop: int, scene: str) -> str:
    pattern, silent = SCENES[scene]
    return (
        f"( videotestsrc name=src is-live=true pattern={pattern} "
        f"! video/x-raw,format=I420,width={width},height={height},framerate={fps}/1 "
        f'! clockoverlay name=clock silent={str(silent).lower()} font-desc="Sans {height // 12}" '
        'time-format="%H:%M:%S" '
        f"! x264enc tune=zerolatency speed-preset=ultrafast key-int-max={gop} bframes=0 "
        "! video/x-h264,profile=constrained-baseline "
        "! h264parse ! rtph264pay name=pay0 pt=96 config-interval=1 )"
    )


def file_launch(path: str) -> str:
    """An H.264 MP4 file played once in real time, packetised without decoding."""
    location = path.replace("\\", "\\\\").replace('"', '\\"')
    return (
        f'( filesrc location="{location}" ! qtdemux ! h264parse '
        "! rtph264pay name=pay0 pt=96 config-interval=1 )"
    )


class Camera:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.scene = "moving"
        self.scene_file: str | None = args.scene_file
        self.parent_pid = os.getppid()
        self.medias: list[Any] = []
        self.loop = GLib.MainLoop()
        self.server = GstRtspServer.RTSPServer()
        self.server.set_address(args.host)
        self.server.set_service(str(args.port))
        self.read_scene()
        self.factories: list[tuple[Any, tuple[int, int]]] = []
        self.factory = self.add_mount(MOUNT, (args.width, args.height))
        if args.sub_size:
            w, h = (int(v) for v in args.sub_size.lower().split("x"))
            self.add_mount(SUB_MOUNT, (w, h))
        if args.user is not None:
            self.setup_auth(args.user, args.password or "")

    def add_mount(self, mount: str, size: tuple[int, int]) -> Any:
        factory = GstRtspServer.RTSPMediaFactory()
        factory.set_shared(True)
        factory.connect("media-configure", self.on_media_configure)
        factory.set_launch(self.launch(size))
        self.server.get_mount_points().add_factory(mount, factory)
        self.factories.append((factory, size))
        return factory

    def launch(self, size: tuple[int, int]) -> str:
        a = self.args
        if a.file:
            return file_launch(a.file)
        return build_launch(size[0], size[1], a.fps, a.gop, self.scene)

    def setup_auth(self, user: str, password: str) -> None:
        auth = GstRtspServer.RTSPAuth()
        auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
        auth.set_realm("fake-camera")
        token = GstRtspServer.RTSPToken()
        token.set_string(GstRtspServer.RTSP_TOKEN_MEDIA_FACTORY_ROLE, ROLE)
        auth.add_digest(user, password, token)
        self.server.set_auth(auth)
        role = Gst.Structure.new_from_string(
            f"{ROLE}, media.factory.access=(boolean)true, media.factory.construct=(boolean)true"
        )
        for factory, _ in self.factories:
            factory.add_role_from_structure(role)

    def on_media_configure(self, _factory: Any, media: Any) -> None:
        self.medias.append(media)
        media.connect("unprepared", self.on_media_unprepared)
        self.apply_scene(media)

    def on_media_unprepared(self, media: Any) -> None:
        if media in self.medias:
            self.medias.remove(media)

    def apply_scene(self, media: Any) -> None:
        pattern, silent = SCENES[self.scene]
        bin_ = media.get_element()
        src = bin_.get_by_name("src")
        clock = bin_.get_by_name("clock")
        if src is not None:
            src.set_property("pattern", pattern)
        if clock is not None:
            clock.set_property("silent", silent)

    def read_scene(self) -> bool:
        """Return True when the scene changed."""
        if not self.scene_file:
            return False
        try:
            with open(self.scene_file, encoding="utf-8") as fh:
                wanted = fh.read().strip()
        except OSError:
            return False
        if wanted not in SCENES or wanted == self.scene:
            return False
        self.scene = wanted
        return True

    def poll(self) -> bool:
        if os.getppid() != self.parent_pid:
            print("gst_rtsp_camera: parent gone, exiting", file=sys.stderr, flush=True)
            self.loop.quit()
            return False
        if self.read_scene():
            for factory, size in self.factories:  # for medias constructed later
                factory.set_launch(self.launch(size))
            for media in list(self.medias):
                self.apply_scene(media)
            print(f"gst_rtsp_camera: scene {self.scene}", flush=True)
        return True

    def quit(self) -> bool:
        self.loop.quit()
        return False

    def run(self) -> int:
        if self.server.attach(None) == 0:
            print(f"gst_rtsp_camera: cannot listen on port {self.args.port}", file=sys.stderr)
            return 1
        GLib.timeout_add(200, self.poll)
        GLib.unix_signal_add(GLib.PRIORITY_HIGH, signal.SIGTERM, self.quit)
        GLib.unix_signal_add(GLib.PRIORITY_HIGH, signal.SIGINT, self.quit)
        print(
            f"gst_rtsp_camera: serving rtsp://{self.args.host}:{self.args.port}{MOUNT}",
            flush=True,
        )
        self.loop.run()
        return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--user")
    p.add_argument("--password")
    p.add_argument("--width", type=int, default=640)
    p.add_argument("--height", type=int, default=360)
    p.add_argument("--fps", type=int, default=25)
    p.add_argument("--gop", type=int, default=25)
    p.add_argument("--scene-file")
    p.add_argument("--sub-size", help="also serve /sub at this size (WxH)")
    p.add_argument(
        "--file", help="serve this H.264 MP4 file (played once, shared) instead of a pattern"
    )
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    Gst.init(None)
    return Camera(args).run()


if __name__ == "__main__":
    sys.exit(main())

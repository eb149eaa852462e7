"""Motion state of every channel, and its publication on the event bus.

Each channel with motion detection has a :class:`MotionFeed`: the ingest asks
it for the extra ffmpeg options (a decoder option before ``-i``, one more
output of small gray raw pictures into a pipe) and hands it the pipe's read
end, whose pictures go to the channel's :class:`~nvrd.media.motion.MotionDetector`.

:class:`MotionBoard` holds the detectors. :meth:`MotionBoard.run` publishes
``motionChanges`` (``updated=[{"chid", "motion"}, ...]``) with the channels
whose state changed since the last publication, at most once a second and
only when something changed; when motion starts on a channel it also
publishes a ``log`` event ("Motion detected"), at most once per channel per
``log_interval_seconds``. A channel whose stream ended (camera lost, ffmpeg
restarting) has no motion.

A channel can also take its motion from outside (:meth:`MotionBoard.set_external`,
a camera's own motion events): while it does, that state replaces the
detector's for the channel; the publication and the log are the same.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Iterable

from nvrd.config import MotionSettings
from nvrd.core.clock import Clock, ms_from_datetime
from nvrd.core.eventtypes import ChannelCode, EventType
from nvrd.events.bus import EventBus
from nvrd.media.ffargs import motion_input_args, motion_output_args
from nvrd.media.motion.detector import FrameSplitter, MotionDetector, MotionParams
from nvrd.media.pipes import read_pipe

log = logging.getLogger("nvrd.motion")

#: Shortest time between two ``motionChanges`` publications.
PUBLISH_INTERVAL = 1.0

#: ffmpeg messages saying that the motion output, not the camera, broke the run.
_MOTION_FAILURE = re.compile(
    r"Error while opening decoder|Decoder \(codec .*\) not found|Error initializing filters|"
    r"Error reinitializing filters|Error while filtering|Failed to inject frame",
    re.I,
)


class MotionFeed:
    """One channel's motion input: its ffmpeg options and where its pictures go."""

    def __init__(self, chid: int, settings: MotionSettings, board: MotionBoard):
        self.chid = chid
        self.settings = settings
        self.board = board
        self.params = MotionParams.from_settings(settings)
        #: False once ffmpeg could not decode the stream for motion: runs go on without it.
        self.usable = True

    def input_args(self) -> list[str]:
        return motion_input_args(self.settings.sampling == "keyframes")

    def output_args(self, fd: int) -> list[str]:
        fps = self.settings.fps if self.settings.sampling == "fps" else None
        return motion_output_args(f"pipe:{fd}", self.params.width, self.params.height, fps)

    async def open(self, fd: int) -> asyncio.Future[None]:
        """Read pictures from ``fd`` until ffmpeg closes it; the future ends with the stream."""
        splitter = FrameSplitter(self.params.frame_size)

        def pictures(data: bytes) -> None:
            for picture in splitter.push(data):
                self.frame(picture)

        try:
            return await read_pipe(fd, pictures, self.ended)
        except Exception:
            log.exception("motion pipe failed", extra={"chid": self.chid})
            done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            done.set_result(None)
            return done

    def frame(self, picture: bytes) -> None:
        self.board.feed(self.chid, picture)

    def ended(self) -> None:
        self.board.lost(self.chid)

    def run_failed(self, errors: Iterable[str]) -> None:
        """After a run that never connected: stop asking for motion if it was the cause."""
        if self.usable and any(_MOTION_FAILURE.search(line) for line in errors):
            self.usable = False
            log.error(
                "motion detection off: ffmpeg cannot decode this stream", extra={"chid": self.chid}
            )


class MotionBoard:
    def __init__(self, settings: MotionSettings, bus: EventBus, clock: Clock):
        self.settings = settings
        self.bus = bus
        self.clock = clock
        self.params = MotionParams.from_settings(settings)
        self._detectors: dict[int, MotionDetector] = {}
        self._published: dict[int, bool] = {}
        self._logged: dict[int, float] = {}
        self._external: dict[int, bool] = {}
        self._wake = asyncio.Event()

    def feed_for(self, chid: int) -> MotionFeed | None:
        """The motion input of a channel's ingest (None: detection is off)."""
        if not self.settings.enabled:
            return None
        self._detectors[chid] = MotionDetector(self.params, self.clock.monotonic)
        return MotionFeed(chid, self.settings, self)

    def forget(self, chid: int) -> None:
        self._detectors.pop(chid, None)
        self._logged.pop(chid, None)
        self._external.pop(chid, None)
        self._wake.set()

    def set_external(self, chid: int, motion: bool | None) -> None:
        """Motion of ``chid`` from an outside source (``None``: back to the detector)."""
        if motion is None:
            self._external.pop(chid, None)
        else:
            self._external[chid] = motion
        self._wake.set()

    def feed(self, chid: int, picture: bytes) -> None:
        detector = self._detectors.get(chid)
        if detector is None:
            return
        before = detector.active
        try:
            detector.feed(picture)
        except ValueError:
            log.exception("bad motion picture", extra={"chid": chid})
            return
        if detector.active != before:
            self._wake.set()

    def lost(self, chid: int) -> None:
        detector = self._detectors.get(chid)
        if detector is None:
            return
        if detector.active:
            self._wake.set()
        detector.reset()

    def states(self) -> dict[int, bool]:
        """The current motion state of every channel with detection or an outside source."""
        states = {chid: d.active for chid, d in self._detectors.items()}
        states.update(self._external)
        return states

    def changes(self) -> list[tuple[int, bool]]:
        """The channels whose state differs from the last publication (now taken as published)."""
        now = self.states()
        updated: list[tuple[int, bool]] = []
        for chid in sorted(now.keys() | self._published.keys()):
            motion = now.get(chid, False)
            if motion != self._published.get(chid, False):
                updated.append((chid, motion))
            if chid in now:
                self._published[chid] = motion
            else:
                self._published.pop(chid, None)
        return updated

    def publish_changes(self) -> bool:
        """Publish what changed (nothing when nothing did); returns whether it published."""
        updated = self.changes()
        if not updated:
            return False
        self.bus.publish(
            "motionChanges", updated=[{"chid": chid, "motion": m} for chid, m in updated]
        )
        for chid, motion in updated:
            if motion:
                self._log_motion(chid)
        return True

    def _log_motion(self, chid: int) -> None:
        mono = self.clock.monotonic()
        last = self._logged.get(chid)
        if last is not None and mono - last < self.settings.log_interval_seconds:
            return
        self._logged[chid] = mono
        self.bus.publish(
            "log",
            type=int(EventType.CHANNEL),
            code=int(ChannelCode.MOTION_DETECTED),
            param={"chid": chid},
            comment=None,
            chid=chid,
            time_ms=ms_from_datetime(self.clock.now()),
        )

    async def run(self) -> None:
        """Publish changes as they happen, at most once per :data:`PUBLISH_INTERVAL`; the
        state is also read once a second so that the end of a hold time is noticed."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=PUBLISH_INTERVAL)
            self._wake.clear()
            if self.publish_changes():
                await asyncio.sleep(PUBLISH_INTERVAL)

"""Motion state of every channel, and its publication on the event bus.

Each channel with motion detection has a :class:`MotionFeed`: it subscribes to
the channel's frame source (media/frames) for small gray pictures, one per
keyframe or a few a second, which go to the channel's
:class:`~nvrd.media.motion.MotionDetector`.

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
import logging
import re
from collections.abc import Iterable

from nvrd.config import MotionSettings
from nvrd.core.clock import Clock, wait_set
from nvrd.core.eventtypes import ChannelCode, EventType
from nvrd.events.bus import EventBus
from nvrd.events.types import LogRequested, MotionChanged
from nvrd.media.frames.source import Frame, FrameSource, FrameSubscription
from nvrd.media.frames.spec import FrameSpec
from nvrd.media.motion.detector import MotionDetector, MotionParams

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
    """One channel's motion input: the pictures it asks the channel's frame source for, and
    where they go."""

    def __init__(self, chid: int, settings: MotionSettings, board: MotionBoard):
        self.chid = chid
        self.settings = settings
        self.board = board
        self.params = MotionParams.from_settings(settings)
        #: False once the stream cannot be decoded for motion: the channel goes on without it.
        self.usable = True
        self.subscription: FrameSubscription | None = None

    def spec(self) -> FrameSpec:
        """Small gray pictures: one per keyframe, or ``fps`` a second."""
        fps = self.settings.fps if self.settings.sampling == "fps" else None
        return FrameSpec(self.params.width, self.params.height, fps, "gray")

    def attach(self, source: FrameSource) -> None:
        """Subscribe to the channel's frame source (optional work: shed first)."""
        self.subscription = source.subscribe(
            self.spec(),
            on_frame=self.on_frame,
            on_error=self.run_failed,
            optional=True,
            name=f"motion ch{self.chid}",
        )

    def on_frame(self, frame: Frame) -> None:
        self.frame(frame.data)

    def frame(self, picture: bytes) -> None:
        self.board.feed(self.chid, picture)

    def ended(self) -> None:
        self.board.lost(self.chid)

    def run_failed(self, errors: Iterable[str]) -> None:
        """After a failed decoder: stop asking for motion if the stream cannot be decoded."""
        if self.usable and any(_MOTION_FAILURE.search(line) for line in errors):
            self.usable = False
            log.error(
                "motion detection off: ffmpeg cannot decode this stream", extra={"chid": self.chid}
            )
            if self.subscription is not None:
                self.subscription.close()
            self.board.no_detection(self.chid)


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

    def no_detection(self, chid: int) -> None:
        """``chid`` has no motion detection any more (its stream cannot be decoded for it):
        it leaves :meth:`states`, so what waits for motion there is not held back."""
        if self._detectors.pop(chid, None) is not None:
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
        self.bus.publish(MotionChanged(at_ms=self.clock.now_ms(), updated=tuple(updated)))
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
            LogRequested(
                at_ms=self.clock.now_ms(),
                type=EventType.CHANNEL,
                code=ChannelCode.MOTION_DETECTED,
                param={"chid": chid},
                chid=chid,
            )
        )

    async def run(self) -> None:
        """Publish changes as they happen, at most once per :data:`PUBLISH_INTERVAL`; the
        state is also read once a second so that the end of a hold time is noticed."""
        while True:
            await wait_set(self.clock, self._wake, PUBLISH_INTERVAL)
            self._wake.clear()
            if self.publish_changes():
                await self.clock.sleep(PUBLISH_INTERVAL)

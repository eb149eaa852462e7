"""The media service: one ingest per channel stream, the storage pool and its retention.

A channel whose camera offers a second, smaller stream (``resolve_sub``: an
ONVIF camera's lowest-resolution profile) gets a second ingest for it, its
own camera connection supervised like the main one: its live hub serves
``/hls/ch<N>sub/`` and ``/wsapi/live?stream=sub``, motion decodes it instead
of the main stream, and it is recorded (indexed as ``stream = sub``) only with
``[recording] substream``. Its status never touches the channel's.

Start-up order: make sure writable storage exists, repair what a crash left
(``fsck.check_all(repair=True)``), then start retention and the ingests.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
import re
from collections.abc import Callable
from pathlib import Path

import psutil

from nvrd.channels.status import StatusBoard
from nvrd.config import Settings
from nvrd.core.channelspec import ChannelSpec
from nvrd.core.clock import Clock
from nvrd.core.eventtypes import EventType, SystemCode
from nvrd.core.limits import safe_rel_path
from nvrd.core.ratelimit import StartLimiter
from nvrd.core.statuscodes import ChannelStatus
from nvrd.core.supervisor import Supervisor
from nvrd.events.bus import EventBus
from nvrd.events.failures import report_failure
from nvrd.events.types import (
    ChannelStatusChanged,
    LogRequested,
    RecordingStatusChanged,
    StorageChanged,
    VideoStreamReady,
)
from nvrd.media.frames.source import FrameSource
from nvrd.media.live.hls import HlsWindow
from nvrd.media.live.hub import LiveHub
from nvrd.media.motion.board import MotionBoard
from nvrd.media.recording.fsck import check_all
from nvrd.media.recording.ingest import ChannelIngest, IngestContext
from nvrd.media.recording.launcher import FfmpegLauncher, Launcher
from nvrd.media.recording.retention import RetentionPool
from nvrd.media.shedding import LoadShedder
from nvrd.store.channels import Channel
from nvrd.store.recordings import MAIN, SUB, RecordingIndex

log = logging.getLogger("nvrd.media")

_STREAM = re.compile(r"^ch(\d+)(main|sub)$")
_HLS_FILE = re.compile(r"^(index\.m3u8|init\.mp4|seg_(?P<seq>\d{1,9})\.m4s)$")


def _host_busy() -> float:
    """How busy the host's CPUs were since the last call (0..1)."""
    return float(psutil.cpu_percent(interval=None)) / 100


#: What the ingest of a channel records: the channel's spec with its ``source`` filled in
#: (an ONVIF camera added by ``device.url`` alone gets its main stream from the camera),
#: or ``None`` while that is not known; the channel is then started again when it is.
SourceResolver = Callable[[int, ChannelSpec], ChannelSpec | None]


def _given_source(chid: int, spec: ChannelSpec) -> ChannelSpec | None:
    return spec if spec.source else None


def _no_sub(chid: int, spec: ChannelSpec) -> ChannelSpec | None:
    return None


def default_ffmpeg() -> str:
    import imageio_ffmpeg

    return str(imageio_ffmpeg.get_ffmpeg_exe())


class MediaService:
    def __init__(
        self,
        settings: Settings,
        index: RecordingIndex,
        board: StatusBoard,
        bus: EventBus,
        clock: Clock,
        storage: RetentionPool | None = None,
        *,
        supervisor: Supervisor | None = None,
        launcher: Launcher | None = None,
        resolve_source: SourceResolver | None = None,
        resolve_sub: SourceResolver | None = None,
    ):
        self.settings = settings
        self.index = index
        self.board = board
        self.bus = bus
        self.clock = clock
        self.storage = storage or RetentionPool(
            settings.storage_paths,
            index,
            int(settings.recording.min_free_mb * 1024 * 1024),
            on_full=self._storage_full,
        )
        self.ingests: dict[int, ChannelIngest] = {}
        #: The sub streams: their ingests, live hubs and status (apart from the channel's).
        self.sub_ingests: dict[int, ChannelIngest] = {}
        self.sub_hubs: dict[int, LiveHub] = {}
        self.sub_board = StatusBoard()
        self._specs: dict[int, ChannelSpec] = {}
        self._streamed: set[int] = set()
        self._root = ""
        board.on_recording = self._recording_changed
        self.hubs: dict[int, LiveHub] = {}
        #: Decoded pictures for analytics, per channel (media/frames).
        self.frames: dict[int, FrameSource] = {}
        #: Main-stream pictures for a recogniser when the channel's frames follow a sub
        #: stream too small for it (``analytics_frames``).
        self.main_frames: dict[int, FrameSource] = {}
        self.supervisor = supervisor or Supervisor(clock, report_failure(bus, clock))
        self.launcher = launcher or FfmpegLauncher()
        rec = settings.recording
        self.limiter = StartLimiter(clock, rec.start_rate, rec.start_burst)
        self.motion = MotionBoard(settings.motion, bus, clock)
        self.shedder = LoadShedder(
            clock, _host_busy, self._apply_shed, self._shed_event, high=rec.shed_busy
        )
        self._ffmpeg = settings.recording.ffmpeg
        self._ctx: IngestContext | None = None
        self._sub_ctx: IngestContext | None = None
        self.resolve_source = resolve_source or _given_source
        #: The camera's sub stream of a channel (``None``: it has none, or not yet known).
        self.resolve_sub = resolve_sub or _no_sub
        #: Restarts only the sub streams of a channel (for the reconciler's ``restart``).
        self.sub_runner = SubStreams(self)

    @property
    def ffmpeg(self) -> str:
        if not self._ffmpeg:
            self._ffmpeg = default_ffmpeg()
        return self._ffmpeg

    async def start(self, channels: list[Channel]) -> None:
        for s in self.settings.storage_paths:
            if s.usage in (1, 2):
                await asyncio.to_thread(s.path.mkdir, parents=True, exist_ok=True)
        await check_all(self.index, self.settings.storage_paths, repair=True)
        await self.storage.check()
        root = self.storage.writable_root()
        self._root = str(root) if root is not None else ""
        for s in self.settings.storage_paths:
            if s.usage != -1 and s.path.is_dir():
                self._storage_event(
                    StorageChanged(
                        at_ms=self.clock.now_ms(),
                        kind="ready",
                        storage_path=str(s.path),
                        status_code=0,
                    )
                )
        interval = self.settings.recording.retention_interval_seconds
        self.supervisor.spawn(
            "retention", lambda: self.storage.run(interval, self._root_changed, self.clock)
        )
        self.supervisor.spawn("motion", self.motion.run)
        if self.settings.recording.shed_load:
            self.supervisor.spawn("load-shedding", self.shedder.run)
        for ch in channels:
            self.add(ch)

    async def stop(self) -> None:
        for name in ("retention", "motion", "load-shedding"):
            await self.supervisor.cancel(name)
        ingests = [*self.ingests.values(), *self.sub_ingests.values()]
        await asyncio.gather(*(ing.stop() for ing in ingests))
        self.ingests.clear()
        self.sub_ingests.clear()
        sources = [*self.frames.values(), *self.main_frames.values()]
        await asyncio.gather(*(f.close() for f in sources))
        self.frames.clear()
        self.main_frames.clear()
        for hub in [*self.hubs.values(), *self.sub_hubs.values()]:
            hub.close_all()
        self.hubs.clear()
        self.sub_hubs.clear()

    def add(self, ch: Channel) -> None:
        spec = ChannelSpec.from_doc(ch.source, ch.title)
        if spec is None:
            self.board.set_code(ch.chid, int(ChannelStatus.NOT_USED))
            return
        resolved = self.resolve_source(ch.chid, spec)
        if resolved is None:  # an ONVIF camera that has not told its stream yet
            self.board.set_code(ch.chid, int(ChannelStatus.CONNECTING))
            return
        spec = resolved
        self._specs[ch.chid] = spec
        hub = self._new_hub(ch.chid, MAIN) if self._wants_hub() else None
        if hub is not None:
            self.hubs[ch.chid] = hub
        self.add_sub(ch)
        self._attach_frames(ch.chid)
        ingest = ChannelIngest(
            ch.chid,
            spec,
            self.context(),
            functools.partial(self._status, ch.chid),
            hub,
            self.supervisor.reporter,
        )
        self.ingests[ch.chid] = ingest
        ingest.start()

    def _wants_hub(self) -> bool:
        live = self.settings.live
        analytics = self.settings.motion.enabled or self.settings.lpr.enabled
        return live.lowlatency or live.hls or analytics

    def analytics_frames(self, chid: int, min_width: int) -> FrameSource | None:
        """The frame source of a channel for a subscriber that needs pictures of a stream at
        least ``min_width`` wide: the channel's (on its sub stream when it has one) if that
        stream is wide enough (or is the main stream), else one on the main stream."""
        shared = self.frames.get(chid)
        main = self.hubs.get(chid)
        if shared is None or main is None or shared.hub is main or shared.hub.width >= min_width:
            return shared
        source = self.main_frames.get(chid)
        if source is None:  # (closed with the channel, in remove)
            source = FrameSource(chid, main, self.ffmpeg, self.clock, self.supervisor, "main")
            self.main_frames[chid] = source
        return source

    def _new_hub(self, chid: int, stream: str) -> LiveHub:
        live = self.settings.live
        hls = HlsWindow(live.hls_seconds) if live.hls else None
        return LiveHub(chid, stream, live.viewer_queue, hls=hls, clock=self.clock)

    def _attach_frames(self, chid: int) -> None:
        """The channel's frame source, on its sub stream when it has one (cheaper to
        decode), with motion subscribed to it."""
        hub = self.sub_hubs.get(chid) or self.hubs.get(chid)
        if hub is None or chid not in self._specs:
            return
        if chid in self.frames:  # a sub stream that came later: the pictures move to it
            self.frames[chid].move_to(hub)
            return
        source = FrameSource(chid, hub, self.ffmpeg, self.clock, self.supervisor)
        self.frames[chid] = source
        feed = self.motion.feed_for(chid)
        if feed is not None:
            feed.attach(source)

    def add_sub(self, ch: Channel) -> None:
        """Start the channel's sub stream, if its camera has one (and it is of use)."""
        spec = self._specs.get(ch.chid)
        if spec is None or ch.chid in self.sub_ingests:
            return
        sub = self.resolve_sub(ch.chid, spec)
        record = self.settings.recording.substream
        if sub is None or not (self._wants_hub() or record):
            return
        hub = self._new_hub(ch.chid, SUB) if self._wants_hub() else None
        if hub is not None:
            self.sub_hubs[ch.chid] = hub
        ingest = ChannelIngest(
            ch.chid,
            sub,
            self.sub_context(),
            functools.partial(self._sub_status, ch.chid),
            hub,
            self.supervisor.reporter,
        )
        self.sub_ingests[ch.chid] = ingest
        ingest.start()
        self._attach_frames(ch.chid)

    async def remove_sub(self, chid: int) -> None:
        """Stop the channel's sub stream (motion goes back to the main stream)."""
        ingest = self.sub_ingests.pop(chid, None)
        if ingest is not None:
            await ingest.stop()
        hub = self.sub_hubs.pop(chid, None)
        if hub is None:
            return
        source = self.frames.get(chid)
        main = self.hubs.get(chid)
        if source is not None and source.hub is hub:
            if main is not None and chid in self._specs:
                source.move_to(main)
            else:
                del self.frames[chid]
                await source.close()
        hub.close_all()
        self.sub_board.forget(chid)

    def sub_context(self) -> IngestContext:
        """What every sub stream's ingest shares: its own status board, recorded or not."""
        if self._sub_ctx is None:
            self._sub_ctx = dataclasses.replace(
                self.context(),
                board=self.sub_board,
                stream=SUB,
                record=self.settings.recording.substream,
            )
        return self._sub_ctx

    def context(self) -> IngestContext:
        """What every ingest shares (built once the ffmpeg path is known)."""
        if self._ctx is None:
            self._ctx = IngestContext(
                ffmpeg=self.ffmpeg,
                settings=self.settings.recording,
                launcher=self.launcher,
                clock=self.clock,
                index=self.index,
                board=self.board,
                writable_root=self.storage.writable_root,
                supervisor=self.supervisor,
                limiter=self.limiter,
            )
        return self._ctx

    async def remove(self, chid: int) -> None:
        self._specs.pop(chid, None)  # first: the sub stream's end moves no frames
        await self.remove_sub(chid)
        ingest = self.ingests.pop(chid, None)
        if ingest is not None:
            await ingest.stop()
        for frames in (self.frames, self.main_frames):
            source = frames.pop(chid, None)
            if source is not None:
                await source.close()
        hub = self.hubs.pop(chid, None)
        if hub is not None:
            hub.close_all()
        self.board.forget(chid)
        self.motion.forget(chid)
        self._streamed.discard(chid)

    def hls_file(self, stream: str, name: str) -> bytes | None:
        """A live HLS file (``index.m3u8``, ``init.mp4``, ``seg_*.m4s``) of a stream, made
        from the fragments in memory (media/live/hls.py)."""
        m = _STREAM.match(stream)
        if m is None or not self.settings.live.hls or int(m.group(1)) not in self.ingests:
            return None
        hubs = self.hubs if m.group(2) == MAIN else self.sub_hubs
        hub = hubs.get(int(m.group(1)))
        window = hub.hls if hub is not None else None
        name_m = _HLS_FILE.match(name)
        if window is None or name_m is None:
            return None
        if name == "index.m3u8":
            window.requested(self.clock.now_ms())
            text = window.playlist()
            return text.encode() if text is not None else None
        if name == "init.mp4":
            return window.init
        return window.part(int(name_m.group("seq")))

    def hub(self, chid: int, stream: str = MAIN) -> LiveHub | None:
        """The channel's low-latency stream (None when it is off, or no such stream)."""
        if not self.settings.live.lowlatency:
            return None
        return (self.hubs if stream == MAIN else self.sub_hubs).get(chid)

    def has_sub(self, chid: int) -> bool:
        """Whether the channel shows a sub stream live."""
        return chid in self.sub_hubs

    def streams(self, chid: int) -> list[tuple[str, LiveHub | None]]:
        """The live streams of a running channel: ``main``, then ``sub`` when the camera
        has one (each with its hub, None when the live hub is off)."""
        if chid not in self.ingests:
            return []
        out: list[tuple[str, LiveHub | None]] = [(MAIN, self.hubs.get(chid))]
        if chid in self.sub_hubs:
            out.append((SUB, self.sub_hubs[chid]))
        return out

    def motion_states(self) -> dict[int, bool]:
        """Motion now, per channel (False without detection or before any picture)."""
        states = self.motion.states()
        return {chid: states.get(chid, False) for chid in self.ingests}

    def _status(self, chid: int, code: int) -> None:
        log.info("channel status", extra={"chid": chid, "code": code})
        now = self.clock.now_ms()
        self.bus.publish(ChannelStatusChanged(at_ms=now, chid=chid, code=code))
        if code != ChannelStatus.CONNECTED:
            self.motion.lost(chid)
        if code == ChannelStatus.CONNECTED:
            # A stream that comes back is a new one (new ffmpeg, new init segment):
            # live viewers must reconnect.
            self.bus.publish(VideoStreamReady(at_ms=now, chid=chid, changed=chid in self._streamed))
            self._streamed.add(chid)

    def _sub_status(self, chid: int, code: int) -> None:
        log.info("sub stream status", extra={"chid": chid, "code": code})
        source = self.frames.get(chid)
        on_sub = source is not None and source.hub is self.sub_hubs.get(chid)
        if code != ChannelStatus.CONNECTED and on_sub:  # motion's pictures stopped
            self.motion.lost(chid)

    def _apply_shed(self, shed: tuple[str, ...]) -> None:
        for source in self.frames.values():
            source.set_shed("motion" in shed)
        for hub in [*self.hubs.values(), *self.sub_hubs.values()]:
            if hub.hls is not None:
                hub.hls.paused = "hls" in shed

    def _shed_event(self, shed: tuple[str, ...]) -> None:
        self.bus.publish(
            LogRequested(
                at_ms=self.clock.now_ms(),
                type=EventType.SYSTEM,
                code=SystemCode.LOAD_SHEDDING,
                param={"shed": list(shed)},
            )
        )

    def _recording_changed(self, chid: int) -> None:
        state = self.board.recording_state(chid)
        self.bus.publish(RecordingStatusChanged(at_ms=self.clock.now_ms(), state=state))

    def _storage_event(self, event: StorageChanged) -> None:
        self.bus.publish(event)

    def _storage_full(self, path: str) -> None:
        self._storage_event(
            StorageChanged(at_ms=self.clock.now_ms(), kind="storageFull", storage_path=path)
        )

    def _root_changed(self) -> None:
        root = self.storage.writable_root()
        after = str(root) if root is not None else ""
        if after != self._root:
            self._storage_event(
                StorageChanged(
                    at_ms=self.clock.now_ms(), kind="rootChanged", before=self._root, after=after
                )
            )
            self._root = after
        for ingest in [*self.ingests.values(), *self.sub_ingests.values()]:
            ingest.switch_root()

    def segment_path(self, root_index: int, rel: str) -> Path | None:
        paths = self.settings.storage_paths
        if not 0 <= root_index < len(paths) or paths[root_index].usage == -1:
            return None
        if not safe_rel_path(rel):
            return None
        root = paths[root_index].path.resolve()
        target = (root / rel).resolve()
        if not target.is_relative_to(root) or target.suffix != ".mp4" or not target.is_file():
            return None
        return target


class SubStreams:
    """The sub streams of the channels as a reconciler runner: restarting a channel through
    it restarts only its sub stream (its camera told a new sub stream URL)."""

    def __init__(self, media: MediaService):
        self.media = media

    def add(self, ch: Channel) -> None:
        self.media.add_sub(ch)

    async def remove(self, chid: int) -> None:
        await self.media.remove_sub(chid)

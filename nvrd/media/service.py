"""The media service: one ingest per channel, the storage pool and its retention.

Start-up order: make sure writable storage exists, repair what a crash left
(``fsck.check_all(repair=True)``), then start retention and the ingests.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import re
import shutil
from collections.abc import Callable
from pathlib import Path

from nvrd.channels.status import StatusBoard
from nvrd.config import Settings
from nvrd.core.channelspec import ChannelSpec
from nvrd.core.clock import Clock
from nvrd.core.statuscodes import ChannelStatus
from nvrd.events.bus import EventBus
from nvrd.media.live.hub import LiveHub
from nvrd.media.motion.board import MotionBoard
from nvrd.media.recording.fsck import check_all
from nvrd.media.recording.ingest import ChannelIngest
from nvrd.media.recording.retention import RetentionPool
from nvrd.store.channels import Channel
from nvrd.store.recordings import RecordingIndex

log = logging.getLogger("nvrd.media")

_STREAM = re.compile(r"^ch(\d+)(main)$")
_HLS_FILE = re.compile(r"^(index\.m3u8|init\.mp4|seg_\d+\.m4s)$")


#: What the ingest of a channel records: the channel's spec with its ``source`` filled in
#: (an ONVIF camera added by ``device.url`` alone gets its main stream from the camera),
#: or ``None`` while that is not known; the channel is then started again when it is.
SourceResolver = Callable[[int, ChannelSpec], ChannelSpec | None]


def _given_source(chid: int, spec: ChannelSpec) -> ChannelSpec | None:
    return spec if spec.source else None


def default_ffmpeg() -> str:
    import imageio_ffmpeg  # type: ignore[import-untyped]

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
        resolve_source: SourceResolver | None = None,
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
            on_event=self._storage_event,
        )
        self.ingests: dict[int, ChannelIngest] = {}
        self._streamed: set[int] = set()
        self._root = ""
        board.on_recording = self._recording_changed
        self.hubs: dict[int, LiveHub] = {}
        self._retention: asyncio.Task[None] | None = None
        self.motion = MotionBoard(settings.motion, bus, clock)
        self._motion_task: asyncio.Task[None] | None = None
        self._ffmpeg = settings.recording.ffmpeg
        self.resolve_source = resolve_source or _given_source

    @property
    def ffmpeg(self) -> str:
        if not self._ffmpeg:
            self._ffmpeg = default_ffmpeg()
        return self._ffmpeg

    async def start(self, channels: list[Channel]) -> None:
        await asyncio.to_thread(shutil.rmtree, self.settings.live_dir, True)
        for s in self.settings.storage_paths:
            if s.usage in (1, 2):
                await asyncio.to_thread(s.path.mkdir, parents=True, exist_ok=True)
        await check_all(self.index, self.settings.storage_paths, repair=True)
        await self.storage.check()
        root = self.storage.writable_root()
        self._root = str(root) if root is not None else ""
        for s in self.settings.storage_paths:
            if s.usage != -1 and s.path.is_dir():
                self._storage_event("ready", {"storagePath": str(s.path), "statusCode": 0})
        self._retention = asyncio.create_task(
            self.storage.run(self.settings.recording.retention_interval_seconds, self._root_changed)
        )
        self._motion_task = asyncio.create_task(self.motion.run(), name="motion")
        for ch in channels:
            self.add(ch)

    async def stop(self) -> None:
        for task in (self._retention, self._motion_task):
            if task:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await asyncio.gather(*(ing.stop() for ing in self.ingests.values()))
        self.ingests.clear()
        for hub in self.hubs.values():
            hub.close_all()
        self.hubs.clear()

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
        live = self.settings.live
        hub = None
        if live.lowlatency:
            hub = self.hubs.setdefault(ch.chid, LiveHub(ch.chid, "main", live.viewer_queue))
        ingest = ChannelIngest(
            ch.chid,
            spec,
            ffmpeg=self.ffmpeg,
            settings=self.settings.recording,
            writable_root=self.storage.writable_root,
            index=self.index,
            board=self.board,
            clock=self.clock,
            on_status=functools.partial(self._status, ch.chid),
            live=hub,
            hls_dir=self.hls_dir(ch.chid, "main") if live.hls else None,
            hls_seconds=live.hls_seconds,
            motion=self.motion.feed_for(ch.chid),
        )
        self.ingests[ch.chid] = ingest
        ingest.start()

    async def remove(self, chid: int) -> None:
        ingest = self.ingests.pop(chid, None)
        if ingest is not None:
            await ingest.stop()
        hub = self.hubs.pop(chid, None)
        if hub is not None:
            hub.close_all()
        self.board.forget(chid)
        self.motion.forget(chid)
        self._streamed.discard(chid)

    def hls_dir(self, chid: int, profile: str) -> Path:
        return self.settings.live_dir / f"ch{chid}{profile}"

    def hls_file(self, stream: str, name: str) -> Path | None:
        """A live HLS file (``index.m3u8``, ``init.mp4``, ``seg_*.m4s``) of a stream."""
        m = _STREAM.match(stream)
        if m is None or not self.settings.live.hls or int(m.group(1)) not in self.ingests:
            return None
        if not _HLS_FILE.match(name):
            return None
        path = self.hls_dir(int(m.group(1)), m.group(2)) / name
        return path if path.is_file() else None

    def hub(self, chid: int) -> LiveHub | None:
        return self.hubs.get(chid)

    def motion_states(self) -> dict[int, bool]:
        """Motion now, per channel (False without detection or before any picture)."""
        states = self.motion.states()
        return {chid: states.get(chid, False) for chid in self.ingests}

    def _status(self, chid: int, code: int) -> None:
        log.info("channel status", extra={"chid": chid, "code": code})
        self.bus.publish("channelStatus", chid=chid, code=code)
        if code != ChannelStatus.CONNECTED:
            self.motion.lost(chid)
        if code == ChannelStatus.CONNECTED:
            # A stream that comes back is a new one (new ffmpeg, new init segment):
            # live viewers must reconnect.
            self.bus.publish("videoStream", chid=chid, changed=chid in self._streamed)
            self._streamed.add(chid)

    def _recording_changed(self, chid: int) -> None:
        self.bus.publish("recordingStatus", **self.board.recording_fields(chid))

    def _storage_event(self, kind: str, data: dict[str, object]) -> None:
        self.bus.publish("storage", kind=kind, **data)

    def _root_changed(self) -> None:
        root = self.storage.writable_root()
        after = str(root) if root is not None else ""
        if after != self._root:
            self._storage_event("rootChanged", {"before": self._root, "after": after})
            self._root = after
        for ingest in self.ingests.values():
            ingest.switch_root()

    def segment_path(self, root_index: int, rel: str) -> Path | None:
        paths = self.settings.storage_paths
        if not 0 <= root_index < len(paths) or paths[root_index].usage == -1:
            return None
        root = paths[root_index].path.resolve()
        target = (root / rel).resolve()
        if not target.is_relative_to(root) or target.suffix != ".mp4" or not target.is_file():
            return None
        return target

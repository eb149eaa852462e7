"""The media service: one ingest per channel, the storage pool and its retention.

Start-up order: make sure writable storage exists, repair what a crash left
(``fsck.check_all(repair=True)``), then start retention and the ingests.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from pathlib import Path

from nvrd.config import Settings
from nvrd.core.channelspec import ChannelSpec
from nvrd.core.clock import Clock
from nvrd.core.statuscodes import ChannelStatus
from nvrd.events.bus import EventBus
from nvrd.media.fsck import check_all
from nvrd.media.ingest import ChannelIngest
from nvrd.media.status import StatusBoard
from nvrd.media.storage import StoragePool
from nvrd.store.channels import Channel
from nvrd.store.recordings import RecordingIndex

log = logging.getLogger("nvrd.media")


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
        storage: StoragePool | None = None,
    ):
        self.settings = settings
        self.index = index
        self.board = board
        self.bus = bus
        self.clock = clock
        self.storage = storage or StoragePool(
            settings.storage_paths,
            index,
            int(settings.recording.min_free_mb * 1024 * 1024),
            on_event=self._storage_event,
        )
        self.ingests: dict[int, ChannelIngest] = {}
        self._retention: asyncio.Task[None] | None = None
        self._ffmpeg = settings.recording.ffmpeg

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
        self._retention = asyncio.create_task(
            self.storage.run(self.settings.recording.retention_interval_seconds, self._root_changed)
        )
        for ch in channels:
            self.add(ch)

    async def stop(self) -> None:
        if self._retention:
            self._retention.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._retention
        await asyncio.gather(*(ing.stop() for ing in self.ingests.values()))
        self.ingests.clear()

    def add(self, ch: Channel) -> None:
        spec = ChannelSpec.from_doc(ch.source, ch.title)
        if spec is None:
            self.board.set_code(ch.chid, int(ChannelStatus.NOT_USED))
            return
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
        )
        self.ingests[ch.chid] = ingest
        ingest.start()

    async def remove(self, chid: int) -> None:
        ingest = self.ingests.pop(chid, None)
        if ingest is not None:
            await ingest.stop()
        self.board.forget(chid)

    def _status(self, chid: int, code: int) -> None:
        state = self.board.state(chid)
        log.info("channel status", extra={"chid": chid, "code": code})
        self.bus.publish("channelStatus", chid=chid, code=code)
        self.bus.publish(
            "recordingStatus", chid=chid, streaming=state.streaming, recording=state.recording
        )

    def _storage_event(self, kind: str, data: dict[str, object]) -> None:
        self.bus.publish("storage", kind=kind, **data)

    def _root_changed(self) -> None:
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

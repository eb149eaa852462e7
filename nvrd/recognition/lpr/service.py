"""The server side of the recogniser: one worker process per LPR source with a zone.

Every ``reconcile_seconds`` the wanted workers are worked out from the
registry (sources with a zone, not tagged ``NotUsed``, whose zone channel
has a video source) and the running ones are made to match: started,
stopped, or restarted when their settings changed. A worker that dies is
logged, shown in the health figures (``state``, ``restarts``, ``lastError``)
and started again after a pause that doubles up to a minute.

Each worker's pictures come from the zone channel's analytics frame source
(``feed.py``: a subscription here, shared memory and a wake-up pipe to the
worker); the worker has no camera connection and is told nothing about the
camera (no URL, no password). The shared memory is unlinked when the worker
stops or dies and when the server stops.

Passages arrive over each worker's pipe (read on the event loop with
``add_reader``: nothing blocks) and are logged and published through the
registry service by the same rules as pushed plates.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Protocol

from nvrd.config import LprSettings
from nvrd.media.frames.feed import ChannelFrames, PictureFeed
from nvrd.recognition.lpr.settings import ReaderSettings, WorkerConfig
from nvrd.recognition.lpr.tracker import TrackerSettings
from nvrd.recognition.process import ChannelList, WorkerProcess, channels_with_video, no_frames
from nvrd.store.integrations import LprSource
from nvrd.store.lprlog import LprRecord

log = logging.getLogger("nvrd.lpr")

IMAGE_URL = "/storage/plates/"


class LprRegistry(Protocol):
    async def lpr_sources(self) -> list[LprSource]: ...

    async def record_lpr(self, rec: LprRecord, src: LprSource) -> int: ...

    async def lpr_left(self, entry_id: int, end_ms: int) -> None: ...


@dataclass
class _Worker:
    source: LprSource
    config: WorkerConfig
    proc: WorkerProcess | None = None
    parked: dict[str, int] = field(default_factory=dict)
    passages: int = 0


def run_worker(conn: Connection, notified: Connection, config: WorkerConfig) -> None:
    """The worker process's entry point: only the child loads OpenCV, numpy and the models."""
    from nvrd.recognition.lpr.worker import run

    run(conn, notified, config)


def worker_config(src: LprSource, settings: LprSettings, image_dir: Path) -> WorkerConfig:
    zone = src.zone
    assert zone is not None
    parking = zone.mode == "parking"
    gap = settings.parking_gap_seconds if parking else settings.gap_seconds
    return WorkerConfig(
        src_id=src.id,
        code=src.code,
        zone=zone.rect,
        fps=settings.fps,
        formats=tuple(settings.formats),
        image_dir=str(image_dir),
        reader=ReaderSettings(settings.det_max_side, settings.threads, settings.min_score),
        tracker=TrackerSettings(
            mode="parking" if parking else "driving",
            gap_ms=int(gap * 1000),
            min_reads=settings.min_reads,
            single_read_score=settings.single_read_score,
            max_images=settings.max_images,
            direction=zone.direction,
            entry_movement=zone.entry_movement,  # type: ignore[arg-type]
        ),
        idle_seconds=settings.idle_seconds,
        nice=settings.nice,
    )


class LprService:
    def __init__(
        self,
        settings: LprSettings,
        registry: LprRegistry,
        channels: ChannelList,
        image_dir: Path,
        frames: ChannelFrames = no_frames,
        reconcile_seconds: float = 2.0,
        now_ms: Callable[[], int] | None = None,
    ) -> None:
        self.settings = settings
        self.registry = registry
        self.channels = channels
        self.image_dir = image_dir
        #: the frame source of a channel (the media service's ``analytics_frames``)
        self.frames = frames
        self._every = reconcile_seconds
        self._now_ms = now_ms or (lambda: time.time_ns() // 1_000_000)
        self._workers: dict[int, _Worker] = {}
        self._task: asyncio.Task[None] | None = None
        self._pending: set[asyncio.Task[None]] = set()
        self._ctx = multiprocessing.get_context("spawn")

    # -- lifecycle -----------------------------------------------------------

    def start(self) -> None:
        if self.settings.enabled:
            self._task = asyncio.create_task(self._run(), name="lpr")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await asyncio.gather(*(self._stop_worker(w) for w in list(self._workers.values())))
        self._workers.clear()
        if self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)

    async def _run(self) -> None:
        last_cleanup = 0.0
        while True:
            try:
                await self.reconcile()
                if time.monotonic() - last_cleanup > 3600:
                    last_cleanup = time.monotonic()
                    await asyncio.to_thread(self.remove_old_images)
            except Exception:
                log.exception("lpr: reconcile failed; trying again")
            await asyncio.sleep(self._every)

    async def reconcile(self) -> None:
        wanted = await self._wanted()
        for src_id in list(self._workers):
            w = self._workers[src_id]
            if src_id not in wanted or wanted[src_id].config != w.config:
                await self._stop_worker(w)
                del self._workers[src_id]
        for src_id, want in wanted.items():
            running = self._workers.get(src_id)
            if running is None:
                self._workers[src_id] = want
                self._process(want).spawn(self._ctx)
                continue
            running.source = want.source
            proc = running.proc
            assert proc is not None
            proc.check()
            if proc.due:
                proc.spawn(self._ctx)
            else:
                proc.refresh()

    async def _wanted(self) -> dict[int, _Worker]:
        with_video = await channels_with_video(self.channels)
        out: dict[int, _Worker] = {}
        for src in await self.registry.lpr_sources():
            if src.zone is None or src.tag == "NotUsed" or src.zone.chid not in with_video:
                continue
            out[src.id] = _Worker(src, worker_config(src, self.settings, self.image_dir))
        return out

    # -- worker processes ------------------------------------------------------

    def _process(self, w: _Worker) -> WorkerProcess:
        zone = w.source.zone
        assert zone is not None

        def feed(notify_fd: int, on_block: Callable[[str], None]) -> PictureFeed:
            return PictureFeed(
                zone.chid,
                self.settings.fps,
                self.frames,
                self.settings.sub_stream_min_width,
                notify_fd,
                on_block,
                name=f"lpr-{w.source.code}",
            )

        def message(kind: str, body: dict[str, Any]) -> None:
            if kind == "passage":
                task = asyncio.get_running_loop().create_task(self._passage(w, body))
                self._pending.add(task)
                task.add_done_callback(self._pending.discard)

        w.proc = WorkerProcess(
            "lpr worker",
            f"nvrd-lpr-{w.source.code}",
            run_worker,
            (w.config,),
            feed,
            message,
            log,
            {"src": w.source.code},
        )
        return w.proc

    async def _stop_worker(self, w: _Worker) -> None:
        if w.proc is not None:
            await w.proc.stop()

    async def _passage(self, w: _Worker, p: dict[str, Any]) -> None:
        try:
            if p["kind"] == "left":
                entry = w.parked.pop(p["key"], None)
                if entry is not None:
                    await self.registry.lpr_left(entry, int(p["timeEnd"]))
                return
            rec = passage_record(w.source, p)
            entry = await self.registry.record_lpr(rec, w.source)
            w.passages += 1
            if p["kind"] == "parked":
                w.parked[p["key"]] = entry
        except Exception:
            log.exception("lpr: a passage could not be logged", extra={"src": w.source.code})

    # -- figures ----------------------------------------------------------------

    def health(self) -> list[dict[str, Any]]:
        """Per source: state, frame counters, CPU use and lag of its worker."""
        out = []
        for src_id in sorted(self._workers):
            w = self._workers[src_id]
            proc = w.proc
            s = proc.stats if proc is not None else {}
            item: dict[str, Any] = {
                "src": src_id,
                "code": w.source.code,
                "chid": w.source.zone.chid if w.source.zone else None,
                "state": "stopped",
                "pid": None,
                "fps": self.settings.fps,
                "framesReceived": s.get("framesReceived", 0),
                "framesAnalysed": s.get("framesAnalysed", 0),
                "framesSkipped": s.get("framesSkipped", 0),
                "framesDropped": s.get("framesDropped", 0),
                "framesTorn": s.get("framesTorn", 0),
                "reads": s.get("reads", 0),
                "passages": w.passages,
                "cpuPercent": 0.0,
                "lagMs": s.get("lagMs", 0),
                "maxLagMs": s.get("maxLagMs", 0),
                "restarts": 0,
            }
            if proc is not None:
                item.update(proc.figures())
            out.append(item)
        return out

    def remove_old_images(self) -> int:
        """Delete the day folders of plate images older than the retention; how many."""
        days = self.settings.image_retention_days
        if days <= 0:
            return 0
        cutoff = (datetime.fromtimestamp(self._now_ms() / 1000, UTC) - timedelta(days=days)).date()
        removed = 0
        for folder in sorted(self.image_dir.glob("[0-9][0-9][0-9][0-9]/[0-9][0-9]/[0-9][0-9]")):
            try:
                day = datetime.strptime("/".join(folder.parts[-3:]), "%Y/%m/%d").date()
            except ValueError:
                continue
            if day < cutoff:
                shutil.rmtree(folder, ignore_errors=True)
                removed += 1
        return removed


def passage_record(src: LprSource, p: dict[str, Any]) -> LprRecord:
    """The vehicle-number log entry of a passage sent by a worker."""
    parked = p["kind"] == "parked"
    return LprRecord(
        when_ms=int(p["timeEnd"]),
        time_begin_ms=int(p["timeBegin"]),
        src_code=src.code,
        src_name=src.name,
        plate_no=str(p["plateNo"]),
        src_id=src.id,
        chid=src.main_chid,
        linked=tuple(src.chids),
        score=round(float(p["score"]) * 100),
        roi=p["roi"],
        direction=p.get("direction"),
        parking_entrance=src.entrance,
        parking_exit=src.exit,
        image=tuple(IMAGE_URL + name for name in p.get("images", [])),
        time_end_ms=int(p["timeEnd"]) if parked else None,
    )

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
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any, Protocol

from nvrd.config import LprSettings
from nvrd.core.channelspec import ChannelSpec
from nvrd.media.frames.source import FrameSource
from nvrd.recognition.lpr.feed import ChannelFrames, ZoneFeed
from nvrd.recognition.lpr.settings import ReaderSettings, WorkerConfig
from nvrd.recognition.lpr.tracker import TrackerSettings
from nvrd.store.channels import Channel
from nvrd.store.integrations import LprSource
from nvrd.store.lprlog import LprRecord

log = logging.getLogger("nvrd.lpr")

IMAGE_URL = "/storage/plates/"
MAX_RESTART_PAUSE = 60.0


class LprRegistry(Protocol):
    async def lpr_sources(self) -> list[LprSource]: ...

    async def record_lpr(self, rec: LprRecord, src: LprSource) -> int: ...

    async def lpr_left(self, entry_id: int, end_ms: int) -> None: ...


class ChannelList(Protocol):
    async def all(self) -> list[Channel]: ...


@dataclass
class _Worker:
    source: LprSource
    config: WorkerConfig
    process: BaseProcess | None = None
    conn: Connection | None = None
    feed: ZoneFeed | None = None
    notify: Connection | None = None  # the write end of the pictures' wake-up pipe
    state: str = "starting"
    restarts: int = 0
    last_error: str = ""
    pause: float = 1.0
    retry_at: float = 0.0
    stats: dict[str, Any] = field(default_factory=dict)
    cpu_percent: float = 0.0
    parked: dict[str, int] = field(default_factory=dict)
    passages: int = 0


def run_worker(conn: Connection, notified: Connection, config: WorkerConfig) -> None:
    """The worker process's entry point: only the child loads OpenCV, numpy and the models."""
    from nvrd.recognition.lpr.worker import run

    run(conn, notified, config)


def _no_frames(chid: int, min_width: int) -> FrameSource | None:
    return None


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
        frames: ChannelFrames = _no_frames,
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
                self._spawn(want)
                continue
            w = running
            w.source = want.source
            if w.process is not None and not w.process.is_alive():
                self._died(w, f"exited with code {w.process.exitcode}")
            if w.process is None and time.monotonic() >= w.retry_at:
                self._spawn(w)
            elif w.feed is not None:
                self._refresh(w)

    async def _wanted(self) -> dict[int, _Worker]:
        with_video = {
            ch.chid
            for ch in await self.channels.all()
            if ChannelSpec.from_doc(ch.source, ch.title) is not None
        }
        out: dict[int, _Worker] = {}
        for src in await self.registry.lpr_sources():
            if src.zone is None or src.tag == "NotUsed" or src.zone.chid not in with_video:
                continue
            out[src.id] = _Worker(src, worker_config(src, self.settings, self.image_dir))
        return out

    # -- worker processes ------------------------------------------------------

    def _spawn(self, w: _Worker) -> None:
        parent, child = self._ctx.Pipe()
        notified, notify = self._ctx.Pipe(duplex=False)
        proc = self._ctx.Process(
            target=run_worker,
            args=(child, notified, w.config),
            name=f"nvrd-lpr-{w.source.code}",
            daemon=True,
        )
        proc.start()
        child.close()
        notified.close()
        os.set_blocking(notify.fileno(), False)
        w.process, w.conn, w.notify, w.state = proc, parent, notify, "starting"
        asyncio.get_running_loop().add_reader(parent.fileno(), self._readable, w)
        log.info("lpr worker started", extra={"src": w.source.code, "pid": proc.pid})
        assert w.source.zone is not None
        w.feed = ZoneFeed(
            w.source.zone.chid,
            self.settings.fps,
            self.frames,
            self.settings.sub_stream_min_width,
            notify.fileno(),
            lambda name: self._tell(w, ("frames", name)),
            name=f"lpr-{w.source.code}",
        )
        self._refresh(w)

    def _refresh(self, w: _Worker) -> None:
        """Follow the channel's frame source (tried again at the next reconcile)."""
        if w.feed is None:
            return
        try:
            w.feed.refresh()
        except Exception as exc:  # e.g. no room in /dev/shm for the pictures
            if w.feed.last_error != str(exc):
                log.exception("lpr: pictures not subscribed", extra={"src": w.source.code})
            w.feed.last_error = str(exc)

    def _tell(self, w: _Worker, msg: object) -> None:
        if w.conn is not None:
            with contextlib.suppress(OSError, ValueError):
                w.conn.send(msg)

    def _close_feed(self, w: _Worker) -> None:
        """Unsubscribe the worker's pictures, unlink their shared memory, close the pipe."""
        feed, w.feed = w.feed, None
        if feed is not None:
            feed.close()
        notify, w.notify = w.notify, None
        if notify is not None:
            notify.close()

    def _died(self, w: _Worker, why: str) -> None:
        self._close_conn(w)
        self._close_feed(w)
        if w.process is not None:
            w.process.join(timeout=0)
        w.process = None
        w.state = "restarting"
        w.restarts += 1
        w.last_error = why
        w.retry_at = time.monotonic() + w.pause
        w.pause = min(w.pause * 2, MAX_RESTART_PAUSE)
        log.error("lpr worker died; restarting", extra={"src": w.source.code, "why": why})

    def _close_conn(self, w: _Worker) -> None:
        if w.conn is not None:
            with contextlib.suppress(ValueError, OSError):
                asyncio.get_running_loop().remove_reader(w.conn.fileno())
            w.conn.close()
            w.conn = None

    async def _stop_worker(self, w: _Worker) -> None:
        proc = w.process
        self._close_feed(w)
        self._tell(w, "stop")
        if proc is not None:
            await asyncio.to_thread(proc.join, 5)
            if proc.is_alive():
                proc.kill()
                await asyncio.to_thread(proc.join, 5)
        # passages sent while stopping (the tracks the worker flushed)
        self._drain(w)
        self._close_conn(w)
        w.process, w.state = None, "stopped"

    def _readable(self, w: _Worker) -> None:
        if not self._drain(w):
            self._died(w, "pipe closed")

    def _drain(self, w: _Worker) -> bool:
        """Take every message waiting on the pipe; False when the worker is gone."""
        conn = w.conn
        if conn is None:
            return True
        try:
            while conn.poll():
                kind, body = conn.recv()
                self._message(w, kind, body)
        except (EOFError, OSError):
            return False
        return True

    def _message(self, w: _Worker, kind: str, body: dict[str, Any]) -> None:
        if kind == "ready":
            w.state, w.pause = "running", 1.0
        elif kind == "stats":
            self._stats(w, body)
        elif kind == "passage":
            task = asyncio.get_running_loop().create_task(self._passage(w, body))
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)

    def _stats(self, w: _Worker, body: dict[str, Any]) -> None:
        before = w.stats
        if before:
            wall = body["uptimeSeconds"] - before["uptimeSeconds"]
            if wall > 0:
                w.cpu_percent = round(100 * (body["cpuSeconds"] - before["cpuSeconds"]) / wall, 1)
        w.stats = body

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
            s = w.stats
            item: dict[str, Any] = {
                "src": src_id,
                "code": w.source.code,
                "chid": w.source.zone.chid if w.source.zone else None,
                "state": w.state,
                "pid": w.process.pid if w.process is not None else None,
                "fps": self.settings.fps,
                "framesReceived": s.get("framesReceived", 0),
                "framesAnalysed": s.get("framesAnalysed", 0),
                "framesSkipped": s.get("framesSkipped", 0),
                "framesDropped": s.get("framesDropped", 0),
                "framesTorn": s.get("framesTorn", 0),
                "reads": s.get("reads", 0),
                "passages": w.passages,
                "cpuPercent": w.cpu_percent,
                "lagMs": s.get("lagMs", 0),
                "maxLagMs": s.get("maxLagMs", 0),
                "restarts": w.restarts,
            }
            if w.feed is not None:
                item.update(w.feed.stats())
                anchor = w.feed.anchor_ms()
                if anchor is not None:
                    item["feedAnchorMs"] = anchor
            if w.last_error:
                item["lastError"] = w.last_error
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

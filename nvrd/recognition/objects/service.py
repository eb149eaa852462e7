"""The server side of object detection: one worker process per channel listed in
``[objects] channels`` that has a video source.

A supervised loop (``objects``: a failure is logged, reported as a system
event and the loop started again after a growing pause) works out the wanted
workers every ``reconcile_seconds`` and makes the running ones match:
started, stopped, started again after a death (the pause doubling up to a
minute, :mod:`nvrd.recognition.process`). Each worker's pictures come from
the channel's analytics frame source, scaled to ``[objects] width`` at
``[objects] fps`` (:class:`~nvrd.media.frames.feed.PictureFeed`: shared
memory, frames dropped and counted, never queued).

Motion gate (``[objects] motion_gate``): every ``tick_seconds`` the channel's
motion state is read; while its motion detector says nothing moves the
worker's pictures are unsubscribed (nothing is decoded for detection), and
subscribed again when motion starts. A channel without motion detection is
not gated.

A worker sends each track when it ends (one object per track, with the best
crop of the whole track). Here the object gets a server-wide id (the start
time of the service in ms, counting up: unique across restarts), its crop is
written to ``<data_dir>/objects/<chid>/<YYYY-MM-DD UTC>/<at_ms>-<objId>.jpg``
(a new file renamed into place) and :class:`~nvrd.events.types.ObjectSeen`
is published, ``at_ms`` being when the object was first seen.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from nvrd.config import ObjectSettings
from nvrd.core.supervisor import Supervisor
from nvrd.events.types import Event, ObjectSeen
from nvrd.media.frames.feed import ChannelFrames, PictureFeed
from nvrd.recognition.objects.models import check_prepared
from nvrd.recognition.objects.settings import ObjectWorkerConfig
from nvrd.recognition.process import ChannelList, WorkerProcess, channels_with_video, no_frames

log = logging.getLogger("nvrd.objects")

TASK = "objects"
#: worker ids remembered per server id (a face's person may have ended long before)
MAX_IDS = 4096


def crop_name(chid: int, at_ms: int, obj_id: int) -> str:
    """The crop's path below the data folder (the object log serves it from there)."""
    day = datetime.fromtimestamp(at_ms / 1000, UTC).strftime("%Y-%m-%d")
    return f"objects/{chid}/{day}/{at_ms}-{obj_id}.jpg"


def write_file(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all (a new file renamed into place)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        tmp.write_bytes(data)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def run_worker(conn: Connection, notified: Connection, config: ObjectWorkerConfig) -> None:
    """The worker process's entry point: only the child loads OpenCV, numpy and the models."""
    from nvrd.recognition.objects.worker import run

    run(conn, notified, config)


@dataclass
class _Worker:
    chid: int
    config: ObjectWorkerConfig
    proc: WorkerProcess | None = None
    objects: int = 0
    motion: bool | None = None
    #: the last object being written and published (events go out in the worker's order)
    last: asyncio.Task[None] | None = None


class ObjectService:
    def __init__(
        self,
        settings: ObjectSettings,
        channels: ChannelList,
        data_dir: Path,
        publish: Callable[[Event], None],
        supervisor: Supervisor,
        frames: ChannelFrames = no_frames,
        motion: Callable[[], dict[int, bool]] = dict,
        now_ms: Callable[[], int] | None = None,
        reconcile_seconds: float = 2.0,
        tick_seconds: float = 0.5,
    ) -> None:
        self.settings = settings
        self.channels = channels
        self.data_dir = data_dir
        self.publish = publish
        self.supervisor = supervisor
        #: the frame source of a channel (the media service's ``analytics_frames``)
        self.frames = frames
        #: the motion state of the channels with motion detection
        self.motion = motion
        self._now_ms = now_ms or (lambda: time.time_ns() // 1_000_000)
        self._every = reconcile_seconds
        self._tick = tick_seconds
        self._workers: dict[int, _Worker] = {}
        self._pending: set[asyncio.Task[None]] = set()
        self._ids: OrderedDict[tuple[int | None, int], int] = OrderedDict()
        self._next_id = 0
        self._ctx = multiprocessing.get_context("spawn")

    # -- lifecycle -----------------------------------------------------------

    def start(self) -> None:
        if self.settings.channels:
            self._next_id = self._now_ms()
            self.supervisor.spawn(TASK, self._run)

    async def stop(self) -> None:
        await self.supervisor.cancel(TASK)
        await asyncio.gather(*(self._stop_worker(w) for w in list(self._workers.values())))
        self._workers.clear()
        if self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)

    async def _run(self) -> None:
        # a model the install step did not convert: the supervisor logs it, reports it
        # and tries again later (after `make models`), rather than workers dying on it
        check_prepared(self.worker_config(self.settings.channels[0]))
        last = float("-inf")
        while True:
            if time.monotonic() - last >= self._every:
                last = time.monotonic()
                await self.reconcile()
            self.gate()
            await asyncio.sleep(self._tick)

    async def reconcile(self) -> None:
        with_video = await channels_with_video(self.channels)
        wanted = {
            chid: self.worker_config(chid) for chid in self.settings.channels if chid in with_video
        }
        for chid in list(self._workers):
            if chid not in wanted or wanted[chid] != self._workers[chid].config:
                await self._stop_worker(self._workers.pop(chid))
        for chid, config in wanted.items():
            w = self._workers.get(chid)
            if w is None:
                w = self._workers[chid] = _Worker(chid, config)
                self._process(w).spawn(self._ctx)
                continue
            assert w.proc is not None
            w.proc.check()
            if w.proc.due:
                w.proc.spawn(self._ctx)
            else:
                w.proc.refresh()

    def worker_config(self, chid: int) -> ObjectWorkerConfig:
        s = self.settings
        return ObjectWorkerConfig(
            chid=chid,
            fps=s.fps,
            models_dir=str(s.models_dir),
            detector=s.detector,
            faces=s.faces,
            embeddings=s.faces and chid not in s.face_embeddings_off,
            clothes=s.clothes,
            nice=s.nice,
        )

    def gate(self) -> None:
        """Pictures only while the channel's motion detector sees movement (or has none)."""
        states = self.motion() if self.settings.motion_gate else {}
        for w in self._workers.values():
            w.motion = states.get(w.chid)
            proc = w.proc
            if proc is None or proc.feed is None:
                continue
            if w.motion is False:
                proc.feed.pause()
            elif proc.feed.paused:
                proc.feed.resume()
                proc.refresh()

    # -- worker processes ------------------------------------------------------

    def _process(self, w: _Worker) -> WorkerProcess:
        def feed(notify_fd: int, on_block: Callable[[str], None]) -> PictureFeed:
            return PictureFeed(
                w.chid,
                self.settings.fps,
                self.frames,
                self.settings.width,
                notify_fd,
                on_block,
                name=f"objects-ch{w.chid}",
                max_width=self.settings.width,
            )

        def message(kind: str, body: dict[str, Any]) -> None:
            if kind == "object":
                self._object(w, body)

        w.proc = WorkerProcess(
            "objects worker",
            f"nvrd-objects-{w.chid}",
            run_worker,
            (w.config,),
            feed,
            message,
            log,
            {"chid": w.chid},
        )
        return w.proc

    async def _stop_worker(self, w: _Worker) -> None:
        if w.proc is not None:
            await w.proc.stop()

    def _server_id(self, pid: int | None, local: int) -> int:
        key = (pid, local)
        found = self._ids.get(key)
        if found is None:
            self._next_id += 1
            found = self._ids[key] = self._next_id
            if len(self._ids) > MAX_IDS:
                self._ids.popitem(last=False)
        return found

    def _object(self, w: _Worker, body: dict[str, Any]) -> None:
        """An ended track: ids now (in the order the worker sent them), the file later."""
        pid = w.proc.pid if w.proc is not None else None
        obj_id = self._server_id(pid, int(body["objId"]))
        parent = body.get("parentId")
        parent_id = self._server_id(pid, int(parent)) if parent is not None else None
        task = asyncio.get_running_loop().create_task(
            self._publish(w, body, obj_id, parent_id, w.last), name=f"object-{obj_id}"
        )
        w.last = task
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _publish(
        self,
        w: _Worker,
        body: dict[str, Any],
        obj_id: int,
        parent_id: int | None,
        before: asyncio.Task[None] | None,
    ) -> None:
        at_ms = int(body["timeBegin"])
        embedding = body.get("embedding")
        image: str | None = None
        data = body.get("jpeg")
        try:
            if isinstance(data, bytes) and data:
                name = crop_name(w.chid, at_ms, obj_id)
                await asyncio.to_thread(write_file, self.data_dir / name, data)
                image = name
        except OSError as exc:
            log.error("objects: a crop could not be written", extra={"chid": w.chid, "why": exc})
            if w.proc is not None:
                w.proc.last_error = f"crop not written: {exc}"
        if before is not None:
            await asyncio.wait([before])
        w.objects += 1
        self.publish(
            ObjectSeen(
                at_ms=at_ms,
                chid=w.chid,
                obj_id=obj_id,
                type=str(body["type"]),
                parent_id=parent_id,
                likelihood=float(body["likelihood"]),
                attributes=dict(body.get("attributes") or {}),
                image=image,
                embedding=embedding if isinstance(embedding, bytes) and embedding else None,
            )
        )

    # -- figures ----------------------------------------------------------------

    def health(self) -> list[dict[str, Any]]:
        """Per channel: state, pid, frame counters, tracks, ms per frame, CPU, last error."""
        task = self.supervisor.get(TASK)
        out = []
        for chid in sorted(self._workers):
            w = self._workers[chid]
            s = w.proc.stats if w.proc is not None else {}
            item: dict[str, Any] = {
                "chid": chid,
                "state": "stopped",
                "pid": None,
                "fps": self.settings.fps,
                "width": self.settings.width,
                "faces": self.settings.faces,
                "faceEmbeddings": w.config.embeddings,
                "motion": w.motion,
                "framesReceived": s.get("framesReceived", 0),
                "framesDropped": s.get("framesDropped", 0),
                "framesTorn": s.get("framesTorn", 0),
                "framesAnalysed": s.get("framesAnalysed", 0),
                "detections": s.get("detections", 0),
                "tracks": w.objects,
                "openTracks": s.get("openTracks", 0),
                "msPerFrame": s.get("msPerFrame", 0.0),
                "lastMsPerFrame": s.get("lastMsPerFrame", 0.0),
                "lagMs": s.get("lagMs", 0),
                "maxLagMs": s.get("maxLagMs", 0),
                "cpuPercent": 0.0,
                "cpuSeconds": s.get("cpuSeconds", 0.0),
                "uptimeSeconds": s.get("uptimeSeconds", 0.0),
                "restarts": 0,
            }
            if w.proc is not None:
                item.update(w.proc.figures())
                if w.proc.feed is not None:
                    item["gatePauses"] = w.proc.feed.pauses
            if task is not None and task.last_error is not None and "lastError" not in item:
                item["lastError"] = f"{type(task.last_error).__name__}: {task.last_error}"
            out.append(item)
        return out

"""One ``/wsapi/dataExport`` task after its ``ready`` stage: the stages, the commands, the
files and their clean-up (docs/design/export.md).

The session sends through ``send`` and reads the client's commands from a
queue (``None`` = the socket closed; the caller also cancels the session
then, so that it stops at once). Files are deleted after ``next``, on
``cancel``, on timeout and when the session ends in any way (the task
folder goes with it).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import quote

from nvrd.core.clock import utc_from_ms
from nvrd.core.i18n import Translator
from nvrd.export.assemble import Part, export_parts, export_runs
from nvrd.export.files import (
    Cancelled,
    Member,
    Progress,
    Written,
    free_bytes,
    write_member,
    write_zip,
)
from nvrd.export.names import FileNames
from nvrd.export.params import ExportRequest
from nvrd.export.service import ChannelWork, ExportService, TaskFiles
from nvrd.export.subtitles import EXTENSIONS, render

log = logging.getLogger("nvrd.export")

T = TypeVar("T")

SUCCESS = 0
NO_DATA = -1
BAD_PARAMS = -2
NO_SPACE = -5
NOT_ENOUGH_SPACE = -1001
CANCELLED = -1003
TIMEOUT = -1004
COMMANDS = ("wait", "next", "cancel")


def _now() -> float:
    """The event loop's clock, which ``wait_for`` timeouts run on."""
    return asyncio.get_running_loop().time()


class Ended(Exception):
    def __init__(self, code: int):
        super().__init__(code)
        self.code = code


@dataclass
class _Meter:
    """Progress that only grows: overall and per channel, as "37%"."""

    total_ms: int
    done_ms: float = 0.0
    shown: int = 0
    channel_total: int = 1
    channel_done: float = 0.0
    channel_shown: int = 0

    def at(self, extra_ms: float) -> tuple[str, str]:
        overall = int(100 * min(1.0, (self.done_ms + extra_ms) / max(1, self.total_ms)))
        chan = int(100 * min(1.0, (self.channel_done + extra_ms) / max(1, self.channel_total)))
        self.shown = max(self.shown, min(overall, 99))
        self.channel_shown = max(self.channel_shown, min(chan, 99))
        return f"{self.shown}%", f"{self.channel_shown}%"


@dataclass
class Session:
    svc: ExportService
    i18n: Translator
    task: str
    uid: str
    req: ExportRequest
    work: list[ChannelWork]
    send: Callable[[dict[str, Any]], Awaitable[None]]
    commands: asyncio.Queue[dict[str, Any] | None]
    base_url: str  # http(s)://host/ for download links
    ttl_ms: int = 10_000
    alert_ms: int = 2_000
    reserve_bytes: int = 0
    files: TaskFiles | None = None
    delivered: list[str] = field(default_factory=list)
    _cancelled: asyncio.Event = field(default_factory=asyncio.Event)
    _flow: asyncio.Queue[str] = field(default_factory=asyncio.Queue)
    _awaiting_flow: bool = False
    _fid: int = 0
    _names: FileNames = field(default_factory=FileNames)

    # ----------------------------------------------------------- messages

    def status(self, code: int) -> dict[str, Any]:
        return {"code": code, "message": self.i18n.text(self.req.lang, f"export.status.{code}")}

    def iso(self, ms: float) -> str:
        return self.svc.iso(int(ms))

    async def _stage(self, stage: str, meter: _Meter, at_ms: float, **more: Any) -> None:
        await self.send({"stage": stage, "overallProgress": f"{meter.shown}%",
                         "timestamp": self.iso(at_ms), **more})  # fmt: skip

    # ----------------------------------------------------------- commands

    async def read_commands(self) -> None:
        """Sort the client's messages: cancel at any time; wait/next only after fileEnd."""
        while True:
            msg = await self.commands.get()
            if msg is None:
                self._cancelled.set()
                return
            problem = self._check(msg)
            if problem is not None:
                await self.send({"stage": "commandRejected", "status": problem})
                continue
            cmd = str(msg["cmd"])
            if cmd == "cancel":
                self._cancelled.set()
            elif self._awaiting_flow:
                self._flow.put_nowait(cmd)
            else:
                log.debug("command ignored outside a download wait", extra={"cmd": cmd})

    def _check(self, msg: dict[str, Any]) -> dict[str, Any] | None:
        lang = self.req.lang
        cmd = msg.get("cmd")
        if cmd not in COMMANDS:
            text = self.i18n.text(lang, "error.unknownCommand", cmd=str(cmd)[:64])
            return {"code": BAD_PARAMS, "message": text}
        if msg.get("task") != self.task:
            text = self.i18n.text(lang, "error.wrongTask", task=self.task)
            return {"code": BAD_PARAMS, "message": text}
        return None

    async def _race(self, aw: Awaitable[T]) -> T:
        """``aw``, unless the client cancels first (-1003)."""
        job = asyncio.ensure_future(aw)
        stop = asyncio.ensure_future(self._cancelled.wait())
        try:
            await asyncio.wait({job, stop}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
        if not job.done():
            job.cancel()
            with contextlib.suppress(BaseException):
                await job
            raise Ended(CANCELLED)
        return job.result()

    # ----------------------------------------------------------- the task

    async def run(self) -> int:
        """Wait for a slot, export every channel, send ``end``; returns the end code."""
        reader = asyncio.create_task(self.read_commands())
        total = sum(w.recorded_ms for w in self.work)
        meter = _Meter(total)
        code = SUCCESS
        try:
            try:
                async with contextlib.AsyncExitStack() as stack:
                    await self._race(stack.enter_async_context(self.svc.slot()))
                    self.files = self.svc.open_task(self.task, self.uid)
                    self._record_start()
                    await self._stage("begin", meter, self.req.begin_ms)
                    for w in self.work:
                        await self._channel(w, meter)
            except Ended as e:
                code = e.code
            except asyncio.CancelledError:  # the socket closed: stop at once
                code = CANCELLED
                raise
            meter.shown = 100 if code == SUCCESS else meter.shown
            await self._stage("end", meter, self.req.end_ms, status=self.status(code))
        finally:
            reader.cancel()
            self.svc.close_task(self.task)
            if self.files is not None:
                self.svc.records.export_ended(self.uid, self.task, code, self.delivered)
        return code

    def _record_start(self) -> None:
        r = self.req
        self.svc.records.export_started(
            self.uid,
            self.task,
            [w.chid for w in self.work],
            (self.iso(r.begin_ms), self.iso(r.end_ms)),
            r.submitter,
            r.recipient,
            r.purpose,
            "dataExport",
            r.password is not None,
        )

    async def _channel(self, w: ChannelWork, meter: _Meter) -> None:
        meter.channel_total, meter.channel_done, meter.channel_shown = w.recorded_ms, 0.0, 0
        first = max(self.req.begin_ms, w.sources[0].start_ms)
        await self._stage("channelBegin", meter, first, channel={"chid": w.chid, "progress": "0%"})
        r = self.req
        runs = await self._race(
            asyncio.to_thread(export_runs, w.sources, r.begin_ms, r.end_ms, self.svc.cache)
        )
        for run in runs:
            for part in export_parts(run, r.media_size, self._title(w)):
                await self._part(w, part, meter)
        meter.channel_shown = 100
        meter.done_ms = max(meter.done_ms, sum(x.recorded_ms for x in self._before(w)))
        meter.at(0)
        await self._stage(
            "channelEnd", meter, r.end_ms, channel={"chid": w.chid, "progress": "100%"}
        )

    def _before(self, w: ChannelWork) -> list[ChannelWork]:
        return self.work[: self.work.index(w) + 1]

    def _title(self, w: ChannelWork) -> Callable[[int], tuple[str, str]]:
        def make(start_ms: int) -> tuple[str, str]:
            start = self.iso(start_ms)
            return start, f"{w.label} {start}"

        return make

    def _members(self, w: ChannelWork, part: Part, name: str) -> list[Member]:
        local = utc_from_ms(part.plan.start_ms).astimezone(self.svc.tz)
        stamp = local.strftime("%Y,%m,%d,%H,%M,%S")
        members = [Member(f"{name}.mp4", plan=part.plan, extra={"zip_time": stamp})]
        fmt = self.req.subtitle
        if fmt is not None:
            text = render(
                fmt, part.anchors, part.plan.duration_ms, self.svc.tz, self.req.lang, w.label
            )
            members.append(
                Member(f"{name}.{EXTENSIONS[fmt]}", text=text.encode(), extra={"zip_time": stamp})
            )
        return members

    async def _part(self, w: ChannelWork, part: Part, meter: _Meter) -> None:
        assert self.files is not None
        self._fid += 1
        fid = self._fid
        name = self._names.name(w.chid, part.plan.start_ms, self.svc.tz)
        members = self._members(w, part, name)
        size = sum(m.size for m in members)
        if await asyncio.to_thread(free_bytes, self.files.folder) < size + self.reserve_bytes:
            raise Ended(NOT_ENOUGH_SPACE)
        chan = {"chid": w.chid}
        meter.at(0)
        await self._stage(
            "fileBegin", meter, part.plan.start_ms,
            channel={**chan, "progress": f"{meter.channel_shown}%",
                     "file": {"fid": fid, "name": members[0].name}},
        )  # fmt: skip
        written = await self._write(w, part, members, size, meter, fid)
        meter.done_ms += part.plan.duration_ms
        meter.channel_done += part.plan.duration_ms
        meter.at(0)
        download = []
        for item in written:
            entry: dict[str, Any] = {
                "fileName": item.path.name,
                "src": f"{self.base_url}download/{self.task}/{quote(item.path.name)}",
            }
            if item.md5 is not None:
                entry["md5"] = item.md5
            download.append(entry)
            self.files.offered.add(item.path.name)
        file = {"fid": fid, "ttl": self.ttl_ms, "download": download}
        await self._stage(
            "fileEnd", meter, part.end_ms,
            channel={**chan, "progress": f"{meter.channel_shown}%", "file": file},
        )  # fmt: skip
        try:
            await self._hold()
        finally:
            for item in written:
                self.files.offered.discard(item.path.name)
                item.path.unlink(missing_ok=True)
        self.delivered.extend(item.path.name for item in written)

    async def _write(
        self, w: ChannelWork, part: Part, members: list[Member], size: int, meter: _Meter, fid: int
    ) -> list[Written]:
        assert self.files is not None
        folder = self.files.folder
        progress = Progress()
        req = self.req

        def produce() -> list[Written]:
            if req.password is not None:
                zip_path = folder / (members[0].name.rsplit(".", 1)[0] + ".zip")
                return [write_zip(members, zip_path, req.password, progress, req.md5)]
            return [write_member(m, folder, progress, req.md5) for m in members]

        job = asyncio.ensure_future(asyncio.to_thread(produce))
        stop = asyncio.ensure_future(self._cancelled.wait())
        interval = req.status_interval_ms / 1000 if req.status_interval_ms else None
        try:
            while True:
                done, _ = await asyncio.wait(
                    {job, stop}, timeout=interval, return_when=asyncio.FIRST_COMPLETED
                )
                if stop in done:
                    progress.cancelled = True
                    with contextlib.suppress(Cancelled, OSError):
                        await job
                    raise Ended(CANCELLED)
                if job in done:
                    break
                fraction = progress.done / max(1, size)
                meter.at(fraction * part.plan.duration_ms)
                at = part.plan.start_ms + fraction * part.plan.duration_ms
                await self._stage(
                    "fileWriting", meter, at,
                    channel={"chid": w.chid, "progress": f"{meter.channel_shown}%",
                             "file": {"fid": fid}},
                )  # fmt: skip
        finally:
            stop.cancel()
            if not job.done():
                progress.cancelled = True
        try:
            return job.result()
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise Ended(NOT_ENOUGH_SPACE) from None
            raise

    async def _hold(self) -> None:
        """Keep the file until ``next``; ``wait`` extends by ``ttl``; ``timeoutAlert``
        ``alert_ms`` before the end; nothing -> -1004."""
        self._awaiting_flow = True
        try:
            deadline = _now() + self.ttl_ms / 1000
            alerted = False
            while True:
                left = deadline - _now()
                lead = 0.0 if alerted else min(self.alert_ms / 1000, left / 2)
                try:
                    cmd = await self._race(asyncio.wait_for(self._flow.get(), left - lead))
                except TimeoutError:
                    if alerted:
                        raise Ended(TIMEOUT) from None
                    alerted = True
                    remaining = max(0, round((deadline - _now()) * 1000))
                    await self.send(
                        {"stage": "timeoutAlert", "request": "timeoutAlert", "ttl": remaining}
                    )
                    continue
                if cmd == "next":
                    return
                deadline = _now() + self.ttl_ms / 1000
                alerted = False
        finally:
            self._awaiting_flow = False
            while not self._flow.empty():
                self._flow.get_nowait()


def dump(msg: dict[str, Any], indent: int | None) -> str:
    return json.dumps(msg, ensure_ascii=False, indent=indent)

"""The server's side of one analysing worker process (a plate recogniser, an object detector).

A :class:`WorkerProcess` starts its process (``spawn``: only the child loads
OpenCV, numpy and the models), gives it a control pipe (orders down, results
and counters up: a :class:`~nvrd.recognition.pipe.MessagePipe`, read and
written on the event loop without ever waiting)
and a picture feed (:class:`~nvrd.media.frames.feed.PictureFeed`: shared
memory and a wake-up pipe). A worker that dies (its pipe closes, or it exited)
is logged and shown (``state``, ``restarts``, ``lastError``) and its owner
starts it again once ``due``, after a pause that doubles up to
:data:`MAX_RESTART_PAUSE` and resets when the worker says it is ready.

Messages are ``(kind, body)`` pairs; ``ready`` and ``stats`` are handled here
(``stats`` bodies carry ``cpuSeconds`` and ``uptimeSeconds``, from which the
CPU share is worked out), every other kind goes to ``on_message``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.context import SpawnContext
from multiprocessing.process import BaseProcess
from typing import Any, Protocol

from nvrd.core.channelspec import ChannelSpec
from nvrd.media.frames.feed import PictureFeed
from nvrd.media.frames.source import FrameSource
from nvrd.recognition.pipe import MessagePipe, PipeError
from nvrd.store.channels import Channel

MAX_RESTART_PAUSE = 60.0
#: reads of up to 1 MB when the pipe is emptied at once (a stopping worker's last words)
DRAIN_READS = 256

#: ``make_feed(notify_fd, on_block)``: the worker's picture feed (``on_block(name)`` tells
#: the worker the name of a new shared-memory block).
FeedMaker = Callable[[int, Callable[[str], None]], PictureFeed]
OnMessage = Callable[[str, dict[str, Any]], None]


class ChannelList(Protocol):
    async def all(self) -> list[Channel]: ...


async def channels_with_video(channels: ChannelList) -> set[int]:
    """The channels that have a video source (the others give no pictures)."""
    return {
        ch.chid
        for ch in await channels.all()
        if ChannelSpec.from_doc(ch.source, ch.title) is not None
    }


def no_frames(chid: int, min_width: int) -> FrameSource | None:
    """The frame source of no channel (a service built without the media service)."""
    return None


class WorkerProcess:
    def __init__(
        self,
        label: str,
        name: str,
        target: Callable[..., None],
        args: tuple[Any, ...],
        make_feed: FeedMaker,
        on_message: OnMessage,
        log: logging.Logger,
        extra: dict[str, Any],
    ) -> None:
        self.label = label  # in the logs: "lpr worker"
        self.name = name  # the process's
        self.target, self.args = target, args
        self.make_feed = make_feed
        self.on_message = on_message
        self.log, self.extra = log, extra
        self.process: BaseProcess | None = None
        self.pipe: MessagePipe | None = None
        self.feed: PictureFeed | None = None
        self.notify: Connection | None = None  # the write end of the pictures' wake-up pipe
        self.state = "starting"
        self.restarts = 0
        self.last_error = ""
        self.pause = 1.0
        self.retry_at = 0.0
        self.stats: dict[str, Any] = {}
        self.cpu_percent = 0.0
        self._stopping = False
        #: a process that died, until its exit code is known (added to ``last_error``)
        self._dead: BaseProcess | None = None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    @property
    def due(self) -> bool:
        """Not running and its restart pause is over."""
        return self.process is None and time.monotonic() >= self.retry_at

    def spawn(self, ctx: SpawnContext) -> None:
        parent, child = ctx.Pipe()
        notified, notify = ctx.Pipe(duplex=False)
        proc = ctx.Process(
            target=self.target, args=(child, notified, *self.args), name=self.name, daemon=True
        )
        proc.start()
        child.close()
        notified.close()
        os.set_blocking(notify.fileno(), False)
        self.process, self.notify, self.state = proc, notify, "starting"
        self.pipe = MessagePipe(parent, self._received, self._pipe_ended)
        self.log.info(f"{self.label} started", extra={**self.extra, "pid": proc.pid})
        self.feed = self.make_feed(notify.fileno(), lambda name: self.tell(("frames", name)))
        self.refresh()

    def check(self) -> None:
        """Notice a process that exited without its pipe closing first; name the exit code
        of one whose pipe closed (a crash in native code says no more)."""
        dead = self._dead
        if dead is not None and dead.exitcode is not None:
            self._dead = None
            self.last_error = f"{self.last_error} (exit code {dead.exitcode})"
            self.log.error(f"{self.label} exit code", extra={**self.extra, "code": dead.exitcode})
        if self.process is not None and not self.process.is_alive():
            self.died(f"exited with code {self.process.exitcode}")

    def refresh(self) -> None:
        """Follow the channel's frame source (tried again at the next call)."""
        feed = self.feed
        if feed is None:
            return
        try:
            feed.refresh()
        except Exception as exc:  # e.g. no room in /dev/shm for the pictures
            if feed.last_error != str(exc):
                self.log.exception("pictures not subscribed", extra=self.extra)
            feed.last_error = str(exc)

    def tell(self, msg: object) -> None:
        if self.pipe is not None:
            self.pipe.send(msg)

    def died(self, why: str) -> None:
        self._close_conn()
        self._close_feed()
        if self.process is not None:
            self.process.join(timeout=0)
            if self.process.exitcode is None:
                self._dead = self.process
        self.process = None
        self.state = "restarting"
        self.restarts += 1
        self.last_error = why
        self.retry_at = time.monotonic() + self.pause
        self.pause = min(self.pause * 2, MAX_RESTART_PAUSE)
        self.log.error(f"{self.label} died; restarting", extra={**self.extra, "why": why})

    async def stop(self) -> None:
        """Ask the process to stop (killed after 5 s); what it sent meanwhile is taken."""
        proc = self.process
        self._stopping = True  # its pipe closing now is no death
        self._close_feed()
        self.tell("stop")
        if proc is not None:
            await asyncio.to_thread(proc.join, 5)
            if proc.is_alive():
                proc.kill()
                await asyncio.to_thread(proc.join, 5)
        self.drain()
        self._close_conn()
        self.process, self.state, self._stopping = None, "stopped", False

    def figures(self) -> dict[str, Any]:
        """State, pid, CPU, restarts, last error and the feed's figures."""
        out: dict[str, Any] = {
            "state": self.state,
            "pid": self.pid,
            "cpuPercent": self.cpu_percent,
            "restarts": self.restarts,
        }
        if self.feed is not None:
            out.update(self.feed.stats())
            anchor = self.feed.anchor_ms()
            if anchor is not None:
                out["feedAnchorMs"] = anchor
        if self.last_error:
            out["lastError"] = self.last_error
        return out

    def _close_feed(self) -> None:
        """Unsubscribe the pictures, unlink their shared memory, close the wake-up pipe."""
        feed, self.feed = self.feed, None
        if feed is not None:
            feed.close()
        notify, self.notify = self.notify, None
        if notify is not None:
            notify.close()

    def _close_conn(self) -> None:
        pipe, self.pipe = self.pipe, None
        if pipe is not None:
            pipe.close()

    def _pipe_ended(self, why: str) -> None:
        self.pipe = None
        if not self._stopping and self.process is not None:
            self.died(why)

    def drain(self) -> bool:
        """Take every message waiting on the pipe; False when the worker is gone."""
        pipe = self.pipe
        if pipe is None:
            return True
        return pipe.read(max_reads=DRAIN_READS)

    def _received(self, msg: object) -> None:
        try:
            if isinstance(msg, PipeError):
                raise msg
            if not (isinstance(msg, tuple) and len(msg) == 2):
                raise TypeError(f"not a (kind, body) message: {type(msg).__name__}")
            self._message(msg[0], msg[1])
        except Exception:  # a bad message is no dead worker
            self.log.exception(f"{self.label}: message not handled", extra=self.extra)

    def _message(self, kind: str, body: dict[str, Any]) -> None:
        if kind == "ready":
            self.state, self.pause = "running", 1.0
        elif kind == "stats":
            before = self.stats
            if before:
                wall = body["uptimeSeconds"] - before["uptimeSeconds"]
                if wall > 0:
                    used = body["cpuSeconds"] - before["cpuSeconds"]
                    self.cpu_percent = round(100 * used / wall, 1)
            self.stats = body
        else:
            self.on_message(kind, body)

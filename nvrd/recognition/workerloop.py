"""What every analysing worker process does alike (the plate recogniser, the object
detector): its frame counters, and its main loop.

:func:`serve` is a worker's main function once it has built its analysis: it
lowers its priority (``nice``), says it is ready, then, until it is told to
stop or the server process is gone, carries out the server's orders (a new
block of pictures), runs one step of the analysis and sends what the step
produced, with the counters every ``stats_seconds``; when it stops it sends
what the analysis still holds (open tracks) and the last counters. A closed
pipe ends it quietly (the server is gone or closed it); any other failure is
logged with its stack and ends the process (the server restarts it).
"""

from __future__ import annotations

import contextlib
import faulthandler
import logging
import os
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any, Protocol

from nvrd.media.frames.pictures import FeedCounters, Frame, SharedFrames, take_orders

#: ``(kind, body)``: what a worker tells the server
Message = tuple[str, dict[str, Any]]


@dataclass
class FrameCounters:
    """The counters of the pictures a worker looked at."""

    analysed: int = 0
    busy_seconds: float = 0.0
    last_lag_ms: int = 0
    max_lag_ms: int = 0
    last_frame_ms: int | None = None
    frame_size: tuple[int, int] | None = None

    def seen(self, frame: Frame) -> None:
        """A picture was taken (analysed or not)."""
        height, width = frame.image.shape[:2]
        self.frame_size, self.last_frame_ms = (width, height), frame.time_ms

    def analysed_one(self, frame: Frame, seconds: float) -> None:
        """A picture was analysed in ``seconds``; its lag is how old it is now."""
        self.busy_seconds += seconds
        self.analysed += 1
        lag = max(0, time.time_ns() // 1_000_000 - frame.time_ms)
        self.last_lag_ms, self.max_lag_ms = lag, max(self.max_lag_ms, lag)

    def figures(self, feed: FeedCounters, started: float) -> dict[str, Any]:
        """The counters every worker reports (``started``: its ``time.monotonic()``)."""
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return {
            "framesReceived": feed.received,
            "framesDropped": feed.dropped,
            "framesTorn": feed.torn,
            "framesAnalysed": self.analysed,
            "cpuSeconds": round(usage.ru_utime + usage.ru_stime, 3),
            "busySeconds": round(self.busy_seconds, 3),
            "uptimeSeconds": round(time.monotonic() - started, 3),
            "lagMs": self.last_lag_ms,
            "maxLagMs": self.max_lag_ms,
            "lastFrameMs": self.last_frame_ms,
            "frameSize": list(self.frame_size) if self.frame_size else None,
        }


class Analysis(Protocol):
    """One worker's analysis, as the main loop drives it."""

    def step(self) -> list[Message]:
        """Look at the newest picture (waiting a little for one); what to tell the server."""
        ...

    def finish(self) -> list[Message]:
        """What is still held (open tracks), told when the worker stops."""
        ...

    def stats(self, started: float) -> dict[str, Any]: ...


def serve(
    conn: Connection,
    notified: Connection,
    label: str,
    nice: int,
    stats_seconds: float,
    build: Callable[[SharedFrames], Analysis],
) -> None:
    """A worker's main function (``notified``: the pictures' wake-up pipe; ``label``: "lpr
    worker" in the log; ``build``: makes the analysis, which loads the models)."""
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    faulthandler.enable()  # a crash in the models' native code leaves its Python stack
    log = logging.getLogger("nvrd.worker")
    parent = os.getppid()
    with contextlib.suppress(OSError):
        os.nice(nice)
    frames = SharedFrames(notified.fileno())
    try:
        analysis = build(frames)
        started = time.monotonic()
        next_stats = 0.0
        conn.send(("ready", {"pid": os.getpid()}))
        while os.getppid() == parent:
            if not take_orders(conn, frames):
                break
            for msg in analysis.step():
                conn.send(msg)
            if time.monotonic() >= next_stats:
                conn.send(("stats", analysis.stats(started)))
                next_stats = time.monotonic() + stats_seconds
        for msg in analysis.finish():
            conn.send(msg)
        conn.send(("stats", analysis.stats(started)))
    except (BrokenPipeError, EOFError) as exc:  # the server is gone, or closed the pipe
        log.warning("%s: the server's pipe closed (%r)", label, exc)
    except Exception:
        log.exception("%s: stopping", label)
        raise
    finally:
        frames.close()
        notified.close()

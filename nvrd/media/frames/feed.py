"""The server's side of an analysing worker's pictures (the plate recogniser's, the object
detector's): a subscription to the channel's analytics frame source, handed to the worker
process through shared memory (docs/design/frames.md).

A :class:`PictureFeed` subscribes to the frame source of a channel for BGR
pictures of the stream's own size (or scaled down to ``max_width``) at
``fps``, and copies each one
into a :class:`~nvrd.media.frames.shared.SharedFrameWriter` (a ring of two
pictures in ``/dev/shm``, one wake-up byte down a pipe): nothing queues, a
worker that is busy gets the newest picture when it looks again. The frame
time is the picture's wall time from the frame source.

``refresh`` (on start and at every reconcile) follows the channel: the frame
source to read (``ChannelFrames``: the media service decides which stream
is wide enough), the stream's size (a new block, named to the worker over
its control pipe, when it changes), a source that closed (the channel was
removed and added again). No camera connection of its own.

``pause`` unsubscribes (nothing is decoded for the worker) until ``resume`` and ``refresh``:
the object detector pauses while the channel's motion detector sees nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from nvrd.media.frames.shared import SharedFrameWriter
from nvrd.media.frames.source import Frame, FrameSource, FrameSubscription
from nvrd.media.frames.spec import FrameSpec

log = logging.getLogger("nvrd.frames.feed")

#: Pictures in the ring: the newest and the one before (a worker copying one is not torn
#: unless two more pictures come meanwhile).
SLOTS = 2
MAX_W, MAX_H = 7680, 4320


class ChannelFrames(Protocol):
    def __call__(self, chid: int, min_width: int) -> FrameSource | None:
        """The frame source a recogniser of channel ``chid`` reads (its stream at least
        ``min_width`` wide when the channel has a choice), None without one."""
        ...


def picture_spec(
    width: int, height: int, fps: float, max_width: int | None = None
) -> FrameSpec | None:
    """BGR pictures of the stream's size (even, within the frame source's bounds), scaled
    down to ``max_width`` (never up, same aspect) when given, at ``fps``; None while the
    size is not known."""
    if width < 2 or height < 2:
        return None
    if max_width is not None and width > max_width:
        width, height = max_width, max(2, round(height * max_width / width))
    w, h = min(width, MAX_W) & ~1, min(height, MAX_H) & ~1
    return FrameSpec(w, h, fps=fps, pix_fmt="bgr24")


class PictureFeed:
    def __init__(
        self,
        chid: int,
        fps: float,
        frames: ChannelFrames,
        min_width: int,
        notify_fd: int,
        on_block: Callable[[str], None],
        name: str = "lpr",
        max_width: int | None = None,
    ) -> None:
        self.chid = chid
        self.fps = fps
        self.max_width = max_width
        #: paused: not subscribed, whatever the source (``pause``/``resume``)
        self.paused = False
        self._frames = frames
        self._min_width = min_width
        self._notify = notify_fd
        self._on_block = on_block
        self._name = name
        self._sub: FrameSubscription | None = None
        self._writer: SharedFrameWriter | None = None
        self.blocks = 0  # shared-memory blocks made (one per picture size)
        self.subscriptions = 0
        self.pauses = 0
        self.last_error = ""
        self._closed = False

    @property
    def source(self) -> FrameSource | None:
        return self._sub.source if self._sub is not None and not self._sub.closed else None

    def refresh(self) -> None:
        """Subscribe, or subscribe again when the source or the stream's size changed."""
        if self._closed:
            return
        source = None if self.paused else self._frames(self.chid, self._min_width)
        if source is None:
            self._unsubscribe()
            return
        spec = picture_spec(source.hub.width, source.hub.height, self.fps, self.max_width)
        sub = self._sub
        if spec is None:
            if sub is not None and sub.source is not source:
                self._unsubscribe()
            return
        if sub is not None and not sub.closed and sub.source is source and sub.spec == spec:
            return
        self._unsubscribe()
        writer = self._writer
        if writer is None or (writer.width, writer.height) != (spec.width, spec.height):
            self._new_block(spec)
        self._sub = source.subscribe(
            spec, on_frame=self._on_frame, on_error=self._on_error, name=self._name
        )
        self.subscriptions += 1
        log.info(
            "pictures subscribed",
            extra={
                "chid": self.chid,
                "for": self._name,
                "stream": source.hub.profile,
                "size": spec.width,
            },
        )

    def pause(self) -> None:
        """Unsubscribe until :meth:`resume` (the shared memory stays)."""
        if not self.paused:
            self.paused = True
            self.pauses += 1
            self._unsubscribe()

    def resume(self) -> None:
        """Subscribe again at the next :meth:`refresh`."""
        self.paused = False

    def _new_block(self, spec: FrameSpec) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        self._writer = SharedFrameWriter(
            spec.width, spec.height, spec.frame_size, self._notify, SLOTS
        )
        self.blocks += 1
        self._on_block(self._writer.name)

    def _on_frame(self, frame: Frame) -> None:
        writer = self._writer
        if writer is not None:
            writer.write(frame.data, frame.wall_ms)

    def _on_error(self, lines: Iterable[str]) -> None:
        last = [line for line in lines if line.strip()]
        self.last_error = last[-1] if last else "frame decoder failed"

    def _unsubscribe(self) -> None:
        sub, self._sub = self._sub, None
        if sub is not None:
            sub.close()

    def anchor_ms(self) -> int | None:
        """Wall-clock ms of media time 0 of the stream read (None before it is live)."""
        source = self.source
        return source.hub.anchor_ms() if source is not None else None

    def stats(self) -> dict[str, Any]:
        source = self.source
        writer = self._writer
        out: dict[str, Any] = {
            "stream": source.hub.profile if source is not None else None,
            "pictureSize": [writer.width, writer.height] if writer is not None else None,
            "picturesHandedOver": writer.seq if writer is not None else 0,
            # what the channel's decoder had to leave out because it fell behind (it
            # serves every subscriber of the stream, so these count for all of them)
            "sourceFragmentsDropped": (
                source.stats().dropped_fragments if source is not None else 0
            ),
            "paused": self.paused,
        }
        if self.last_error:
            out["feedError"] = self.last_error
        return out

    def close(self) -> None:
        """Unsubscribe and unlink the shared memory (idempotent)."""
        self._closed = True
        self._unsubscribe()
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.close()

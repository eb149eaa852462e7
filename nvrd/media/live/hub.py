"""Live video fan-out: one upstream per channel, many viewers, none can slow another.

The channel's ingest ffmpeg writes a fragmented MP4 (one fragment per frame)
into a pipe; :class:`LiveHub` splits it, keeps the init segment and the
fragments since the last keyframe (so that a new viewer starts at once, on a
keyframe) and offers every piece to each viewer's bounded queue. A viewer
whose queue is full is dropped; the others never wait for it.

Messages to a viewer are ``str`` (JSON: ``{"type": "init", ...}`` before
each init segment, ``{"type": "status", ...}`` when the stream ends) or
``bytes`` (the init segment, then fragments).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from nvrd.core.clock import Clock, SystemClock
from nvrd.core.dropqueue import DropQueue
from nvrd.media.live.fmp4 import (
    BoxSplitter,
    Piece,
    codec_string,
    decode_time,
    timescale,
    video_size,
)
from nvrd.media.live.hls import HlsWindow
from nvrd.media.recording.anchor import Anchor

log = logging.getLogger("nvrd.live")

Message = str | bytes

MAX_GOP_FRAGMENTS = 600


class Viewer:
    def __init__(self, hub: LiveHub, maxsize: int, name: str):
        self.hub = hub
        self.name = name
        self._queue: DropQueue[Message] = DropQueue(maxsize)

    @property
    def dropped(self) -> bool:
        return self._queue.dropped

    def offer(self, msg: Message) -> None:
        if not self._queue.offer(msg) and self._queue.dropped:  # just now: it is unsubscribed
            self.hub.unsubscribe(self)
            log.warning(
                "slow live viewer dropped", extra={"chid": self.hub.chid, "viewer": self.name}
            )

    async def get(self) -> Message | None:
        return await self._queue.get()

    def close(self) -> None:
        self.hub.unsubscribe(self)
        self._queue.end()


class LiveHub:
    def __init__(
        self,
        chid: int,
        profile: str = "main",
        viewer_queue: int = 250,
        *,
        hls: HlsWindow | None = None,
        clock: Clock | None = None,
    ):
        self.chid = chid
        self.profile = profile
        self.viewer_queue = viewer_queue
        self.hls = hls
        self.clock = clock or SystemClock()
        #: Called with every piece (the frame source of the channel listens here).
        self.taps: list[Callable[[Piece], None]] = []
        self.init: bytes | None = None
        self.codec = ""
        self.width = 0
        self.height = 0
        self.fragments = 0
        self.last_fragment_at = 0.0  # monotonic time the last fragment arrived
        self.bytes_in = 0
        #: The stream's media time on the wall clock (from the fragments' decode times and
        #: arrivals), anew for each init segment.
        self.anchor = Anchor()
        self._timescale = 0
        self._gop: list[bytes] = []
        self._viewers: set[Viewer] = set()
        self._splitter = BoxSplitter()

    @property
    def viewer_count(self) -> int:
        return len(self._viewers)

    @property
    def live(self) -> bool:
        return self.init is not None

    def header(self) -> str:
        return json.dumps(
            {
                "type": "init",
                "chid": self.chid,
                "profile": self.profile,
                "codec": self.codec,
                "mime": f'video/mp4; codecs="{self.codec}"',
                "width": self.width,
                "height": self.height,
            }
        )

    def subscribe(self, name: str = "") -> Viewer:
        # the start (header, init, the GOP so far) is the hub's own burst: it does not
        # count against how far the viewer may fall behind
        start = 2 + len(self._gop) if self.init is not None else 0
        viewer = Viewer(self, self.viewer_queue + start, name)
        self._viewers.add(viewer)
        if self.init is not None:
            viewer.offer(self.header())
            viewer.offer(self.init)
            for frag in self._gop:
                viewer.offer(frag)
        return viewer

    def unsubscribe(self, viewer: Viewer) -> None:
        self._viewers.discard(viewer)

    def _broadcast(self, msg: Message) -> None:
        if self._viewers:
            for viewer in list(self._viewers):
                viewer.offer(msg)

    def start_stream(self) -> None:
        self._splitter = BoxSplitter()

    def feed(self, chunk: bytes) -> None:
        self.bytes_in += len(chunk)
        for piece in self._splitter.feed(chunk):
            self._on_piece(piece)
            for tap in self.taps:
                tap(piece)

    def _on_piece(self, piece: Piece) -> None:
        if piece.kind == "init":
            self.init = piece.data
            self.codec = codec_string(piece.data)
            self.width, self.height = video_size(piece.data)
            self._timescale = timescale(piece.data)
            self.anchor = Anchor()
            self._gop = []
            if self.hls is not None:
                self.hls.on_init(piece.data)
            self._broadcast(self.header())
            self._broadcast(piece.data)
            return
        if self.init is None:
            return
        self.fragments += 1
        self.last_fragment_at = self.clock.monotonic()
        self._observe(piece.data)
        if self.hls is not None:
            self.hls.on_fragment(piece.data, piece.keyframe, self.clock.now_ms())
        if piece.keyframe or len(self._gop) >= MAX_GOP_FRAGMENTS:
            self._gop = []
        if piece.keyframe or self._gop:
            self._gop.append(piece.data)
        self._broadcast(piece.data)

    def _observe(self, fragment: bytes) -> None:
        ticks = decode_time(fragment) if self._timescale else None
        if ticks is not None:
            self.anchor.observe(self.clock.now_ms(), ticks * 1000 // self._timescale)

    def anchor_ms(self) -> int | None:
        """Wall-clock ms of media time 0 of the stream now live (None before a fragment)."""
        return self.anchor.wall_ms(0) if self.anchor.known else None

    def gop(self) -> list[tuple[bytes, bool]]:
        """The fragments since the last keyframe (keyframe first), with their keyframe flag."""
        return [(data, i == 0) for i, data in enumerate(self._gop)]

    def end_stream(self, code: int) -> None:
        self.init = None
        self._gop = []
        if self.hls is not None:
            self.hls.end()
        for tap in self.taps:
            tap(Piece("end", b""))
        self._broadcast(json.dumps({"type": "status", "chid": self.chid, "code": code}))

    def close_all(self) -> None:
        for viewer in list(self._viewers):
            viewer.close()

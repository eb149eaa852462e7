"""Fan-out of bus events to the websocket subscribers of /wsapi/subscribeEvents.

One bus subscription serves every websocket: a thousand subscribers cost
the bus one queue, not a thousand. For each event the fan-out looks up the
receivers that asked for its kind (an index by kind, not a scan of every
receiver), renders and encodes the message once per rendering variant
(language, verbose, indent, host, ``ch`` filter) and puts the same text into
each receiver's bounded queue. A receiver that lets its queue fill up is
dropped: its queue ends (its socket is closed with 4408 by the send loop)
and it gets nothing more, without slowing the others.

Direct writes: a receiver whose socket gives a frame writer (the server's
``nvrd.frame_writer`` ASGI extension, ``nvrd/cli/protocols.py``) and whose send
loop is idle (waiting, nothing queued) gets the message written to its
socket at once, as a websocket frame built once per variant and shared by
every such socket, instead of waking its send loop to encode and frame it
again. The writer refuses when the socket is not open or its buffer is full
(the client reads slowly); then the message is queued as before, so order
is kept and a slow client still meets its queue's bound and the send loop's
stuck-send watchdog.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol

from websockets.frames import Frame, Opcode

from nvrd.core.dropqueue import DropQueue
from nvrd.events.bus import EventBus, Subscription
from nvrd.events.types import TOPIC, Event, EventKind, topic_of

log = logging.getLogger("nvrd.events")

#: Events the fan-out itself may hold: it never awaits while delivering one, so
#: only a stalled event loop fills this.
QUEUE = 100_000

_MISSING = object()

#: Events taken from the bus at once when several wait (see :meth:`Fanout.deliver_all`).
BATCH = 64

#: The ASGI scope extension under which the server hands a websocket's frame writer: a
#: callable that writes one complete, unmasked frame now and says whether it did.
FRAME_WRITER = "nvrd.frame_writer"
FrameWriter = Callable[[bytes], bool]


def text_frame(text: str) -> bytes:
    """A server's websocket text frame of ``text`` (unmasked, no extension)."""
    return Frame(Opcode.TEXT, text.encode()).serialize(mask=False)


def _joined(texts: Iterable[str], frames: dict[int, bytes]) -> bytes:
    """The text frames of ``texts`` back to back, each built once (``frames``: by text id)."""
    parts = []
    for text in texts:
        frame = frames.get(id(text))
        if frame is None:
            frame = frames[id(text)] = text_frame(text)
        parts.append(frame)
    return b"".join(parts)


class Rendering(Protocol):
    """How one subscriber wants events: see :class:`nvrd.api.eventmsg.Renderer`."""

    variant: tuple[Any, ...]

    def wants(self, event: Event) -> bool: ...

    def text(self, event: Event) -> str | None: ...


class Receiver(DropQueue[str]):
    """One websocket subscriber: its rendering and its bounded queue of messages to send."""

    def __init__(
        self,
        fanout: Fanout,
        renderer: Rendering,
        kinds: frozenset[EventKind],
        maxsize: int,
        name: str,
        writer: FrameWriter | None = None,
    ):
        super().__init__(maxsize)
        self._fanout = fanout
        self.renderer = renderer
        self.kinds = kinds
        self.name = name
        self.writer = writer
        #: messages written directly, not queued
        self.written = 0

    @property
    def direct(self) -> bool:
        """Whether a message may be written to the socket now: it has a writer and its send
        loop is idle (nothing queued that the message would overtake)."""
        return self.writer is not None and self.idle

    def write(self, frame: bytes, messages: int = 1) -> bool:
        """Write ``frame`` (``messages`` whole websocket frames) to the socket of a
        :attr:`direct` receiver; False when the socket did not take it (then they are queued
        instead)."""
        if self.writer is None or not self.writer(frame):
            return False
        self.written += messages
        return True

    def close(self) -> None:
        self._fanout.remove(self)


class Fanout:
    def __init__(self, bus: EventBus, maxsize: int):
        self.bus = bus
        self.maxsize = maxsize
        self._index: dict[EventKind, set[Receiver]] = {kind: set() for kind in TOPIC}
        self._receivers: set[Receiver] = set()
        self._sub: Subscription | None = None
        #: Messages rendered, and encoded, since the start (for tests and benchmarks).
        self.rendered = 0

    def add(
        self,
        renderer: Rendering,
        kinds: Iterable[EventKind],
        name: str,
        writer: FrameWriter | None = None,
    ) -> Receiver:
        """A receiver of the ``kinds`` of events; ``writer``: its socket's frame writer."""
        receiver = Receiver(self, renderer, frozenset(kinds), self.maxsize, name, writer)
        for kind in receiver.kinds:
            self._index[kind].add(receiver)
        self._receivers.add(receiver)
        return receiver

    def remove(self, receiver: Receiver) -> None:
        """Stop delivering to ``receiver`` and end its queue."""
        if receiver in self._receivers:
            self._receivers.discard(receiver)
            for kind in receiver.kinds:
                self._index[kind].discard(receiver)
        receiver.end()

    @property
    def receiver_count(self) -> int:
        return len(self._receivers)

    def deliver(self, event: Event) -> None:
        """Render ``event`` once per variant and queue it for every receiver that wants it."""
        receivers = self._index[type(event)]
        if not receivers:
            return
        texts: dict[tuple[Any, ...], Any] = {}
        frames: dict[tuple[Any, ...], bytes] = {}
        for receiver in list(receivers):
            renderer = receiver.renderer
            if not renderer.wants(event):
                continue
            variant = renderer.variant
            text = texts.get(variant, _MISSING)
            if text is _MISSING:
                text = texts[variant] = self._render(renderer, event)
            if text is None:
                continue
            if receiver.direct:
                frame = frames.get(variant)
                if frame is None:
                    frame = frames[variant] = text_frame(text)
                if receiver.write(frame):
                    continue
            self._queue(receiver, text)

    def deliver_all(self, events: Sequence[Event]) -> None:
        """Deliver ``events`` in order as :meth:`deliver` does, each receiver's share of them
        in one write to its socket: frames built once per distinct share, one system call
        per socket instead of one per event (when events come faster than they are sent)."""
        if len(events) == 1:
            # the common case, kept apart: building shares costs every receiver a list and a
            # dict entry, which put the in-process p99 (bench fanout) at 73-85 ms, not 12-14
            self.deliver(events[0])
            return
        framed: dict[tuple[str, ...], bytes] = {}
        frames: dict[int, bytes] = {}  # by the id of a text (each kept alive in its share)
        for receiver, share in self._shares(events).items():
            if receiver.direct:
                joint = tuple(share)
                frame = framed.get(joint)
                if frame is None:
                    frame = framed[joint] = _joined(share, frames)
                if receiver.write(frame, len(share)):
                    continue
            for text in share:
                if not self._queue(receiver, text):
                    break

    def _shares(self, events: Sequence[Event]) -> dict[Receiver, list[str]]:
        """Each receiver's messages of ``events``, in order, rendered once per variant."""
        texts: dict[tuple[Any, ...], Any] = {}
        shares: dict[Receiver, list[str]] = {}
        for i, event in enumerate(events):
            for receiver in self._index[type(event)]:
                renderer = receiver.renderer
                if not renderer.wants(event):
                    continue
                key = (i, renderer.variant)
                text = texts.get(key, _MISSING)
                if text is _MISSING:
                    text = texts[key] = self._render(renderer, event)
                if text is not None:
                    share = shares.get(receiver)
                    if share is None:
                        shares[receiver] = [text]
                    else:
                        share.append(text)
        return shares

    def _queue(self, receiver: Receiver, text: str) -> bool:
        """Queue ``text`` for ``receiver``'s send loop; drop a receiver whose queue is full."""
        if receiver.offer(text):
            return True
        if receiver.dropped:
            log.warning("slow event subscriber disconnected", extra={"subscriber": receiver.name})
            self.remove(receiver)
        return False

    def _render(self, renderer: Rendering, event: Event) -> str | None:
        self.rendered += 1
        try:
            return renderer.text(event)
        except Exception:
            log.exception("rendering an event failed", extra={"topic": topic_of(event)})
            return None

    async def run(self) -> None:
        """Deliver bus events until cancelled (a supervised task)."""
        sub = self.bus.subscribe(TOPIC, maxsize=QUEUE, name="websocket fan-out")
        self._sub = sub
        try:
            while (event := await sub.get()) is not None:
                batch = [event]
                while len(batch) < BATCH and (event := sub.get_nowait()) is not None:
                    batch.append(event)
                self.deliver_all(batch)
            log.error("websocket fan-out fell behind; its subscribers are disconnected")
            for receiver in list(self._receivers):
                self.remove(receiver)
        finally:
            sub.close()
            self._sub = None

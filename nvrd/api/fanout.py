"""Fan-out of bus events to the websocket subscribers of /wsapi/subscribeEvents.

One bus subscription serves every websocket: a thousand subscribers cost
the bus one queue, not a thousand. For each event the fan-out looks up the
receivers that asked for its kind (an index by kind, not a scan of every
receiver), renders and encodes the message once per rendering variant
(language, verbose, indent, host, ``ch`` filter) and puts the same text into
each receiver's bounded queue. A receiver that lets its queue fill up is
dropped: its queue ends (its socket is closed with 4408 by the send loop)
and it gets nothing more, without slowing the others.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any, Protocol

from nvrd.core.dropqueue import DropQueue
from nvrd.events.bus import EventBus, Subscription
from nvrd.events.types import TOPIC, Event, EventKind, topic_of

log = logging.getLogger("nvrd.events")

#: Events the fan-out itself may hold: it never awaits while delivering one, so
#: only a stalled event loop fills this.
QUEUE = 100_000

_MISSING = object()


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
    ):
        super().__init__(maxsize)
        self._fanout = fanout
        self.renderer = renderer
        self.kinds = kinds
        self.name = name

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

    def add(self, renderer: Rendering, kinds: Iterable[EventKind], name: str) -> Receiver:
        receiver = Receiver(self, renderer, frozenset(kinds), self.maxsize, name)
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
        for receiver in list(receivers):
            renderer = receiver.renderer
            if not renderer.wants(event):
                continue
            text = texts.get(renderer.variant, _MISSING)
            if text is _MISSING:
                text = self._render(renderer, event)
                texts[renderer.variant] = text
            if text is None:
                continue
            if not receiver.offer(text) and receiver.dropped:
                log.warning(
                    "slow event subscriber disconnected", extra={"subscriber": receiver.name}
                )
                self.remove(receiver)

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
                self.deliver(event)
                while (event := sub.get_nowait()) is not None:
                    self.deliver(event)
            log.error("websocket fan-out fell behind; its subscribers are disconnected")
            for receiver in list(self._receivers):
                self.remove(receiver)
        finally:
            sub.close()
            self._sub = None

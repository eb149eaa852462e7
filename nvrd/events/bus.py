"""The in-process event bus: every producer publishes here, every consumer subscribes.

Events are the typed dataclasses of :mod:`nvrd.events.types`; a subscriber
names the kinds it wants (or none: all of them). Publishing never blocks
and never waits for a subscriber: the bus keeps an index from each kind to
the subscriptions that want it, and offers the event to those only. Each
subscriber has a bounded queue; one that falls so far behind that its
queue is full is disconnected (its ``dropped`` flag is set, it gets no
further events, and that fact is logged) so that it cannot slow producers
or other subscribers.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable

from nvrd.core.dropqueue import DropQueue
from nvrd.events.types import TOPIC, Event, EventKind

log = logging.getLogger("nvrd.events")


class Subscription:
    def __init__(self, bus: EventBus, kinds: frozenset[EventKind], maxsize: int, name: str):
        self._bus = bus
        self.kinds = kinds
        self.name = name
        self._queue: DropQueue[Event] = DropQueue(maxsize)

    @property
    def dropped(self) -> bool:
        return self._queue.dropped

    def wants(self, kind: EventKind) -> bool:
        return kind in self.kinds

    def _offer(self, event: Event) -> None:
        if not self._queue.offer(event) and self._queue.dropped:  # just now: it is unsubscribed
            log.warning("slow event subscriber disconnected", extra={"subscriber": self.name})
            self._bus.unsubscribe(self)

    def queued(self) -> int:
        """How many events wait to be taken."""
        return self._queue.qsize()

    async def get(self) -> Event | None:
        """The next event, or ``None`` once the subscription has ended."""
        return await self._queue.get()

    def get_nowait(self) -> Event | None:
        """The next event without waiting; ``None`` when none is queued or it has ended."""
        return self._queue.get_nowait()

    def pending(self) -> list[Event]:
        """The events queued now, taken without waiting."""
        out: list[Event] = []
        while (event := self.get_nowait()) is not None:
            out.append(event)
        return out

    def close(self) -> None:
        self._bus.unsubscribe(self)
        self._queue.end()

    async def __aiter__(self) -> AsyncIterator[Event]:
        while True:
            event = await self.get()
            if event is None:
                return
            yield event


class EventBus:
    def __init__(self, default_maxsize: int = 1000):
        self._index: dict[EventKind, set[Subscription]] = {kind: set() for kind in TOPIC}
        self._subs: set[Subscription] = set()
        self.default_maxsize = default_maxsize

    def subscribe(
        self, kinds: Iterable[EventKind] | None = None, maxsize: int | None = None, name: str = ""
    ) -> Subscription:
        """A subscription to the events of ``kinds`` (None: every kind)."""
        wanted = frozenset(kinds) if kinds is not None else frozenset(TOPIC)
        sub = Subscription(self, wanted, maxsize or self.default_maxsize, name)
        for kind in wanted:
            self._index[kind].add(sub)
        self._subs.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        if sub in self._subs:
            self._subs.discard(sub)
            for kind in sub.kinds:
                self._index[kind].discard(sub)

    def publish(self, event: Event) -> None:
        for sub in list(self._index[type(event)]):
            sub._offer(event)

    @property
    def subscriber_count(self) -> int:
        return len(self._subs)

"""The in-process event bus: every producer publishes here, every consumer subscribes.

Publishing never blocks and never waits for a subscriber. Each subscriber
has a bounded queue; one that falls so far behind that its queue is full is
disconnected (its ``dropped`` flag is set, it gets no further events, and
that fact is logged) so that it cannot slow producers or other subscribers.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import Any

from nvrd.core.dropqueue import DropQueue

log = logging.getLogger("nvrd.events")


@dataclass(frozen=True)
class Event:
    topic: str
    data: dict[str, Any] = field(default_factory=dict)
    #: Consumers that render one event the same way for many receivers (a
    #: thousand websocket subscribers) keep the rendering here, keyed by how.
    memo: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)


class Subscription:
    def __init__(self, bus: EventBus, topics: frozenset[str] | None, maxsize: int, name: str):
        self._bus = bus
        self.topics = topics
        self.name = name
        self._queue: DropQueue[Event] = DropQueue(maxsize)

    @property
    def dropped(self) -> bool:
        return self._queue.dropped

    def wants(self, topic: str) -> bool:
        return self.topics is None or topic in self.topics

    def _offer(self, event: Event) -> None:
        if not self._queue.offer(event) and self._queue.dropped:  # just now: it is unsubscribed
            log.warning("slow event subscriber disconnected", extra={"subscriber": self.name})
            self._bus.unsubscribe(self)

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
        self._subs: set[Subscription] = set()
        self.default_maxsize = default_maxsize

    def subscribe(
        self, topics: Iterable[str] | None = None, maxsize: int | None = None, name: str = ""
    ) -> Subscription:
        sub = Subscription(
            self,
            frozenset(topics) if topics is not None else None,
            maxsize or self.default_maxsize,
            name,
        )
        self._subs.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        self._subs.discard(sub)

    def publish(self, topic: str, **data: Any) -> Event:
        event = Event(topic, data)
        for sub in list(self._subs):
            if sub.wants(topic):
                sub._offer(event)
        return event

    @property
    def subscriber_count(self) -> int:
        return len(self._subs)

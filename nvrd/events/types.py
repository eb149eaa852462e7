"""The events on the bus: one frozen dataclass per kind, and the one list of topics.

Every event says when it happened (``at_ms``, epoch milliseconds from the
producer's clock); the event log and the websocket messages use that time,
not the time they handle the event. Producers build these classes (mypy
checks the fields of every producer); consumers match on the class (mypy
checks every field they read). ``TOPIC`` maps a class to its topic name,
``TOPICS`` lists every topic once.

The data is host-independent: URLs inside pushed messages are
server-absolute paths (``/watch?ch=1``) that each websocket completes with
its own scheme and host.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nvrd.core.eventtypes import LogEntry

# -- channels ---------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class ChannelStatusChanged:
    """A channel's status code changed (the guide's status codes, 200 = connected)."""

    at_ms: int
    chid: int
    code: int


@dataclass(frozen=True, kw_only=True, slots=True)
class VideoStreamReady:
    """A channel's stream is (again) playable; ``changed``: it is a new stream."""

    at_ms: int
    chid: int
    changed: bool


@dataclass(frozen=True, kw_only=True, slots=True)
class ChannelAdded:
    at_ms: int
    chid: int


@dataclass(frozen=True, kw_only=True, slots=True)
class ChannelRemoved:
    at_ms: int
    chid: int


@dataclass(frozen=True, kw_only=True, slots=True)
class ChannelRenamed:
    at_ms: int
    chid: int
    name: str


@dataclass(frozen=True, kw_only=True, slots=True)
class ChannelSourceChanged:
    at_ms: int
    chid: int


@dataclass(frozen=True, kw_only=True, slots=True)
class ChannelSwapped:
    at_ms: int
    chids: tuple[int, int]


@dataclass(frozen=True, kw_only=True, slots=True)
class RecordingState:
    """A channel's recording status; ``failed_ms``: when recording last failed."""

    chid: int
    streaming: bool
    recording: bool
    failed_ms: int | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class RecordingStatusChanged:
    at_ms: int
    state: RecordingState


@dataclass(frozen=True, kw_only=True, slots=True)
class MotionChanged:
    """Channels whose motion state changed: ``(chid, motion)`` pairs."""

    at_ms: int
    updated: tuple[tuple[int, bool], ...]


@dataclass(frozen=True, kw_only=True, slots=True)
class StorageChanged:
    """A storage path became ready, full, unusable, or the writable one moved.

    ``kind``: ready, storageFull, writeError, notFound, readOnly, rootChanged
    (then ``before``/``after`` are the paths)."""

    at_ms: int
    kind: str
    storage_path: str | None = None
    status_code: int | None = None
    before: str | None = None
    after: str | None = None


# -- the event log ------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class LogRequested:
    """Something for the event log, written as given (``at_ms`` is its begin time)."""

    at_ms: int
    type: int
    code: int
    param: dict[str, Any] = field(default_factory=dict)
    comment: str | None = None
    chid: int | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class SystemEventLogged:
    """An event-log row as stored (with its id), for the ``systemEvent`` topic."""

    at_ms: int
    entry: LogEntry


# -- pushed and recognised events -------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class ChannelRef:
    """A channel named in a pushed message, as it was titled when the event happened."""

    chid: int
    title: str


@dataclass(frozen=True, kw_only=True, slots=True)
class LprRead:
    """A vehicle number read (pushed by a source, or read by nvrd's recogniser)."""

    at_ms: int
    time_begin_ms: int
    device_code: str
    device_name: str
    #: The source's channels, its main channel first (empty: none).
    channels: tuple[ChannelRef, ...]
    plate_no: str
    score: float | None = None
    roi: dict[str, list[int]] | None = None
    direction: str | None = None
    image: str | None = None
    parking_entrance: int | None = None
    parking_exit: int | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class EmergencyCall:
    at_ms: int
    caller: str
    name: str
    device: str
    event: str
    linked: tuple[ChannelRef, ...]
    camera: tuple[int, ...] | None = None

    @property
    def chids(self) -> tuple[int, ...]:
        """Every channel the call concerns (its linked channels, then its cameras)."""
        return tuple(dict.fromkeys([*(c.chid for c in self.linked), *(self.camera or ())]))


@dataclass(frozen=True, kw_only=True, slots=True)
class ObjectSeen:
    at_ms: int
    chid: int
    obj_id: int
    type: str
    parent_id: int | None = None
    likelihood: float | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    image: str | None = None
    #: a detected face's embedding (``core.faces``: 128 float32), for the face search;
    #: not part of any message
    embedding: bytes | None = field(default=None, repr=False)


@dataclass(frozen=True, kw_only=True, slots=True)
class BodyTemperature:
    at_ms: int
    chid: int
    obj_id: int
    linked: tuple[ChannelRef, ...]
    likelihood: float | None = None
    temperature: float | None = None
    image: str | None = None

    @property
    def chids(self) -> tuple[int, ...]:
        return tuple(dict.fromkeys([self.chid, *(c.chid for c in self.linked)]))


@dataclass(frozen=True, kw_only=True, slots=True)
class Packing:
    at_ms: int
    channel: ChannelRef
    code: str
    event: str


@dataclass(frozen=True, kw_only=True, slots=True)
class ParkingCount:
    """A parking counter, or a group (``members``; its count and maximum are their sums)."""

    id: int
    name: str
    count: int
    max_count: int
    group: bool = False
    members: tuple[int, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class ParkingCountChanged:
    """Parking counters and groups after a change, by id."""

    at_ms: int
    updated: tuple[ParkingCount, ...]


Event = (
    ChannelStatusChanged
    | VideoStreamReady
    | ChannelAdded
    | ChannelRemoved
    | ChannelRenamed
    | ChannelSourceChanged
    | ChannelSwapped
    | RecordingStatusChanged
    | MotionChanged
    | StorageChanged
    | LogRequested
    | SystemEventLogged
    | LprRead
    | EmergencyCall
    | ObjectSeen
    | BodyTemperature
    | Packing
    | ParkingCountChanged
)

EventKind = type[Event]

#: The topic of each kind of event: the one list of topics.
TOPIC: dict[EventKind, str] = {
    ChannelStatusChanged: "channelStatus",
    VideoStreamReady: "videoStream",
    ChannelAdded: "channelAdded",
    ChannelRemoved: "channelRemoved",
    ChannelRenamed: "channelRenamed",
    ChannelSourceChanged: "channelSourceChanged",
    ChannelSwapped: "channelSwapped",
    RecordingStatusChanged: "recordingStatus",
    MotionChanged: "motionChanges",
    StorageChanged: "storage",
    LogRequested: "log",
    SystemEventLogged: "systemEvent",
    LprRead: "LPR",
    EmergencyCall: "emergencyCall",
    ObjectSeen: "object",
    BodyTemperature: "bodyTemperature",
    Packing: "packing",
    ParkingCountChanged: "parkingCount",
}

TOPICS: tuple[str, ...] = tuple(TOPIC.values())


def topic_of(event: Event) -> str:
    return TOPIC[type(event)]

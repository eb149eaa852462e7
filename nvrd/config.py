"""Settings from a TOML file, then environment variables, then command-line flags.

Validated once, at start, by :func:`load_settings`; every problem becomes a
:class:`ConfigError` with one readable line (``server.port: ...``) that the
CLI prints before exiting non-zero.

Environment variables are ``NVRD_<SECTION>_<KEY>`` (``NVRD_SERVER_PORT=8081``)
for the ``server``, ``auth``, ``recording``, ``live``, ``events``, ``motion``,
``export``, ``event_storage``, ``onvif``, ``discovery`` and ``lpr`` sections (not for
lists such as ``lpr.formats``).
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from nvrd.core.i18n.languages import LANGUAGES
from nvrd.recognition.objects.settings import DetectorName


class ConfigError(Exception):
    """A bad setting; ``str()`` is one line meant for a person."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ServerSettings(_Strict):
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=0, le=65535)] = 8080
    data_dir: Path = Path("./nvrd-data")
    database_url: str = ""
    #: How long a SQLite write waits for another writer before the request is
    #: answered 503 with ``Retry-After`` (SQLite's busy timeout).
    database_busy_ms: Annotated[int, Field(ge=1, le=600_000)] = 5000
    site_name: str = "nvrd"
    timezone: str = ""
    language: str = "en-US"
    max_channels: Annotated[int, Field(ge=0, le=4096)] = 16
    reboot_command: list[str] = Field(default_factory=list)
    smartctl: str = "smartctl"
    #: Where the host's /proc, /sys, /etc, /run and /dev are read from (tests: a fixture).
    host_root: Path = Path("/")
    log_format: Literal["json", "text"] = "json"
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    #: Reverse proxies whose X-Forwarded-For / Forwarded / X-Real-IP are believed
    #: (addresses or CIDR networks); by default none is.
    trusted_proxies: list[str] = Field(default_factory=list)
    #: When set (``https://nvr.example.com/``), every absolute URL the server generates
    #: starts with it instead of the address the request came to.
    public_url: str = ""
    #: HTTPS: PEM certificate (chain) and private key files.
    tls_cert: Path | None = None
    tls_key: Path | None = None
    #: Serve HTTPS with a self-signed certificate made in the data dir on first start
    #: (``tls-cert.pem``, ``tls-key.pem``), unless ``tls_cert``/``tls_key`` are given.
    tls_self_signed: bool = False

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies(cls, v: list[str]) -> list[str]:
        import ipaddress

        for item in v:
            try:
                ipaddress.ip_network(item.strip(), strict=False)
            except ValueError:
                raise ValueError(f"not an address or network: {item!r}") from None
        return [i.strip() for i in v]

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, v: str) -> str:
        from urllib.parse import urlsplit

        if not v:
            return v
        parts = urlsplit(v)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
            raise ValueError("must be an http:// or https:// URL without a query")
        return v.rstrip("/") + "/"

    @field_validator("data_dir")
    @classmethod
    def _absolute_data_dir(cls, v: Path) -> Path:
        return Path(os.path.abspath(v))

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str) -> str:
        if v:
            try:
                ZoneInfo(v)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown IANA time zone {v!r}") from None
        return v

    @field_validator("language")
    @classmethod
    def _lang(cls, v: str) -> str:
        canon = {c.lower(): c for c in LANGUAGES}
        key = v.replace("_", "-").lower()
        if key not in canon:
            raise ValueError(f"unsupported language {v!r}")
        return canon[key]

    @field_validator("database_url")
    @classmethod
    def _db(cls, v: str) -> str:
        if v and not v.startswith(("sqlite", "postgresql", "postgres://")):
            raise ValueError("must be a sqlite:/// or postgresql:// URL")
        return v


class AuthSettings(_Strict):
    session_idle_seconds: Annotated[int, Field(ge=10)] = 3600
    max_failures: Annotated[int, Field(ge=1)] = 5
    failure_window_seconds: Annotated[int, Field(ge=1)] = 300
    lockout_seconds: Annotated[int, Field(ge=1)] = 60
    demo_user: str = ""
    demo_password: str = ""
    cookie_name: str = "nvrd_session"


class EventSettings(_Strict):
    #: The websocket ping interval of /wsapi/* connections (the guide: 30 s).
    ping_seconds: Annotated[float, Field(ge=0.5, le=3600)] = 30
    #: Events a /wsapi/subscribeEvents subscriber may fall behind before it is dropped.
    subscriber_queue: Annotated[int, Field(ge=10, le=1_000_000)] = 1000
    #: A subscriber whose connection cannot take one message for this long is dropped.
    send_timeout_seconds: Annotated[float, Field(ge=0.5, le=600)] = 10


class StorageSettings(_Strict):
    path: Path
    usage: Literal[-1, 0, 1, 2] = 2
    #: Optional cap on what recordings may occupy on this path (MiB).
    quota_mb: Annotated[float, Field(gt=0)] | None = None

    @field_validator("path")
    @classmethod
    def _absolute(cls, v: Path) -> Path:
        return Path(os.path.abspath(v))


class RecordingSettings(_Strict):
    #: Segment length; a segment ends at the first keyframe after this long.
    segment_seconds: Annotated[float, Field(ge=2, le=900)] = 60
    #: ffmpeg executable; default: the one shipped by the imageio-ffmpeg package.
    ffmpeg: str = ""
    #: A stream whose media time stops advancing this long is restarted.
    stall_seconds: Annotated[float, Field(ge=2, le=600)] = 10
    #: RTSP socket I/O timeout.
    io_timeout_seconds: Annotated[float, Field(ge=1, le=120)] = 5
    #: Below this much free space a path counts as full.
    min_free_mb: Annotated[float, Field(ge=0)] = 512
    #: How often storage fullness is checked.
    retention_interval_seconds: Annotated[float, Field(ge=0.2, le=600)] = 5
    #: Longest wait between reconnection attempts.
    max_backoff_seconds: Annotated[float, Field(ge=0.1, le=300)] = 2
    #: ffmpeg starts per second over all channels (restarts included), and how many may
    #: start at once: many channels failing together reconnect spread out, not as a storm.
    start_rate: Annotated[float, Field(gt=0, le=1000)] = 4
    start_burst: Annotated[int, Field(ge=1, le=1000)] = 8
    #: When the host's CPUs stay this busy, optional work (motion, then live HLS parts of
    #: channels nobody watches) is paused until they are quiet again; recording never is.
    shed_load: bool = True
    shed_busy: Annotated[float, Field(gt=0.5, le=1)] = 0.95
    #: Record the cameras' sub streams too (indexed apart: ``/api/vod?stream=sub``). Off:
    #: a sub stream is only shown live and analysed (motion).
    substream: bool = False


class LiveSettings(_Strict):
    #: Live HLS (fMP4 parts) under /hls/ch<N>main/index.m3u8.
    hls: bool = True
    #: HLS part length; parts are cut at keyframes, so the camera's GOP sets the floor.
    hls_seconds: Annotated[float, Field(ge=0.5, le=10)] = 1
    #: The low-latency WebSocket stream (/wsapi/live).
    lowlatency: bool = True
    #: Fragments (frames) a viewer may fall behind before it is dropped.
    viewer_queue: Annotated[int, Field(ge=10, le=10_000)] = 250


class MotionSettings(_Strict):
    """Motion detection from small gray pictures of the channel's frame source (its
    keyframes, decoded by a process of its own while motion subscribes)."""

    enabled: bool = True
    #: "keyframes": decode only keyframes (one picture per GOP, cheapest); "fps": decode
    #: every frame and analyse ``fps`` pictures a second (reacts faster on long GOPs).
    sampling: Literal["keyframes", "fps"] = "keyframes"
    fps: Annotated[float, Field(gt=0, le=10)] = 2
    #: Size of the analysed picture.
    width: Annotated[int, Field(ge=8, le=320)] = 64
    height: Annotated[int, Field(ge=8, le=240)] = 36
    #: A pixel changed when its brightness (0-255) moved by more than this.
    threshold: Annotated[int, Field(ge=1, le=254)] = 20
    #: A picture moved when at least this share of its pixels changed.
    min_changed: Annotated[float, Field(gt=0, le=1)] = 0.005
    #: Motion stays on this long after the last picture that moved.
    hold_seconds: Annotated[float, Field(ge=0, le=3600)] = 5
    #: "Motion detected" goes to the event log at most once per channel this often.
    log_interval_seconds: Annotated[float, Field(ge=0, le=86_400)] = 60


class ExportSettings(_Strict):
    """Evidence export: ``/wsapi/dataExport``, ``/api/view.mp4`` and ``nvrd export``."""

    #: Where export files are made while a client downloads them (default <data_dir>/exports).
    dir: Path | None = None
    #: Exports that run at once; more wait after their ``ready`` stage.
    max_concurrent: Annotated[int, Field(ge=1, le=64)] = 2
    #: Exports that may wait for a free slot; more are refused (close code 1013).
    max_waiting: Annotated[int, Field(ge=0, le=1000)] = 16
    #: How long a finished file waits for the client's ``wait``/``next`` (``ttl``).
    ttl_seconds: Annotated[float, Field(ge=1, le=3600)] = 10
    #: ``timeoutAlert`` is sent this long before ``ttl`` runs out.
    alert_seconds: Annotated[float, Field(ge=0.1, le=60)] = 2
    #: File size when the request gives no ``mediaSize``.
    default_media_size_mb: Annotated[int, Field(ge=1, le=1_048_576)] = 2048
    #: The longest time range one export or ``view.mp4`` may cover.
    max_range_hours: Annotated[float, Field(gt=0, le=24 * 366)] = 168

    @field_validator("dir")
    @classmethod
    def _absolute(cls, v: Path | None) -> Path | None:
        return Path(os.path.abspath(v)) if v is not None else None


class EventStorageSettings(_Strict):
    """Event backup (``PUT /api/event-videos/trigger``): clips kept apart from recordings."""

    #: Default <data_dir>/event-storage; never inside a recording storage path.
    path: Path | None = None
    #: Clips older than this many days are deleted (0: kept until deleted by hand).
    retention_days: Annotated[float, Field(ge=0, le=36_600)] = 0
    #: Optional cap on what event clips may occupy (MiB); the oldest events go first.
    quota_mb: Annotated[float, Field(gt=0)] | None = None
    #: How often retention runs.
    retention_interval_seconds: Annotated[float, Field(ge=0.2, le=86_400)] = 60
    #: How long after ``postAlarm`` the recording may take to be indexed before the clip is
    #: made from what there is.
    index_wait_seconds: Annotated[float, Field(ge=0, le=3600)] = 120

    @field_validator("path")
    @classmethod
    def _absolute(cls, v: Path | None) -> Path | None:
        return Path(os.path.abspath(v)) if v is not None else None


class OnvifSettings(_Strict):
    """ONVIF cameras (channels with a ``device.url``)."""

    #: The longest wait for one answer of a camera.
    timeout_seconds: Annotated[float, Field(ge=0.5, le=60)] = 5
    #: Follow the cameras' own events (motion, digital inputs) when they offer them;
    #: a camera's motion events then replace nvrd's own detection for its channel.
    events: bool = True
    #: How long one PullMessages request waits at the camera for events.
    poll_seconds: Annotated[int, Field(ge=1, le=60)] = 10


class DiscoverySettings(_Strict):
    """WS-Discovery of ONVIF cameras (``nvrd discover``, ``POST /api/discover``)."""

    #: The IPv4 address of the one network interface probes are sent from; empty: off.
    interface: str = ""
    group: str = "239.255.255.250"
    port: Annotated[int, Field(ge=1, le=65535)] = 3702
    timeout_seconds: Annotated[float, Field(ge=0.2, le=30)] = 3

    @field_validator("interface", "group")
    @classmethod
    def _ipv4(cls, v: str) -> str:
        if v:
            try:
                ipaddress.IPv4Address(v)
            except ValueError:
                raise ValueError("must be an IPv4 address") from None
        return v


class ChannelSettings(_Strict):
    chid: Annotated[int, Field(ge=1)] | None = None
    title: str = ""
    source: str = ""
    #: file channels: "repeat" (default) or "once"
    playback: Literal["once", "repeat"] = "repeat"
    #: RTSP over TCP (default) or UDP
    tcp: bool = True


#: The logical coordinate system of LPR zones (8K), whatever the video's size.
ZONE_SIZE = (7680, 4320)


class ZoneSettings(_Strict):
    id: Annotated[int, Field(ge=0)] = 0
    chid: Annotated[int, Field(ge=1)]
    #: [x0, y0, x1, y1] in the 7680x4320 logical coordinate system
    rect: tuple[int, int, int, int]
    mode: Literal["driving", "parking"] = "driving"
    disabled_only: bool = False
    no_parking_allowed: bool = False
    #: every car read here goes this way (a one-way lane) ...
    direction: Literal["entry", "exit"] | None = None
    #: ... or: how a car going in moves in the picture (the other way is an exit)
    entry_movement: Literal["up", "down", "left", "right"] | None = None

    @field_validator("rect")
    @classmethod
    def _rect(cls, v: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
        x0, y0, x1, y1 = v
        w, h = ZONE_SIZE
        if not (0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h):
            raise ValueError(f"must be x0,y0,x1,y1 with 0 <= x0 < x1 <= {w}, 0 <= y0 < y1 <= {h}")
        return v


class LprSourceSettings(_Strict):
    id: Annotated[int, Field(ge=1)] | None = None
    code: Annotated[str, Field(min_length=1, max_length=64)]
    #: default: the code
    name: Annotated[str, Field(max_length=255)] = ""
    linked_channel: list[Annotated[int, Field(ge=1)]] = Field(default_factory=list)
    tag: Literal["Normal", "NotUsed", "ReadOnly"] = "Normal"
    zone: ZoneSettings | None = None
    #: the parking lot (counter) this source is the entrance / exit of
    parking_entrance: Annotated[int, Field(ge=1)] | None = None
    parking_exit: Annotated[int, Field(ge=1)] | None = None


class EmergencyCallSettings(_Strict):
    id: Annotated[int, Field(ge=1)] | None = None
    #: the location code devices push as "src"
    code: Annotated[str, Field(min_length=1, max_length=64)]
    #: default: the code
    name: Annotated[str, Field(max_length=255)] = ""
    linked_channel: list[Annotated[int, Field(ge=1)]] = Field(default_factory=list)


class ParkingLotSettings(_Strict):
    id: Annotated[int, Field(ge=1)] | None = None
    name: Annotated[str, Field(max_length=255)] = ""
    type: Literal["counter", "group"] = "counter"
    #: parking spaces of a counter (a group's is the sum of its members')
    max_count: Annotated[int, Field(ge=0)] = 0
    #: the counters of a group
    member: list[Annotated[int, Field(ge=1)]] = Field(default_factory=list)

    @model_validator(mode="after")
    def _kind(self) -> ParkingLotSettings:
        if self.type == "group" and self.max_count:
            raise ValueError("a group has no max_count of its own (it is the sum of its members)")
        if self.type == "counter" and self.member:
            raise ValueError('only a group (type = "group") has members')
        return self


class IntegrationSettings(_Strict):
    """``[integrations]``: what ``POST /api/push`` does with devices nobody registered."""

    #: A push from an LPR code that is not registered registers it (name = code, no
    #: linked channels) and keeps the event; ``false``: such a push is a 400.
    accept_unknown_sources: bool = True


class LprSettings(_Strict):
    """The recogniser: LPR sources with a ``zone`` are read from their channel's video."""

    enabled: bool = True
    #: frames of a zone analysed per second
    fps: Annotated[float, Field(gt=0, le=30)] = 2.0
    #: a camera's sub stream is read instead of the main stream when at least this wide
    sub_stream_min_width: Annotated[int, Field(ge=0, le=7680)] = 1280
    #: plate formats of the site: built-in sets (US, EU, UK, KR) and/or patterns ("LLNN LLL")
    formats: list[str] = Field(default_factory=lambda: ["US", "EU", "UK", "KR"])
    #: the zone picture is scaled to this longer side for text detection
    det_max_side: Annotated[int, Field(ge=160, le=4096)] = 640
    #: onnxruntime threads per worker process
    threads: Annotated[int, Field(ge=1, le=16)] = 1
    #: lowest recognition confidence (0..1) of a plate read
    min_score: Annotated[float, Field(ge=0, le=1)] = 0.6
    #: reads of a plate needed for a log entry ...
    min_reads: Annotated[int, Field(ge=1, le=100)] = 2
    #: ... or one read at least this sure (0..1)
    single_read_score: Annotated[float, Field(ge=0, le=1)] = 0.9
    #: driving: a passage ends when its plate has not been read for this long
    gap_seconds: Annotated[float, Field(gt=0, le=600)] = 1.5
    #: parking: a parked car has left when it has not been read for this long
    parking_gap_seconds: Annotated[float, Field(gt=0, le=86_400)] = 60
    #: an empty, still zone is still looked at this often (parked cars are re-read)
    idle_seconds: Annotated[float, Field(gt=0, le=3600)] = 5
    #: plate images kept per log entry
    max_images: Annotated[int, Field(ge=0, le=16)] = 4
    #: plate images older than this are deleted (0: kept)
    image_retention_days: Annotated[float, Field(ge=0)] = 90
    #: worker process priority (os.nice increment)
    nice: Annotated[int, Field(ge=0, le=19)] = 10
    #: export files (/download/carNo/...) are deleted after this long
    export_retention_minutes: Annotated[float, Field(gt=0, le=10_080)] = 60
    #: rows per exported file (the .xls format holds at most 65,535 below its header)
    export_rows_per_file: Annotated[int, Field(ge=1, le=65_535)] = 10_000
    #: most rows one export may write
    export_max_rows: Annotated[int, Field(ge=1, le=10_000_000)] = 200_000
    tesseract: str = "tesseract"

    @field_validator("formats")
    @classmethod
    def _formats(cls, v: list[str]) -> list[str]:
        from nvrd.core.plates import parse_formats

        if not v:
            raise ValueError("at least one plate format is needed")
        parse_formats(v)
        return v


class ObjectSettings(_Strict):
    """Objects: on-box detection (people, faces, vehicles) of the listed channels, and
    the object log of what it (and pushing devices) saw, with its crops."""

    #: log entries and crop images older than this are deleted (or sooner, when the
    #: channel's oldest recording is younger: objects are kept with their video)
    keep_days: Annotated[float, Field(gt=0, le=36_600)] = 30
    #: channels analysed (none: object detection is off)
    channels: list[Annotated[int, Field(ge=1)]] = Field(default_factory=list)
    #: frames analysed per second and channel
    fps: Annotated[float, Field(gt=0, le=10)] = 2.0
    #: pictures are scaled down (never up) to this width for the detectors (960: the face
    #: detector's own size, where faces of ~25 px are found; at 640 they are lost)
    width: Annotated[int, Field(ge=160, le=1920)] = 960
    #: the people/vehicle/bag network: NanoDet 416 (more of the small people found, about
    #: twice the time a frame) or yolov3-tiny
    detector: DetectorName = "nanodet"
    #: look for faces too (linked to their person)
    faces: bool = True
    #: channels whose faces get no embedding (they are logged, but /api/searchFace does
    #: not find them); the others' faces do, when ``faces`` is on
    face_embeddings_off: list[Annotated[int, Field(ge=1)]] = Field(default_factory=list)
    #: a person's clothes colours (tops and bottoms, from body keypoints of its best crop)
    clothes: bool = True
    #: decode no pictures for detection while the channel's motion detector sees nothing
    motion_gate: bool = True
    #: worker process priority (os.nice increment)
    nice: Annotated[int, Field(ge=0, le=19)] = 10
    #: the models converted once at install time (``make models MODELS_DIR=...``; make
    #: install converts them into .cache/models)
    models_dir: Annotated[Path, Field(validate_default=True)] = Path("./.cache/models")

    @field_validator("models_dir")
    @classmethod
    def _absolute_models_dir(cls, v: Path) -> Path:
        return Path(os.path.abspath(v.expanduser()))

    @field_validator("channels", "face_embeddings_off")
    @classmethod
    def _unique_channels(cls, v: list[int]) -> list[int]:
        if len(set(v)) != len(v):
            raise ValueError("a channel is listed twice")
        return v


def _unique(items: list[Any], attrs: tuple[str, ...]) -> None:
    for attr in attrs:
        seen: set[Any] = set()
        for item in items:
            value = getattr(item, attr)
            if value is None:
                continue
            if value in seen:
                raise ValueError(f"{attr} {value!r} is listed twice")
            seen.add(value)


class Settings(_Strict):
    server: ServerSettings = ServerSettings()
    auth: AuthSettings = AuthSettings()
    recording: RecordingSettings = RecordingSettings()
    live: LiveSettings = LiveSettings()
    motion: MotionSettings = MotionSettings()
    events: EventSettings = EventSettings()
    export: ExportSettings = ExportSettings()
    event_storage: EventStorageSettings = EventStorageSettings()
    onvif: OnvifSettings = OnvifSettings()
    discovery: DiscoverySettings = DiscoverySettings()
    lpr: LprSettings = LprSettings()
    objects: ObjectSettings = ObjectSettings()
    integrations: IntegrationSettings = IntegrationSettings()
    storage: list[StorageSettings] = Field(default_factory=list)
    channel: list[ChannelSettings] = Field(default_factory=list)
    lpr_source: list[LprSourceSettings] = Field(default_factory=list)
    emergency_call: list[EmergencyCallSettings] = Field(default_factory=list)
    parking_lot: list[ParkingLotSettings] = Field(default_factory=list)

    @field_validator("lpr_source", "emergency_call")
    @classmethod
    def _unique_devices(cls, v: list[Any]) -> list[Any]:
        _unique(v, ("id", "code"))
        return v

    @field_validator("parking_lot")
    @classmethod
    def _unique_lots(cls, v: list[ParkingLotSettings]) -> list[ParkingLotSettings]:
        _unique(v, ("id",))
        return v

    @model_validator(mode="after")
    def _separate_paths(self) -> Settings:
        """Export and event-storage folders must not share a tree with recordings: the
        recording consistency check would index (or delete) their files, and retention
        would count them."""
        roots = [s.path for s in self.storage_paths]
        for name, path in (
            ("export.dir", self.export_dir),
            ("event_storage.path", self.event_storage_path),
        ):
            for root in roots:
                if path.is_relative_to(root) or root.is_relative_to(path):
                    raise ValueError(f"{name} {path} overlaps the recording storage {root}")
        return self

    @property
    def export_dir(self) -> Path:
        return self.export.dir or self.server.data_dir / "exports"

    @property
    def event_storage_path(self) -> Path:
        return self.event_storage.path or self.server.data_dir / "event-storage"

    @property
    def db_url(self) -> str:
        """The SQLAlchemy async URL (default: SQLite file in the data dir)."""
        url = self.server.database_url
        if not url:
            return f"sqlite+aiosqlite:///{(self.server.data_dir / 'nvrd.db').resolve()}"
        if url.startswith("postgres://"):
            url = "postgresql://" + url[len("postgres://") :]
        if url.startswith("postgresql://"):
            return "postgresql+asyncpg://" + url[len("postgresql://") :]
        if url.startswith("sqlite:///"):
            return "sqlite+aiosqlite:///" + url[len("sqlite:///") :]
        return url

    @property
    def plates_dir(self) -> Path:
        """Plate images of the vehicle-number log (``/storage/plates/...``)."""
        return self.server.data_dir / "plates"

    @property
    def objects_dir(self) -> Path:
        """Crop images of the object log (``/storage/objects/...``)."""
        return self.server.data_dir / "objects"

    @property
    def exports_dir(self) -> Path:
        """Exported vehicle-number log searches (``/download/carNo/...``)."""
        return self.server.data_dir / "exports" / "carNo"

    @property
    def storage_paths(self) -> list[StorageSettings]:
        """Recording storage; default: ``<data_dir>/recordings`` in overwrite mode."""
        if self.storage:
            return list(self.storage)
        return [StorageSettings(path=self.server.data_dir / "recordings", usage=2)]


ENV_PREFIX = "NVRD_"
_ENV_SECTIONS = (
    "server",
    "auth",
    "recording",
    "live",
    "events",
    "motion",
    "export",
    "event_storage",
    "onvif",
    "discovery",
    "lpr",
    "objects",
)


def _env_overrides(environ: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for name, value in environ.items():
        if not name.startswith(ENV_PREFIX):
            continue
        rest = name[len(ENV_PREFIX) :].lower()
        for section in _ENV_SECTIONS:
            if rest.startswith(section + "_"):
                key = rest[len(section) + 1 :]
                if key == "reboot_command":
                    out.setdefault(section, {})[key] = value.split()
                else:
                    out.setdefault(section, {})[key] = value
                break
    return out


def _merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _describe(err: ValidationError, source: str) -> str:
    first = err.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "(top level)"
    if first["type"] == "extra_forbidden":
        return f"{source}: {where}: unknown setting"
    msg = first["msg"].removeprefix("Value error, ")
    value = first.get("input")
    shown = f" (got {value!r})" if isinstance(value, str | int | float | bool) else ""
    return f"{source}: {where}: {msg}{shown}"


def load_settings(
    config_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
    flags: Mapping[str, Any] | None = None,
    check_dirs: bool = True,
) -> Settings:
    """Merge file < environment < flags and validate once."""
    data: dict[str, Any] = {}
    source = "settings"
    if config_file is not None:
        source = str(config_file)
        try:
            data = tomllib.loads(config_file.read_text("utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"{config_file}: no such config file") from None
        except OSError as exc:
            raise ConfigError(f"{config_file}: cannot read: {exc.strerror}") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{config_file}: not valid TOML: {exc}") from None
    data = _merge(data, _env_overrides(os.environ if environ is None else environ))
    if flags:
        data = _merge(data, {"server": {k: v for k, v in flags.items() if v is not None}})
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, source)) from None
    if check_dirs:
        ensure_writable(settings.server.data_dir, "server.data_dir")
    return settings


def ensure_writable(path: Path, name: str, private: bool = True) -> None:
    """Create ``path`` if needed (``private``: readable by the owner only, 0700)."""
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700 if private else 0o777)
        if private and path.stat().st_mode & 0o077:
            path.chmod(0o700)
        probe = path / ".nvrd-write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise ConfigError(f"{name}: {path} is not writable: {exc.strerror}") from None

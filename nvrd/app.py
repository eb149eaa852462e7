"""The composition root: builds the services and the Starlette app, runs their lifespan.

Only this module (and the CLI) know the concrete pieces and wire them
together; everything else receives what it needs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any
from zoneinfo import ZoneInfo

import tzlocal
from sqlalchemy.exc import DBAPIError
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import BaseRoute

from nvrd import __version__
from nvrd.api import auth as auth_api
from nvrd.api import channel as channel_api
from nvrd.api import contractdoc as contractdoc_api
from nvrd.api import dataexport as dataexport_api
from nvrd.api import device as device_api
from nvrd.api import discover as discover_api
from nvrd.api import downloads as downloads_api
from nvrd.api import enum as enum_api
from nvrd.api import eventvideos as eventvideos_api
from nvrd.api import facesearch as facesearch_api
from nvrd.api import files as files_api
from nvrd.api import find as find_api
from nvrd.api import info as info_api
from nvrd.api import live as live_api
from nvrd.api import lprfiles as lprfiles_api
from nvrd.api import objectfiles as objectfiles_api
from nvrd.api import push as push_api
from nvrd.api import status as status_api
from nvrd.api import subscribe as subscribe_api
from nvrd.api import system as system_api
from nvrd.api import vod as vod_api
from nvrd.api import watch as watch_api
from nvrd.api.context import Services
from nvrd.api.fanout import Fanout
from nvrd.api.proxies import TrustedProxies
from nvrd.api.responses import (
    api_error_handler,
    database_error_handler,
    http_error_handler,
    internal_error_handler,
)
from nvrd.auth.bootstrap import ensure_demo_user, ensure_first_admin
from nvrd.auth.lockout import Lockout
from nvrd.auth.service import Authenticator
from nvrd.channels.reconciler import ChannelReconciler
from nvrd.channels.status import StatusBoard
from nvrd.config import Settings
from nvrd.core.clock import Clock, SystemClock
from nvrd.core.errors import ApiError
from nvrd.core.eventtypes import EventType, PrivacyCode
from nvrd.core.forwarded import parse_networks
from nvrd.core.i18n import Translator
from nvrd.core.ids import fill_ids
from nvrd.core.passwords import INTERACTIVE, Scrypt
from nvrd.core.supervisor import Supervisor
from nvrd.devices.manager import DeviceManager
from nvrd.devices.presets import CameraPresetMover
from nvrd.events.bus import EventBus
from nvrd.events.failures import report_failure
from nvrd.events.log import EventLogWriter
from nvrd.events.types import LogRequested
from nvrd.export.backup import EventBackupService, PresetMover
from nvrd.export.records import Records
from nvrd.export.service import ExportService
from nvrd.integrations.carexport import ExportFolder
from nvrd.integrations.relay import ParkingRelay
from nvrd.integrations.service import IntegrationService
from nvrd.media.service import MediaService
from nvrd.objectlog.faceindex import FaceIndex
from nvrd.objectlog.retention import ObjectRetention
from nvrd.objectlog.writer import ObjectLogWriter
from nvrd.recognition.lpr.service import LprService
from nvrd.recognition.objects.photos import PhotoFaces
from nvrd.recognition.objects.service import ObjectService
from nvrd.store.channels import Channel, ChannelStore
from nvrd.store.db import Database
from nvrd.store.eventlog import EventLogStore
from nvrd.store.eventvideos import EventVideoStore
from nvrd.store.objects import ObjectLogStore
from nvrd.store.presets import PresetNameStore
from nvrd.store.recordings import RecordingIndex
from nvrd.store.recsearch import RecordingSearch
from nvrd.store.sessions import SessionStore
from nvrd.store.users import UserStore
from nvrd.system.health import HealthSampler
from nvrd.system.hostroot import HostRoot
from nvrd.system.power import PowerControl

log = logging.getLogger("nvrd")

SESSION_PURGE_SECONDS = 60.0


def host_timezone() -> str:
    try:
        name = tzlocal.get_localzone_name()
    except Exception:  # tzlocal raises several kinds on odd hosts
        name = None
    return str(name) if name else "UTC"


def _no_restart() -> None:
    log.error("restart requested, but this server was not started by 'nvrd serve'")


def configured_channels(settings: Settings) -> list[Channel]:
    out: list[Channel] = []
    chids = fill_ids([c.chid for c in settings.channel])
    for c, chid in zip(settings.channel, chids, strict=True):
        doc: dict[str, Any] = {}
        if c.source:
            doc = {"source": c.source, "tcp": c.tcp, "playback": c.playback}
        out.append(Channel(chid, c.title, doc, "config"))
    return out


class ChannelParts:
    """What the reconciler starts and stops per channel: the camera link, then the media."""

    def __init__(self, devices: DeviceManager, media: MediaService):
        self.devices = devices
        self.media = media

    def add(self, ch: Channel) -> None:
        self.devices.add(ch)
        self.media.add(ch)

    async def remove(self, chid: int) -> None:
        await self.media.remove(chid)
        await self.devices.remove(chid)


def routes() -> list[BaseRoute]:
    return [
        *info_api.routes,
        *auth_api.routes,
        *system_api.routes,
        *status_api.routes,
        *enum_api.routes,
        *find_api.routes,
        *device_api.routes,
        *channel_api.routes,
        *discover_api.routes,
        *lprfiles_api.routes,
        *objectfiles_api.routes,
        *facesearch_api.routes,
        *files_api.routes,
        *live_api.routes,
        *subscribe_api.routes,
        *vod_api.routes,
        *watch_api.routes,
        *push_api.routes,
        *dataexport_api.routes,
        *downloads_api.routes,
        *eventvideos_api.routes,
        *contractdoc_api.routes,
    ]


def lpr_service(
    settings: Settings,
    integrations: IntegrationService,
    channels: ChannelStore,
    media: MediaService,
    clock: Clock,
) -> LprService:
    """The recognisers: plates read from the LPR sources' zones (pictures from the media
    service's frame sources), logged as pushed ones are."""
    return LprService(
        settings.lpr,
        integrations,
        channels,
        settings.plates_dir,
        frames=media.analytics_frames,
        now_ms=clock.now_ms,
    )


def object_service(
    settings: Settings,
    channels: ChannelStore,
    media: MediaService,
    bus: EventBus,
    clock: Clock,
    supervisor: Supervisor,
) -> ObjectService:
    """Object detection of the listed channels (pictures from the media service's frame
    sources, gated by its motion detectors), published as ``object`` events."""
    return ObjectService(
        settings.objects,
        channels,
        settings.server.data_dir,
        bus.publish,
        supervisor,
        frames=media.analytics_frames,
        motion=media.motion.states,
        now_ms=clock.now_ms,
    )


def create_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    request_restart: Callable[[], None] | None = None,
    announce: Callable[[str], None] = print,
    hasher: Scrypt = INTERACTIVE,
    preset_mover: PresetMover | None = None,
) -> Starlette:
    clock = clock or SystemClock()
    tz = ZoneInfo(settings.server.timezone or host_timezone())
    db = Database(settings.db_url, settings.server.database_busy_ms)
    users = UserStore(db.engine, hasher)
    sessions = SessionStore(db.engine)
    lockout = Lockout(
        settings.auth.max_failures,
        settings.auth.failure_window_seconds,
        settings.auth.lockout_seconds,
        clock.monotonic,
    )
    bus = EventBus(settings.events.subscriber_queue)
    channels = ChannelStore(db.engine)
    eventlog = EventLogStore(db.engine)
    log_writer = EventLogWriter(bus, eventlog, clock)
    objects = ObjectLogStore(db.engine)
    object_writer = ObjectLogWriter(bus, objects, clock)
    object_retention = ObjectRetention(
        objects, settings.objects_dir, settings.objects.keep_days, clock
    )

    def audit(code: PrivacyCode, param: dict[str, Any]) -> None:
        bus.publish(
            LogRequested(at_ms=clock.now_ms(), type=EventType.PRIVACY, code=code, param=param)
        )

    status_board = StatusBoard()
    records = Records(bus.publish, clock.now_ms)
    recsearch = RecordingSearch(db.engine)
    export = ExportService(settings, recsearch, channels, records, tz)
    recordings = RecordingIndex(db.engine)
    supervisor = Supervisor(clock, report_failure(bus, clock))
    media = MediaService(settings, recordings, status_board, bus, clock, supervisor=supervisor)
    onvif = settings.onvif
    devices = DeviceManager(
        bus, clock, media.motion, onvif.timeout_seconds, onvif.poll_seconds, onvif.events
    )
    media.resolve_source = devices.main_source
    media.resolve_sub = devices.sub_source
    reconciler = ChannelReconciler(
        channels, ChannelParts(devices, media), bus, clock=clock, supervisor=supervisor
    )

    async def camera_source_changed(chid: int) -> None:
        await reconciler.restart(chid, media)

    async def camera_sub_changed(chid: int) -> None:
        await reconciler.restart(chid, media.sub_runner)

    devices.on_source_changed = camera_source_changed
    devices.on_sub_changed = camera_sub_changed
    mover = preset_mover or CameraPresetMover(devices)
    integrations = IntegrationService(
        db.engine,
        ChannelStore(db.engine),
        bus,
        clock,
        tz,
        accept_unknown_sources=settings.integrations.accept_unknown_sources,
    )
    svc = Services(
        settings=settings,
        clock=clock,
        tz=tz,
        i18n=Translator.load(settings.server.language),
        users=users,
        auth=Authenticator(
            users, sessions, lockout, clock, settings.auth.session_idle_seconds, audit
        ),
        eventlog=eventlog,
        channels=channels,
        recordings=recordings,
        recsearch=recsearch,
        status=status_board,
        bus=bus,
        fanout=Fanout(bus, settings.events.subscriber_queue),
        media=media,
        reconciler=reconciler,
        health=HealthSampler(clock.monotonic, host=HostRoot(settings.server.host_root)),
        power=PowerControl(request_restart or _no_restart, settings.server.reboot_command),
        export=export,
        eventbackup=EventBackupService(
            settings.event_storage,
            settings.event_storage_path,
            EventVideoStore(db.engine),
            export,
            clock,
            tz,
            mover,
        ),
        devices=devices,
        preset_names=PresetNameStore(db.engine),
        preset_mover=mover,
        integrations=integrations,
        lpr=lpr_service(settings, integrations, ChannelStore(db.engine), media, clock),
        detection=object_service(settings, ChannelStore(db.engine), media, bus, clock, supervisor),
        exports=ExportFolder(settings.exports_dir, settings.lpr.export_retention_minutes * 60),
        objects=objects,
        faces=FaceIndex(objects),
        photo_faces=PhotoFaces(clock),
    )

    def now_ms() -> int:
        return clock.now_ms()

    async def purge_sessions() -> None:
        while True:
            await clock.sleep(SESSION_PURGE_SECONDS)
            try:
                await svc.auth.purge_idle()
            except Exception:
                log.exception("session purge failed")
            try:
                await asyncio.to_thread(svc.exports.remove_expired)
            except Exception:
                log.exception("removing expired exports failed")

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await db.open()
        await log_writer.start()
        object_writer.open()
        object_log = supervisor.spawn("object-log", object_writer.run)
        await ensure_first_admin(users, settings.server.data_dir, now_ms(), announce)
        if settings.auth.demo_user:
            await ensure_demo_user(
                users, settings.auth.demo_user, settings.auth.demo_password, now_ms()
            )
        await svc.channels.seed(configured_channels(settings), now_ms())
        await svc.integrations.seed(settings)
        running = await svc.channels.all()
        await svc.export.start()
        devices.start()
        for ch in running:
            devices.add(ch)
        await media.start(running)
        await svc.eventbackup.start()
        svc.reconciler.start(running)
        supervisor.spawn("session-purge", purge_sessions)
        supervisor.spawn("event-fanout", svc.fanout.run)
        supervisor.spawn("parking-relay", ParkingRelay(integrations.store, bus, clock).run)
        supervisor.spawn("object-retention", object_retention.run)
        svc.lpr.start()
        svc.detection.start()
        log.info(
            "server started",
            extra={"version": __version__, "timezone": tz.key, "database": db.engine.dialect.name},
        )
        try:
            yield
        finally:
            await supervisor.cancel("session-purge")
            await supervisor.cancel("event-fanout")
            await supervisor.cancel("parking-relay")
            await supervisor.cancel("object-retention")
            await svc.reconciler.stop()
            await svc.eventbackup.stop()
            await devices.stop()
            await svc.lpr.stop()
            await svc.detection.stop()
            await svc.photo_faces.close()
            await media.stop()
            await svc.export.stop()
            await object_writer.stop()
            object_log.finish()
            await object_log.join()
            await log_writer.stop()
            await db.close()
            log.info("server stopped")

    handlers: dict[Any, Any] = {
        ApiError: api_error_handler,
        HTTPException: http_error_handler,
        DBAPIError: database_error_handler,
        Exception: internal_error_handler,
    }
    proxies = parse_networks(settings.server.trusted_proxies)
    middleware = [Middleware(TrustedProxies, proxies=proxies)]
    app = Starlette(
        routes=routes(), exception_handlers=handlers, lifespan=lifespan, middleware=middleware
    )
    app.state.services = svc
    return app

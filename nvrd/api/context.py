"""What the API handlers get to work with: the services, built by ``nvrd.app``."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from starlette.requests import HTTPConnection

from nvrd.api.fanout import Fanout
from nvrd.auth.service import Authenticator
from nvrd.channels.reconciler import ChannelReconciler
from nvrd.channels.status import StatusBoard
from nvrd.config import Settings
from nvrd.core.clock import Clock
from nvrd.core.i18n import Translator
from nvrd.devices.manager import DeviceManager
from nvrd.events.bus import EventBus
from nvrd.export.backup import EventBackupService, PresetMover
from nvrd.export.service import ExportService
from nvrd.integrations.carexport import ExportFolder
from nvrd.integrations.service import IntegrationService
from nvrd.media.service import MediaService
from nvrd.objectlog.faceindex import FaceIndex
from nvrd.recognition.lpr.service import LprService
from nvrd.recognition.objects.photos import PhotoFaces
from nvrd.recognition.objects.service import ObjectService
from nvrd.store.channels import ChannelStore
from nvrd.store.eventlog import EventLogStore
from nvrd.store.objects import ObjectLogStore
from nvrd.store.presets import PresetNameStore
from nvrd.store.recordings import RecordingIndex
from nvrd.store.recsearch import RecordingSearch
from nvrd.store.users import UserStore
from nvrd.system.health import HealthSampler
from nvrd.system.power import PowerControl


@dataclass
class Services:
    settings: Settings
    clock: Clock
    tz: ZoneInfo
    i18n: Translator
    users: UserStore
    auth: Authenticator
    eventlog: EventLogStore
    channels: ChannelStore
    recordings: RecordingIndex
    recsearch: RecordingSearch
    status: StatusBoard
    bus: EventBus
    fanout: Fanout
    media: MediaService
    reconciler: ChannelReconciler
    health: HealthSampler
    power: PowerControl
    integrations: IntegrationService
    export: ExportService
    eventbackup: EventBackupService
    devices: DeviceManager
    preset_names: PresetNameStore
    #: Moves a channel's camera to a preset (event backup's presetGo task).
    preset_mover: PresetMover
    lpr: LprService
    #: on-box object detection (its workers and health)
    detection: ObjectService
    exports: ExportFolder
    #: The object log (``what=object``).
    objects: ObjectLogStore
    #: The stored faces' embeddings (``/api/searchFace``) and the photos' faces (a helper
    #: process).
    faces: FaceIndex
    photo_faces: PhotoFaces


def services(request: HTTPConnection) -> Services:
    svc: Services = request.app.state.services
    return svc

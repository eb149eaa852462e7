"""The event storage is apart from recording storage: recording retention and the
consistency check never touch it, and its own retention (age, quota) deletes oldest first."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from nvrd.config import ConfigError, EventStorageSettings, Settings
from nvrd.core.clock import FakeClock
from nvrd.events.bus import EventBus
from nvrd.events.types import LogRequested
from nvrd.export.backup import EventBackupService
from nvrd.export.records import Records
from nvrd.export.service import ExportService
from nvrd.export.trigger import Backup, Trigger
from nvrd.media.recording.fsck import check_all
from nvrd.media.recording.retention import RetentionPool, Usage
from nvrd.store.channels import ChannelStore
from nvrd.store.db import Database
from nvrd.store.eventvideos import SAVED, EventVideoStore
from nvrd.store.recordings import RecordingIndex
from nvrd.store.recsearch import RecordingSearch
from tests.conftest import make_settings
from tests.support.recordings import record

T0 = 1_700_000_000_000


def backup(
    settings: Settings, db: Database, clock: FakeClock, bus: EventBus, **es: float
) -> EventBackupService:
    export = ExportService(
        settings, RecordingSearch(db.engine), ChannelStore(db.engine),
        Records(bus.publish, clock.now_ms), ZoneInfo("UTC"),
    )  # fmt: skip
    cfg = EventStorageSettings(index_wait_seconds=0, **es)  # type: ignore[arg-type]
    return EventBackupService(
        cfg, settings.event_storage_path, EventVideoStore(db.engine), export, clock, ZoneInfo("UTC")
    )


async def run_clips(svc: EventBackupService) -> None:
    import asyncio

    while svc.busy > 1:  # the retention loop stays
        await asyncio.sleep(0.02)


async def test_recording_retention_and_fsck_never_touch_event_clips(
    tmp_path: Path, media_dir: Path
) -> None:
    settings = make_settings(tmp_path)
    db = Database(settings.db_url)
    await db.open()
    try:
        import asyncio

        await asyncio.to_thread(record, settings, 1, media_dir / "cam1.mp4", T0, 40, 5)
        clock = FakeClock(datetime.fromtimestamp(T0 / 1000 + 3600, UTC))
        bus = EventBus()
        log = bus.subscribe([LogRequested])
        svc = backup(settings, db, clock, bus)
        await svc.start()
        trigger = Trigger(1, T0 + 20_000, "door forced", {"door": 3}, Backup(5000, 5000, (1,)))
        event_id, urls = await svc.trigger(trigger, "root")
        await run_clips(svc)
        clip = (await EventVideoStore(db.engine).clips(event_id))[0]
        assert clip.state == SAVED
        path = settings.event_storage_path / urls[0].removeprefix("/event-storage/")
        assert path.is_file() and path.stat().st_size == clip.size
        kinds = [(e.type, e.code) for e in log.pending() if isinstance(e, LogRequested)]
        assert kinds == [(7, 1), (7, 2)]
        # storage "full": overwrite retention deletes every recording but the newest
        index = RecordingIndex(db.engine)
        pool = RetentionPool(
            settings.storage_paths, index, 10**15, lambda p: None, lambda p: Usage(1, 1, 0)
        )
        await pool.check()
        assert pool.deleted_segments >= 7
        assert path.is_file()
        findings = await check_all(index, settings.storage_paths, repair=True)
        assert all("event-storage" not in f.path for f in findings)
        assert path.is_file()
        await svc.stop()
    finally:
        await db.close()


async def test_event_storage_retention_by_age_and_quota(tmp_path: Path, media_dir: Path) -> None:
    import asyncio

    settings = make_settings(tmp_path)
    db = Database(settings.db_url)
    await db.open()
    try:
        await asyncio.to_thread(record, settings, 1, media_dir / "cam1.mp4", T0, 40, 5)
        clock = FakeClock(datetime.fromtimestamp(T0 / 1000 + 60, UTC))
        svc = backup(settings, db, clock, EventBus(), retention_days=1)
        await svc.start()
        ids = []
        for k in range(3):
            t = Trigger(1, T0 + 5_000 + k * 10_000, f"e{k}", None, Backup(2000, 2000, (1,)))
            ids.append((await svc.trigger(t, "root"))[0])
        await run_clips(svc)
        store = EventVideoStore(db.engine)
        assert await svc.retention_pass() == 0
        one = (await store.clips(ids[0]))[0].size
        svc.settings = EventStorageSettings(quota_mb=(one * 2.5) / (1024 * 1024))
        assert await svc.retention_pass() == 1  # the oldest goes first
        assert [e for e, _ in await store.oldest(10)] == ids[1:]
        svc.settings = EventStorageSettings(retention_days=1)
        clock.advance(2 * 86_400)
        assert await svc.retention_pass() == 2
        assert await store.oldest(10) == []
        assert not any(settings.event_storage_path.rglob("*.mp4"))
        await svc.stop()
    finally:
        await db.close()


def test_event_storage_must_be_apart_from_recordings(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"event_storage\.path"):
        make_settings(
            tmp_path,
            storage=[{"path": str(tmp_path / "rec")}],
            event_storage={"path": str(tmp_path / "rec" / "events")},
        )
    with pytest.raises(ConfigError, match=r"export\.dir"):
        make_settings(
            tmp_path, storage=[{"path": str(tmp_path / "x")}], export={"dir": str(tmp_path)}
        )

"""The recogniser's server side without worker processes: what a passage becomes, the
workers' settings, which sources get one, and the plate images' retention."""

from __future__ import annotations

from pathlib import Path

from nvrd.config import LprSettings
from nvrd.recognition.lpr.service import LprService, passage_record, worker_config
from nvrd.store.channels import Channel
from nvrd.store.integrations import LprSource, Zone
from nvrd.store.lprlog import LprRecord

ZONE = Zone(chid=3, rect=(0, 2160, 7680, 4320), mode="parking", entry_movement="down")
SOURCE = LprSource(5, "GATE", "Main gate", linked=(3, 1), zone=ZONE, entrance=1, exit=2)
PASSAGE = {
    "key": "5-1-1",
    "kind": "parked",
    "plateNo": "AB12CDE",
    "score": 0.934,
    "roi": {"offset": [10, 20], "size": [100, 25]},
    "timeBegin": 1000,
    "timeEnd": 4000,
    "direction": "entry",
    "images": ["2026/12/01/a.plate.jpg"],
}


def test_a_passage_becomes_a_log_entry() -> None:
    rec = passage_record(SOURCE, PASSAGE)
    assert rec == LprRecord(
        when_ms=4000,
        time_begin_ms=1000,
        src_code="GATE",
        src_name="Main gate",
        plate_no="AB12CDE",
        src_id=5,
        chid=3,
        linked=(3, 1),
        score=93,
        roi={"offset": [10, 20], "size": [100, 25]},
        direction="entry",
        parking_entrance=1,
        parking_exit=2,
        image=("/storage/plates/2026/12/01/a.plate.jpg",),
        time_end_ms=4000,
    )
    assert passage_record(SOURCE, {**PASSAGE, "kind": "done"}).time_end_ms is None


def test_worker_settings_follow_the_zone_and_nothing_of_the_camera() -> None:
    cfg = worker_config(SOURCE, LprSettings(fps=3, parking_gap_seconds=30), Path("/p"))
    assert cfg.zone == ZONE.rect and cfg.fps == 3 and cfg.image_dir == "/p"
    assert cfg.tracker.mode == "parking" and cfg.tracker.gap_ms == 30_000
    assert cfg.tracker.entry_movement == "down"


class Registry:
    def __init__(self, sources: list[LprSource]) -> None:
        self.sources = sources

    async def lpr_sources(self) -> list[LprSource]:
        return self.sources

    async def record_lpr(self, rec: LprRecord, src: LprSource) -> int:
        return 1

    async def lpr_left(self, entry_id: int, end_ms: int) -> None:
        pass


class Channels:
    async def all(self) -> list[Channel]:
        return [
            Channel(3, "Gate", {"source": "/v/gate.mp4"}, "config"),
            Channel(4, "Off", {}, "config"),
        ]


async def test_only_sources_in_use_with_a_zone_on_a_channel_with_video_get_a_worker() -> None:
    sources = [
        SOURCE,
        LprSource(6, "PUSHED", "Pushed"),  # no zone
        LprSource(7, "OFF", "Off", zone=ZONE, tag="NotUsed"),
        LprSource(8, "DARK", "Dark", zone=Zone(chid=4, rect=ZONE.rect)),  # no video source
        LprSource(9, "GONE", "Gone", zone=Zone(chid=99, rect=ZONE.rect)),  # no such channel
    ]
    svc = LprService(LprSettings(), Registry(sources), Channels(), Path("/p"))
    wanted = await svc._wanted()
    assert list(wanted) == [5]
    assert "/v/gate.mp4" not in repr(wanted[5].config)  # pictures come from the server


def test_old_plate_images_are_removed_by_the_day(tmp_path: Path) -> None:
    day_ms = 86_400_000
    now = 20_000 * day_ms  # 2024-10-04
    svc = LprService(
        LprSettings(image_retention_days=2), Registry([]), Channels(), tmp_path, now_ms=lambda: now
    )
    for day in ("2024/09/30", "2024/10/01", "2024/10/02", "2024/10/03", "2024/10/04", "x/y/z"):
        (tmp_path / day).mkdir(parents=True)
        (tmp_path / day / "a.plate.jpg").write_bytes(b"j")
    assert svc.remove_old_images() == 2
    left = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.glob("*/*/*"))
    assert left == ["2024/10/02", "2024/10/03", "2024/10/04", "x/y/z"]
    keep = LprService(LprSettings(image_retention_days=0), Registry([]), Channels(), tmp_path)
    assert keep.remove_old_images() == 0

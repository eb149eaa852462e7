"""Export file names: the channel and the part's local start time, unique in one export."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from nvrd.export.names import FileNames

SEOUL = ZoneInfo("Asia/Seoul")
START = 1_767_225_600_000  # 2026-01-01T00:00:00Z


def test_local_start_time_and_a_counter_for_the_same_second() -> None:
    names = FileNames()
    assert names.name(1, START, SEOUL) == "CH1.2026-01-01T09.00.00"
    assert names.name(1, START + 999, SEOUL) == "CH1.2026-01-01T09.00.00(2)"
    assert names.name(1, START + 500, SEOUL) == "CH1.2026-01-01T09.00.00(3)"
    assert names.name(2, START, SEOUL) == "CH2.2026-01-01T09.00.00"
    assert names.name(1, START + 1000, ZoneInfo("UTC")) == "CH1.2026-01-01T00.00.01"


def test_each_export_has_its_own_names() -> None:
    assert FileNames().name(1, START, SEOUL) == FileNames().name(1, START, SEOUL)

"""Exported vehicle-number log searches: Excel (.xls, .xlsx) and CSV files, and their folder.

The guide's ``export=true`` answers with the URLs of ``.xls`` files named
after the search's start time (``2018-01-01T00.00.00.xls``, then
``2018-01-01T00.00.00(2).xls`` ...), ``rows_per_file`` rows each. ``.xls``
is written with ``xlwt`` (BIFF8, what the guide's Excel 97-2003 name
means), ``.xlsx`` with ``XlsxWriter``, ``.csv`` (UTF-8 with a BOM, so that
Excel shows Hangul) with the standard library. Each export gets its own
folder with an unguessable name under ``exports_dir``; folders older than
the retention are deleted by :meth:`ExportFolder.remove_expired`.
"""

from __future__ import annotations

import csv
import re
import secrets
import shutil
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from nvrd.core.clock import utc_from_ms
from nvrd.core.timefmt import format_iso
from nvrd.store.lprlog import LprRecord

FORMATS = ("xls", "xlsx", "csv")
MEDIA_TYPES = {
    "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}
#: Column keys, in order; their headings come from the catalogs (``lpr.export.<key>``).
COLUMNS = ("id", "plateNo", "timeBegin", "timeEnd", "srcCode", "srcName", "direction", "score")
TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
NAME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}\.\d{2}\.\d{2}(\(\d+\))?\.(xls|xlsx|csv)$")
SHEET = "carNo"


def file_names(start: datetime, count: int, ext: str) -> list[str]:
    """``<start>.ext``, ``<start>(2).ext``, ... as the guide shows them."""
    stem = start.strftime("%Y-%m-%dT%H.%M.%S")
    return [f"{stem}.{ext}" if n == 1 else f"{stem}({n}).{ext}" for n in range(1, count + 1)]


def row(rec: LprRecord, tz: ZoneInfo) -> list[Any]:
    return [
        rec.id,
        rec.plate_no,
        format_iso(utc_from_ms(rec.time_begin_ms), tz),
        format_iso(utc_from_ms(rec.end_ms), tz),
        rec.src_code,
        rec.src_name,
        rec.direction or "",
        rec.score if rec.score is not None else "",
    ]


def write_xls(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet(SHEET)
    bold = xlwt.easyxf("font: bold on")
    for c, text in enumerate(header):
        sheet.write(0, c, text, bold)
    for r, values in enumerate(rows, start=1):
        for c, value in enumerate(values):
            sheet.write(r, c, value)
    book.save(str(path))


def write_xlsx(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    try:
        sheet = book.add_worksheet(SHEET)
        bold = book.add_format({"bold": True})
        sheet.write_row(0, 0, list(header), bold)
        for r, values in enumerate(rows, start=1):
            sheet.write_row(r, 0, list(values))
    finally:
        book.close()


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        out = csv.writer(f)
        out.writerow(header)
        out.writerows(rows)


WRITERS = {"xls": write_xls, "xlsx": write_xlsx, "csv": write_csv}


@dataclass(frozen=True)
class ExportFolder:
    root: Path
    retention_seconds: float

    def write(
        self,
        records: Sequence[LprRecord],
        header: Sequence[str],
        start: datetime,
        ext: str,
        rows_per_file: int,
        tz: ZoneInfo,
    ) -> tuple[str, list[str]]:
        """Write the files of one export (blocking); (folder token, file names)."""
        token = secrets.token_urlsafe(18)
        folder = self.root / token
        folder.mkdir(parents=True, mode=0o700)
        chunks = [records[i : i + rows_per_file] for i in range(0, len(records), rows_per_file)]
        chunks = chunks or [[]]
        names = file_names(start, len(chunks), ext)
        for name, chunk in zip(names, chunks, strict=True):
            tmp = folder / (name + ".part")
            WRITERS[ext](tmp, header, (row(r, tz) for r in chunk))
            tmp.replace(folder / name)
        return token, names

    def path(self, token: str, name: str) -> Path | None:
        """The file of an export, if the names are well-formed and it is still there."""
        if not TOKEN.match(token) or not NAME.match(name):
            return None
        target = self.root / token / name
        return target if target.is_file() else None

    def remove_expired(self, now: float | None = None) -> int:
        """Delete export folders older than the retention (blocking); how many."""
        now = time.time() if now is None else now
        removed = 0
        if not self.root.is_dir():
            return 0
        for folder in self.root.iterdir():
            try:
                age = now - folder.stat().st_mtime
            except OSError:
                continue
            if folder.is_dir() and age > self.retention_seconds:
                shutil.rmtree(folder, ignore_errors=True)
                removed += 1
        return removed

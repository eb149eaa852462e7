"""The work of ``nvrd export`` (see ``nvrd/cli/export.py``): plan the parts, write the
files with a progress bar, and leave the privacy record in the event log."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

from tqdm import tqdm

from nvrd.cli.common import CliError
from nvrd.config import Settings
from nvrd.core.clock import SystemClock, ms_from_datetime
from nvrd.core.errors import ApiError
from nvrd.core.i18n import Translator
from nvrd.core.params import parse_int_list
from nvrd.core.timefmt import parse_time
from nvrd.events.bus import EventBus
from nvrd.events.log import EventLogWriter
from nvrd.events.types import LogRequested
from nvrd.export.assemble import Part, export_parts, export_runs
from nvrd.export.files import Member, Progress, Written, write_member, write_zip
from nvrd.export.names import FileNames
from nvrd.export.params import parse_size
from nvrd.export.records import Records
from nvrd.export.service import ChannelWork, ExportService
from nvrd.export.subtitles import EXTENSIONS, render
from nvrd.store.channels import ChannelStore
from nvrd.store.db import opened
from nvrd.store.eventlog import EventLogStore
from nvrd.store.recsearch import RecordingSearch


def _password(args: argparse.Namespace) -> bytes | None:
    if args.password_file is not None:
        text = Path(args.password_file).read_text("utf-8").rstrip("\r\n")
        if not text:
            raise CliError(f"{args.password_file} is empty")
        return text.encode()
    if args.password_prompt:
        first = getpass.getpass("Password: ")
        if not first or getpass.getpass("Again: ") != first:
            raise CliError("the passwords are empty or differ")
        return first.encode()
    return None


def _members(
    part: Part, w: ChannelWork, name: str, fmt: str | None, tz: ZoneInfo, lang: str
) -> list[Member]:
    members = [Member(f"{name}.mp4", plan=part.plan)]
    if fmt is not None:
        text = render(fmt, part.anchors, part.plan.duration_ms, tz, lang, w.label)
        members.append(Member(f"{name}.{EXTENSIONS[fmt]}", text=text.encode()))
    return members


class _Job:
    def __init__(self, args: argparse.Namespace, settings: Settings, export: ExportService):
        self.args = args
        self.settings = settings
        self.export = export
        self.tz = export.tz
        now = SystemClock().now()
        i18n = Translator.load(settings.server.language)
        try:
            self.begin = ms_from_datetime(parse_time("--from", args.begin, self.tz, now))
            self.end = ms_from_datetime(parse_time("--to", args.end, self.tz, now))
            self.chids = parse_int_list("--ch", args.ch, lo=1) if args.ch else None
            default = settings.export.default_media_size_mb * 1024 * 1024
            self.size = parse_size("--media-size", args.media_size) if args.media_size else default
            self.lang = i18n.resolve(args.lang or None)
        except ApiError as err:
            raise CliError(i18n.text("en-US", f"error.{err.key}", **err.params)) from None
        if self.end <= self.begin:
            raise CliError("--to must be later than --from")
        self.fmt = None if args.subtitle == "None" else args.subtitle
        self.password = _password(args)
        self.names = FileNames()

    def parts(self, w: ChannelWork) -> list[Part]:
        runs = export_runs(w.sources, self.begin, self.end, self.export.cache)

        def title(start_ms: int) -> tuple[str, str]:
            start = self.export.iso(start_ms)
            return start, f"{w.label} {start}"

        return [p for run in runs for p in export_parts(run, self.size, title)]

    def write(self, work: list[ChannelWork]) -> list[Written]:
        out: Path = self.args.out
        out.mkdir(parents=True, exist_ok=True)
        planned = [(w, p) for w in work for p in self.parts(w)]
        total = sum(p.plan.size for _, p in planned)
        written: list[Written] = []
        bar = tqdm(total=total, unit="B", unit_scale=True, disable=self.args.quiet, file=sys.stderr)
        try:
            for w, part in planned:
                name = self.names.name(w.chid, part.plan.start_ms, self.tz)
                members = _members(part, w, name, self.fmt, self.tz, self.lang)
                progress = Progress()
                if self.password is not None:
                    zipped = write_zip(members, out / f"{name}.zip", self.password, progress, True)
                    written.append(zipped)
                else:
                    written.extend(write_member(m, out, progress, True) for m in members)
                bar.update(part.plan.size)
        finally:
            bar.close()
        return written


async def _run(args: argparse.Namespace, settings: Settings) -> int:
    tz = ZoneInfo(settings.server.timezone or _host_zone())
    bus = EventBus()
    clock = SystemClock()
    records = Records(bus.publish, clock.now_ms)
    log_sub = bus.subscribe([LogRequested], name="cli export")
    async with opened(settings.db_url) as db:
        export = ExportService(
            settings, RecordingSearch(db.engine), ChannelStore(db.engine), records, tz
        )
        job = _Job(args, settings, export)
        work = await export.work(job.chids, job.begin, job.end)
        if not work:
            raise CliError("nothing is recorded in that time range on those channels")
        uid = f"local:{getpass.getuser()}"
        task = f"cli-{os.getpid()}-{job.begin}"
        span = (export.iso(job.begin), export.iso(job.end))
        records.export_started(
            uid, task, [w.chid for w in work], span, args.submitter, args.recipient,
            args.purpose, "cli", job.password is not None,
        )  # fmt: skip
        code = -1003
        files: list[Written] = []
        try:
            files = await asyncio.to_thread(job.write, work)
            code = 0
        finally:
            records.export_ended(uid, task, code, [f.path.name for f in files])
            writer = EventLogWriter(bus, EventLogStore(db.engine), clock)
            for event in log_sub.pending():
                await writer.handle(event)
    if args.md5:
        sums = "".join(f"{f.md5}  {f.path.name}\n" for f in files)
        (args.out / "MD5SUMS").write_text(sums, "utf-8")
    for f in files:
        print(f.path)
    return 0


def _host_zone() -> str:
    from nvrd.app import host_timezone

    return host_timezone()


def run_export(args: argparse.Namespace, settings: Settings) -> int:
    return asyncio.run(_run(args, settings))

"""``nvrd check [--repair]``: recordings against the index, with the server stopped."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from nvrd.cli.common import add_common, settings_from
from nvrd.store.db import opened


def add_parsers(sub: Any) -> None:
    check = sub.add_parser(
        "check", help="check recordings against the index (run with the server stopped)"
    )
    add_common(check)
    check.add_argument("--repair", action="store_true", help="repair what is found")


def run(args: argparse.Namespace) -> int:
    """Report (and with --repair fix) differences between segment files and the index."""
    from nvrd.core.logs import setup_logging
    from nvrd.media.recording.fsck import check_all
    from nvrd.store.recordings import RecordingIndex

    settings = settings_from(args)
    setup_logging("text", "error")
    found: list[Any] = []

    async def run() -> None:
        async with opened(settings.db_url) as db:
            found.extend(
                await check_all(RecordingIndex(db.engine), settings.storage_paths, args.repair)
            )

    asyncio.run(run())
    for f in found:
        state = "repaired" if f.repaired else "found"
        print(f"{state}\t{f.kind}\t{f.path}\t{f.detail}")
    print(f"{len(found)} problem(s) {'repaired' if args.repair else 'found'}")
    return 1 if found and not args.repair else 0

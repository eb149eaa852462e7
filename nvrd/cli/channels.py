"""``nvrd channel list|rename|swap``: change channels while the server runs.

The commands write the database; a running server notices within a second
(``channels/reconciler.py``) and tells websocket subscribers (``nameChanged``,
``channelSwapped``). Adding and deleting channels is done over the API.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

from nvrd.cli.common import CliError, add_common
from nvrd.config import Settings
from nvrd.store.channels import ChannelStore
from nvrd.store.db import opened


def add_parsers(sub: Any) -> None:
    ch = sub.add_parser("channel", help="list, rename or swap channels")
    csub = ch.add_subparsers(dest="channel_command", required=True)
    ls = csub.add_parser("list", help="list channels")
    add_common(ls)
    rename = csub.add_parser("rename", help="change a channel's title")
    add_common(rename)
    rename.add_argument("chid", type=int)
    rename.add_argument("title")
    swap = csub.add_parser("swap", help="exchange the numbers of two channels")
    add_common(swap)
    swap.add_argument("a", type=int)
    swap.add_argument("b", type=int)


async def _run(args: argparse.Namespace, settings: Settings) -> None:
    async with opened(settings.db_url) as db:
        store = ChannelStore(db.engine)
        cmd = args.channel_command
        if cmd == "list":
            for ch in await store.all():
                source = str(ch.source.get("source", ""))
                print(json.dumps({"chid": ch.chid, "title": ch.title, "source": source}))
        elif cmd == "rename":
            if not await store.rename(args.chid, args.title):
                raise CliError(f"no channel {args.chid}")
        elif cmd == "swap" and not await store.swap(args.a, args.b):
            raise CliError(f"channels {args.a} and {args.b} must both exist")


def run(args: argparse.Namespace, settings: Settings) -> None:
    asyncio.run(_run(args, settings))

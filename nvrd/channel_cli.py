"""``nvrd channel list|rename|swap``: change channels while the server runs.

The commands write the database; a running server notices within a second
(``media/sync.py``) and tells websocket subscribers (``nameChanged``,
``channelSwapped``). Adding and deleting channels is done over the API.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Callable
from typing import Any

from nvrd.config import Settings
from nvrd.store.channels import ChannelStore
from nvrd.store.db import opened


class ChannelCommandError(Exception):
    """A one-line error for the person at the terminal."""


def add_parsers(sub: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    ch = sub.add_parser("channel", help="list, rename or swap channels")
    csub = ch.add_subparsers(dest="channel_command", required=True)
    ls = csub.add_parser("list", help="list channels")
    common(ls)
    rename = csub.add_parser("rename", help="change a channel's title")
    common(rename)
    rename.add_argument("chid", type=int)
    rename.add_argument("title")
    swap = csub.add_parser("swap", help="exchange the numbers of two channels")
    common(swap)
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
                raise ChannelCommandError(f"no channel {args.chid}")
        elif cmd == "swap" and not await store.swap(args.a, args.b):
            raise ChannelCommandError(f"channels {args.a} and {args.b} must both exist")


def run(args: argparse.Namespace, settings: Settings) -> None:
    asyncio.run(_run(args, settings))

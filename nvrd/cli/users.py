"""``nvrd user add|passwd|rights|rm|list``."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from nvrd.cli.common import CliError, add_common, now_ms, settings_from
from nvrd.config import Settings
from nvrd.core.rights import access_rights, parse_rights
from nvrd.store.db import opened
from nvrd.store.users import NoSuchUser, UserExists, UserStore


def add_parsers(sub: Any) -> None:
    user = sub.add_parser("user", help="manage users")
    usub = user.add_subparsers(dest="user_command", required=True)
    add = usub.add_parser("add", help="add a user")
    add_common(add)
    add.add_argument("uid")
    add.add_argument("--name", help="display name (default: the uid)")
    add.add_argument(
        "--rights",
        default="Playback,Remote",
        help="comma-separated: DataExport,Control,Settings,Playback,LPR,Remote or all",
    )
    add.add_argument("--admin", action="store_true", help="administrator (has every right)")
    add.add_argument("--password", help="password (default: read from stdin or prompt)")
    pw = usub.add_parser("passwd", help="change a user's password")
    add_common(pw)
    pw.add_argument("uid")
    pw.add_argument("--password", help="new password (default: read from stdin or prompt)")
    rights = usub.add_parser("rights", help="change a user's rights")
    add_common(rights)
    rights.add_argument("uid")
    rights.add_argument("--rights", required=True)
    rights.add_argument("--admin", action="store_true")
    rm = usub.add_parser("rm", help="remove a user")
    add_common(rm)
    rm.add_argument("uid")
    ls = usub.add_parser("list", help="list users")
    add_common(ls)


def _read_password(given: str | None) -> str:
    if given is not None:
        return given
    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != first:
            raise CliError("the passwords differ")
        return first
    return sys.stdin.readline().rstrip("\n")


async def _with_users(settings: Settings, fn: Callable[[UserStore], Awaitable[None]]) -> None:
    async with opened(settings.db_url) as db:
        await fn(UserStore(db.engine))


def run(args: argparse.Namespace) -> None:
    settings = settings_from(args)

    async def run(users: UserStore) -> None:
        cmd = args.user_command
        try:
            if cmd == "add":
                rights = parse_rights(args.rights.split(","))
                password = _read_password(args.password)
                await users.add(
                    args.uid,
                    password,
                    rights,
                    is_admin=args.admin,
                    name=args.name,
                    now_ms=now_ms(),
                )
                print(f"added user {args.uid}")
            elif cmd == "passwd":
                await users.set_password(args.uid, _read_password(args.password))
                print(f"password of {args.uid} changed")
            elif cmd == "rights":
                await users.set_rights(args.uid, parse_rights(args.rights.split(",")), args.admin)
                print(f"rights of {args.uid} changed")
            elif cmd == "rm":
                await users.remove(args.uid)
                print(f"removed user {args.uid}")
            elif cmd == "list":
                for u in await users.all():
                    names = ",".join(access_rights(u.effective_rights))
                    admin = " admin" if u.is_admin else ""
                    print(f"{u.uid}\t{u.name}\t{names}{admin}")
        except UserExists:
            raise CliError(f"user {args.uid} already exists") from None
        except NoSuchUser:
            raise CliError(f"no user {args.uid}") from None
        except ValueError as exc:
            raise CliError(str(exc)) from None

    asyncio.run(_with_users(settings, run))

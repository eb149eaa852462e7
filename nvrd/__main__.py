"""Command line: ``nvrd serve``, ``nvrd user add|passwd|rm|list``, ``nvrd check``, and the
registries: ``nvrd lpr-source|emergency-call|parking-lot ...``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import logging
import os
import signal
import sys
import threading
from collections.abc import Awaitable, Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from nvrd import __version__, channel_cli
from nvrd.config import ConfigError, Settings, load_settings
from nvrd.core.rights import access_rights, parse_rights
from nvrd.registry import cli as registry_cli
from nvrd.store.db import opened
from nvrd.store.users import NoSuchUser, UserExists, UserStore


class CliError(Exception):
    """A one-line error for the person at the terminal."""


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", type=Path, help="TOML settings file")
    p.add_argument("--data-dir", type=Path, help="data directory (default ./nvrd-data)")
    p.add_argument("--database-url", help="sqlite:///FILE or postgresql://... URL")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nvrd", description="nvrd video recorder server")
    parser.add_argument("--version", action="version", version=f"nvrd {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the server")
    _common(serve)
    serve.add_argument("--host", help="listen address (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="listen port (default 8080)")

    user = sub.add_parser("user", help="manage users")
    usub = user.add_subparsers(dest="user_command", required=True)
    add = usub.add_parser("add", help="add a user")
    _common(add)
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
    _common(pw)
    pw.add_argument("uid")
    pw.add_argument("--password", help="new password (default: read from stdin or prompt)")
    rights = usub.add_parser("rights", help="change a user's rights")
    _common(rights)
    rights.add_argument("uid")
    rights.add_argument("--rights", required=True)
    rights.add_argument("--admin", action="store_true")
    rm = usub.add_parser("rm", help="remove a user")
    _common(rm)
    rm.add_argument("uid")
    ls = usub.add_parser("list", help="list users")
    _common(ls)

    check = sub.add_parser(
        "check", help="check recordings against the index (run with the server stopped)"
    )
    _common(check)
    check.add_argument("--repair", action="store_true", help="repair what is found")
    registry_cli.add_parsers(sub, _common)
    channel_cli.add_parsers(sub, _common)
    return parser


def settings_from(args: argparse.Namespace, check_dirs: bool = True) -> Settings:
    flags: dict[str, Any] = {
        "data_dir": args.data_dir,
        "database_url": args.database_url,
        "host": getattr(args, "host", None),
        "port": getattr(args, "port", None),
    }
    return load_settings(args.config, flags=flags, check_dirs=check_dirs)


def _now_ms() -> int:
    return int(datetime.now(UTC).timestamp() * 1000)


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


def user_command(args: argparse.Namespace) -> None:
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
                    now_ms=_now_ms(),
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


def _server_class() -> type[Any]:
    import uvicorn

    class Server(uvicorn.Server):
        """uvicorn's server, but a SIGINT/SIGTERM shutdown ends with exit status 0.

        uvicorn re-raises the caught signal once it has shut down gracefully,
        which makes a clean stop look like a kill to whoever started us.
        """

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            if threading.current_thread() is not threading.main_thread():
                yield
                return
            sigs = (signal.SIGINT, signal.SIGTERM)
            original = {sig: signal.signal(sig, self.handle_exit) for sig in sigs}
            try:
                yield
            finally:
                for sig, handler in original.items():
                    signal.signal(sig, handler)

    return Server


def check_command(args: argparse.Namespace) -> int:
    """Report (and with --repair fix) differences between segment files and the index."""
    from nvrd.core.logs import setup_logging
    from nvrd.media.fsck import check_all
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


def serve_command(args: argparse.Namespace) -> None:
    import uvicorn

    from nvrd.app import create_app
    from nvrd.core.logs import setup_logging

    settings = settings_from(args)
    setup_logging(settings.server.log_format, settings.server.log_level)
    restart = {"wanted": False}
    server: Any = None

    def request_restart() -> None:
        restart["wanted"] = True
        if server is not None:
            server.should_exit = True

    app = create_app(settings, request_restart=request_restart, announce=_announce)
    config = uvicorn.Config(
        app,
        host=settings.server.host,
        port=settings.server.port,
        log_config=None,
        lifespan="on",
        ws="websockets-sansio",
        ws_ping_interval=settings.events.ping_seconds,
        ws_ping_timeout=max(20.0, settings.events.ping_seconds),
        # Live video is compressed already and event messages are small: per-message
        # deflate would cost CPU for every receiver of every message (docs/design/events.md).
        ws_per_message_deflate=False,
        timeout_graceful_shutdown=5,
    )
    server = _server_class()(config)
    server.run()
    if restart["wanted"]:
        logging.getLogger("nvrd").warning("restarting the server process")
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os.execv(sys.executable, [sys.executable, "-m", "nvrd", *sys.argv[1:]])
    if not server.started:
        raise CliError("the server could not start (see the log above)")


def _announce(text: str) -> None:
    print(text, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "serve":
            serve_command(args)
        elif args.command == "user":
            user_command(args)
        elif args.command == "check":
            return check_command(args)
        elif args.command in registry_cli.COMMANDS:
            registry_cli.run(args, settings_from(args))
        elif args.command == "channel":
            channel_cli.run(args, settings_from(args))
    except (
        ConfigError,
        CliError,
        registry_cli.CommandError,
        channel_cli.ChannelCommandError,
    ) as exc:
        print(f"nvrd: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except OSError as exc:
        print(f"nvrd: {exc.strerror or exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

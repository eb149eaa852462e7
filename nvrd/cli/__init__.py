"""The command line: ``nvrd serve``, ``user``, ``check``, ``channel``, ``lpr-source``,
``emergency-call``, ``parking-lot``, ``export``, ``discover``.

Every command reports a problem as one line ``nvrd: ...`` on stderr and exit
status 2 (:class:`~nvrd.cli.common.CliError`, or a bad setting); an OS error
exits with 1.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from nvrd import __version__
from nvrd.cli import channels, check, discover, export, integrations, serve, users
from nvrd.cli.common import CliError, settings_from
from nvrd.config import ConfigError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nvrd", description="nvrd video recorder server")
    parser.add_argument("--version", action="version", version=f"nvrd {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    serve.add_parsers(sub)
    users.add_parsers(sub)
    check.add_parsers(sub)
    integrations.add_parsers(sub)
    channels.add_parsers(sub)
    export.add_parsers(sub)
    discover.add_parsers(sub)
    return parser


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "serve":
        serve.run(args)
    elif args.command == "user":
        users.run(args)
    elif args.command == "check":
        return check.run(args)
    elif args.command in integrations.COMMANDS:
        integrations.run(args, settings_from(args))
    elif args.command == "channel":
        channels.run(args, settings_from(args))
    elif args.command == "export":
        return export.run(args)
    elif args.command == "discover":
        discover.run(args, settings_from(args, check_dirs=False))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _dispatch(args)
    except (ConfigError, CliError) as exc:
        print(f"nvrd: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except OSError as exc:
        print(f"nvrd: {exc.strerror or exc}", file=sys.stderr)
        return 1

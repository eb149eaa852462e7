"""What every command shares: the one error type, the common flags, the settings."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from nvrd.config import Settings, load_settings
from nvrd.core.clock import SystemClock


class CliError(Exception):
    """A one-line error for the person at the terminal (printed as ``nvrd: ...``, exit 2)."""


def add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", type=Path, help="TOML settings file")
    p.add_argument("--data-dir", type=Path, help="data directory (default ./nvrd-data)")
    p.add_argument("--database-url", help="sqlite:///FILE or postgresql://... URL")


def settings_from(args: argparse.Namespace, check_dirs: bool = True) -> Settings:
    flags: dict[str, Any] = {
        "data_dir": args.data_dir,
        "database_url": args.database_url,
        "host": getattr(args, "host", None),
        "port": getattr(args, "port", None),
    }
    return load_settings(args.config, flags=flags, check_dirs=check_dirs)


def now_ms() -> int:
    return SystemClock().now_ms()

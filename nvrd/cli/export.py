"""``nvrd export``: copy recorded video out of the box, for an operator at its console.

Reads the recording index and the segment files directly (the server may
be running), remuxes without re-encoding into ``--out`` exactly as
``/wsapi/dataExport`` does (same file names, subtitles, size split, AES-256
zip with ``--password-file``/``--password-prompt``), shows a progress bar,
writes ``MD5SUMS`` with ``--md5``, and leaves the same privacy record in the
event log ("Video export started/ended", via ``cli``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from nvrd.cli.common import add_common, settings_from


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("export", help="export recorded video to a folder")
    add_common(p)
    p.add_argument("--ch", help="channels, e.g. 1,2 (default: every channel)")
    p.add_argument(
        "--from", dest="begin", required=True, help="start (ISO 8601; local if no offset)"
    )
    p.add_argument("--to", dest="end", required=True, help="end (ISO 8601)")
    p.add_argument("--out", type=Path, required=True, help="folder for the files")
    p.add_argument("--media-size", default="", help="largest file, e.g. 700MB (default: config)")
    p.add_argument("--subtitle", choices=["VTT", "SRT", "SMI", "None"], default="None")
    p.add_argument("--lang", default="", help="language of the subtitles (default: server's)")
    p.add_argument("--md5", action="store_true", help="write MD5SUMS")
    group = p.add_mutually_exclusive_group()
    group.add_argument(
        "--password-file", type=Path, help="encrypt (AES-256 zip) with this password"
    )
    group.add_argument("--password-prompt", action="store_true", help="ask for a password")
    p.add_argument("--submitter", default="")
    p.add_argument("--recipient", default="")
    p.add_argument("--purpose", default="")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    # The export machinery is imported here, so that other commands do not load it.
    from nvrd.cli.export_job import run_export

    return run_export(args, settings_from(args))

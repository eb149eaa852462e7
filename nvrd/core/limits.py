"""The longest text the server stores or takes, in one place (pure).

Every string that reaches a database row, a log line or a child process's
arguments is bounded here; a longer one is a 400 that names the field.
docs/design/api-decisions.md ("Length limits") lists them for clients.
"""

from __future__ import annotations

#: Channel names, device and site names, LPR source / emergency device / parking names.
MAX_NAME = 255
#: Device codes, user IDs, passwords, tokens and other short words.
MAX_WORD = 255
#: Stream and device URLs, image URLs; file channel paths.
MAX_URL = 2048
#: Device codes (LPR sources, emergency-call devices: the ``src`` of a push).
MAX_CODE = 64
#: Licence plate numbers.
MAX_PLATE = 64
#: One file name (a path segment), in UTF-8 bytes, as Linux file systems take it.
MAX_FILE_NAME = 255
#: A whole relative path under a storage root, in UTF-8 bytes.
MAX_PATH = 4096


def too_long(value: str, limit: int) -> bool:
    return len(value) > limit


def safe_rel_path(rel: str) -> bool:
    """``rel`` can name a file: no NUL, every segment and the whole within the limits.

    Checked before the path meets the file system, where a NUL is a
    ``ValueError`` and a 300-byte name an ``OSError`` (ENAMETOOLONG).
    """
    if "\x00" in rel:
        return False
    try:
        raw = rel.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return len(raw) <= MAX_PATH and all(len(p) <= MAX_FILE_NAME for p in raw.split(b"/"))

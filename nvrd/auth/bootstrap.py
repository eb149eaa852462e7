"""Accounts that exist without anyone creating them: the first admin and the demo user."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

from nvrd.core.passwords import random_password
from nvrd.core.rights import ALL_RIGHTS, Right
from nvrd.store.users import UserStore

log = logging.getLogger("nvrd.auth")

ADMIN_PASSWORD_FILE = "admin-password"
DEMO_RIGHTS = (Right.DATA_EXPORT, Right.PLAYBACK, Right.LPR, Right.REMOTE)


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to a file only the owner can read."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, text.encode("utf-8"))
    finally:
        os.close(fd)


async def ensure_first_admin(
    users: UserStore, data_dir: Path, now_ms: int, announce: Callable[[str], None]
) -> str | None:
    """With no users at all, create ``admin`` with a random password; return it."""
    if await users.count() > 0:
        return None
    password = random_password()
    await users.add("admin", password, ALL_RIGHTS, is_admin=True, now_ms=now_ms)
    path = data_dir / ADMIN_PASSWORD_FILE
    write_private(path, password + "\n")
    announce(f"Created user 'admin' with password: {password}  (also saved in {path})")
    log.warning("first administrator created", extra={"uid": "admin", "password_file": str(path)})
    return password


async def ensure_demo_user(users: UserStore, uid: str, password: str, now_ms: int) -> None:
    """The configured demo user exists with the configured password and viewing rights."""
    if not uid:
        return
    if await users.get(uid) is None:
        await users.add(uid, password, DEMO_RIGHTS, name=uid, now_ms=now_ms)
    else:
        await users.set_password(uid, password)
    log.info("demo user enabled", extra={"uid": uid})

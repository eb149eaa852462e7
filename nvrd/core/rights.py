"""User rights of ``accessRights2`` (pure)."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Right(StrEnum):
    DATA_EXPORT = "DataExport"
    CONTROL = "Control"
    SETTINGS = "Settings"
    PLAYBACK = "Playback"
    LPR = "LPR"
    REMOTE = "Remote"


ALL_RIGHTS: tuple[Right, ...] = tuple(Right)


def parse_rights(names: Iterable[str]) -> frozenset[Right]:
    """Rights from their guide names (case-insensitive); ``all`` means every right."""
    by_lower = {r.value.lower(): r for r in Right}
    out: set[Right] = set()
    for raw in names:
        name = raw.strip().lower()
        if not name:
            continue
        if name == "all":
            out.update(Right)
            continue
        if name not in by_lower:
            valid = ", ".join(r.value for r in Right)
            raise ValueError(f"unknown right {raw!r} (valid: {valid}, all)")
        out.add(by_lower[name])
    return frozenset(out)


def encode_rights(rights: Iterable[Right]) -> str:
    """Stable text form for the database: guide names in guide order."""
    have = set(rights)
    return ",".join(r.value for r in Right if r in have)


def decode_rights(text: str) -> frozenset[Right]:
    return parse_rights(text.split(",")) if text else frozenset()


def access_rights2(rights: Iterable[Right]) -> dict[str, bool]:
    have = set(rights)
    return {r.value: r in have for r in Right}


def access_rights(rights: Iterable[Right]) -> list[str]:
    have = set(rights)
    return [r.value for r in Right if r in have]

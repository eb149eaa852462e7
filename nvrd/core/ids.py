"""Numbering: the lowest free number, and numbers for items that were given none (pure)."""

from __future__ import annotations

from collections.abc import Container, Sequence


def lowest_free(taken: Container[int], start: int = 1) -> int:
    """The lowest number from ``start`` on that is not in ``taken``."""
    n = start
    while n in taken:
        n += 1
    return n


def fill_ids(given: Sequence[int | None]) -> list[int]:
    """Each given number, or for a ``None`` the lowest number no other item names."""
    taken = {i for i in given if i is not None}
    out: list[int] = []
    next_free = 1
    for i in given:
        if i is None:
            i = next_free = lowest_free(taken, next_free)
            taken.add(i)
        out.append(i)
    return out

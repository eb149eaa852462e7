"""How alike two plate texts are, knowing what OCR confuses (pure).

Both texts are compared in their search form (:func:`nvrd.core.plates.search_key`).
The distance is an edit distance with weights:

* a character replaced by one it is often mistaken for (``0 O D Q U``,
  ``1 I L J T 7``, ``2 Z``, ``4 A``, ``5 S``, ``6 G``, ``8 B``, ``E F``,
  ``P R``, ``M N``, ``V Y``) costs 0.3; any other replacement 1;
* a character missing or extra costs 0.7 (a character lost in a bolt hole or
  a dirt spot, or a spurious one from the plate's edge).

:func:`similarity` is ``1 - distance / longer length`` (1 = same text).
:func:`partial_similarity` compares a keyword with the best-matching part of
a plate (the plate's characters before and after that part are free), so a
keyword that is only part of a plate still scores: ``1 - distance / keyword
length``. :func:`rank` orders plates by the partial score, then the whole
score, then the text.
"""

from __future__ import annotations

from collections.abc import Iterable

from nvrd.core.plates import search_key

_GROUPS = ("0ODQU", "1ILJT7", "2Z", "4A", "5S", "6G", "8B", "EF", "PR", "MN", "VY")
CONFUSED = 0.3
REPLACED = 1.0
INDEL = 0.7

_FOLD: dict[str, str] = {}
for _group in _GROUPS:
    for _ch in _group:
        _FOLD.setdefault(_ch, _group[0])


def fold(text: str) -> str:
    """``text`` with every look-alike replaced by its group's first character."""
    return "".join(_FOLD.get(c, c) for c in search_key(text))


def replace_cost(a: str, b: str) -> float:
    if a == b:
        return 0.0
    if _FOLD.get(a, a) == _FOLD.get(b, b):
        return CONFUSED
    return REPLACED


def distance(a: str, b: str, free_ends: bool = False) -> float:
    """Weighted edit distance from ``a`` to ``b``; ``free_ends``: ``b``'s characters
    before and after the best-matching part cost nothing."""
    a, b = search_key(a), search_key(b)
    prev = [0.0] * (len(b) + 1) if free_ends else [j * INDEL for j in range(len(b) + 1)]
    for i in range(1, len(a) + 1):
        cur = [i * INDEL] + [0.0] * len(b)
        ca = a[i - 1]
        for j in range(1, len(b) + 1):
            cur[j] = min(
                prev[j - 1] + replace_cost(ca, b[j - 1]),
                prev[j] + INDEL,
                cur[j - 1] + INDEL,
            )
        prev = cur
    return min(prev) if free_ends else prev[-1]


def similarity(a: str, b: str) -> float:
    longest = max(len(search_key(a)), len(search_key(b)))
    if longest == 0:
        return 1.0
    return max(0.0, 1.0 - distance(a, b) / longest)


def partial_similarity(keyword: str, plate: str) -> float:
    n = len(search_key(keyword))
    if n == 0:
        return 0.0
    return max(0.0, 1.0 - distance(keyword, plate, free_ends=True) / n)


def rank(
    keyword: str, plates: Iterable[str], limit: int, threshold: float = 0.5
) -> list[tuple[str, float]]:
    """The ``limit`` plates most like ``keyword`` (partial score ≥ ``threshold``), best first."""
    scored = []
    for plate in set(plates):
        part = partial_similarity(keyword, plate)
        if part >= threshold:
            scored.append((-part, -similarity(keyword, plate), plate))
    scored.sort()
    return [(plate, -part) for part, _, plate in scored[:limit]]

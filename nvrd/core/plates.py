"""Licence-plate formats and the repair of OCR text against them (pure).

A format is a pattern of character classes: ``L`` a Latin letter, ``N`` a
digit, ``H`` a Hangul syllable, ``A`` a letter or a digit; any other
character (space, ``-``, ``.``) is a separator that only documents how the
plate is written. ``[lpr] formats`` lists built-in set names (``US``,
``EU``, ``UK``, ``KR``) and/or patterns such as ``"LLNN LLL"``.

:func:`read_plate` cleans what the OCR read (upper case, only letters,
digits and Hangul), then fits it to every format of the same length: a
character of the wrong class is replaced by its usual look-alike (``0``↔``O``,
``1``↔``I``, ``8``↔``B``, ``5``↔``S``, ``2``↔``Z``...), each replacement
costing one; up to two leading letters may be dropped (the country letter of
an EU plate's blue strip, ``GB``). The fit with the fewest changes wins.
Plates are returned compact: letters, digits and Hangul only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

LETTER, DIGIT, HANGUL, ALNUM = "L", "N", "H", "A"
CLASSES = frozenset({LETTER, DIGIT, HANGUL, ALNUM})
SEPARATORS = frozenset(" -.·")

#: A digit read where a letter belongs, and the letter it most likely was.
TO_LETTER = {"0": "O", "1": "I", "2": "Z", "4": "A", "5": "S", "6": "G", "7": "T", "8": "B"}
#: A letter read where a digit belongs, and the digit it most likely was.
TO_DIGIT = {
    "O": "0",
    "D": "0",
    "Q": "0",
    "U": "0",
    "I": "1",
    "L": "1",
    "J": "1",
    "T": "7",
    "Z": "2",
    "A": "4",
    "S": "5",
    "G": "6",
    "B": "8",
}

#: Hangul syllables used on Korean private, rental and delivery plates.
KR_SYLLABLES = "가나다라마거너더러머버서어저고노도로모보소오조구누두루무부수우주하허호배"

#: Built-in sets. Several formats may share a shape; the first listed wins a tie.
BUILTIN: dict[str, tuple[str, ...]] = {
    # Common US passenger formats: NY/PA/TX/GA (ABC 1234), CA (7ABC123), many states' 6-char ones.
    "US": ("LLL NNNN", "NLLL NNN", "LLL NNN", "NNN LLL", "LL NNNNN"),
    # FR (AB-123-CD), IT (AB 123 CD), ES (1234 ABC), NL sidecodes, PL (AB 12345), DE (shapes).
    "EU": (
        "LL-NNN-LL",
        "NNNN LLL",
        "NN-LLL-N",
        "N-LLL-NN",
        "LL-NNN-L",
        "LLL NNNNN",
        "LL NNNNN",
        "L LL NNNN",
        "LL LL NNNN",
        "LLL LL NNN",
        "LLL L NNNN",
        "LL L NNNN",
        "LLL LL NN",
    ),
    # Great Britain since 2001 (AB12 CDE).
    "UK": ("LLNN LLL",),
    # Korea: 12가 3456 (until 2019) and 123가 4567.
    "KR": ("NNH NNNN", "NNNH NNNN"),
}

MAX_PREFIX = 2


def is_hangul(ch: str) -> bool:
    return "\uac00" <= ch <= "\ud7a3"


def char_class_ok(cls: str, ch: str) -> bool:
    if cls == LETTER:
        return "A" <= ch <= "Z"
    if cls == DIGIT:
        return ch.isascii() and ch.isdigit()
    if cls == HANGUL:
        return is_hangul(ch)
    return ("A" <= ch <= "Z") or (ch.isascii() and ch.isdigit())


@dataclass(frozen=True)
class PlateFormat:
    pattern: str
    name: str = ""

    @property
    def classes(self) -> str:
        return "".join(c for c in self.pattern if c not in SEPARATORS)

    @property
    def length(self) -> int:
        return len(self.classes)

    @property
    def has_hangul(self) -> bool:
        return HANGUL in self.classes


@dataclass(frozen=True)
class PlateReading:
    """A plate that fits a format: ``text`` compact, ``changes`` characters replaced
    or dropped to make it fit."""

    text: str
    format: PlateFormat
    changes: int


def compact(text: str) -> str:
    """Upper case; only Latin letters, digits and Hangul (spaces, dashes, dots go)."""
    out = []
    for ch in text.upper():
        if ("A" <= ch <= "Z") or (ch.isascii() and ch.isdigit()) or is_hangul(ch):
            out.append(ch)
    return "".join(out)


def search_key(text: str) -> str:
    """The form plates and keywords are compared in: upper case without spaces, dashes
    or dots (other characters are kept, so a pushed ``"12가-3456"`` matches ``"가3456"``)."""
    return "".join(ch for ch in text.upper() if ch not in SEPARATORS and not ch.isspace())


def parse_pattern(pattern: str) -> PlateFormat:
    body = [c for c in pattern if c not in SEPARATORS]
    if not body:
        raise ValueError(f"plate format {pattern!r} has no character classes")
    if len(body) > 16:
        raise ValueError(f"plate format {pattern!r} is longer than 16 characters")
    bad = sorted({c for c in body if c not in CLASSES})
    if bad:
        raise ValueError(
            f"plate format {pattern!r}: unknown class {''.join(bad)!r} "
            "(L letter, N digit, H Hangul, A letter or digit; space, '-', '.' separate)"
        )
    return PlateFormat(pattern, pattern)


def parse_formats(specs: Iterable[str]) -> tuple[PlateFormat, ...]:
    """Built-in set names (case-insensitive) and patterns, in order, without repeats."""
    out: list[PlateFormat] = []
    seen: set[str] = set()
    for spec in specs:
        name = spec.strip().upper()
        if name in BUILTIN:
            formats = [PlateFormat(p, name) for p in BUILTIN[name]]
        else:
            formats = [parse_pattern(spec.strip())]
        for f in formats:
            if f.classes not in seen:
                seen.add(f.classes)
                out.append(f)
    return tuple(out)


def _fit(text: str, fmt: PlateFormat) -> tuple[str, int] | None:
    """``text`` (compact, same length) made to fit ``fmt``: (result, replacements)."""
    out: list[str] = []
    changes = 0
    for cls, ch in zip(fmt.classes, text, strict=True):
        if char_class_ok(cls, ch):
            out.append(ch)
            continue
        fixed = TO_LETTER.get(ch) if cls == LETTER else TO_DIGIT.get(ch) if cls == DIGIT else None
        if fixed is None:
            return None
        out.append(fixed)
        changes += 1
    return "".join(out), changes


def max_changes(length: int) -> int:
    """How many replaced characters a reading of ``length`` may need (a quarter, at least 1):
    more would let any word fit some format (``FLORIDA`` as ``FLORI04``)."""
    return max(1, length // 4)


def read_plate(raw: str, formats: Sequence[PlateFormat]) -> PlateReading | None:
    """The best fit of OCR text to one of ``formats``; ``None`` when none fits."""
    text = compact(raw)
    best: PlateReading | None = None
    for drop in range(0, MAX_PREFIX + 1):
        if drop and not all("A" <= c <= "Z" for c in text[:drop]):
            break
        rest = text[drop:]
        for fmt in formats:
            if fmt.length != len(rest):
                continue
            fit = _fit(rest, fmt)
            if fit is None or fit[1] > max_changes(fmt.length):
                continue
            cost = fit[1] + drop
            if best is None or cost < best.changes:
                best = PlateReading(fit[0], fmt, cost)
    return best


def needs_hangul(raw: str, formats: Sequence[PlateFormat]) -> bool:
    """Whether ``raw`` looks like a Hangul format read without its syllable: its digits
    fit a Hangul format's digit positions once one character (or none) is left out."""
    text = compact(raw)
    digits = "".join(c for c in text if c.isascii() and c.isdigit())
    for fmt in formats:
        if not fmt.has_hangul:
            continue
        want = sum(1 for c in fmt.classes if c == DIGIT)
        if len(digits) == want and len(text) <= fmt.length + 1:
            return True
    return False

"""Plate formats and the per-position repair of OCR text."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nvrd.core.plates import (
    BUILTIN,
    compact,
    needs_hangul,
    parse_formats,
    parse_pattern,
    read_plate,
    search_key,
)

ALL = parse_formats(["US", "EU", "UK", "KR"])


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        ("AB12 CDE", "AB12CDE"),  # UK, as read
        ("AB1Z CDE", "AB12CDE"),  # Z where a digit belongs
        ("AB-123-CD", "AB123CD"),  # FR
        ("F AB-123-CD", "AB123CD"),  # the blue strip's letter is dropped
        ("FAB-I23-CD", "AB123CD"),  # ... and I -> 1
        ("7ABC123", "7ABC123"),  # California
        ("ABC 1234", "ABC1234"),
        ("ABC 12S4", "ABC1254"),
        ("1234 BCD", "1234BCD"),  # ES
        ("12가 3456", "12가3456"),
        ("123가4567", "123가4567"),
    ],
)
def test_read_and_repair(raw: str, want: str) -> None:
    got = read_plate(raw, ALL)
    assert got is not None and got.text == want


@pytest.mark.parametrize("raw", ["FLORIDA", "CALIFORNIA", "", "12", "HELLO WORLD", "ABCDEFGHIJ"])
def test_words_do_not_fit(raw: str) -> None:
    assert read_plate(raw, ALL) is None


def test_fewest_changes_win_and_order_breaks_ties() -> None:
    # one change either way: ES 4812CDE (A -> 4) or UK AB12CDE (8 -> B); the first set listed wins
    assert read_plate("A812 CDE", parse_formats(["EU", "UK"])).text == "4812CDE"  # type: ignore[union-attr]
    assert read_plate("A812 CDE", parse_formats(["UK", "EU"])).text == "AB12CDE"  # type: ignore[union-attr]
    uk = parse_formats(["UK"])
    assert read_plate("AB12CDE", uk) is not None
    assert read_plate("AB12CDE", uk).changes == 0  # type: ignore[union-attr]
    one = read_plate("A812CDE", uk)
    assert one is not None and one.changes == 1
    # too many changes for a 7-character plate (at most a quarter)
    assert read_plate("A8IZCDE", uk) is None


def test_custom_patterns_and_errors() -> None:
    fmts = parse_formats(["NN-LL-NN", "uk"])
    assert [f.classes for f in fmts] == ["NNLLNN", "LLNNLLL"]
    assert read_plate("12 AB 34", fmts).text == "12AB34"  # type: ignore[union-attr]
    for bad in ["", "  ", "XYZ", "N" * 17]:
        with pytest.raises(ValueError):
            parse_pattern(bad)
    # repeats are dropped
    assert len(parse_formats(["UK", "UK", "LLNN LLL"])) == 1


def test_needs_hangul() -> None:
    assert needs_hangul("935L4925", ALL)  # the syllable read as a Latin letter
    assert needs_hangul("6488506", ALL)  # ... or lost
    assert not needs_hangul("AB12CDE", ALL)
    assert not needs_hangul("12345", ALL)
    assert not needs_hangul("935L4925", parse_formats(["UK"]))


def test_search_key_and_compact() -> None:
    assert search_key(" ab-12.c d ") == "AB12CD"
    assert search_key("12가-3456") == "12가3456"
    assert compact("ab_12!가") == "AB12가"


@given(st.text(max_size=40))
def test_read_plate_never_fails(raw: str) -> None:
    got = read_plate(raw, ALL)
    if got is not None:
        assert got.text == compact(got.text)
        assert len(got.text) == got.format.length


@given(st.sampled_from([p for ps in BUILTIN.values() for p in ps]), st.randoms())
def test_a_clean_plate_reads_as_itself(pattern: str, rnd: object) -> None:
    import random

    r = rnd if isinstance(rnd, random.Random) else random.Random(0)
    text = "".join(
        r.choice("ABCEFGHKMNPRVWXY")
        if c == "L"
        else r.choice("0123456789")
        if c == "N"
        else r.choice("가나다")
        if c == "H"
        else c
        for c in pattern
    )
    got = read_plate(text, parse_formats([pattern]))
    assert got is not None and got.text == compact(text) and got.changes == 0


@given(st.lists(st.text(max_size=20), max_size=5))
def test_parse_formats_raises_only_value_error(specs: list[str]) -> None:
    with contextlib.suppress(ValueError):
        parse_formats(specs)

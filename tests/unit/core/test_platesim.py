"""The OCR-confusion-aware plate similarity and the similar-plate ranking."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from nvrd.core.platesim import distance, fold, partial_similarity, rank, similarity


def test_confusions_cost_less_than_other_changes() -> None:
    assert distance("AB12CDE", "AB12CDE") == 0
    assert distance("AB12CDE", "A812CDE") == 0.3  # B/8
    assert distance("AB12CDE", "AX12CDE") == 1.0
    assert distance("AB12CDE", "AB12CD") == 0.7  # one missing
    assert distance("AB12CDE", "AB12CDEE") == 0.7  # one extra
    assert similarity("DSP963", "DSP963") == 1.0
    assert similarity("DSP963", "0SP963") > similarity("DSP963", "XSP963")


def test_spaces_dashes_and_case_are_ignored() -> None:
    assert distance("ab-12 cde", "AB12CDE") == 0
    assert fold("O0DQ 1IL-8B 5S") == "0000111" + "88" + "55"


def test_partial_similarity_scores_a_keyword_inside_a_plate() -> None:
    assert partial_similarity("123", "AVF4123") == 1.0
    assert partial_similarity("1234", "AVF4123") > 0.8  # the 4 is missing at the end
    assert partial_similarity("1234", "ZZZZZZ") < 0.5


def test_rank_on_a_confusable_set() -> None:
    plates = ["AB12CDE", "A812CDE", "AB12C0E", "XY99ZZZ", "AB12CD", "QQ12CDE", "AB12CDE"]
    got = rank("AB12CDE", plates, 10)
    names = [p for p, _ in got]
    assert names[0] == "AB12CDE"
    assert set(names[1:3]) == {"A812CDE", "AB12C0E"}  # one look-alike each
    assert names.index("AB12CD") < names.index("QQ12CDE")  # a missing character < a wrong one
    assert "XY99ZZZ" not in names
    assert len(names) == len(set(names))
    assert rank("AB12CDE", plates, 2) == got[:2]


@given(st.text(alphabet="ABC018 -", max_size=10), st.text(alphabet="ABC018 -", max_size=10))
def test_distance_is_symmetric_and_bounded(a: str, b: str) -> None:
    d = distance(a, b)
    assert d == distance(b, a)
    assert 0 <= similarity(a, b) <= 1
    assert distance(a, b, free_ends=True) <= d + 1e-9

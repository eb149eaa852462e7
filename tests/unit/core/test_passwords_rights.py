import pytest

from nvrd.core.passwords import hash_password, random_password, verify_password
from nvrd.core.rights import (
    Right,
    access_rights,
    access_rights2,
    decode_rights,
    encode_rights,
    parse_rights,
)


def test_hash_is_salted_and_verifies() -> None:
    a = hash_password("s3cret")
    b = hash_password("s3cret")
    assert a != b
    assert a.startswith("scrypt$")
    assert verify_password("s3cret", a)
    assert not verify_password("S3cret", a)


def test_verify_rejects_garbage_hashes() -> None:
    for stored in ("", "plain", "scrypt$x$y$z$a$b", "bcrypt$1$2$3$4$5"):
        assert not verify_password("x", stored)


def test_random_password() -> None:
    p = random_password()
    assert len(p) == 16 and p.isalnum()
    assert random_password() != p


def test_rights_roundtrip() -> None:
    rights = parse_rights(["playback", "Remote", " LPR "])
    assert rights == {Right.PLAYBACK, Right.REMOTE, Right.LPR}
    assert encode_rights(rights) == "Playback,LPR,Remote"
    assert decode_rights(encode_rights(rights)) == rights
    assert decode_rights("") == frozenset()
    assert parse_rights(["all"]) == frozenset(Right)


def test_unknown_right() -> None:
    with pytest.raises(ValueError, match="SearchEdit"):
        parse_rights(["SearchEdit"])


def test_guide_shapes() -> None:
    rights = {Right.PLAYBACK, Right.REMOTE}
    assert access_rights2(rights) == {
        "DataExport": False,
        "Control": False,
        "Settings": False,
        "Playback": True,
        "LPR": False,
        "Remote": True,
    }
    assert access_rights(rights) == ["Playback", "Remote"]
    assert list(access_rights2(set())) == [
        "DataExport",
        "Control",
        "Settings",
        "Playback",
        "LPR",
        "Remote",
    ]

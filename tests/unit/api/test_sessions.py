"""Each sign-in has its own session: two clients with the same credentials, one logs out."""

from collections.abc import Callable

from tests.conftest import VIEWER, AppHarness, b64


def test_two_sign_ins_get_different_sessions_and_logout_ends_only_one(
    harness: Callable[..., AppHarness],
) -> None:
    h = harness()
    creds = b64(*VIEWER[:2])
    with h.client() as c:  # two clients: each keeps its own cookie
        token_a = c.get(f"/api/auth?login={creds}").cookies["nvrd_session"]
        c.cookies.clear()
        token_b = c.get(f"/api/auth?login={creds}").cookies["nvrd_session"]
        assert token_a and token_b and token_a != token_b
        c.cookies.clear()
        c.cookies.set("nvrd_session", token_a)
        assert c.get("/api/auth?logout").status_code == 200
        c.cookies.set("nvrd_session", token_a)
        assert c.get("/api/status").status_code == 401
        c.cookies.clear()
        c.cookies.set("nvrd_session", token_b)
        assert c.get("/api/status").status_code == 200  # still signed in


def test_a_sign_in_with_a_live_session_of_the_same_user_keeps_it(
    harness: Callable[..., AppHarness],
) -> None:
    h = harness()
    creds = b64(*VIEWER[:2])
    with h.client() as c:
        token = c.get(f"/api/auth?login={creds}").cookies["nvrd_session"]
        again = c.get(f"/api/status?auth={creds}")
        assert again.status_code == 200
        assert "set-cookie" not in again.headers
        assert c.cookies["nvrd_session"] == token

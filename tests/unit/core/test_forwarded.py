"""Forwarding headers are believed only from trusted proxies."""

from hypothesis import given
from hypothesis import strategies as st

from nvrd.core.forwarded import client_address, parse_networks

PROXIES = parse_networks(["10.0.0.1", "192.168.0.0/16", "::1"])


def test_no_trusted_proxies_means_the_peer() -> None:
    headers = {"x-forwarded-for": "1.2.3.4", "x-real-ip": "1.2.3.4", "forwarded": "for=1.2.3.4"}
    assert client_address("10.0.0.1", headers, ()) == "10.0.0.1"
    assert client_address("10.0.0.2", headers, PROXIES) == "10.0.0.2"  # not a proxy


def test_the_first_untrusted_hop_from_the_right() -> None:
    xff = {"x-forwarded-for": "6.6.6.6, 1.2.3.4, 192.168.1.1"}
    assert client_address("10.0.0.1", xff, PROXIES) == "1.2.3.4"
    assert client_address("10.0.0.1", {"x-real-ip": "1.2.3.4"}, PROXIES) == "1.2.3.4"
    fwd = {"forwarded": 'for="[2001:db8::1]:4711";proto=https, for=192.168.0.9'}
    assert client_address("::1", fwd, PROXIES) == "2001:db8::1"
    assert client_address("10.0.0.1", {"x-forwarded-for": "garbage"}, PROXIES) == "10.0.0.1"
    assert client_address("10.0.0.1", {}, PROXIES) == "10.0.0.1"


@given(st.text(max_size=80), st.sampled_from(["x-forwarded-for", "forwarded", "x-real-ip"]))
def test_any_header_from_an_untrusted_peer_is_ignored(value: str, name: str) -> None:
    assert client_address("203.0.113.5", {name: value}, PROXIES) == "203.0.113.5"
    client_address("10.0.0.1", {name: value}, PROXIES)  # never raises

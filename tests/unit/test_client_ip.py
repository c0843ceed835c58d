"""The one client-address rule: X-Forwarded-For counts only when the direct peer is a trusted proxy."""

import pytest

from portal.web.identity import parse_trusted_proxies, resolve_client_ip

BALANCERS = parse_trusted_proxies("10.0.0.0/24, 192.168.1.5, fd00::/8")


def test_with_no_trusted_proxies_the_peer_is_the_client_whatever_the_header_says() -> None:
    assert resolve_client_ip("203.0.113.7", ["1.2.3.4"], ()) == "203.0.113.7"
    assert resolve_client_ip("10.0.0.2", ["1.2.3.4"], ()) == "10.0.0.2"


def test_a_header_from_an_untrusted_peer_is_ignored() -> None:
    assert resolve_client_ip("203.0.113.7", ["1.2.3.4"], BALANCERS) == "203.0.113.7"


def test_behind_a_trusted_balancer_the_client_is_the_hop_it_saw() -> None:
    assert resolve_client_ip("10.0.0.2", ["198.51.100.9"], BALANCERS) == "198.51.100.9"


def test_a_forged_leftmost_entry_does_not_count() -> None:
    # the client sent "X-Forwarded-For: 1.2.3.4"; the balancer appended the address it saw
    assert resolve_client_ip("10.0.0.2", ["1.2.3.4, 198.51.100.9"], BALANCERS) == "198.51.100.9"


def test_a_chain_of_trusted_proxies_is_walked_right_to_left() -> None:
    assert (
        resolve_client_ip("10.0.0.2", ["1.2.3.4, 198.51.100.9, 192.168.1.5", "10.0.0.7"], BALANCERS) == "198.51.100.9"
    )


def test_garbage_in_the_header_stops_at_the_last_trusted_hop() -> None:
    assert resolve_client_ip("10.0.0.2", ["not-an-ip"], BALANCERS) == "10.0.0.2"
    assert resolve_client_ip("10.0.0.2", ["198.51.100.9, junk, 10.0.0.9"], BALANCERS) == "10.0.0.9"


def test_only_trusted_hops_means_the_farthest_of_them() -> None:
    assert resolve_client_ip("10.0.0.2", ["10.0.0.9"], BALANCERS) == "10.0.0.9"
    assert resolve_client_ip("10.0.0.2", [], BALANCERS) == "10.0.0.2"


def test_ipv6_works_too() -> None:
    assert resolve_client_ip("fd00::1", ["2001:db8::5"], BALANCERS) == "2001:db8::5"


def test_no_peer_is_unknown() -> None:
    assert resolve_client_ip(None, ["1.2.3.4"], BALANCERS) == "unknown"


def test_a_mistyped_setting_is_an_error_not_a_hole() -> None:
    assert parse_trusted_proxies("") == ()
    with pytest.raises(ValueError):
        parse_trusted_proxies("10.0.0.0/33")

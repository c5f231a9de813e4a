"""Which address phones are sent to (signaling/lan.py), what the certificate names, when the server
serves TLS and which URLs it gives phones (signaling/reach.py): pure functions over lists of interface
addresses, no network touched (binding `::` happens in a loopback-only namespace)."""

from __future__ import annotations

from pathlib import Path

import pytest

from signaling.config import ServerConfig
from signaling.lan import InterfaceAddress, certificate_addresses, phone_addresses, url_host
from signaling.reach import phone_bases, phone_hint, resolve
from tests.browser.netns import NetnsUnavailable, run_module

A = InterfaceAddress
LOOPBACK = [A("lo", "127.0.0.1"), A("lo", "::1")]
# A laptop: Wi-Fi with IPv4 and IPv6, a Docker bridge listed first, a VPN, a link-local address.
LAPTOP = [
    *LOOPBACK,
    A("docker0", "172.17.0.1"),
    A("wlp2s0", "2001:db8::5"),
    A("wlp2s0", "fe80::1c2e:3ff:fe4a:5"),
    A("wlp2s0", "192.168.1.23"),
    A("tun0", "10.8.0.6"),
    A("enp0s31f6", "169.254.10.3"),
]


def test_private_ipv4_first_real_interfaces_before_virtual_ones() -> None:
    assert phone_addresses(LAPTOP) == [
        "192.168.1.23",
        "172.17.0.1",
        "10.8.0.6",
        "2001:db8::5",
        "169.254.10.3",
    ]


def test_other_ipv4_before_ipv6_and_system_order_within_a_kind() -> None:
    found = [A("eth0", "fd00::2"), A("eth0", "203.0.113.9"), A("eth1", "10.1.0.2"), A("eth2", "10.0.0.9")]
    assert phone_addresses(found) == ["10.1.0.2", "10.0.0.9", "203.0.113.9", "fd00::2"]


def test_never_loopback_while_another_interface_is_up() -> None:
    assert phone_addresses([*LOOPBACK, A("eth0", "192.0.2.2")]) == ["192.0.2.2"]
    # Down interfaces do not count; with nothing else up, loopback is what is left.
    assert phone_addresses([*LOOPBACK, A("eth0", "192.168.0.4", up=False)]) == ["127.0.0.1"]
    assert phone_addresses(LOOPBACK) == ["127.0.0.1"]
    assert phone_addresses([]) == ["127.0.0.1"]


def test_ipv6_link_local_and_duplicates_are_left_out() -> None:
    found = [A("eth0", "fe80::1"), A("eth0", "192.168.5.5"), A("eth0:1", "192.168.5.5")]
    assert phone_addresses(found) == ["192.168.5.5"]


def test_certificate_names_every_address_and_loopback() -> None:
    assert certificate_addresses(LAPTOP) == [
        "10.8.0.6",
        "127.0.0.1",
        "169.254.10.3",
        "172.17.0.1",
        "192.168.1.23",
        "2001:db8::5",
        "::1",
    ]
    # A machine without interfaces still has its loopback names; a down interface may come up later.
    assert certificate_addresses([]) == ["127.0.0.1", "::1"]
    assert "192.168.0.4" in certificate_addresses([A("eth0", "192.168.0.4", up=False)])


def test_url_host_brackets_ipv6() -> None:
    assert (url_host("192.168.1.2"), url_host("fd00::1")) == ("192.168.1.2", "[fd00::1]")


@pytest.mark.parametrize(
    ("config", "serves_tls"),
    [
        (ServerConfig(), True),
        (ServerConfig(host="::"), True),
        (ServerConfig(host="192.168.1.23"), True),
        (ServerConfig(host="127.0.0.1"), False),
        (ServerConfig(host="localhost"), False),
        (ServerConfig(host="::1"), False),
        (ServerConfig(host="127.0.0.1", tls=True), True),
        (ServerConfig(host="127.0.0.1", cert="c.pem", key="k.pem"), True),
        (ServerConfig(tls=False), False),
    ],
)
def test_tls_unless_loopback_or_no_tls(config: ServerConfig, serves_tls: bool) -> None:
    assert config.serves_tls is serves_tls


def test_tls_reads_yes_and_no_from_the_environment() -> None:
    assert ServerConfig().with_env({"DARTCAM_TLS": "no"}).tls is False
    assert ServerConfig().with_env({"DARTCAM_TLS": "1"}).tls is True
    assert ServerConfig().with_env({}).tls is None


def test_phone_bases() -> None:
    candidates = ["192.168.1.23", "fd00::5"]
    assert phone_bases(ServerConfig(), 8787, True, candidates) == [
        "https://192.168.1.23:8787",
        "https://[fd00::5]:8787",
    ]
    assert phone_bases(ServerConfig(tls=False), 8787, False, candidates)[0] == "http://192.168.1.23:8787"
    given = ServerConfig(public_url="https://desk.local:8787")
    assert phone_bases(given, 8787, True, candidates) == ["https://desk.local:8787"]
    assert phone_bases(ServerConfig(host="10.1.2.3"), 9000, True, candidates) == ["https://10.1.2.3:9000"]
    assert phone_bases(ServerConfig(host="127.0.0.1"), 9000, True, candidates) == ["https://127.0.0.1:9000"]
    assert phone_bases(ServerConfig(host="127.0.0.1"), 9000, False, candidates) == []


def test_resolve_on_every_interface(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    config, reach = resolve(ServerConfig(), 8787, LAPTOP)
    assert config.tls is True and reach.tls and reach.self_signed and reach.cert_files is not None
    assert config.public_url == "https://192.168.1.23:8787"
    assert reach.phone_urls("ABCDEF")[:2] == [
        "https://192.168.1.23:8787/mobile-cam.html?code=ABCDEF",
        "https://172.17.0.1:8787/mobile-cam.html?code=ABCDEF",
    ]
    plain, reach = resolve(ServerConfig(host="127.0.0.1"), 8787, LAPTOP)
    assert (plain.tls, plain.public_url, reach.cert_files, reach.bases) == (False, None, None, ())


def test_phone_hint_says_what_the_phone_shows_and_what_to_tap() -> None:
    hint = phone_hint("https://192.168.1.23:8787/mobile-cam.html?code=ABCDEF", self_signed=True)
    assert hint is not None and "\n" not in hint
    assert "not private" in hint and '"Advanced"' in hint and "Proceed to 192.168.1.23" in hint
    assert phone_hint("https://desk.example:8787/mobile-cam.html", self_signed=False) is None
    plain = phone_hint("http://192.168.1.23:8787/mobile-cam.html", self_signed=False)
    assert plain is not None and "--no-tls" in plain
    assert phone_hint("http://127.0.0.1:8787/mobile-cam.html", self_signed=False) is None


def test_every_interface_on_ipv6_takes_ipv4_too() -> None:
    # Phones are sent to an IPv4 address first, and the agent reaches its server on 127.0.0.1.
    try:
        result = run_module("tests.signaling.bind_probe", [], timeout=60)
    except NetnsUnavailable as exc:
        pytest.fail(f"no loopback-only network namespace to bind :: in: {exc}")
    assert result == {"v4": True, "v6": True}

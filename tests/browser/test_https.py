"""HTTPS for phones on the LAN (signaling/tls.py): the self-signed certificate is made once and reused,
made again when the machine has a new address, and the server serves the page and the WebSocket over
TLS with a phone URL on https. No browser here: aiohttp is the client, on 127.0.0.1."""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path

import aiohttp
import pytest
from cryptography import x509

from signaling import lan, tls
from signaling.config import ServerConfig
from signaling.server import SignalingServer
from tests.procs import free_port


@pytest.fixture
def config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The user's config directory, in the test's folder."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    return tmp_path / "dartcam"


def _ips(cert_file: Path) -> set[str]:
    cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return {str(ip) for ip in san.get_values_for_type(x509.IPAddress)}


ADDRESSES = ["127.0.0.1", "192.168.1.20", "::1", "fd00::20"]


def test_self_signed_certificate_is_made_once_and_reused(config_home: Path) -> None:
    files = tls.self_signed(ADDRESSES)
    assert files.cert.parent == config_home
    assert files.key.stat().st_mode & 0o777 == 0o600
    assert _ips(files.cert) == set(ADDRESSES)
    first = files.cert.read_bytes()
    assert tls.self_signed(ADDRESSES).cert.read_bytes() == first
    # A subset of its names (an interface went away) needs no new certificate either.
    assert tls.self_signed(ADDRESSES[:2]).cert.read_bytes() == first


def test_certificate_is_made_again_when_an_address_is_new(config_home: Path) -> None:
    first = tls.self_signed(ADDRESSES).cert.read_bytes()
    files = tls.self_signed([*ADDRESSES, "10.0.0.7"])
    assert files.cert.read_bytes() != first
    assert "10.0.0.7" in _ips(files.cert)


def test_machine_certificate_names_every_interface_address(config_home: Path) -> None:
    found = lan.machine_addresses()
    files = tls.self_signed(lan.certificate_addresses(found))
    named = {a.address for a in found if not _v6_link_local(a)}
    assert _ips(files.cert) == named | {"127.0.0.1", "::1"}


def _v6_link_local(entry: lan.InterfaceAddress) -> bool:
    ip = ipaddress.ip_address(entry.address)
    return ip.version == 6 and ip.is_link_local


def test_cert_and_key_go_together() -> None:
    with pytest.raises(ValueError, match="together"):
        tls.cert_files(ServerConfig(tls=True, cert="/some/cert.pem"), ADDRESSES)


async def test_server_serves_page_and_websocket_over_tls(config_home: Path) -> None:
    server = SignalingServer(ServerConfig(host="127.0.0.1", port=0, tls=True))
    await server.start()
    try:
        assert server.cert_files is not None
        assert server.http_url.startswith("https://") and server.ws_url.startswith("wss://")
        trust = tls.client_context(server.cert_files)
        async with aiohttp.ClientSession() as http:
            for path in ("/mobile-cam.html", "/phone", "/static/phone.js"):
                async with http.get(server.http_url + path, ssl=trust) as resp:
                    assert resp.status == 200, path
            async with http.ws_connect(server.ws_url, ssl=trust) as ws:
                await ws.send_str(json.dumps({"type": "cam-create"}))
                reply = json.loads((await ws.receive()).data)
        assert reply["type"] == "cam-code"
        assert reply["phoneUrl"] == f"https://127.0.0.1:{server.port}/mobile-cam.html?code={reply['code']}"
        # A client that trusts only the system's authorities refuses the self-signed certificate.
        async with aiohttp.ClientSession() as http:
            with pytest.raises(aiohttp.ClientConnectorCertificateError):
                await http.get(server.http_url + "/healthz")
    finally:
        await server.stop()


async def test_a_certificate_that_cannot_be_loaded_is_named_and_frees_the_port(tmp_path: Path) -> None:
    port = free_port()
    bad = ServerConfig(
        host="127.0.0.1", port=port, cert=str(tmp_path / "no-cert.pem"), key=str(tmp_path / "k")
    )
    with pytest.raises(ValueError, match="no-cert.pem"):
        await SignalingServer(bad).start()
    # The port was let go: a server with a good configuration binds it.
    server = SignalingServer(ServerConfig(host="127.0.0.1", port=port))
    await server.start()
    await server.stop()

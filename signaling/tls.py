"""HTTPS for phones on the LAN: browsers give the camera only to secure pages (and localhost), so a
server that phones can reach serves HTTPS and WSS (signaling/reach.py decides when). Without
`--cert/--key` a self-signed certificate is made at first start, stored in the user's config directory
and reused afterwards (it is made again only when it expires or when one of the machine's addresses is
not among its names, since a phone may reach the server by any of them). The phone shows a certificate
warning once; the README says what to do about it."""

from __future__ import annotations

import datetime
import ipaddress
import os
import socket
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from signaling.config import ServerConfig

CERT_NAME = "tls-cert.pem"
KEY_NAME = "tls-key.pem"
VALID_DAYS = 825
# Made again this long before it expires, so that a running server never serves an expired one.
RENEW_BEFORE = datetime.timedelta(days=7)


@dataclass(frozen=True)
class CertFiles:
    """A certificate and its private key, as PEM files."""

    cert: Path
    key: Path


def config_dir() -> Path:
    """The user's dartcam config directory (`$XDG_CONFIG_HOME/dartcam`, else `~/.config/dartcam`)."""
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "dartcam"


def dns_names() -> list[str]:
    """The names the certificate holds besides addresses: localhost and this machine's host names."""
    host = socket.gethostname()
    return sorted({"localhost", host, f"{host.split('.')[0]}.local"})


def _covers(cert: x509.Certificate, ips: list[str]) -> bool:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return False
    have = set(san.get_values_for_type(x509.IPAddress))
    return {ipaddress.ip_address(ip) for ip in ips} <= have


def _usable(files: CertFiles, ips: list[str]) -> bool:
    if not (files.cert.exists() and files.key.exists()):
        return False
    try:
        cert = x509.load_pem_x509_certificate(files.cert.read_bytes())
    except ValueError:
        return False
    expires = cert.not_valid_after_utc
    return expires - RENEW_BEFORE > datetime.datetime.now(datetime.UTC) and _covers(cert, ips)


def self_signed(addresses: Sequence[str], directory: Path | None = None) -> CertFiles:
    """The self-signed certificate in `directory` (default: the config directory) for `addresses`
    (signaling.lan.certificate_addresses), made if missing, expiring, or not naming one of them."""
    directory = directory or config_dir()
    files = CertFiles(directory / CERT_NAME, directory / KEY_NAME)
    dns, ips = dns_names(), list(addresses)
    if _usable(files, ips):
        return files
    directory.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"dartcam on {socket.gethostname()}")])
    now = datetime.datetime.now(datetime.UTC)
    san = [x509.DNSName(d) for d in dns] + [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=VALID_DAYS))
        .add_extension(x509.SubjectAlternativeName(san), critical=False)
        # A CA too, so that a user can install it on the phone as a trusted root and lose the warning.
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    # The key is written readable by its owner only, before anything is in it.
    fd = os.open(files.key, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key_pem)
    files.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return files


def cert_files(config: ServerConfig, addresses: Sequence[str]) -> CertFiles:
    """The certificate the server uses: `--cert/--key` if given, else the self-signed one naming
    `addresses`."""
    if config.cert or config.key:
        if not (config.cert and config.key):
            raise ValueError("--cert and --key go together")
        return CertFiles(Path(config.cert), Path(config.key))
    return self_signed(addresses)


def server_context(files: CertFiles) -> ssl.SSLContext:
    """The server-side TLS context for a certificate; ValueError names the files it cannot load."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(files.cert, files.key)
    except (OSError, ssl.SSLError) as exc:
        raise ValueError(f"cannot load the certificate {files.cert} with the key {files.key}: {exc}") from exc
    return context


def client_context(files: CertFiles) -> ssl.SSLContext:
    """A client context that trusts exactly this certificate, whatever names it holds: for the agent
    talking to its own embedded server over loopback."""
    context = ssl.create_default_context(cafile=str(files.cert))
    # A real certificate is a leaf of some CA and names the public host, not 127.0.0.1.
    context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
    context.check_hostname = False
    return context

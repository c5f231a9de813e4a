"""How phones reach the server, decided once at start for both entry points (the agent's embedded
server and `python -m signaling`): whether it serves TLS and with which certificate, and the base URLs
it tells phones, the first of which goes into `phoneUrl` and the QR code."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

from signaling import lan, tls
from signaling.config import WILDCARD_HOSTS, ServerConfig, is_loopback
from signaling.protocol import PHONE_PAGE_PATH


@dataclass(frozen=True)
class Reach:
    """What start decided. `bases`: the base URLs a phone may use, best first (`phoneUrl` and the QR
    code hold the first; empty when the server listens on loopback without TLS and nobody set
    --public-url, so clients build the URL from the address they reached)."""

    tls: bool
    cert_files: tls.CertFiles | None
    self_signed: bool
    bases: tuple[str, ...]

    @property
    def self_signed_cert(self) -> Path | None:
        """The self-signed certificate's file (None: plain HTTP, or --cert given)."""
        return self.cert_files.cert if self.self_signed and self.cert_files else None

    def phone_urls(self, code: str) -> list[str]:
        """The phone page's URL for a code on every base, best first."""
        return [phone_url(base, code) for base in self.bases]


def phone_url(base: str, code: str) -> str:
    """The phone page's URL for a code on a server's base URL (what the QR code holds)."""
    return f"{base.rstrip('/')}{PHONE_PAGE_PATH}?code={code}"


def phone_bases(config: ServerConfig, port: int, use_tls: bool, candidates: Sequence[str]) -> list[str]:
    """The base URLs to tell phones: --public-url when given; on every interface, one per candidate
    address (signaling.lan.phone_addresses); else the bound address itself, unless that is loopback
    without TLS."""
    if config.public_url:
        return [config.public_url]
    scheme = "https" if use_tls else "http"
    if config.host in WILDCARD_HOSTS:
        hosts = list(candidates)
    elif use_tls or not is_loopback(config.host):
        hosts = [config.host]
    else:
        return []
    return [f"{scheme}://{lan.url_host(host)}:{port}" for host in hosts]


def resolve(
    config: ServerConfig, port: int, found: Sequence[lan.InterfaceAddress] | None = None
) -> tuple[ServerConfig, Reach]:
    """The config as the server runs it (`tls` decided, `public_url` the best base) and the Reach.
    `found`: the machine's addresses (default: read from its interfaces). Makes or reuses the
    self-signed certificate when one is needed (ValueError for a bad --cert/--key pair)."""
    found = lan.machine_addresses() if found is None else found
    use_tls = config.serves_tls
    files = tls.cert_files(config, lan.certificate_addresses(found)) if use_tls else None
    bases = phone_bases(config, port, use_tls, lan.phone_addresses(found))
    reach = Reach(use_tls, files, use_tls and not config.cert, tuple(bases))
    return replace(config, tls=use_tls, public_url=bases[0] if bases else None), reach


def certificate_note(cert: str | Path) -> str:
    """One line for the terminal: where the self-signed certificate is, for clients that check it."""
    return f"Certificate: {cert} (self-signed; the simulated phone trusts it with --cafile {cert})"


def phone_hint(url: str, self_signed: bool) -> str | None:
    """One line for the terminal: what the phone shows on opening `url` and what to tap (None: nothing
    to say)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme == "https" and self_signed:
        return (
            f'On the phone: a warning "Your connection is not private" (the self-signed certificate) - '
            f'tap "Advanced", then "Proceed to {host} (unsafe)" (iPhone: "Show Details", "visit this '
            'website", "Visit Website"); the page then asks for the camera: tap "Allow".'
        )
    if parts.scheme == "http" and not is_loopback(host):
        return (
            f"Plain HTTP: the phone's browser gives the camera only to https pages, so it will refuse it "
            f"on {host}; run without --no-tls."
        )
    return None

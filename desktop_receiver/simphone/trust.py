"""Which TLS certificates the simulated phone trusts on an https/wss server: the system's authorities
(the default), a given PEM file (e.g. the agent's self-signed certificate), or, only when asked, none
(no verification at all)."""

from __future__ import annotations

import ssl
from pathlib import Path

# What aiohttp takes as `ssl=`: True checks against the system's authorities, False checks nothing.
Trust = ssl.SSLContext | bool


def trust(cafile: str | Path | None = None, insecure: bool = False) -> Trust:
    """The phone's TLS trust: `insecure` checks nothing; `cafile` trusts the certificates in that PEM
    file (and the host name must be one the certificate names); else the system's authorities.
    ValueError names a cafile that cannot be loaded."""
    if insecure:
        return False
    if cafile is None:
        return True
    try:
        context = ssl.create_default_context(cafile=str(cafile))
    except (OSError, ssl.SSLError) as exc:
        raise ValueError(f"cannot load the certificate file {cafile}: {exc}") from exc
    # A leaf given as the file (a mkcert or CA-issued certificate) is trusted by itself.
    context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
    return context

"""Pairing codes, resume tokens and connection ids, all from `secrets` (codes must not be guessable)."""

from __future__ import annotations

import secrets

from signaling.protocol import CODE_ALPHABET


def new_code(length: int) -> str:
    """A cryptographically random pairing code from the base protocol's alphabet."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def new_token() -> str:
    """A resume token: proof that a new socket belongs to a role."""
    return secrets.token_urlsafe(18)


def new_instance_id() -> str:
    """An id for one server instance; connection ids start with it, so any instance can tell the owner."""
    return secrets.token_hex(4)

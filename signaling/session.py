"""The state of one pairing session. It names connections by id and never holds a socket: every send
looks the live connection of a role up at that moment (PROTOCOL.md, "Stale sockets"). Every time in
this model is epoch seconds; the wire's `expiresAt` (milliseconds) is converted where it is sent."""

from __future__ import annotations

import hmac
from dataclasses import asdict, dataclass, field
from typing import Any

from signaling.protocol import Role


@dataclass
class RoleSlot:
    """One role of a session: which connection holds it now, and the token that lets it come back."""

    conn_id: str | None = None
    # Given when the role is first taken: a role with a token has joined.
    token: str | None = None
    # When its socket closed: the grace period for `cam-resume` runs from here.
    left_at: float | None = None
    # Last REST request of a client that has no socket (a polling phone).
    rest_seen: float | None = None
    # The address of a phone that joined over REST without a token (the deployed page polls without
    # one): requests from there may act for the role without the token while no socket holds it.
    rest_address: str | None = None
    # *ext* What the role's client announced (Capabilities.to_payload()); None: nothing, a base client.
    caps: dict[str, bool] | None = None

    @property
    def acks(self) -> bool:
        """Whether the role's client acknowledges numbered messages (the `ack` extension)."""
        return bool(self.caps and self.caps.get("ack"))

    @property
    def joined(self) -> bool:
        """Whether a client has taken this role (it may be away now)."""
        return self.token is not None

    def holds(self, token: str | None) -> bool:
        """Whether `token` is this role's token (compared in constant time: no timing leaks it)."""
        if self.token is None or not isinstance(token, str):
            return False
        return hmac.compare_digest(self.token.encode(), token.encode())


@dataclass
class PairingSession:
    """A pairing session: its code, its expiry, and its two role slots."""

    code: str
    expires_at: float
    desktop: RoleSlot = field(default_factory=RoleSlot)
    phone: RoleSlot = field(default_factory=RoleSlot)
    # The latest board calibration ({H, imageSize, errorPx, createdAt, ...}), for GET /cam/calibration.
    calibration: dict[str, Any] | None = None

    def slot(self, role: Role) -> RoleSlot:
        """The slot of a role."""
        return self.desktop if role is Role.DESKTOP else self.phone

    def extend(self, now: float, ttl: float) -> None:
        """Keeps the session valid for at least ttl seconds from now."""
        self.expires_at = max(self.expires_at, now + ttl)

    def expired(self, now: float) -> bool:
        """Whether the session's validity has run out at `now`."""
        return now > self.expires_at

    @property
    def expires_at_ms(self) -> int:
        """The expiry as the wire carries it (`expiresAt`, epoch milliseconds)."""
        return int(self.expires_at * 1000)

    def role_of_token(self, token: str) -> Role | None:
        """The role a resume token belongs to, if any (compared in constant time)."""
        for role in Role:
            if self.slot(role).holds(token):
                return role
        return None

    def to_dict(self) -> dict[str, Any]:
        """A plain dict, for stores that serialise sessions."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PairingSession:
        """The inverse of to_dict."""
        return cls(
            code=data["code"],
            expires_at=data["expires_at"],
            desktop=RoleSlot(**data["desktop"]),
            phone=RoleSlot(**data["phone"]),
            calibration=data.get("calibration"),
        )

"""Who may act for a role over REST: the holder of the role's token, or the phone that joined over
REST without one (the deployed page polls without it), from the address it joined from while no
socket holds the phone role."""

from __future__ import annotations

from signaling.protocol import ErrorName, ProtocolError, Role
from signaling.session import PairingSession


def check_rest_access(session: PairingSession, role: Role | None, token: str | None, address: str) -> None:
    """Raises INVALID_TOKEN unless a REST client (at `address`, presenting `token`) may act for
    `role` of the session (None: for either role)."""
    roles = tuple(Role) if role is None else (role,)
    who = f"the {role}" if role is not None else "a role of the session"
    if token is not None:
        if any(session.slot(r).holds(token) for r in roles):
            return
        raise ProtocolError(ErrorName.INVALID_TOKEN, f"this token does not belong to {who}")
    phone = session.phone
    if Role.PHONE in roles and phone.conn_id is None and phone.rest_address == address:
        return
    raise ProtocolError(
        ErrorName.INVALID_TOKEN,
        f"acting for {who} over REST needs its token: resumeToken in the body or "
        "'Authorization: Bearer <token>'",
    )

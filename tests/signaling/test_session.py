"""PairingSession and RoleSlot on their own: expiry in seconds, tokens, serialisation."""

from __future__ import annotations

from signaling.protocol import Role
from signaling.session import PairingSession, RoleSlot


def test_extend_only_moves_the_expiry_later() -> None:
    session = PairingSession(code="ABCDEF", expires_at=1000.0)
    session.extend(now=900.0, ttl=50.0)
    assert session.expires_at == 1000.0
    session.extend(now=990.0, ttl=50.0)
    assert session.expires_at == 1040.0


def test_expiry_is_in_seconds_and_the_wire_value_in_milliseconds() -> None:
    session = PairingSession(code="ABCDEF", expires_at=1700000000.25)
    assert not session.expired(1700000000.25) and session.expired(1700000000.26)
    assert session.expires_at_ms == 1700000000250


def test_a_token_names_its_role_and_a_slot_with_a_token_has_joined() -> None:
    session = PairingSession(code="ABCDEF", expires_at=0.0)
    assert not session.phone.joined
    session.desktop.token, session.phone.token = "d", "p"
    assert session.phone.joined
    assert session.role_of_token("d") is Role.DESKTOP and session.role_of_token("p") is Role.PHONE
    assert session.role_of_token("x") is None
    assert session.slot(Role.PHONE) is session.phone and session.slot(Role.DESKTOP) is session.desktop


def test_round_trip_through_a_plain_dict() -> None:
    session = PairingSession(
        code="ABCDEF",
        expires_at=12.5,
        desktop=RoleSlot(conn_id="i-1", token="d"),
        phone=RoleSlot(token="p", left_at=3.0, rest_seen=2.0),
        calibration={"H": [1, 0, 0, 0, 1, 0, 0, 0, 1]},
    )
    assert PairingSession.from_dict(session.to_dict()) == session

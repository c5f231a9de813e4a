"""The pairing logic, independent of transport: create, join, resume, relay, leave, poll.
The WebSocket and REST handlers only translate to and from these calls; errors are ProtocolErrors."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from signaling.access import check_rest_access
from signaling.client import Client, Connection
from signaling.codes import new_code, new_token
from signaling.config import ServerConfig
from signaling.hub import Hub
from signaling.logs import log_event, logger
from signaling.metrics import Metrics
from signaling.protocol import (
    RELAYED_TYPES,
    Capabilities,
    ErrorName,
    Message,
    MsgType,
    ProtocolError,
    Role,
    check_homography,
    message,
    relayed,
)
from signaling.protocol import error as error_message
from signaling.ratelimit import client_key
from signaling.reach import phone_url
from signaling.session import PairingSession, RoleSlot
from signaling.store import Pushed, QueueFull, SessionStore

# Epoch seconds now: time.time, or a test's own clock.
Clock = Callable[[], float]
# The window of ServerConfig.unknown_code_per_minute.
UNKNOWN_CODE_WINDOW = 60.0


class SignalingService:
    """Sessions and relaying for one server instance (state lives in the store). Every decision
    about time reads `clock`, so that tests can move time instead of waiting for it."""

    def __init__(
        self, config: ServerConfig, store: SessionStore, hub: Hub, metrics: Metrics, clock: Clock = time.time
    ) -> None:
        self.config = config
        self.store = store
        self.hub = hub
        self.metrics = metrics
        self.clock = clock
        hub.on_session_lost(self.session_lost)

    # ---- lookups -------------------------------------------------------------------------------

    async def _live_session(self, code: str, client: Client) -> PairingSession:
        """The live session of a code, or the error a client gets for it."""
        limit_key = f"unknown-code:{client_key(client.address)}"
        limit = self.config.unknown_code_per_minute
        if client.code != code and not await self.store.hit(limit_key, limit, UNKNOWN_CODE_WINDOW, peek=True):
            raise ProtocolError(
                ErrorName.RATE_LIMITED, "too many unknown codes from this client; wait a minute"
            )
        session = await self.store.get(code)
        if session is None:
            if await self.store.ended(code):
                raise ProtocolError(ErrorName.EXPIRED, f"the session {code} has ended")
            await self.store.hit(limit_key, limit, UNKNOWN_CODE_WINDOW)
            raise ProtocolError(ErrorName.INVALID_CODE, f"no session has the code {code!r}")
        if session.expired(self.clock()):
            await self.end_session(session, "the code expired")
            raise ProtocolError(ErrorName.EXPIRED, f"the code {code} expired")
        return session

    def _phone_url(self, code: str) -> str | None:
        base = self.config.public_url
        return phone_url(base, code) if base else None

    async def _present(self, slot: RoleSlot) -> bool:
        """Whether a role has a client now: a live socket, or a REST client that polled recently."""
        if slot.conn_id is not None:
            return await self.hub.is_live(slot.conn_id)
        return self._polled_lately(slot)

    def _polled_lately(self, slot: RoleSlot) -> bool:
        window = self.config.long_poll_max + self.config.rest_presence_slack
        return slot.rest_seen is not None and self.clock() - slot.rest_seen <= window

    def present_among(self, slot: RoleSlot, open_conns: set[str]) -> bool:
        """Whether a role has a client now, given which connections are open (the sweep's way)."""
        return slot.conn_id in open_conns if slot.conn_id is not None else self._polled_lately(slot)

    async def authorize(
        self, client: Client, code: str, role: Role | None, token: str | None
    ) -> PairingSession:
        """The live session of a code, if a REST client may act for `role` (None: for either; see
        access.check_rest_access); INVALID_TOKEN otherwise."""
        session = await self._live_session(code, client)
        check_rest_access(session, role, token, client.address)
        return session

    # ---- session lifecycle ---------------------------------------------------------------------

    async def create(self, client: Client, caps: Capabilities | None = None) -> dict[str, Any]:
        """`cam-create`: opens a session with the client as its desktop (`caps`: what it announced in
        the payload, *ext*). A session this socket created before and no phone joined is ended: nobody
        can use it any more, and otherwise one socket could keep thousands of sessions alive (30 creates
        a second, each living a code TTL)."""
        if client.code is not None:
            previous, was_desktop = client.code, client.role is Role.DESKTOP
            await self.leave(client)
            old = await self.store.get(previous) if was_desktop else None
            if old is not None and not old.phone.joined:
                await self.end_session(old, "its desktop opened another session")
        now = self.clock()
        token = new_token()
        for _ in range(20):
            session = PairingSession(
                code=new_code(self.config.code_length), expires_at=now + self.config.code_ttl
            )
            session.desktop.token = token
            session.desktop.caps = caps.to_payload() if caps else None
            self._bind_slot(session, Role.DESKTOP, client)
            if await self.store.create(session):
                break
        else:
            raise ProtocolError(ErrorName.UNAVAILABLE, "could not find a free code; try again")
        client.code, client.role = session.code, Role.DESKTOP
        client.ack = session.desktop.acks
        log_event("session-created", code=session.code, role="desktop", conn=client.conn_id)
        reply = message(
            MsgType.CODE,
            code=session.code,
            expiresAt=session.expires_at_ms,
            resumeToken=token,
            phoneUrl=self._phone_url(session.code),
        )
        if client.conn_id is not None:
            await self.hub.send(client.conn_id, reply)
        return reply

    async def join(
        self, client: Client, code: str, token: str | None = None, caps: Capabilities | None = None
    ) -> dict[str, Any]:
        """`cam-join`: binds the client to the phone role, unless a live phone holds it. What the phone
        announced (`caps`, *ext*) is kept in its slot and passed on to the desktop in
        `cam-peer-joined`'s payload (left out for a phone that announced nothing)."""
        if client.conn_id is not None and client.code == code and client.role is Role.DESKTOP:
            raise ProtocolError(ErrorName.WRONG_ROLE, "this socket is the session's desktop; a phone joins")
        session = await self._live_session(code, client)
        holder = session.phone
        owns = holder.holds(token)
        if not owns and await self._present(holder):
            raise ProtocolError(ErrorName.SESSION_TAKEN, "a phone is already connected to this session")
        if holder.joined and not owns:
            # A new phone must not receive what was addressed to the one it replaces.
            await self.store.pop_all(code, Role.PHONE)

        announced = caps.to_payload() if caps else None

        def bind(s: PairingSession) -> str:
            if not owns:
                s.phone.token = new_token()
            s.phone.caps = announced
            self._bind_slot(s, Role.PHONE, client)
            if client.conn_id is None and token is None:
                s.phone.rest_address = client.address  # the deployed page: it will poll without one
            return s.phone.token

        reply = await self._attach(
            client, code, Role.PHONE, bind, lambda tok: message(MsgType.JOINED, code=code, resumeToken=tok)
        )
        # A phone that announced nothing: the base shape {type, code}, as the base server sends it.
        await self._deliver(code, Role.DESKTOP, message(MsgType.PEER_JOINED, code=code, payload=announced))
        return reply

    async def resume(self, client: Client, code: str, token: str) -> dict[str, Any]:
        """`cam-resume`: re-attaches the client to the role its token belongs to, then flushes the queue.
        The reply names what the other role announced (*ext* `peer`, left out if nothing), so that a
        desktop that resumes knows whether its phone offers."""
        session = await self._live_session(code, client)
        role = session.role_of_token(token)
        if role is None:
            raise ProtocolError(ErrorName.INVALID_TOKEN, "this resume token does not belong to the session")

        peer: list[dict[str, bool] | None] = []

        def bind(s: PairingSession) -> str:
            self._bind_slot(s, role, client)
            peer.append(s.slot(role.other).caps)
            return str(role)

        return await self._attach(
            client, code, role, bind, lambda r: message(MsgType.RESUMED, code=code, role=r, peer=peer[-1])
        )

    def _bind_slot(self, session: PairingSession, role: Role, client: Client) -> None:
        now = self.clock()
        slot = session.slot(role)
        slot.conn_id = client.conn_id
        slot.rest_seen = None if client.conn_id else now
        slot.left_at = None
        slot.rest_address = None  # whoever binds now holds the role; join() may exempt a REST phone
        if session.phone.joined:
            session.extend(now, self.config.code_ttl)

    async def _attach(
        self,
        client: Client,
        code: str,
        role: Role,
        bind: Callable[[PairingSession], str],
        reply: Callable[[str], dict[str, Any]],
    ) -> dict[str, Any]:
        """Binds a role to the client, answers it, then flushes what waits for the role. The reply
        goes first: no flush reaches the connection until the reply has been sent."""
        if client.code is not None and (client.code, client.role) != (code, role):
            await self.leave(client)  # a socket holds one role of one session at a time
        old: list[str | None] = []
        acks: list[bool] = []

        def bind_and_remember(s: PairingSession) -> str:
            old.append(s.slot(role).conn_id)
            result = bind(s)
            acks.append(s.slot(role).acks)
            return result

        async with self.hub.exclusive(client.conn_id) as send:
            result = await self.store.update(code, bind_and_remember)
            if result is None:
                raise ProtocolError(ErrorName.EXPIRED, f"the session {code} has ended")
            # Under the connection's lock: no flush reaches it before it is known to acknowledge.
            client.ack = acks[-1]
            answer = reply(result)
            await send(answer)
        client.code, client.role = code, role
        log_event(
            f"session-{answer['type'].removeprefix('cam-')}", code=code, role=str(role), conn=client.conn_id
        )
        previous = old[-1]
        if previous is not None and previous != client.conn_id:
            await self.hub.close_connection(previous, 4000, "replaced by a new connection of this role")
        if client.conn_id is not None:
            await self.hub.flush(client.conn_id, code, role)
        return answer

    async def leave(self, client: Client) -> None:
        """The client's socket closed: its role waits for a resume until the grace period ends."""
        code, role, conn_id = client.code, client.role, client.conn_id
        client.code = client.role = None
        client.ack = False
        if code is None or role is None or conn_id is None:
            return
        await self.mark_left(code, role, conn_id)

    async def end_session(self, session: PairingSession, reason: str) -> None:
        """Ends a session: tells its live sockets, forgets it, and remembers that the code existed."""
        await self.store.end(session.code, self.config.tombstone_ttl)
        log_event("session-expired", code=session.code, reason=reason)
        self.metrics.count("session", "expired")
        notice = error_message(ErrorName.EXPIRED, f"the session {session.code} ended: {reason}")
        for role in Role:
            conn_id = session.slot(role).conn_id
            if conn_id is not None:
                await self.hub.send(conn_id, notice)

    # ---- relaying ------------------------------------------------------------------------------

    async def _deliver(self, code: str, role: Role, msg: dict[str, Any]) -> str:
        """Queues a message for a role and flushes it to the role's live connection, wherever it is."""
        try:
            pushed = await self.hub.deliver(code, role, msg, self.config.queue_limit)
        except QueueFull as exc:
            raise ProtocolError(ErrorName.QUEUE_FULL, str(exc)) from None
        return self._delivered(code, role, msg, pushed)

    async def _deliver_if_live(
        self, code: str, role: Role, msg: dict[str, Any], *, peer_present: bool
    ) -> str | None:
        """`_deliver`, if the hub can tell at once that the session is live (and, with peer_present,
        that the role's socket is open); None, and nothing queued, if it cannot. (A try rather than
        a context manager: this is the relay's hot path.)"""
        try:
            pushed = await self.hub.deliver_if_live(
                code, role, msg, self.config.queue_limit, now=self.clock(), peer_present=peer_present
            )
        except QueueFull as exc:
            raise ProtocolError(ErrorName.QUEUE_FULL, str(exc)) from None
        return None if pushed is None else self._delivered(code, role, msg, pushed)

    def _delivered(self, code: str, role: Role, msg: dict[str, Any], pushed: Pushed) -> str:
        outcome = "relayed" if pushed.conn_id is not None else "queued"
        if logger.isEnabledFor(logging.DEBUG):  # checked here: building the fields costs on every relay
            fields = {"code": code, "role": role, "type": msg.get("type"), "seq": pushed.seq}
            log_event(f"message-{outcome}", logging.DEBUG, **fields)
        return outcome

    async def relay(self, client: Client, msg: Message) -> str:
        """Relays an offer, answer, candidate, calibration or data message of a socket to the other
        role (the socket's own role: it took it with cam-create, cam-join or cam-resume)."""
        code = msg.code or client.code
        sender = client.role
        if code is None or sender is None:
            raise ProtocolError(ErrorName.NOT_JOINED, "send cam-create or cam-join first", ref=str(msg.type))
        if client.conn_id is not None and client.code is not None and code != client.code:
            raise ProtocolError(ErrorName.NOT_JOINED, f"this socket belongs to {client.code}, not {code}")
        out = relayed(msg.type, code, msg.payload)
        # One step when the session is plainly live (and for cam-data, most of the traffic, the peer
        # plainly there): on Redis one round trip, in memory straight to an idle socket. A
        # calibration is also stored, so it takes the full way.
        if client.code == code and msg.type is not MsgType.CALIBRATION:
            peer_present = msg.type is MsgType.DATA
            outcome = await self._deliver_if_live(code, sender.other, out, peer_present=peer_present)
            if outcome is not None:
                self.metrics.count(str(msg.type), outcome)
                return outcome
        return await self._relay_in(await self._live_session(code, client), msg, sender)

    async def relay_as(self, client: Client, msg: Message, role: Role, token: str | None) -> str:
        """A REST relay: only a client that may act for the role (see authorize) sends for it."""
        session = await self.authorize(client, msg.code or "", role, token)
        return await self._relay_in(session, msg, role)

    async def _relay_in(self, session: PairingSession, msg: Message, sender: Role) -> str:
        """The full way of a relay, in a live session: stores a calibration, refuses cam-data with
        nobody to read it, queues the message for the other role and flushes it."""
        code = session.code
        out = relayed(msg.type, code, msg.payload)
        target = session.slot(sender.other)
        if msg.type is MsgType.CALIBRATION:
            await self.store_calibration(code, msg.payload)
        if msg.type is MsgType.DATA and not await self._present(target):
            raise ProtocolError(ErrorName.PEER_ABSENT, f"the {sender.other} is not connected", ref="cam-data")
        outcome = await self._deliver(code, sender.other, out)
        self.metrics.count(str(msg.type), outcome)
        return outcome

    async def store_calibration(self, code: str, calibration: Any) -> None:
        """Validates and stores a session's calibration (`H` must be 9 finite numbers)."""
        if not isinstance(calibration, dict):
            raise ProtocolError(ErrorName.BAD_MESSAGE, "the calibration must be an object with H")
        check_homography(calibration.get("H"))

        def put(s: PairingSession) -> bool:
            s.calibration = calibration
            return True

        if await self.store.update(code, put) is None:
            raise ProtocolError(ErrorName.EXPIRED, f"the session {code} has ended")

    async def calibration(self, code: str, client: Client) -> dict[str, Any] | None:
        """The stored calibration of a session, if any."""
        return (await self._live_session(code, client)).calibration

    async def post_calibration(self, code: str, client: Client, calibration: Any, token: str | None) -> None:
        """`POST /cam/calibration/{code}`: by a client that may act for either role (see authorize),
        then store_calibration."""
        await self.authorize(client, code, None, token)
        await self.store_calibration(code, calibration)

    async def ack(self, client: Client, msg: Message) -> None:
        """*ext* `cam-ack {seq}`: the client has every message of its role up to `seq`; they leave the
        queue. Only from a socket that holds a role, and answered by nothing."""
        if client.code is None or client.role is None:
            raise ProtocolError(ErrorName.NOT_JOINED, "send cam-create or cam-join first", ref="cam-ack")
        if msg.code is not None and msg.code != client.code:
            raise ProtocolError(ErrorName.NOT_JOINED, f"this socket belongs to {client.code}, not {msg.code}")
        await self.hub.ack(client.code, client.role, msg.seq)

    def diagnostic(self, code: str | None, text: object, rest: bool = False) -> None:
        """`cam-diagnostic`: logged, never answered (the phone page would loop)."""
        log_event("phone-diagnostic", code=code, msg=str(text)[:500], rest=rest or None)

    async def handle(self, client: Client, msg: Message) -> None:
        """Dispatches one validated WebSocket message; errors come back as ProtocolError."""
        if msg.type in RELAYED_TYPES:
            await self.relay(client, msg)
        elif msg.type is MsgType.ACK:
            await self.ack(client, msg)
        elif msg.type is MsgType.CREATE:
            await self.create(client, Capabilities.from_payload(msg.payload))
        elif msg.type is MsgType.JOIN:
            await self.join(client, msg.code or "", msg.resume_token, Capabilities.from_payload(msg.payload))
        elif msg.type is MsgType.RESUME:
            await self.resume(client, msg.code or "", msg.resume_token or "")
        elif msg.type is MsgType.DIAGNOSTIC:
            self.diagnostic(msg.code or client.code, msg.raw.get("msg"))

    # ---- REST polling --------------------------------------------------------------------------

    async def poll(
        self, client: Client, code: str, role: Role, wait: float, token: str | None
    ) -> list[dict[str, Any]]:
        """Returns and removes what is queued for a role, to a client that may act for it (see
        authorize); with wait, holds until something arrives."""
        session = await self.authorize(client, code, role, token)
        slot = session.slot(role)
        if slot.conn_id is None:
            await self._mark_rest_seen(code, role)
        return await self.hub.poll(code, role, min(wait, self.config.long_poll_max), numbered=slot.acks)

    async def _mark_rest_seen(self, code: str, role: Role) -> None:
        """A REST client polled: it is present, and back if the sweep had marked it as left."""
        now = self.clock()

        def seen(s: PairingSession) -> bool:
            slot = s.slot(role)
            if slot.conn_id is None:
                slot.rest_seen, slot.left_at = now, None
            return True

        await self.store.update(code, seen)

    # ---- leaving -------------------------------------------------------------------------------

    async def mark_left(self, code: str, role: Role, conn_id: str | None) -> None:
        """A role whose client is gone (socket closed, instance died, REST phone stopped polling) has
        left: it may resume until the grace period ends. Only the connection that holds the role may
        release it, not an older socket that a resume replaced."""

        def mark(s: PairingSession) -> bool:
            slot = s.slot(role)
            if slot.conn_id != conn_id or slot.left_at is not None:
                return False
            slot.conn_id = None
            slot.left_at = self.clock()
            return True

        if await self.store.update(code, mark):
            log_event("peer-left", code=code, role=str(role), conn=conn_id)
            await self._deliver(code, role.other, message(MsgType.PEER_LEFT, code=code, role=str(role)))

    async def session_lost(self, conn: Connection, code: str) -> None:
        """The store lost a socket's session (a Redis that restarted empty): the socket is released
        from it and told, never left waiting silently."""
        client = conn.client
        if client.code != code:
            return  # it moved on since the hub looked
        client.code = client.role = None
        text = f"the session {code} was lost by the session store; start a new one"
        await self.hub.send(conn.id, error_message(ErrorName.EXPIRED, text))

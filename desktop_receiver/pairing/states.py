"""The states of the agent's signaling client and the transitions between them, as a table to check
against PROTOCOL.md: a desktop opens a session with `cam-create` (answered by `cam-code`), and after a
socket drop takes it back with `cam-resume` (answered by `cam-resumed`, or by `cam-error` from a server
that cannot resume, and by nothing at all from the base server)."""

from __future__ import annotations

from enum import StrEnum


class ClientState(StrEnum):
    """Where the client is with its socket and its session."""

    DISCONNECTED = "disconnected"  # no socket: connecting, or waiting out the back-off
    CREATING = "creating"  # cam-create sent, waiting for cam-code
    RESUMING = "resuming"  # cam-resume sent, waiting for cam-resumed
    READY = "ready"  # the session is held: messages go out at once
    STOPPED = "stopped"


class ClientEvent(StrEnum):
    """What moves the client from one state to the next."""

    OPENED_WITH_TOKEN = "socket open, a resume token held"
    OPENED = "socket open, no session or no resume token"
    CODE = "cam-code"
    RESUMED = "cam-resumed"
    RESUME_REFUSED = "cam-error while resuming"
    RESUME_TIMED_OUT = "no cam-resumed within resume_timeout"
    SESSION_ENDED = "cam-error EXPIRED for the held session"
    RENEW = "renew(): the agent drops its code"
    CLOSED = "socket closed"
    STOP = "stop()"


S, E = ClientState, ClientEvent
OPEN_STATES = (S.CREATING, S.RESUMING, S.READY)

TRANSITIONS: dict[tuple[ClientState, ClientEvent], ClientState] = {
    (S.DISCONNECTED, E.OPENED_WITH_TOKEN): S.RESUMING,
    (S.DISCONNECTED, E.OPENED): S.CREATING,
    (S.DISCONNECTED, E.RENEW): S.DISCONNECTED,  # the next socket asks for a new code
    (S.RESUMING, E.RESUMED): S.READY,
    (S.RESUMING, E.RESUME_REFUSED): S.CREATING,
    (S.RESUMING, E.RESUME_TIMED_OUT): S.CREATING,
    (S.RESUMING, E.CODE): S.READY,
    (S.RESUMING, E.RENEW): S.CREATING,
    (S.CREATING, E.CODE): S.READY,
    (S.CREATING, E.RENEW): S.CREATING,
    (S.READY, E.CODE): S.READY,
    (S.READY, E.SESSION_ENDED): S.CREATING,
    (S.READY, E.RENEW): S.CREATING,
    # A socket that closes, whatever was going on; a refused cam-create closes it too.
    **{(state, E.CLOSED): S.DISCONNECTED for state in OPEN_STATES},
    **{(state, E.STOP): S.STOPPED for state in ClientState},
}


def next_state(state: ClientState, event: ClientEvent) -> ClientState | None:
    """The state after `event` in `state`, or None when the event does not apply there."""
    return TRANSITIONS.get((state, event))

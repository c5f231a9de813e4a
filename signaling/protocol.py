"""The message catalogue of the camera pairing protocol (shared/PROTOCOL.md): the one place that knows
every message type, its fields, the roles and the error names. The server, the desktop agent and the
simulated phone all build and check messages through this module."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

# orjson: the relay's hot path is mostly JSON in and out, and orjson does it several times faster.
import orjson


class MsgType(StrEnum):
    """Every message type of the protocol, base and extensions."""

    CREATE = "cam-create"
    CODE = "cam-code"
    JOIN = "cam-join"
    JOINED = "cam-joined"
    PEER_JOINED = "cam-peer-joined"
    ERROR = "cam-error"
    OFFER = "cam-offer"
    ANSWER = "cam-answer"
    ICE = "cam-ice"
    CALIBRATION = "cam-calibration"
    DATA = "cam-data"
    DIAGNOSTIC = "cam-diagnostic"
    RESUME = "cam-resume"
    RESUMED = "cam-resumed"
    PEER_LEFT = "cam-peer-left"
    # *ext* client -> server {type, code, seq}: every numbered message up to seq has arrived.
    ACK = "cam-ack"


class Role(StrEnum):
    """The two roles of a pairing session."""

    DESKTOP = "desktop"
    PHONE = "phone"

    @property
    def other(self) -> Role:
        """The role at the other end of the session."""
        return Role.PHONE if self is Role.DESKTOP else Role.DESKTOP


class ErrorName(StrEnum):
    """Names carried in the `code` field of `cam-error` (the first two are the base protocol's)."""

    INVALID_CODE = "INVALID_CODE"
    EXPIRED = "EXPIRED"
    SESSION_TAKEN = "SESSION_TAKEN"
    RATE_LIMITED = "RATE_LIMITED"
    BAD_MESSAGE = "BAD_MESSAGE"
    UNKNOWN_TYPE = "UNKNOWN_TYPE"
    TOO_LARGE = "TOO_LARGE"
    NOT_JOINED = "NOT_JOINED"
    INVALID_TOKEN = "INVALID_TOKEN"
    WRONG_ROLE = "WRONG_ROLE"
    UNAVAILABLE = "UNAVAILABLE"
    PEER_ABSENT = "PEER_ABSENT"
    QUEUE_FULL = "QUEUE_FULL"


# The REST status of each error (the JSON body says the same as the WebSocket's `cam-error`).
HTTP_STATUS = {
    ErrorName.INVALID_CODE: 404,
    ErrorName.EXPIRED: 410,
    ErrorName.SESSION_TAKEN: 409,
    ErrorName.RATE_LIMITED: 429,
    ErrorName.BAD_MESSAGE: 400,
    ErrorName.UNKNOWN_TYPE: 400,
    ErrorName.TOO_LARGE: 413,
    ErrorName.NOT_JOINED: 400,
    ErrorName.INVALID_TOKEN: 403,
    ErrorName.WRONG_ROLE: 400,
    ErrorName.UNAVAILABLE: 503,
    ErrorName.PEER_ABSENT: 409,
    ErrorName.QUEUE_FULL: 429,
}


# Messages relayed verbatim to the other role as {type, code, payload}.
RELAYED_TYPES = frozenset({MsgType.OFFER, MsgType.ANSWER, MsgType.ICE, MsgType.CALIBRATION, MsgType.DATA})
# Messages a client may send to the server.
CLIENT_TYPES = RELAYED_TYPES | {MsgType.CREATE, MsgType.JOIN, MsgType.RESUME, MsgType.DIAGNOSTIC, MsgType.ACK}
# The same by wire value: one dict lookup on the relay's hot path instead of a check and an Enum call.
_CLIENT_TYPE_OF = {t.value: t for t in CLIENT_TYPES}

# Pairing code alphabet of the base protocol: no I, no O.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ"
WS_PATH = "/ws"
PHONE_PAGE_PATH = "/mobile-cam.html"


class ProtocolError(ValueError):
    """A message that breaks the protocol; `name` is the error name sent back in `cam-error`."""

    def __init__(self, name: ErrorName, message: str, ref: str | None = None) -> None:
        super().__init__(message)
        self.name = name
        self.message = message
        self.ref = ref


@dataclass(frozen=True, slots=True)
class Message:
    """A validated client message. `raw` keeps every field, for verbatim relaying and logging."""

    type: MsgType
    code: str | None
    payload: Any
    raw: dict[str, Any]

    @property
    def resume_token(self) -> str | None:
        """The `resumeToken` field of a `cam-resume`."""
        token = self.raw.get("resumeToken")
        return token if isinstance(token, str) else None

    @property
    def seq(self) -> int:
        """The `seq` field of a `cam-ack` (validate checked it)."""
        return int(self.raw["seq"])


@dataclass(frozen=True, slots=True)
class Capabilities:
    """*ext* What a client announces in the `payload` of its `cam-join` (phone) or `cam-create`
    (desktop): `offers` it makes the offer itself (the desktop should wait for it), `resume` it resumes
    with its token after a drop, `ack` it acknowledges numbered messages. A base-protocol client sends
    `payload: null` and announces nothing: every flag is False.

    The server keeps each role's announcement in the session, passes the phone's on as the payload of
    `cam-peer-joined` (left out when there is none) and the other role's as `peer` in `cam-resumed`.
    To a role that announced `ack` every queued message goes with its number in `seq`; it stays queued
    until the client sends `cam-ack {code, seq}` (cumulative) and comes again after a resume. The
    desktop announces in `cam-create` because that is the message that makes its role; a resume keeps
    what the role announced."""

    offers: bool = False
    resume: bool = False
    ack: bool = False

    @classmethod
    def from_payload(cls, payload: Any) -> Capabilities | None:
        """The capabilities in a payload; None when it announces none (null, not an object, or no
        known flag). Fields that are not known or not true booleans are ignored, as the base protocol
        ignores unknown fields."""
        if not isinstance(payload, dict):
            return None
        flags = {name: payload.get(name) is True for name in CAPABILITY_FLAGS}
        return cls(**flags) if any(name in payload for name in CAPABILITY_FLAGS) else None

    def to_payload(self) -> dict[str, bool]:
        """The wire form, e.g. {"offers": true, "resume": true, "ack": true}."""
        return {name: getattr(self, name) for name in CAPABILITY_FLAGS}


CAPABILITY_FLAGS = ("offers", "resume", "ack")


def normalize_code(code: str) -> str:
    """Codes are compared upper-cased, as in the base protocol."""
    return code.strip().upper()


def _is_seq(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**53


def _is_opt_str(value: Any) -> bool:
    return value is None or isinstance(value, str)


def _check_sdp(payload: Any, kind: str) -> None:
    if not isinstance(payload, dict):
        raise ProtocolError(ErrorName.BAD_MESSAGE, f"payload must be an object {{type: '{kind}', sdp}}")
    if payload.get("type") != kind:
        raise ProtocolError(ErrorName.BAD_MESSAGE, f"payload.type must be '{kind}'")
    sdp = payload.get("sdp")
    if not isinstance(sdp, str) or not sdp.startswith("v=0"):
        raise ProtocolError(ErrorName.BAD_MESSAGE, "payload.sdp must be an SDP string starting with 'v=0'")


def _check_ice(payload: Any) -> None:
    if payload is None:
        return  # end of candidates (ext)
    if not isinstance(payload, dict):
        raise ProtocolError(ErrorName.BAD_MESSAGE, "payload must be a candidate object or null")
    if not isinstance(payload.get("candidate"), str):
        raise ProtocolError(ErrorName.BAD_MESSAGE, "payload.candidate must be a string")
    if not _is_opt_str(payload.get("sdpMid")) or not _is_opt_str(payload.get("usernameFragment")):
        raise ProtocolError(ErrorName.BAD_MESSAGE, "payload.sdpMid and usernameFragment must be strings")
    index = payload.get("sdpMLineIndex")
    if index is not None and (isinstance(index, bool) or not isinstance(index, int) or index < 0):
        raise ProtocolError(ErrorName.BAD_MESSAGE, "payload.sdpMLineIndex must be a non-negative integer")


def check_homography(h: Any) -> list[float]:
    """`H` must be 9 finite numbers (row-major, board mm -> image px); returns them as floats."""
    if (
        not isinstance(h, list)
        or len(h) != 9
        or not all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in h)
    ):
        raise ProtocolError(ErrorName.BAD_MESSAGE, "H must be a list of 9 finite numbers")
    return [float(v) for v in h]


def _check_calibration(payload: Any) -> None:
    if not isinstance(payload, dict):
        raise ProtocolError(ErrorName.BAD_MESSAGE, "payload must be an object {H, imageSize, errorPx}")
    check_homography(payload.get("H"))


_PAYLOAD_CHECKS = {
    MsgType.OFFER: lambda p: _check_sdp(p, "offer"),
    MsgType.ANSWER: lambda p: _check_sdp(p, "answer"),
    MsgType.ICE: _check_ice,
    MsgType.CALIBRATION: _check_calibration,
}


def parse_text(text: str | bytes) -> dict[str, Any]:
    """Decodes one JSON frame into an object, or raises ProtocolError saying what was wrong."""
    try:
        data = orjson.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProtocolError(ErrorName.BAD_MESSAGE, f"malformed JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ProtocolError(
            ErrorName.BAD_MESSAGE,
            f"a message must be a JSON object, not {type(data).__name__}",
        )
    return data


def validate(data: dict[str, Any], *, code_required: bool = False) -> Message:
    """Checks a decoded client message against the catalogue and returns it as a Message."""
    type_ = data.get("type")
    if not isinstance(type_, str) or not type_:
        raise ProtocolError(ErrorName.BAD_MESSAGE, "missing or non-string 'type'")
    msg_type = _CLIENT_TYPE_OF.get(type_)
    if msg_type is None:
        raise ProtocolError(ErrorName.UNKNOWN_TYPE, f"unknown message type {type_[:64]!r}", ref=type_[:64])
    code = data.get("code")
    if code is not None and not isinstance(code, str):
        raise ProtocolError(ErrorName.BAD_MESSAGE, "'code' must be a string", ref=type_)
    if code is not None:
        code = normalize_code(code)
    needs_code = code_required or msg_type in (MsgType.JOIN, MsgType.RESUME)
    if needs_code and not code:
        raise ProtocolError(ErrorName.BAD_MESSAGE, f"{type_} needs a 'code'", ref=type_)
    if msg_type is MsgType.RESUME and not isinstance(data.get("resumeToken"), str):
        raise ProtocolError(ErrorName.BAD_MESSAGE, "cam-resume needs a string 'resumeToken'", ref=type_)
    if msg_type is MsgType.ACK and not _is_seq(data.get("seq")):
        raise ProtocolError(ErrorName.BAD_MESSAGE, "cam-ack needs 'seq', a non-negative integer", ref=type_)
    payload = data.get("payload")
    check = _PAYLOAD_CHECKS.get(msg_type)
    if check is not None:
        try:
            check(payload)
        except ProtocolError as exc:
            exc.ref = type_
            raise
    return Message(msg_type, code or None, payload, data)


def encode(msg: dict[str, Any]) -> str:
    """One message as the JSON text of a WebSocket frame."""
    return orjson.dumps(msg).decode()


def encode_bytes(msg: dict[str, Any]) -> bytes:
    """One message as the UTF-8 JSON of a WebSocket text frame (for writers that take bytes)."""
    return orjson.dumps(msg)


def message(type_: MsgType, **fields: Any) -> dict[str, Any]:
    """Builds a wire message; fields whose value is None are left out."""
    out: dict[str, Any] = {"type": str(type_)}
    out.update({k: v for k, v in fields.items() if v is not None})
    return out


def relayed(type_: MsgType, code: str, payload: Any) -> dict[str, Any]:
    """The base relay shape {type, code, payload} (payload kept even when null)."""
    return {"type": str(type_), "code": code, "payload": payload}


def error(name: ErrorName, text: str, ref: str | None = None) -> dict[str, Any]:
    """A `cam-error`: the error name goes in `code`, as in the base protocol."""
    return message(MsgType.ERROR, code=str(name), message=text, ref=ref)

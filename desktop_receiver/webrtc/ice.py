"""ICE helpers: ICE server options, host-candidate pinning, and trickled candidates to and from the
`cam-ice` payload of PROTOCOL.md."""

from __future__ import annotations

import contextlib
import contextvars
import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import aioice.ice
from aiortc import RTCIceCandidate, RTCIceServer
from aiortc.sdp import candidate_from_sdp

from signaling.cli import option

# aioice gathers host candidates from every interface except 127.0.0.1 (aioice.ice.get_host_addresses,
# a module-level function that Connection.gather_candidates looks up at call time). Tests must stay on
# loopback and users may want one LAN address only, so the gathering is wrapped once: inside
# `pinned_hosts(...)` the given addresses replace the interface scan. A context variable (not a global
# setting) keeps two peers in one process (the agent and a simulated phone) independent: aiortc gathers
# inside setLocalDescription, in tasks that inherit the caller's context.
_PINNED: contextvars.ContextVar[tuple[str, ...] | None] = contextvars.ContextVar("pinned_hosts", default=None)
_original_get_host_addresses = aioice.ice.get_host_addresses


def _get_host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
    pinned = _PINNED.get()
    if pinned is None:
        return _original_get_host_addresses(use_ipv4, use_ipv6)
    return [a for a in pinned if (":" in a and use_ipv6) or (":" not in a and use_ipv4)]


if aioice.ice.get_host_addresses is _original_get_host_addresses:
    aioice.ice.get_host_addresses = _get_host_addresses


@contextlib.contextmanager
def pinned_hosts(addresses: tuple[str, ...] | list[str] | None) -> Iterator[None]:
    """Within this block, ICE gathering uses `addresses` as the host candidates (None: every interface)."""
    token = _PINNED.set(tuple(addresses) if addresses else None)
    try:
        yield
    finally:
        _PINNED.reset(token)


@dataclass(frozen=True)
class IceServerOptions:
    """ICE servers given on the command line; none by default (a LAN needs none, and aiortc's default
    public STUN server stalls gathering offline)."""

    stun: tuple[str, ...] = option((), "STUN server (repeatable); none by default", metavar="URL")
    turn: tuple[str, ...] = option((), "TURN server (repeatable)", metavar="URL")
    turn_username: str | None = option(None, "TURN user name", flag="--turn-user", metavar="NAME")
    turn_password: str | None = option(None, "TURN password", metavar="SECRET")

    def servers(self) -> list[RTCIceServer]:
        """The RTCIceServer list to put in RTCConfiguration (an explicit, possibly empty list)."""
        out = [RTCIceServer(urls=_with_scheme(url, "stun")) for url in self.stun]
        out += [
            RTCIceServer(
                urls=_with_scheme(url, "turn"),
                username=self.turn_username,
                credential=self.turn_password,
            )
            for url in self.turn
        ]
        return out


def _with_scheme(url: str, scheme: str) -> str:
    return url if url.startswith(("stun:", "stuns:", "turn:", "turns:")) else f"{scheme}:{url}"


def is_end_of_candidates(payload: Any) -> bool:
    """`payload: null` or `{candidate: ""}` ends the remote candidates (PROTOCOL.md, ext)."""
    return payload is None or (isinstance(payload, dict) and payload.get("candidate") == "")


CANDIDATE_TYPES = ("host", "srflx", "prflx", "relay")


def _is_candidate_address(address: str) -> bool:
    """An IP address, or an mDNS name (`<uuid>.local`, what browsers put in host candidates)."""
    try:
        ipaddress.ip_address(address)
    except ValueError:
        name = address.lower()
        return name.endswith(".local") and len(name) > len(".local")
    return True


def parse_candidate(payload: dict[str, Any]) -> RTCIceCandidate:
    """Turns a `cam-ice` payload into an RTCIceCandidate; raises ValueError on a malformed one."""
    text = payload.get("candidate")
    if not isinstance(text, str) or not text.strip():
        raise ValueError("candidate must be a non-empty string")
    text = text.strip()
    if text.startswith("a="):
        text = text[2:]
    if text.startswith("candidate:"):
        text = text[len("candidate:") :]
    try:
        candidate = candidate_from_sdp(text)
    except (AssertionError, ValueError, IndexError) as exc:
        raise ValueError(f"malformed candidate {text[:80]!r}") from exc
    if candidate.protocol.lower() not in ("udp", "tcp"):
        raise ValueError(f"unknown candidate transport {candidate.protocol!r}")
    if candidate.type not in CANDIDATE_TYPES:
        known = ", ".join(CANDIDATE_TYPES)
        raise ValueError(f"unknown candidate type {candidate.type[:20]!r} (known: {known})")
    if not _is_candidate_address(candidate.ip):
        text = f"candidate address {candidate.ip[:80]!r} is neither an IP address nor a .local name"
        raise ValueError(text)
    candidate.sdpMid = payload.get("sdpMid")
    candidate.sdpMLineIndex = payload.get("sdpMLineIndex")
    if candidate.sdpMid is None and candidate.sdpMLineIndex is None:
        raise ValueError("candidate has neither sdpMid nor sdpMLineIndex")
    return candidate


def candidate_payload(
    line: str, sdp_mid: str | None, sdp_mline_index: int | None, ufrag: str | None
) -> dict[str, Any]:
    """The `cam-ice` payload of one candidate, as a browser's RTCIceCandidate.toJSON() gives it."""
    text = line[2:] if line.startswith("a=") else line
    if not text.startswith("candidate:"):
        text = "candidate:" + text
    return {"candidate": text, "sdpMid": sdp_mid, "sdpMLineIndex": sdp_mline_index, "usernameFragment": ufrag}

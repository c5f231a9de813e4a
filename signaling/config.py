"""Configuration of the signaling server: the one place that holds its defaults and their meaning.
Every option is a command-line flag and an environment variable (`DARTCAM_` + the name upper-cased;
`REDIS_URL` works too)."""

from __future__ import annotations

import ipaddress
import os
import typing
from dataclasses import dataclass, field, fields, replace

TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off")
# Host values that mean "every interface": a client on this machine reaches such a server at 127.0.0.1.
WILDCARD_HOSTS = ("0.0.0.0", "::", "")


def _opt(default: object, text: str) -> object:
    if isinstance(default, tuple):
        return field(default_factory=lambda: default, metadata={"help": text})
    return field(default=default, metadata={"help": text})


@dataclass(frozen=True)
class ServerConfig:
    """Every tunable of the server, with the protocol's defaults."""

    host: str = _opt("0.0.0.0", "address to bind (the base server's default: every interface)")
    port: int = _opt(8787, "port for HTTP and the WebSocket (0 picks a free one)")
    code_length: int = _opt(6, "length of pairing codes")
    code_ttl: float = _opt(120.0, "seconds a code stays valid for pairing (a paired session lives on)")
    grace: float = _opt(60.0, "seconds a session waits for a closed role to resume")
    heartbeat: float = _opt(20.0, "seconds between WebSocket pings; a socket that stops answering is closed")
    max_message_bytes: int = _opt(64 * 1024, "largest accepted message in bytes")
    rate_per_second: float = _opt(30.0, "messages per second allowed per socket")
    rate_burst: int = _opt(50, "burst of messages allowed per socket")
    unknown_code_per_minute: int = _opt(20, "lookups of unknown codes allowed per client and minute")
    queue_limit: int = _opt(1000, "messages kept for a role that is away")
    long_poll_max: float = _opt(30.0, "longest REST long-poll (?wait=) in seconds")
    sweep_interval: float = _opt(5.0, "seconds between sweeps of expired sessions")
    tombstone_ttl: float = _opt(600.0, "seconds an ended code answers EXPIRED rather than INVALID_CODE")
    rest_presence_slack: float = _opt(
        10.0, "seconds a REST client counts as present past its last poll, beyond the longest long-poll"
    )
    presence_ttl: float = _opt(
        15.0,
        "Redis: seconds an instance's set of open sockets outlives its last refresh (a dead "
        "instance's sockets count as gone after this)",
    )
    presence_refresh: float = _opt(5.0, "Redis: seconds between refreshes of the instance's open sockets")
    remote_live_cache: float = _opt(
        2.0, "Redis: seconds a socket of another instance, once seen open, is trusted without asking again"
    )
    resubscribe_delay: float = _opt(0.5, "Redis: seconds before subscribing again after a lost subscription")
    redis_timeout: float = _opt(2.0, "Redis: seconds to connect or to wait for a reply")
    redis_pool_wait: float = _opt(5.0, "Redis: seconds a request waits for a free pooled connection")
    redis_key_ttl: float = _opt(3600.0, "Redis: expiry of every key, a safety net for what a crash leaves")
    shutdown_timeout: float = _opt(5.0, "seconds open requests get to finish at shutdown")
    body_timeout: float = _opt(
        10.0, "seconds a REST request's body may take to arrive (one that trickles in is refused)"
    )
    idle_timeout: float = _opt(
        15.0,
        "seconds an HTTP connection may sit idle (no request, or headers trickling in) before it is closed",
    )
    allowed_origins: tuple[str, ...] = _opt((), "browser Origin allowed to connect (repeatable; none: all)")
    public_url: str | None = _opt(None, "base URL phones use to reach this server (for phoneUrl)")
    redis_url: str | None = _opt(None, "redis://… to share sessions between instances")
    tls: bool | None = _opt(
        None,
        "serve HTTPS and WSS (phones give the camera only to secure pages), with a self-signed "
        "certificate made at first start unless --cert/--key are given; by default on unless the server "
        "listens on loopback only; --no-tls serves plain HTTP",
    )
    cert: str | None = _opt(None, "TLS certificate file (PEM) instead of the self-signed one")
    key: str | None = _opt(None, "TLS private key file (PEM)")
    log_level: str = _opt("INFO", "log level (DEBUG logs every relayed message)")

    @property
    def serves_tls(self) -> bool:
        """Whether the server serves HTTPS/WSS: as `tls` says, else unless it listens on loopback only
        (no phone reaches it there, and browsers count http://localhost as secure) without --cert."""
        if self.tls is not None:
            return self.tls
        return bool(self.cert) or not is_loopback(self.host)

    def with_env(self, environ: dict[str, str] | None = None) -> ServerConfig:
        """Returns a copy with the values set by `DARTCAM_*` environment variables (and `REDIS_URL`)."""
        env = os.environ if environ is None else environ
        hints = typing.get_type_hints(type(self))
        changes: dict[str, object] = {}
        for f in fields(self):
            raw = env.get(env_name(f.name))
            if f.name == "redis_url" and raw is None:
                raw = env.get("REDIS_URL")
            if raw is not None:
                # A yes/no option whose default is "decide" (None) still reads yes/no.
                kind = False if bool in typing.get_args(hints[f.name]) else getattr(self, f.name)
                try:
                    changes[f.name] = parse_value(raw, kind)
                except ValueError as exc:
                    raise ValueError(f"{env_name(f.name)}={raw!r}: {exc}") from None
        return replace(self, **changes)


def is_loopback(host: str) -> bool:
    """Whether a bind address is this machine's loopback only (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def env_name(name: str) -> str:
    """The environment variable of an option."""
    return f"DARTCAM_{name.upper()}"


def parse_value(raw: str, default: object) -> object:
    """Converts a string to the type of the option's default."""
    if isinstance(default, bool):
        word = raw.strip().lower()
        if word not in TRUE_WORDS + FALSE_WORDS:
            raise ValueError(f"not a yes/no value (one of {', '.join(TRUE_WORDS + FALSE_WORDS)})")
        return word in TRUE_WORDS
    if isinstance(default, int):
        try:
            return int(raw)
        except ValueError:
            raise ValueError("not a whole number") from None
    if isinstance(default, float):
        try:
            return float(raw)
        except ValueError:
            raise ValueError("not a number") from None
    if isinstance(default, tuple):
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    return raw or None

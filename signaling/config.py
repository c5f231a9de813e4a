"""Configuration of the signaling server: the one place that holds its defaults. Every option is a
command-line flag and an environment variable (`DARTCAM_` + the field name upper-cased)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace


@dataclass(frozen=True)
class ServerConfig:
    """Every tunable of the server, with the protocol's defaults."""

    host: str = "0.0.0.0"
    port: int = 8787
    code_length: int = 6
    code_ttl: float = 120.0
    grace: float = 60.0
    heartbeat: float = 20.0
    max_message_bytes: int = 64 * 1024
    rate_per_second: float = 30.0
    rate_burst: int = 50
    unknown_code_per_minute: int = 20
    queue_limit: int = 1000
    long_poll_max: float = 30.0
    sweep_interval: float = 5.0
    allowed_origins: tuple[str, ...] = field(default_factory=tuple)
    public_url: str | None = None
    redis_url: str | None = None
    tls: bool = False
    cert: str | None = None
    key: str | None = None
    log_level: str = "INFO"

    def with_env(self, environ: dict[str, str] | None = None) -> ServerConfig:
        """Returns a copy with the values set by `DARTCAM_*` environment variables (and `REDIS_URL`)."""
        env = os.environ if environ is None else environ
        changes: dict[str, object] = {}
        for f in fields(self):
            raw = env.get(f"DARTCAM_{f.name.upper()}")
            if f.name == "redis_url" and raw is None:
                raw = env.get("REDIS_URL")
            if raw is None:
                continue
            changes[f.name] = _convert(raw, getattr(self, f.name), f.type)
        return replace(self, **changes)


def _convert(raw: str, default: object, type_name: object) -> object:
    if isinstance(default, bool):
        return raw.strip().lower() in ("1", "true", "yes", "on")
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    if isinstance(default, tuple):
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    return raw or None if "None" in str(type_name) else raw

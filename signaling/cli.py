"""Command line of the signaling server: one flag per ServerConfig field, defaults from the environment."""

from __future__ import annotations

import argparse
import functools
from dataclasses import fields

from signaling.config import ServerConfig, env_name, parse_value

# Flags whose name is not the field's.
FLAG_NAMES = {"redis_url": "--redis", "allowed_origins": "--allowed-origin"}


def build_parser(defaults: ServerConfig) -> argparse.ArgumentParser:
    """An argument parser whose flags and help come from ServerConfig."""
    parser = argparse.ArgumentParser(
        prog="dartcam-signaling",
        description="dartcam signaling server: pairs a phone with the desktop agent and relays the "
        "WebRTC handshake over WebSocket (/ws) and REST (/cam/signal/{code}). Every option can also be "
        "set by its environment variable.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    for f in fields(ServerConfig):
        flag = FLAG_NAMES.get(f.name, "--" + f.name.replace("_", "-"))
        default = getattr(defaults, f.name)
        help_text = f"{f.metadata['help']} [env {env_name(f.name)}]"
        if isinstance(default, bool):
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=default, help=help_text)
        elif isinstance(default, tuple):
            parser.add_argument(flag, dest=f.name, action="append", default=None, help=help_text)
        else:
            parser.add_argument(
                flag,
                dest=f.name,
                type=functools.partial(_parse_flag, default=default),
                default=default,
                help=help_text,
            )
    return parser


def _parse_flag(raw: str, default: object) -> object:
    try:
        return parse_value(raw, default)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{raw!r}: {exc}") from None


def parse_config(argv: list[str] | None = None) -> ServerConfig:
    """ServerConfig from the environment, overridden by the command line."""
    try:
        defaults = ServerConfig().with_env()
    except ValueError as exc:
        build_parser(ServerConfig()).error(str(exc))
    args = build_parser(defaults).parse_args(argv)
    values = {f.name: getattr(args, f.name) for f in fields(ServerConfig)}
    values["allowed_origins"] = tuple(args.allowed_origins or defaults.allowed_origins)
    return ServerConfig(**values)

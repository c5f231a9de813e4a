"""The scoring's command-line options (`--autoscore`, `--board-api`)."""

from __future__ import annotations

from dataclasses import dataclass

from signaling.cli import option

DEFAULT_BOARD_API = "0.0.0.0:3180"  # every interface: the LAN's darts tools read it, as from a rig


def parse_address(text: str) -> tuple[str, int]:
    """HOST:PORT (IPv6 in brackets) -> (host, port); ValueError says what is wrong."""
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"--board-api wants HOST:PORT (e.g. {DEFAULT_BOARD_API}), not {text!r}")
    return host.strip("[]"), int(port)


@dataclass(frozen=True)
class ScoringOptions:
    """Where the score interfaces listen."""

    board_api: str = option(
        DEFAULT_BOARD_API,
        "with --autoscore: address of the score interfaces (board-manager style /api, /autoscore, "
        "/scores; port 0 picks a free one)",
        metavar="HOST:PORT",
    )

    def __post_init__(self) -> None:
        parse_address(self.board_api)

    @property
    def address(self) -> tuple[str, int]:
        """(host, port) of `board_api`."""
        return parse_address(self.board_api)

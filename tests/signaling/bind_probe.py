"""Binds the server's listening socket on `::` (signaling.server.bind) and connects to it over IPv4 and
IPv6 loopback; prints {"v4": ..., "v6": ...}. Run by tests/signaling/test_lan.py inside a loopback-only
network namespace (tests.browser.netns), so that nothing listens on the machine's own interfaces."""

from __future__ import annotations

import json
import socket

from signaling.server import bind


def reaches(sock: socket.socket, host: str) -> bool:
    """Whether a client connects to the socket at `host`."""
    try:
        socket.create_connection((host, sock.getsockname()[1]), timeout=2).close()
        return True
    except OSError:
        return False


def main() -> None:
    """Prints which loopback addresses reach a socket bound on `::`."""
    with bind("::", 0) as sock:
        print(json.dumps({"v4": reaches(sock, "127.0.0.1"), "v6": reaches(sock, "::1")}), flush=True)


if __name__ == "__main__":
    main()

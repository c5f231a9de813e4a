"""Rate limiting: a token bucket per socket (messages/s with a burst), and the key that counts a
client's lookups of unknown codes."""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable

# An IPv6 client usually has a whole /64 to pick addresses from: counted per address, it could guess
# codes without limit.
IPV6_CLIENT_PREFIX = 64


def client_key(address: str) -> str:
    """The key a client's guesses are counted under: its IPv4 address (also when IPv4-mapped), or
    the /64 network of its IPv6 address; anything else as it is."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, IPV6_CLIENT_PREFIX), strict=False))
    return str(ip)


class TokenBucket:
    """Allows `rate` events per second on average and `burst` at once (seconds on `clock`)."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.capacity = float(burst)
        self.tokens = float(burst)
        self.clock = clock
        self.stamp = clock()

    def allow(self) -> bool:
        """Takes one token if there is one."""
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False

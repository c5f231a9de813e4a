"""When the agent asks for a new pairing code by itself: nobody else will when the code expires with no
phone (the base-protocol server says nothing), or when a base-protocol server forgets the session because
the phone left."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from desktop_receiver.pairing.interface import PairingInfo

# Seconds after a code's expiresAt before the agent renews it itself. Our server ends an expired session
# itself and says so (EXPIRED, then the client renews); the slack lets it speak first, so only silence
# renews here.
EXPIRY_SLACK = 10.0
EXPIRED = "the code expired with no phone"
FORGOTTEN = "the server forgets a session once the phone leaves (base protocol)"


@dataclass
class CodeRenewal:
    """The timers that renew the agent's code. ``current()`` is the code in use (None once the agent
    stops); ``joined()`` whether a phone joined its session; ``connected()`` whether a phone is connected
    now; ``renew(reason)`` asks the server for a new code. Call on the event loop."""

    current: Callable[[], str | None]
    joined: Callable[[], bool]
    connected: Callable[[], bool]
    renew: Callable[[str], None]
    rejoin_wait: float
    _expiry: asyncio.TimerHandle | None = field(default=None, init=False, repr=False)

    def new_code(self, info: PairingInfo) -> None:
        """A (new) code: renew it if no phone joins before it expires."""
        self.cancel()
        if info.expires_at is None:
            return
        delay = max(1.0, info.expires_at - time.time() + EXPIRY_SLACK)
        self._expiry = asyncio.get_running_loop().call_later(delay, self.expired, info.code)

    def expired(self, code: str) -> None:
        """``code`` expired: a new one unless it was replaced meanwhile or a phone joined it."""
        self._expiry = None
        if self.current() == code and not self.joined():
            self.renew(EXPIRED)

    def phone_left(self, info: PairingInfo) -> None:
        """The phone left the session ``info``. A base-protocol server (no resume token) deletes a
        session when any of its sockets closes and tells nobody: unless the phone is back within
        ``rejoin_wait``, only a new code can pair again."""
        if info.resume_token is None:
            asyncio.get_running_loop().call_later(self.rejoin_wait, self._renew_if_gone, info.code)

    def _renew_if_gone(self, code: str) -> None:
        if self.current() == code and not self.connected():
            self.renew(FORGOTTEN)

    def cancel(self) -> None:
        """No renewal for the current code (a new one came, or the agent stops)."""
        if self._expiry is not None:
            self._expiry.cancel()
            self._expiry = None

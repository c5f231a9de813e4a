"""*ext* The receiving side of the acknowledgement extension (PROTOCOL.md, `cam-ack`): a server that
numbers what it delivers (`seq`) sends a message again after a resume when the socket it was first
written to was dead, so the receiver drops the numbers it has seen and acknowledges, a short delay
after the first unacknowledged one, the highest it has (one cumulative `cam-ack` for a burst)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)


class AckTracker:
    """Duplicates and acknowledgements of one session. `send_ack(seq)` sends the `cam-ack` (it is
    called on the event loop and must not block; it returns False when it could not send)."""

    def __init__(self, delay: float, send_ack: Callable[[int], bool]) -> None:
        self.delay = delay
        self._send_ack = send_ack
        self.seen = 0  # the highest seq received in this session
        self.acked = 0  # the highest seq acknowledged on the current socket
        self.duplicates = 0  # messages dropped because their seq had been received already
        self._timer: asyncio.TimerHandle | None = None

    def first_time(self, msg: dict[str, Any]) -> bool:
        """False for a numbered message received before; otherwise notes its number for the next ack.
        A message without a number (a reply, or a server without the extension) always passes."""
        seq = msg.get("seq")
        if not isinstance(seq, int) or isinstance(seq, bool):
            return True
        if seq <= self.seen:
            self.duplicates += 1
            log.debug("dropping %s seq %d: received before", msg.get("type"), seq)
            return False
        self.seen = seq
        self.schedule()
        return True

    def schedule(self) -> None:
        """Acknowledges what has not been, after the delay (one timer at a time)."""
        if self._timer is None and self.seen > self.acked:
            self._timer = asyncio.get_running_loop().call_later(self.delay, self._fire)

    def new_socket(self) -> None:
        """The session is back on a new socket: acks sent on the old one may not have arrived."""
        self.acked = 0
        self.schedule()

    def reset(self) -> None:
        """A new session: it numbers from scratch."""
        self.seen = self.acked = 0
        self.cancel()

    def cancel(self) -> None:
        """Stops the pending acknowledgement, if any."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _fire(self) -> None:
        self._timer = None
        seq = self.seen
        if self._send_ack(seq):
            self.acked = seq

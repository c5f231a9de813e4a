"""Where sessions, per-role queues and counters live: in this process, or in Redis for several
instances. Both backends implement `SessionStore`."""

from signaling.store.base import Pushed, QueueFull, SessionStore, StoreUnavailable
from signaling.store.memory import MemoryStore

__all__ = ["MemoryStore", "Pushed", "QueueFull", "SessionStore", "StoreUnavailable"]

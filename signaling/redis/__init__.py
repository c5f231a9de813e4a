"""The Redis backend, for several instances of one deployment: the store (`store.py`), delivery across
instances (`hub.py`), which sockets are open where (`presence.py`), and every Lua script
(`scripts.py`)."""

from signaling.redis.hub import RedisHub
from signaling.redis.store import RedisStore

__all__ = ["RedisHub", "RedisStore"]

"""Structured logs: one JSON line per event (session created, joined, relayed, queued, resumed, expired),
with code and role, so an operator can grep them."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

logger = logging.getLogger("dartcam.signaling")


def log_event(event: str, level: int = logging.INFO, **fields: Any) -> None:
    """Logs one event as a JSON object; fields that are None are left out."""
    if not logger.isEnabledFor(level):
        return
    record = {"t": round(time.time(), 3), "event": event}
    record.update({k: v for k, v in fields.items() if v is not None})
    logger.log(level, json.dumps(record, default=str))


def setup_logging(level: str) -> None:
    """Plain message lines on stderr: the messages are already JSON."""
    logging.basicConfig(level=level.upper(), format="%(message)s")

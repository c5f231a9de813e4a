"""What one calibration decided and why: filled by ``calibrate(image, trace=Trace())`` for debugging.

The pipeline notes every step (the ring candidates, each fit, each check with its value and threshold,
the outcome); ``debug.write_debug`` turns it into pictures and a JSON file. Nothing is recorded unless a
trace is passed, so the agent's frame loop pays nothing for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .detect import RingCandidate
from .refine import Fit


@dataclass
class Trace:
    """Decisions of one calibration, in order, with the candidates and fits they were made on."""

    candidates: list[RingCandidate] = field(default_factory=list)
    fits: list[tuple[int, Fit]] = field(default_factory=list)  # (candidate index, fit)
    decisions: list[dict[str, Any]] = field(default_factory=list)

    def note(self, step: str, **details: Any) -> None:
        """Record one decision: ``step`` names it, ``details`` are JSON-able values (numbers, strings)."""
        self.decisions.append({"step": step, **{k: _plain(v) for k, v in details.items()}})


def _plain(value: Any) -> Any:
    """Numbers and arrays as plain JSON values; a non-finite number (a lens not fitted has k_sigma = inf)
    becomes None, since JSON has no infinity."""
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.astype(float).tolist()]
    if isinstance(value, np.floating | float):
        return round(float(value), 4) if np.isfinite(value) else None
    if isinstance(value, np.integer | np.bool_):
        return value.item()
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value

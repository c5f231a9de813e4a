"""The agent's small networks (trained by scripts/train_*.py, exported to ONNX) as OpenCV's dnn runs them:
one loaded net per thread and model, and the softmax of their outputs."""

from __future__ import annotations

import threading
from pathlib import Path

import cv2
import numpy as np

_local = threading.local()  # a dnn Net is not safe to share between threads: one per thread


def net(path: Path) -> cv2.dnn.Net:
    """The network of the ONNX file ``path``, loaded once per thread."""
    nets = getattr(_local, "nets", None)
    if nets is None:
        nets = _local.nets = {}
    if path not in nets:
        nets[path] = cv2.dnn.readNetFromONNX(str(path))
    return nets[path]


def softmax(logits: np.ndarray) -> np.ndarray:
    """Probabilities over the last axis of ``logits``."""
    z = logits.astype(np.float64) - logits.max(axis=-1, keepdims=True)
    p = np.exp(z)
    return p / p.sum(axis=-1, keepdims=True)

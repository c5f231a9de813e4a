"""The number classifier: which board number (if any) stands upright in a slot picture.

A small convolutional network trained on rendered slots by ``scripts/train_numbers.py`` (nothing is
downloaded; the renders are ``scripts/number_glyphs.py``), exported to ONNX and run with OpenCV's dnn,
so the agent needs no training framework. Class n (1..20) is the number n standing upright in the
picture, class 20 + n the number n upside down, class 0 neither.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from desktop_receiver.nets import net, softmax

from .number_patches import PATCH_PX, normalise

MODEL_PATH = Path(__file__).with_name("models") / "numbers.onnx"
N_CLASSES = 41
UPSIDE_DOWN = 20  # class of the number n upside down: UPSIDE_DOWN + n


def classify(pictures: np.ndarray) -> np.ndarray:
    """Class probabilities (N, N_CLASSES) of grey slot pictures (N, PATCH_PX, PATCH_PX)."""
    if len(pictures) == 0:
        return np.zeros((0, N_CLASSES), np.float32)
    blob = normalise(pictures).reshape(-1, 1, PATCH_PX, PATCH_PX)
    model = net(MODEL_PATH)
    model.setInput(blob)
    return softmax(model.forward().reshape(len(pictures), N_CLASSES)).astype(np.float32)

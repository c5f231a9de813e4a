"""The training's augmentation (scripts/train_tip.py): a turned or mirrored patch keeps its tip on the
same pixel. Needs no PyTorch."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
from train_tip import turned  # noqa: E402


@pytest.mark.parametrize("flip", [False, True])
@pytest.mark.parametrize("k", [0, 1, 2, 3])
def test_turned_patch_keeps_its_tip_on_its_pixel(k: int, flip: bool) -> None:
    size = 9
    x = np.zeros((2, 3, size, size), np.float32)
    tips = np.array([[6.0, 2.0], [1.0, 7.0]], np.float32)
    for n, (tx, ty) in enumerate(tips.astype(int)):
        x[n, :, ty, tx] = 1.0
    out, moved = turned(x, tips, k, flip)
    assert out.shape == x.shape and out.flags["C_CONTIGUOUS"]
    for n in range(len(tips)):
        ty, tx = np.argwhere(out[n, 0] == 1.0)[0]
        assert tuple(moved[n]) == (tx, ty)

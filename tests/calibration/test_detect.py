"""The ring colour mask: the board's red and green in, black, cream and wood out."""

from __future__ import annotations

import numpy as np
import pytest

from desktop_receiver.calibration import board
from desktop_receiver.calibration.detect import colour_masks

WOOD = (40, 80, 120)  # BGR: a cabinet's brown, orange in hue
CORK = (90, 140, 190)


@pytest.mark.parametrize("gain", [0.4, 1.0, 1.2])
def test_ring_colours_in_the_mask_and_wood_out(gain):
    colours = (board.RED, board.GREEN, board.BLACK, board.CREAM, WOOD, CORK)
    patches = np.concatenate([np.full((8, 8, 3), c, np.float32) for c in colours], axis=1)
    mask, _ = colour_masks(np.clip(patches * gain, 0, 255).astype(np.uint8))
    inside = mask[4, 4::8].astype(bool)  # each patch's middle, clear of the blur at its borders
    assert inside.tolist() == [True, True, False, False, False, False]
